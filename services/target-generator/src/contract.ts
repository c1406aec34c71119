/**
 * The target generator's contract with the Helios program: the ConfigMaps it writes, how many
 * overflow ones there may be, their namespace, and how a split file's parts are keyed.
 *
 * The one place these facts are spelled: the service (plan.ts, generate.ts, k8s-writer.ts) and
 * the program (components/integration/target-generator.ts for the RBAC Role's resourceNames,
 * components/collection/scrape.ts for the consumers' projected volumes and http_sd URLs) import
 * them from here. If the program spelled the overflow count itself and the service raised it,
 * the generator would get 403s on the extra ConfigMaps (issue 18). tests/program/contracts.test.ts
 * fails if the facts are spelled anywhere else.
 *
 * No imports: the program compiles this file from outside the service's package, and the
 * service's build (tsconfig.build.json, rootDir src) compiles it as one of its own.
 */

/** The four target kinds; each has a base ConfigMap `helios-targets-<kind>`. */
export const KINDS = ["gnmic", "snmp", "blackbox", "prometheus"] as const;
export type Kind = (typeof KINDS)[number];

/** The seven taxonomy labels every target carries (components/labels.ts re-exports them for the program). */
export const TAXONOMY_LABELS = ["device", "site", "region", "vendor", "platform", "role", "tier"] as const;
export type TaxonomyLabel = (typeof TAXONOMY_LABELS)[number];

/** Blackbox probe kinds; each has its own file_sd file `<kind>.json` (the program defines a module per kind). */
export const PROBE_KINDS = ["icmp", "tcp", "http", "dns"] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** The file_sd file (ConfigMap key) of one probe kind. */
export function probeFileKey(kind: ProbeKind): string {
  return `${kind}.json`;
}

/** The files (ConfigMap keys) of each kind before splitting. */
export const FILE_KEYS: { readonly [K in Kind]: readonly string[] } = {
  gnmic: ["targets.yaml"],
  snmp: ["snmp.json"],
  blackbox: PROBE_KINDS.map(probeFileKey),
  prometheus: ["prometheus.json"],
};

/** Overflow ConfigMaps per kind beyond the base one: `helios-targets-<kind>-1` .. `-8`. */
export const MAX_EXTRA_CONFIGMAPS = 8;

/** Namespace the generator writes its ConfigMaps to by default (the collection layer's). */
export const NAMESPACE = "helios-collection";

/** Prefix of every target ConfigMap name. */
export const CONFIGMAP_PREFIX = "helios-targets-";

/** Overflow ConfigMap `index` of a base ConfigMap name (index 0: the base itself). */
export function overflowName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index}`;
}

/** Name of a kind's ConfigMap: index 0 is the base one, 1..MAX_EXTRA_CONFIGMAPS the overflow ones. */
export function configMapName(kind: Kind, index = 0): string {
  return overflowName(`${CONFIGMAP_PREFIX}${kind}`, index);
}

/** A base ConfigMap and every overflow one it may have, base first (what consumers mount). */
export function withOverflow(base: string): string[] {
  return Array.from({ length: MAX_EXTRA_CONFIGMAPS + 1 }, (_, i) => overflowName(base, i));
}

/** Every ConfigMap name of one kind the generator may ever write, base first. */
export function kindConfigMapNames(kind: Kind): string[] {
  return withOverflow(configMapName(kind));
}

/** Every ConfigMap name the generator may ever write (for the RBAC Role's resourceNames). */
export function allConfigMapNames(): string[] {
  return KINDS.flatMap(kindConfigMapNames);
}

/** Key of part `i` of a split file: snmp.json, snmp-1.json, snmp-2.json, ... (targets.yaml, targets-1.yaml). */
export function partKey(key: string, i: number): string {
  if (i === 0) return key;
  const dot = key.lastIndexOf(".");
  return `${key.slice(0, dot)}-${i}${key.slice(dot)}`;
}
