/**
 * One sync: NetBox -> normalize -> generate -> read current targets -> plausibility guard ->
 * write what changed. Any failure leaves the current targets untouched, counts an error by
 * stage and reports ok=false (the CLI exits non-zero).
 */
import type { Logger } from "pino";
import { DEFAULT_GENERATE, generate, GenerateOptions } from "./generate";
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
  now?: () => number;
}

export interface SyncResult {
  ok: boolean;
  stage?: string;
  error?: string;
  devices: number;
  counts: Record<string, number>;
  skips: Skip[];
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
  const result: SyncResult = { ok: false, devices: 0, counts: {}, skips: [], actions: [], written: 0 };
  const fail = (stage: string, e: unknown): SyncResult => {
    m.errors.inc({ stage });
    m.duration.set((now() - started) / 1000);
    result.stage = stage;
    result.error = e instanceof Error ? e.message : String(e);
    o.log.error({ stage, err: result.error }, "target sync failed; current targets left untouched");
    return result;
  };

  let rawDevices: unknown[];
  let sites: Map<number, SiteInfo>;
  try {
    const [d, s] = await Promise.all([o.client.listDevices(), o.client.listSites()]);
    rawDevices = d;
    sites = siteMap(s);
  } catch (e) {
    return fail("netbox", e);
  }

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
    result.counts = gen.counts;
    result.devices = gen.counts.prometheus;
    desired = desiredConfigMaps(gen, result.devices);
  } catch (e) {
    return fail("generate", e);
  }
  for (const s of result.skips) o.log.warn({ device: s.device, id: s.id, reason: s.reason, scope: s.scope }, s.detail);

  let existing;
  try {
    existing = await o.writer.readExisting();
  } catch (e) {
    return fail("read_targets", e);
  }
  const previous = previousDeviceCount(existing);
  const verdict = checkPlausible(previous, result.devices, { force: o.force, maxDropRatio: o.maxDropRatio });
  if (!verdict.ok) return fail("guard", new Error(`${verdict.reason}; not writing (use --force if this is intended)`));
  if (o.force && previous !== undefined && !checkPlausible(previous, result.devices, { maxDropRatio: o.maxDropRatio }).ok) {
    o.log.warn({ previous, devices: result.devices }, "implausible drop written because --force was given");
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
  const end = now();
  m.markSuccess(end / 1000);
  m.duration.set((end - started) / 1000);
  result.ok = true;
  o.log.info({ devices: result.devices, counts: result.counts, skipped: result.skips.length, written: result.written, target: o.writer.describe() }, "target sync done");
  return result;
}
