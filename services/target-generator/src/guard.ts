/**
 * Guards per target type and per label, against the figures recorded by the last successful
 * write (annotation helios.io/sync-stats on helios-targets-prometheus).
 *
 * The device-count guard (plan.ts checkPlausible) cannot see a change that keeps every device
 * but empties one target type (snmp_enabled null everywhere) or relabels many devices with a
 * fallback (platform gone -> "unknown"). These guards refuse such a write with a message
 * naming the NetBox field, unless --force.
 */
import { Generated } from "./generate";
import { ANN_STATS, configMapName, ExistingConfigMap, Plausibility } from "./plan";
import { Device, FALLBACK_FIELDS, FallbackField } from "./types";

export interface SyncStats {
  /** Devices per target type (the helios_target_sync_devices figures). */
  targets: Record<string, number>;
  /** Devices whose value for this field fell back to the default. */
  fallbacks: Record<FallbackField, number>;
}

/** The NetBox field that switches each target type on (named in guard messages). */
export function fieldOfTargetType(type: string): string {
  if (type === "gnmic") return "custom_fields.gnmi_enabled";
  if (type === "snmp") return "custom_fields.snmp_enabled";
  if (type.startsWith("blackbox-")) return "custom_fields.blackbox_probes";
  return "custom_fields.helios_monitor";
}

export function syncStats(gen: Pick<Generated, "counts">, devices: readonly Device[]): SyncStats {
  const fallbacks = Object.fromEntries(FALLBACK_FIELDS.map((f) => [f, 0])) as Record<FallbackField, number>;
  for (const d of devices) for (const f of d.fallbacks) fallbacks[f]++;
  return { targets: { ...gen.counts }, fallbacks };
}

/** Stable text for the annotation (key order fixed, so an unchanged sync rewrites nothing). */
export function serializeStats(s: SyncStats): string {
  const targets = Object.fromEntries(Object.keys(s.targets).sort().map((k) => [k, s.targets[k]]));
  const fallbacks = Object.fromEntries(FALLBACK_FIELDS.map((f) => [f, s.fallbacks[f]]));
  return JSON.stringify({ targets, fallbacks });
}

/** The figures of the last successful write; undefined when none was recorded (first run, or outputs from an older version). */
export function previousStats(existing: ReadonlyMap<string, ExistingConfigMap>): SyncStats | undefined {
  const text = existing.get(configMapName("prometheus"))?.annotations[ANN_STATS];
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<SyncStats>;
    if (typeof v.targets !== "object" || typeof v.fallbacks !== "object" || !v.targets || !v.fallbacks) return undefined;
    const fallbacks = Object.fromEntries(FALLBACK_FIELDS.map((f) => [f, Number((v.fallbacks as Record<string, unknown>)[f] ?? 0)])) as Record<FallbackField, number>;
    return { targets: v.targets, fallbacks };
  } catch {
    return undefined; // an unreadable baseline only disables these guards, like a first run
  }
}

export interface GuardOptions {
  /** Largest tolerated drop of a target type, as a fraction (the same --max-drop as devices). */
  maxDropRatio?: number;
  /** A type is held to maxDropRatio only from this many targets on (0 where there were some always stops). */
  minPrevious?: number;
  /** Largest tolerated rise of a field's fallbacks, as a fraction of the devices. */
  maxFallbackRatio?: number;
  /** ... and never refused below this many devices flipping. */
  minFallbackFlips?: number;
}

export const DEFAULT_GUARD: Required<GuardOptions> = { maxDropRatio: 0.5, minPrevious: 10, maxFallbackRatio: 0.1, minFallbackFlips: 3 };

/** Per target type: to 0 where it had some, or a drop beyond maxDropRatio; per fallback field: a rise beyond the threshold. */
export function checkTargetGuards(prev: SyncStats | undefined, next: SyncStats, devices: number, options: GuardOptions = {}): Plausibility {
  if (!prev) return { ok: true };
  // Options left undefined by the caller keep their defaults (a plain spread would overwrite them).
  const o = { ...DEFAULT_GUARD, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<GuardOptions>;
  const types = [...new Set([...Object.keys(prev.targets), ...Object.keys(next.targets)])].sort();
  for (const t of types) {
    const before = prev.targets[t] ?? 0;
    const now = next.targets[t] ?? 0;
    if (before > 0 && now === 0) {
      return { ok: false, reason: `${t} targets dropped from ${before} to 0 (field ${fieldOfTargetType(t)})` };
    }
    if (before >= o.minPrevious && now < before * (1 - o.maxDropRatio)) {
      return { ok: false, reason: `${t} targets dropped from ${before} to ${now}, more than ${Math.round(o.maxDropRatio * 100)}% (field ${fieldOfTargetType(t)})` };
    }
  }
  for (const f of FALLBACK_FIELDS) {
    const flips = next.fallbacks[f] - prev.fallbacks[f];
    const limit = Math.max(o.minFallbackFlips - 1, Math.floor(o.maxFallbackRatio * devices));
    if (flips > limit) {
      return { ok: false, reason: `${flips} more devices fell back to the default for field ${f} (${prev.fallbacks[f]} -> ${next.fallbacks[f]} of ${devices}; limit ${limit})` };
    }
  }
  return { ok: true };
}
