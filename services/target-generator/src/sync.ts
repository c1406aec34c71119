/**
 * One sync: NetBox -> schema check -> normalize -> generate -> read current targets -> guards
 * (device count, per target type, per label fallback) -> write what changed. Any failure
 * leaves the current targets untouched, counts an error by stage and reports ok=false (the
 * CLI exits non-zero). Every monitored device NetBox returns is accounted for: written per
 * target type, or skipped with a reason, a log line (NetBox id and display) and the
 * helios_target_sync_skipped_devices{reason,scope} gauge; one summary line per sync.
 */
import type { Logger } from "pino";
import { DEFAULT_GENERATE, generate, GenerateOptions, Renamed } from "./generate";
import { checkTargetGuards, GuardOptions, previousStats, serializeStats, SyncStats, syncStats } from "./guard";
import { checkSchema, SchemaError } from "./schema";
import { NetBoxClient } from "./netbox";
import { DEFAULT_NORMALIZE, normalizeDevice, NormalizeOptions, SiteInfo } from "./normalize";
import { checkPlausible, desiredConfigMaps, WriteAction } from "./plan";
import { Device, Skip } from "./types";
import { SyncMetrics } from "./metrics";
import { previousDeviceCount, TargetWriter, writeTargets } from "./writers";

export interface SyncOptions {
  client: Pick<NetBoxClient, "listDevices" | "listSites">;
  writer: TargetWriter;
  metrics: SyncMetrics;
  log: Logger;
  normalize?: Partial<Omit<NormalizeOptions, "sites">>;
  generate?: GenerateOptions;
  /** Write even an implausible drop (e.g. to zero devices). */
  force?: boolean;
  maxDropRatio?: number;
  /** Per-label fallback guard threshold (fraction of devices). */
  maxFallbackRatio?: number;
  now?: () => number;
}

export interface SyncResult {
  ok: boolean;
  stage?: string;
  error?: string;
  devices: number;
  counts: Record<string, number>;
  skips: Skip[];
  renamed: Renamed[];
  /** Monitored devices NetBox returned (written + skipped as a whole). */
  monitored: number;
  stats?: SyncStats;
  actions: WriteAction[];
  written: number;
}

/** /api/dcim/sites/ entries -> id -> {slug, region slug}. */
export function siteMap(sites: unknown[]): Map<number, SiteInfo> {
  const m = new Map<number, SiteInfo>();
  for (const s of sites) {
    if (typeof s !== "object" || s === null) continue;
    const o = s as { id?: unknown; slug?: unknown; region?: { slug?: unknown } | null };
    if (typeof o.id !== "number" || typeof o.slug !== "string") continue;
    m.set(o.id, { slug: o.slug, region: typeof o.region?.slug === "string" ? o.region.slug : undefined });
  }
  return m;
}

export async function syncOnce(o: SyncOptions): Promise<SyncResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const m = o.metrics;
  m.runs.inc();
  m.lastRun.set(started / 1000);
  const result: SyncResult = { ok: false, devices: 0, monitored: 0, counts: {}, skips: [], renamed: [], actions: [], written: 0 };
  const fail = (stage: string, e: unknown): SyncResult => {
    m.errors.inc({ stage });
    m.duration.set((now() - started) / 1000);
    result.stage = stage;
    result.error = e instanceof Error ? e.message : String(e);
    o.log.error({ stage, err: result.error, ...(e instanceof SchemaError ? { field: e.field } : {}) }, "target sync failed; current targets left untouched");
    return result;
  };

  let rawDevices: unknown[];
  let rawSites: unknown[];
  try {
    [rawDevices, rawSites] = await Promise.all([o.client.listDevices(), o.client.listSites()]);
  } catch (e) {
    return fail("netbox", e);
  }
  try {
    checkSchema(rawDevices, rawSites);
  } catch (e) {
    return fail("schema", e);
  }
  const sites: Map<number, SiteInfo> = siteMap(rawSites);
  result.monitored = rawDevices.length;

  let devices: Device[];
  let desired;
  try {
    const nopts: NormalizeOptions = { ...DEFAULT_NORMALIZE, ...(o.normalize ?? {}), sites };
    devices = [];
    for (const raw of rawDevices) {
      const r = normalizeDevice(raw, nopts);
      result.skips.push(...r.skips);
      if (r.device) devices.push(r.device);
    }
    const gen = generate(devices, o.generate ?? DEFAULT_GENERATE);
    result.skips.push(...gen.skips);
    result.renamed = gen.renamed;
    result.counts = gen.counts;
    result.devices = gen.counts.prometheus;
    result.stats = syncStats(gen, devices);
    desired = desiredConfigMaps(gen, result.devices, { stats: serializeStats(result.stats) });
  } catch (e) {
    return fail("generate", e);
  }
  logAccounting(o.log, result);

  let existing;
  try {
    existing = await o.writer.readExisting();
  } catch (e) {
    return fail("read_targets", e);
  }
  const previous = previousDeviceCount(existing);
  const verdict = checkPlausible(previous, result.devices, { force: o.force, maxDropRatio: o.maxDropRatio });
  if (!verdict.ok) return fail("guard", new Error(`${verdict.reason}; not writing (use --force if this is intended)`));
  const guardOptions: GuardOptions = { maxDropRatio: o.maxDropRatio, maxFallbackRatio: o.maxFallbackRatio };
  const targetVerdict = checkTargetGuards(previousStats(existing), result.stats!, result.devices, guardOptions);
  if (!targetVerdict.ok && !o.force) return fail("guard", new Error(`${targetVerdict.reason}; not writing (use --force if this is intended)`));
  if (o.force && ((previous !== undefined && !checkPlausible(previous, result.devices, { maxDropRatio: o.maxDropRatio }).ok) || !targetVerdict.ok)) {
    o.log.warn({ previous, devices: result.devices, reason: targetVerdict.reason }, "implausible change written because --force was given");
  }

  try {
    const w = await writeTargets(o.writer, desired, existing);
    result.actions = w.actions;
    result.written = w.written;
  } catch (e) {
    return fail("write", e);
  }

  m.written.inc(result.written);
  m.devices.reset();
  for (const [t, n] of Object.entries(result.counts)) m.devices.set({ target_type: t }, n);
  m.skipped.reset();
  const byReason = new Map<string, number>();
  for (const s of result.skips) byReason.set(`${s.reason}\0${s.scope}`, (byReason.get(`${s.reason}\0${s.scope}`) ?? 0) + 1);
  for (const [k, n] of byReason) {
    const [reason, scope] = k.split("\0");
    m.skipped.set({ reason, scope }, n);
  }
  m.renamed.reset();
  for (const r of result.renamed) m.renamed.inc({ reason: r.reason, scope: r.scope });
  m.fallbacks.reset();
  for (const [field, n] of Object.entries(result.stats!.fallbacks)) m.fallbacks.set({ field }, n);
  const end = now();
  m.markSuccess(end / 1000);
  m.duration.set((end - started) / 1000);
  result.ok = true;
  o.log.info({ devices: result.devices, counts: result.counts, skipped: result.skips.length, written: result.written, target: o.writer.describe() }, "target sync done");
  return result;
}

/** One line per skipped device or target type, one per renamed target, and the sync's summary. */
function logAccounting(log: Logger, r: SyncResult): void {
  for (const s of r.skips) {
    // A planned/offline device is left out by design; anything else is data to fix.
    const level = s.reason === "not_active" ? "info" : "warn";
    log[level]({ id: s.id, display: s.display, device: s.device, reason: s.reason, scope: s.scope }, `device skipped: ${s.detail}`);
  }
  for (const n of r.renamed) log.warn({ id: n.id, display: n.display, device: n.device, reason: n.reason, scope: n.scope, key: n.key }, `device name is not unique: ${n.scope} target key ${n.key}`);
  const skipped: Record<string, number> = {};
  for (const s of r.skips) skipped[`${s.reason}/${s.scope}`] = (skipped[`${s.reason}/${s.scope}`] ?? 0) + 1;
  const devicesSkipped = r.skips.filter((s) => s.scope === "device").length;
  log.info({ monitored: r.monitored, written: r.devices, devicesSkipped, targets: r.counts, skipped, renamed: r.renamed.length, fallbacks: r.stats?.fallbacks }, "target sync summary");
}
