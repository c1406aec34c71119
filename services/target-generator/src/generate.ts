/**
 * Generators: Device[] -> target files. Pure and deterministic: devices sorted by name, one
 * fixed label order, the same bytes for the same inventory.
 *
 * Files (contract with the collection layer):
 *   gnmic      targets.yaml   gnmic file-loader targets: `<device>: {address, subscriptions, event-tags}`.
 *                             A name NetBox holds in several sites keeps the plain key on the
 *                             device with the lowest id; the others get `<device>@<site>` (and
 *                             `<device>@<site>#<id>` should that be taken too), so no device is lost.
 *                             No credentials: gnmic's global username/password (from its Secret)
 *                             apply; `insecure`/TLS come from gnmic's own config too.
 *   snmp       snmp.json      file_sd, target = address, `__param_module`, `__param_auth`
 *   blackbox   icmp.json, tcp.json, http.json, dns.json   file_sd per probe kind, label `module`
 *   prometheus prometheus.json generic file_sd, one group per device, target = address,
 *                             label `helios_targets` = the device's target types
 * Every group carries the seven taxonomy labels. File_sd files hold one target group per line
 * ("[\n{...},\n{...}\n]\n") so they split on line boundaries and diff well.
 */
import { cmp, hostPort } from "./normalize";
import { FILE_KEYS, Kind, partKey } from "./contract";
import { Device, PROBE_KINDS, ProbeKind, Skip, TAXONOMY_LABELS } from "./types";

export interface GenerateOptions {
  /** telemetry_profile -> gnmic subscription names (defined in the gnmic config). */
  profiles: Record<string, string[]>;
  /** blackbox probe kind -> blackbox_exporter module name. */
  blackboxModules: Record<ProbeKind, string>;
}

export const DEFAULT_GENERATE: GenerateOptions = {
  profiles: {
    minimal: ["interfaces"],
    standard: ["interfaces", "system"],
    full: ["interfaces", "system", "bgp"],
  },
  blackboxModules: { icmp: "icmp", tcp: "tcp_connect", http: "http_2xx", dns: "dns_udp" },
};

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** One logical output file (before splitting). */
export interface OutputFile {
  /** ConfigMap key / file name, e.g. snmp.json. */
  key: string;
  /** Records (file_sd groups or gnmic targets) already serialized, in order. */
  records: string[];
  format: "file_sd" | "gnmic";
}

// The four target kinds, their files and ConfigMaps: the program's contract (src/contract.ts).
export { KINDS } from "./contract";
export type { Kind };

export interface Generated {
  files: Record<Kind, OutputFile[]>;
  /** Devices per target type (metric helios_target_sync_devices). */
  counts: Record<string, number>;
  /** Devices left out of gnmic because of an unknown telemetry_profile. */
  skips: Skip[];
  /** Targets written under another key than the device name (duplicate names). */
  renamed: Renamed[];
}

export interface Renamed {
  device: string;
  id: number;
  display: string;
  reason: "duplicate_name";
  scope: "gnmic";
  key: string;
}

function taxonomy(d: Device): Record<string, string> {
  const l: Record<string, string> = {};
  for (const k of TAXONOMY_LABELS) l[k] = d.labels[k];
  return l;
}

function sorted(devices: readonly Device[]): Device[] {
  return [...devices].sort((a, b) => cmp(a.labels.device, b.labels.device) || a.id - b.id);
}

/** YAML double-quoted scalar; JSON string escapes are valid YAML escapes. */
const q = (s: string) => JSON.stringify(s);

export function generate(devices: readonly Device[], opts: GenerateOptions = DEFAULT_GENERATE): Generated {
  const list = sorted(devices);
  // Device names are unique in NetBox per site/tenant, not globally. Only the gnmic target key
  // can collide (file_sd groups differ by their site label): the lowest id keeps the plain name,
  // so an existing target is not renamed when a namesake appears elsewhere.
  const gnmic: string[] = [];
  const snmp: string[] = [];
  const prom: string[] = [];
  const probes: Record<ProbeKind, string[]> = { icmp: [], tcp: [], http: [], dns: [] };
  const skips: Generated["skips"] = [];
  const renamed: Renamed[] = [];
  const gnmicKeys = new Set<string>();
  const counts: Record<string, number> = { gnmic: 0, snmp: 0, prometheus: 0 };
  for (const k of PROBE_KINDS) counts[`blackbox-${k}`] = 0;

  for (const d of list) {
    const labels = taxonomy(d);
    const types: string[] = [];

    if (d.gnmi.enabled) {
      const subs = opts.profiles[d.telemetryProfile];
      if (!subs) {
        skips.push({ device: d.labels.device, id: d.id, display: d.display, reason: "unknown_telemetry_profile", detail: `telemetry_profile ${q(d.telemetryProfile)} is not one of ${Object.keys(opts.profiles).sort().join(", ")}`, scope: "gnmic" });
      } else {
        const key = gnmicKey(d, gnmicKeys);
        if (key !== d.labels.device) renamed.push({ device: d.labels.device, id: d.id, display: d.display, reason: "duplicate_name", scope: "gnmic", key });
        const tags = TAXONOMY_LABELS.map((k) => `    ${k}: ${q(d.labels[k])}`).join("\n");
        gnmic.push(
          `${q(key)}:\n  address: ${q(hostPort(d.address, d.gnmi.port))}\n  subscriptions: [${subs.map(q).join(", ")}]\n  event-tags:\n${tags}\n`,
        );
        types.push("gnmic");
        counts.gnmic++;
      }
    }
    if (d.snmp.enabled) {
      snmp.push(JSON.stringify({ targets: [d.address], labels: { ...labels, __param_module: d.snmp.module, __param_auth: d.snmp.auth } }));
      types.push("snmp");
      counts.snmp++;
    }
    const kindsSeen = new Set<ProbeKind>();
    for (const p of d.probes) {
      probes[p.kind].push(JSON.stringify({ targets: [p.target], labels: { ...labels, module: p.kind, __param_module: opts.blackboxModules[p.kind] } }));
      if (!kindsSeen.has(p.kind)) {
        kindsSeen.add(p.kind);
        counts[`blackbox-${p.kind}`]++;
        types.push(`blackbox-${p.kind}`);
      }
    }
    prom.push(JSON.stringify({ targets: [d.address], labels: { ...labels, helios_targets: types.sort().join(",") } }));
    counts.prometheus++;
  }

  return {
    files: {
      gnmic: [{ key: FILE_KEYS.gnmic[0], records: gnmic, format: "gnmic" }],
      snmp: [{ key: FILE_KEYS.snmp[0], records: snmp, format: "file_sd" }],
      blackbox: PROBE_KINDS.map((k, i) => ({ key: FILE_KEYS.blackbox[i], records: probes[k], format: "file_sd" as const })),
      prometheus: [{ key: FILE_KEYS.prometheus[0], records: prom, format: "file_sd" }],
    },
    counts,
    skips,
    renamed,
  };
}

/** The device's gnmic target key, unique among `taken` (which it is added to). */
function gnmicKey(d: Device, taken: Set<string>): string {
  const candidates = [d.labels.device, `${d.labels.device}@${d.labels.site}`, `${d.labels.device}@${d.labels.site}#${d.id}`];
  const key = candidates.find((k) => !taken.has(k)) ?? candidates[2];
  taken.add(key);
  return key;
}

/** Serializes records into one file's text. */
export function render(format: OutputFile["format"], records: readonly string[]): string {
  if (format === "gnmic") return records.length ? records.join("") : "{}\n";
  return records.length ? `[\n${records.join(",\n")}\n]\n` : "[]\n";
}

/** Splits a file into parts of at most maxBytes each: `snmp.json`, `snmp-1.json`, `snmp-2.json`, ... */
export function splitFile(file: OutputFile, maxBytes: number): { key: string; content: string }[] {
  const overhead = Buffer.byteLength(render(file.format, ["x"])) - 1;
  const parts: string[][] = [];
  let cur: string[] = [];
  let size = overhead;
  for (const r of file.records) {
    const len = Buffer.byteLength(r) + 2;
    if (len + overhead > maxBytes) throw new Error(`one record of ${file.key} is ${len} bytes, more than the ${maxBytes}-byte part limit`);
    if (cur.length && size + len > maxBytes) {
      parts.push(cur);
      cur = [];
      size = overhead;
    }
    cur.push(r);
    size += len;
  }
  parts.push(cur);
  return parts.map((recs, i) => ({ key: partKey(file.key, i), content: render(file.format, recs) }));
}
