/**
 * NetBox device JSON (REST API, NetBox 4.x field names) -> Device. Pure. Anything missing or
 * invalid leaves the device (or one of its target types) out with a counted reason; nothing
 * here throws on bad data.
 *
 * Custom fields read (NetBox `custom_fields` object):
 *   helios_monitor (boolean, must be true), gnmi_enabled (boolean), gnmi_port (integer 1-65535,
 *   default 57400), snmp_enabled (boolean), snmp_module (text, default "if_mib"), snmp_auth
 *   (text, optional, default from options), telemetry_profile (text, default "standard"),
 *   monitoring_tier (text, required: the `tier` label), blackbox_probes (text "icmp, tcp:22,
 *   http:8080/health, dns" or a JSON/multi-select list of the same strings), address_family
 *   (optional: ipv4 | ipv6 | prefer-ipv4 | prefer-ipv6, overrides the global setting).
 *
 * The address is read from primary_ip4 / primary_ip6 by address family, never from NetBox's
 * computed `primary_ip`: that one is IPv6 on a dual-stack device unless the NetBox server sets
 * PREFER_IPV4, so it would make the choice depend on server config the operator may not own.
 */
import { isIP } from "net";
import { ADDRESS_FAMILIES, AddressFamily, Device, FallbackField, PROBE_KINDS, ProbeKind, ProbeSpec, Skip, Taxonomy } from "./types";

/** What the device list needs to know about a site (the device's nested site has no region). */
export interface SiteInfo {
  slug: string;
  region?: string;
}

export interface NormalizeOptions {
  /** Site id -> slug and region slug (from /api/dcim/sites/). */
  sites: ReadonlyMap<number, SiteInfo>;
  defaultSnmpModule: string;
  defaultSnmpAuth: string;
  defaultTelemetryProfile: string;
  defaultGnmiPort: number;
  /** Which primary IP to use unless the device's address_family custom field says otherwise. */
  addressFamily: AddressFamily;
}

export const DEFAULT_NORMALIZE: Omit<NormalizeOptions, "sites"> = {
  defaultSnmpModule: "if_mib",
  defaultSnmpAuth: "public_v2",
  defaultTelemetryProfile: "standard",
  defaultGnmiPort: 57400,
  addressFamily: "prefer-ipv4",
};

const LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (o: unknown, k: string): string | undefined => (isObj(o) && typeof o[k] === "string" ? (o[k] as string) : undefined);

export interface NormalizeResult {
  device?: Device;
  skips: Skip[];
}

export function normalizeDevice(raw: unknown, opts: NormalizeOptions): NormalizeResult {
  const skips: Skip[] = [];
  const id = isObj(raw) && typeof raw.id === "number" ? raw.id : undefined;
  const name = str(raw, "name");
  const device = name ?? `id:${id ?? "?"}`;
  const display = str(raw, "display") ?? device;
  const skip = (reason: string, detail: string): NormalizeResult => ({ skips: [{ device, id, display, reason, detail, scope: "device" }] });
  if (!isObj(raw)) return skip("not_an_object", "device entry is not a JSON object");
  const cf = isObj(raw.custom_fields) ? raw.custom_fields : {};
  if (cf.helios_monitor !== true) return skip("not_monitored", "custom field helios_monitor is not true");
  if (!name || !name.trim()) return skip("missing_name", "device has no name (its name is the device label and target key)");
  if (!LABEL_VALUE.test(name)) return skip("invalid_name", `device name ${JSON.stringify(name)} is not usable as a label/target name`);
  const status = isObj(raw.status) ? raw.status.value : raw.status;
  if (status !== "active") return skip("not_active", `status is ${JSON.stringify(status)}, not "active"`);

  const fallbacks: FallbackField[] = [];
  const picked = pickAddress(raw, cf, opts.addressFamily, fallbacks);
  if (typeof picked !== "string") return skip(picked.reason, picked.detail);
  const address = picked;

  const siteId = isObj(raw.site) && typeof raw.site.id === "number" ? raw.site.id : undefined;
  const site = siteId !== undefined ? opts.sites.get(siteId) : undefined;
  if (!site) return skip("missing_site", "device has no site, or the site is unknown");
  if (!site.region) return skip("missing_region", `site ${site.slug} has no region`);
  const dt = isObj(raw.device_type) ? raw.device_type : undefined;
  const vendor = str(dt?.manufacturer, "slug");
  if (!vendor) return skip("missing_vendor", "device type has no manufacturer");
  const role = str(raw.role, "slug");
  if (!role) return skip("missing_role", "device has no role (NetBox 4.x `role`)");
  const platformSlug = str(raw.platform, "slug");
  if (!platformSlug) fallbacks.push("platform");
  const platform = platformSlug ?? "unknown";
  const tier = cf.monitoring_tier;
  if (typeof tier !== "string" || !tier) return skip("missing_tier", "custom field monitoring_tier is empty");

  const labels: Taxonomy = { device: name, site: site.slug, region: site.region, vendor, platform, role, tier };
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_VALUE.test(v)) return skip("invalid_label", `${k} value ${JSON.stringify(v)} is not a valid label value`);
  }

  const partial = (scope: Skip["scope"], reason: string, detail: string) => skips.push({ device: name, id, display, reason, detail, scope });
  const text = (k: string): string | undefined => (typeof cf[k] === "string" && cf[k] ? (cf[k] as string) : undefined);

  let gnmiEnabled = cf.gnmi_enabled === true;
  let gnmiPort = opts.defaultGnmiPort;
  if (gnmiEnabled && cf.gnmi_port !== null && cf.gnmi_port !== undefined) {
    const p = cf.gnmi_port;
    if (typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535) gnmiPort = p;
    else {
      partial("gnmic", "invalid_gnmi_port", `gnmi_port ${JSON.stringify(p)} is not a port`);
      gnmiEnabled = false;
    }
  } else if (gnmiEnabled) fallbacks.push("custom_fields.gnmi_port");
  const telemetryProfile = text("telemetry_profile") ?? opts.defaultTelemetryProfile;
  if (gnmiEnabled && !text("telemetry_profile")) fallbacks.push("custom_fields.telemetry_profile");

  let snmpEnabled = cf.snmp_enabled === true;
  const snmpModule = text("snmp_module") ?? opts.defaultSnmpModule;
  const snmpAuth = text("snmp_auth") ?? opts.defaultSnmpAuth;
  if (snmpEnabled && !text("snmp_module")) fallbacks.push("custom_fields.snmp_module");
  if (snmpEnabled && !text("snmp_auth")) fallbacks.push("custom_fields.snmp_auth");
  if (snmpEnabled && (!LABEL_VALUE.test(snmpModule) || !LABEL_VALUE.test(snmpAuth))) {
    partial("snmp", "invalid_snmp_module", `snmp_module/snmp_auth ${JSON.stringify([snmpModule, snmpAuth])} invalid`);
    snmpEnabled = false;
  }

  const probes: ProbeSpec[] = [];
  for (const spec of probeSpecs(cf.blackbox_probes)) {
    const r = parseProbe(spec, address);
    if (typeof r === "string") partial("blackbox", "invalid_probe", r);
    else if (!probes.some((p) => p.kind === r.kind && p.target === r.target)) probes.push(r);
  }
  if (cf.blackbox_probes !== null && cf.blackbox_probes !== undefined && typeof cf.blackbox_probes !== "string" && !Array.isArray(cf.blackbox_probes)) {
    partial("blackbox", "invalid_probe", `blackbox_probes ${JSON.stringify(cf.blackbox_probes)} is neither text nor a list`);
  }
  probes.sort((a, b) => (a.kind === b.kind ? cmp(a.target, b.target) : cmp(a.kind, b.kind)));

  return {
    device: {
      id: id ?? 0,
      display,
      address,
      labels,
      gnmi: { enabled: gnmiEnabled, port: gnmiPort },
      snmp: { enabled: snmpEnabled, module: snmpModule, auth: snmpAuth },
      telemetryProfile,
      probes,
      fallbacks,
    },
    skips,
  };
}

/** The address of `primary_ip4`/`primary_ip6` (prefix length cut), if set and of that family. */
function primaryAddress(raw: Obj, key: "primary_ip4" | "primary_ip6"): { address?: string; bad?: string } {
  const cidr = str(raw[key], "address");
  if (!cidr) return {};
  const address = cidr.split("/")[0];
  const want = key === "primary_ip4" ? 4 : 6;
  return isIP(address) === want ? { address } : { bad: `${key} ${JSON.stringify(cidr)} is not an IPv${want} address` };
}

/** The management address by address family, or why there is none. */
export function pickAddress(raw: Obj, cf: Obj, globalFamily: AddressFamily, fallbacks: FallbackField[]): string | { reason: string; detail: string } {
  let family = globalFamily;
  const own = cf.address_family;
  if (own === null || own === undefined || own === "") fallbacks.push("custom_fields.address_family");
  else if (typeof own === "string" && (ADDRESS_FAMILIES as readonly string[]).includes(own)) family = own as AddressFamily;
  else return { reason: "invalid_address_family", detail: `custom field address_family ${JSON.stringify(own)} is not one of ${ADDRESS_FAMILIES.join(", ")}` };

  const v4 = primaryAddress(raw, "primary_ip4");
  const v6 = primaryAddress(raw, "primary_ip6");
  if (v4.bad && family !== "ipv6") return { reason: "invalid_primary_ip", detail: v4.bad };
  if (v6.bad && family !== "ipv4") return { reason: "invalid_primary_ip", detail: v6.bad };
  if (!v4.address && !v6.address && !v4.bad && !v6.bad) return { reason: "missing_primary_ip", detail: "device has neither primary_ip4 nor primary_ip6" };
  const order = { ipv4: [v4], ipv6: [v6], "prefer-ipv4": [v4, v6], "prefer-ipv6": [v6, v4] }[family];
  for (const a of order) if (a.address) return a.address;
  const has = v4.address ? "IPv4" : "IPv6";
  return { reason: "no_address_in_family", detail: `address family ${family} but the device has only an ${has} primary IP` };
}

function probeSpecs(v: unknown): string[] {
  if (typeof v === "string") return v.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x.trim() : JSON.stringify(x))).filter(Boolean);
  return [];
}

/** Host part of a target: IPv6 gets brackets. */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `icmp` | `tcp:<port>` | `http[:<port>][/path]` | `dns[:<port>]` -> ProbeSpec, or an error text. */
export function parseProbe(spec: string, address: string): ProbeSpec | string {
  const m = /^(icmp|tcp|http|dns)(?::([0-9]{1,5}))?(\/[A-Za-z0-9._~%/?=&-]*)?$/i.exec(spec.trim());
  if (!m) return `probe ${JSON.stringify(spec)} is not one of ${PROBE_KINDS.join(", ")} (forms: icmp, tcp:<port>, http[:<port>][/path], dns[:<port>])`;
  const kind = m[1].toLowerCase() as ProbeKind;
  const port = m[2] !== undefined ? Number(m[2]) : undefined;
  const path = m[3];
  if (port !== undefined && (port < 1 || port > 65535)) return `probe ${JSON.stringify(spec)}: port out of range`;
  if (path && kind !== "http") return `probe ${JSON.stringify(spec)}: only http probes take a path`;
  switch (kind) {
    case "icmp":
      if (port !== undefined) return `probe ${JSON.stringify(spec)}: icmp takes no port`;
      return { kind, target: address };
    case "tcp":
      if (port === undefined) return `probe ${JSON.stringify(spec)}: tcp needs a port (tcp:<port>)`;
      return { kind, target: hostPort(address, port) };
    case "http": {
      const host = port === undefined ? (isIP(address) === 6 ? `[${address}]` : address) : hostPort(address, port);
      return { kind, target: `http://${host}${path ?? "/"}` };
    }
    case "dns":
      return { kind, target: hostPort(address, port ?? 53) };
  }
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
