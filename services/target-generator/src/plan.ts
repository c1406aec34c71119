/**
 * What to write, decided without I/O (unit-tested; the writers only carry it out).
 *
 * ConfigMaps (namespace helios-collection, fixed contract): helios-targets-gnmic (targets.yaml),
 * helios-targets-snmp (snmp.json), helios-targets-blackbox (icmp/tcp/http/dns.json),
 * helios-targets-prometheus (prometheus.json).
 *
 * Splitting (a ConfigMap holds at most 1 MiB): a file larger than PART_MAX_BYTES is cut on
 * record boundaries into `<stem>.json`, `<stem>-1.json`, `<stem>-2.json`, ... (gnmic:
 * `targets.yaml`, `targets-1.yaml`, ...). Parts are packed in order into the kind's ConfigMap
 * while its data stays under CONFIGMAP_MAX_BYTES; the overflow goes to `helios-targets-<kind>-1`,
 * `-2`, ... (at most MAX_EXTRA_CONFIGMAPS). The first ConfigMap records how many there are in
 * the annotation helios.io/configmaps; consumers mount the base ConfigMap plus the optional
 * `-1..-N` ones (a projected volume) and glob `*.json`.
 */
import { createHash } from "crypto";
import { allConfigMapNames, configMapName, Kind, KINDS, MAX_EXTRA_CONFIGMAPS, NAMESPACE } from "./contract";
import { Generated, splitFile } from "./generate";

// The ConfigMap names, overflow count and namespace are the program's contract too (src/contract.ts).
export { allConfigMapNames, configMapName, MAX_EXTRA_CONFIGMAPS, NAMESPACE };

export const PART_MAX_BYTES = 900 * 1024;
export const CONFIGMAP_MAX_BYTES = 950 * 1024;

export const ANN_HASH = "helios.io/content-hash";
export const ANN_DEVICES = "helios.io/device-count";
export const ANN_CONFIGMAPS = "helios.io/configmaps";
/** On helios-targets-prometheus: targets per type and fallbacks per field (src/guard.ts), the guards' baseline. */
export const ANN_STATS = "helios.io/sync-stats";
export const LABEL_KIND = "helios.io/target-kind";
export const MANAGED_BY = "helios-target-generator";

export interface DesiredConfigMap {
  name: string;
  kind: Kind;
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** sha256 over the sorted keys and values. */
export function contentHash(data: Record<string, string>): string {
  const h = createHash("sha256");
  for (const k of Object.keys(data).sort()) {
    h.update(k);
    h.update("\0");
    h.update(data[k]);
    h.update("\0");
  }
  return `sha256:${h.digest("hex")}`;
}

/** Generated files -> the ConfigMaps that hold them, split as documented above. */
export function desiredConfigMaps(gen: Generated, deviceCount: number, opts: { partMaxBytes?: number; configMapMaxBytes?: number; stats?: string } = {}): DesiredConfigMap[] {
  const partMax = opts.partMaxBytes ?? PART_MAX_BYTES;
  const cmMax = opts.configMapMaxBytes ?? CONFIGMAP_MAX_BYTES;
  const out: DesiredConfigMap[] = [];
  for (const kind of KINDS) {
    const groups: Record<string, string>[] = [{}];
    let size = 0;
    for (const file of gen.files[kind]) {
      for (const part of splitFile(file, partMax)) {
        const len = Buffer.byteLength(part.content) + Buffer.byteLength(part.key);
        if (size > 0 && size + len > cmMax) {
          groups.push({});
          size = 0;
        }
        groups[groups.length - 1][part.key] = part.content;
        size += len;
      }
    }
    if (groups.length - 1 > MAX_EXTRA_CONFIGMAPS) {
      throw new Error(`${kind} targets need ${groups.length} ConfigMaps; at most ${MAX_EXTRA_CONFIGMAPS + 1} are allowed`);
    }
    groups.forEach((data, i) => {
      out.push({
        name: configMapName(kind, i),
        kind,
        data,
        labels: { "app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": "helios", [LABEL_KIND]: kind },
        annotations: {
          [ANN_HASH]: contentHash(data),
          [ANN_DEVICES]: String(deviceCount),
          ...(i === 0 ? { [ANN_CONFIGMAPS]: String(groups.length) } : {}),
          ...(i === 0 && kind === "prometheus" && opts.stats !== undefined ? { [ANN_STATS]: opts.stats } : {}),
        },
      });
    });
  }
  return out;
}

export interface ExistingConfigMap {
  name: string;
  data: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion?: string;
}

export type WriteAction =
  | { op: "create"; cm: DesiredConfigMap }
  | { op: "replace"; cm: DesiredConfigMap; resourceVersion?: string }
  | { op: "unchanged"; name: string }
  | { op: "delete"; name: string };

/**
 * Orders the writes so a reader never sees an empty or half list: overflow ConfigMaps first,
 * then each kind's base ConfigMap (which announces the count), then deletes of overflow
 * ConfigMaps no longer needed. A ConfigMap whose data already hashes the same is left alone.
 */
export function planWrites(desired: readonly DesiredConfigMap[], existing: ReadonlyMap<string, ExistingConfigMap>): WriteAction[] {
  const extras: WriteAction[] = [];
  const bases: WriteAction[] = [];
  const deletes: WriteAction[] = [];
  const wanted = new Set(desired.map((d) => d.name));
  for (const cm of desired) {
    const cur = existing.get(cm.name);
    let action: WriteAction;
    if (!cur) action = { op: "create", cm };
    else if (contentHash(cur.data) === cm.annotations[ANN_HASH] && cur.annotations[ANN_HASH] === cm.annotations[ANN_HASH] && sameAnnotations(cur.annotations, cm.annotations)) action = { op: "unchanged", name: cm.name };
    else action = { op: "replace", cm, resourceVersion: cur.resourceVersion };
    (cm.name === configMapName(cm.kind) ? bases : extras).push(action);
  }
  for (const name of [...existing.keys()].sort()) {
    if (!wanted.has(name)) deletes.push({ op: "delete", name });
  }
  return [...extras, ...bases, ...deletes];
}

function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  return [ANN_HASH, ANN_DEVICES, ANN_CONFIGMAPS, ANN_STATS].every((k) => a[k] === b[k]);
}

export interface Plausibility {
  ok: boolean;
  reason?: string;
}

/**
 * Refuses an implausible drop: zero devices where there were some, or losing more than
 * maxDropRatio of at least minPrevious devices. `force` overrides (logged by the caller).
 */
export function checkPlausible(previous: number | undefined, next: number, opts: { maxDropRatio?: number; minPrevious?: number; force?: boolean } = {}): Plausibility {
  const maxDrop = opts.maxDropRatio ?? 0.5;
  const minPrev = opts.minPrevious ?? 10;
  if (opts.force || previous === undefined) return { ok: true };
  if (next === 0 && previous > 0) return { ok: false, reason: `NetBox returned 0 monitored devices where the current targets have ${previous}` };
  if (previous >= minPrev && next < previous * (1 - maxDrop)) {
    return { ok: false, reason: `device count dropped from ${previous} to ${next} (more than ${Math.round(maxDrop * 100)}%)` };
  }
  return { ok: true };
}
