/**
 * Schema check of NetBox responses, before anything is normalized.
 *
 * NetBox serializes every field of an object, with `null` for an empty one, and every custom
 * field defined for the object type, with `null` when unset. So a field that is *absent*
 * means the API changed (an upgrade, a renamed or deleted custom field, a proxy rewriting the
 * body), while `null` is ordinary data. Normalizing an absent field as if it were null would
 * silently rewrite targets (SNMP off for everyone, platform="unknown" everywhere); instead an
 * absent field the generator relies on fails the sync (stage "schema", exit 1, targets kept)
 * with the field's path in the message.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Custom fields on dcim.device the generator cannot do without. */
export const REQUIRED_CUSTOM_FIELDS = ["helios_monitor", "monitoring_tier", "gnmi_enabled", "gnmi_port", "snmp_enabled", "snmp_module", "telemetry_profile", "blackbox_probes"] as const;
/** Custom fields that need not exist; when absent, every device gets the default (counted as a fallback). */
export const OPTIONAL_CUSTOM_FIELDS = ["snmp_auth", "address_family"] as const;

/**
 * Device fields read, as `path` (must be present) and, for an object value that is not null,
 * the keys that object must carry.
 */
const DEVICE_FIELDS: { path: string; nested?: string[] }[] = [
  { path: "id" },
  { path: "name" },
  { path: "display" },
  { path: "status", nested: ["value"] },
  { path: "site", nested: ["id"] },
  { path: "role", nested: ["slug"] },
  { path: "device_type", nested: ["manufacturer"] },
  { path: "device_type.manufacturer", nested: ["slug"] },
  { path: "platform", nested: ["slug"] },
  { path: "primary_ip4", nested: ["address"] },
  { path: "primary_ip6", nested: ["address"] },
  { path: "custom_fields", nested: [...REQUIRED_CUSTOM_FIELDS] },
];

const SITE_FIELDS: { path: string; nested?: string[] }[] = [
  { path: "id" },
  { path: "slug" },
  { path: "region", nested: ["slug"] },
];

/** Every field path the generator reads from a device (for the fault tests and docs/targets.md). */
export const DEVICE_FIELD_PATHS: string[] = DEVICE_FIELDS.flatMap((f) => [f.path, ...(f.nested ?? []).map((n) => `${f.path}.${n}`)]).filter((p, i, a) => a.indexOf(p) === i);
export const SITE_FIELD_PATHS: string[] = SITE_FIELDS.flatMap((f) => [f.path, ...(f.nested ?? []).map((n) => `${f.path}.${n}`)]).filter((p, i, a) => a.indexOf(p) === i);

/** Whether the dotted path is present in obj (null counts as present; a null parent ends the walk as present). */
function lookup(obj: Obj, path: string): { present: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null) return { present: true, value: null };
    if (!isObj(cur) || !(key in cur)) return { present: false };
    cur = cur[key];
  }
  return { present: true, value: cur };
}

function missingField(raw: unknown, fields: { path: string; nested?: string[] }[]): string | undefined {
  if (!isObj(raw)) return "(the object itself: not a JSON object)";
  for (const f of fields) {
    const r = lookup(raw, f.path);
    if (!r.present) return f.path;
    if (f.nested && r.value !== null) {
      if (!isObj(r.value)) return `${f.path} (not an object)`;
      for (const n of f.nested) if (!(n in r.value)) return `${f.path}.${n}`;
    }
  }
  return undefined;
}

export class SchemaError extends Error {
  constructor(
    message: string,
    public readonly field: string,
  ) {
    super(message);
    this.name = "SchemaError";
  }
}

/** Throws SchemaError naming the first absent field of the first device/site that lacks one. */
export function checkSchema(devices: readonly unknown[], sites: readonly unknown[]): void {
  for (const d of devices) {
    const field = missingField(d, DEVICE_FIELDS);
    if (field) {
      const o = isObj(d) ? d : {};
      throw new SchemaError(`NetBox device ${JSON.stringify(o.id ?? "?")} (${JSON.stringify(o.display ?? o.name ?? "?")}): field ${field} is missing from /api/dcim/devices/ (a NetBox upgrade, a renamed/deleted custom field, or a proxy changed the response); not writing`, field);
    }
  }
  for (const s of sites) {
    const field = missingField(s, SITE_FIELDS);
    if (field) {
      const o = isObj(s) ? s : {};
      throw new SchemaError(`NetBox site ${JSON.stringify(o.id ?? "?")} (${JSON.stringify(o.slug ?? "?")}): field ${field} is missing from /api/dcim/sites/; not writing`, `site.${field}`);
    }
  }
}
