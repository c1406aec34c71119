/**
 * Resolution step (decode → RESOLVE → enrich → encode): settles, per flow, what the exporter
 * sent ambiguously or wrongly. It writes its results into the RawFlow (rate, rateSource,
 * timeImplausible, in/out special interface codes) and counts every flow it flags; the
 * service turns the counts into metrics and log lines (see flush()).
 *
 * Sampling rate, first that applies:
 *   1. override     per-exporter override from stack config (wins over what the exporter says)
 *   2. flow         the rate in the flow itself: NetFlow v9/IPFIX data record samplingInterval
 *                   (34), samplingPacketInterval/Space (305/306: (interval + space) / interval),
 *                   samplerRandomInterval (50); the sFlow sample's rate; the NetFlow v5 header's
 *   3. options      goflow2's sampling_rate from options data (NetFlow v9/IPFIX)
 *   4. last_known   the last rate this exporter (and sampler id, when it sends one) had by 2 or 3:
 *                   covers a goflow2 restart or an HPA move before options arrive again. A
 *                   sampler's own last-known rate comes before 3: goflow2 collapses several
 *                   samplers' options into one rate per observation domain
 *   5. default      per-exporter default from stack config or NetBox, else the global default
 *   6. unknown      rate 0, counted by {exporter, reason}; ClickHouse then counts the flow ×1,
 *                   visibly (sampling_rate_source = "unknown", metric, alert)
 *
 * Timestamps: a flow whose time_flow_end_ns is older than `maxAgeNs` (the raw TTL) or more than
 * `maxFutureNs` ahead of time_received_ns is stored at time_received_ns and flagged.
 *
 * sFlow interfaces (sflow_version_5.txt "interface"): 0x3FFFFFFF = the device itself (local),
 * format 1 = discarded (value = reason), format 2 = multiple output interfaces; those become
 * ifIndex 0 plus in_if_special/out_if_special (and discard_reason).
 */
import { IF_SPECIAL_CODE, RATE_SOURCE, RawFlow, varintValue } from "./codec";
import { addrKey } from "./enrich";
import { addressToString } from "./geoip";

export interface SamplingRateConfig {
  /** rate for exporters that send none and have no per-exporter default; unset = unknown */
  default?: number;
  /** by exporter address (as text, e.g. "192.0.2.1" or "2001:db8::1") */
  exporters?: Record<string, { default?: number; override?: number }>;
}

export interface ResolvePolicy {
  sampling: SamplingRateConfig;
  /** flows whose exporter time is older than this (ns) are stored at time_received */
  maxAgeNs: number;
  /** ...or further ahead of time_received than this (ns) */
  maxFutureNs: number;
}

/** No sampling config; the raw table's 7-day TTL (migrations/0001); 5 minutes of clock skew. */
export const DEFAULT_RESOLVE_POLICY: ResolvePolicy = { sampling: {}, maxAgeNs: 7 * 86400e9, maxFutureNs: 300e9 };

const SFLOW_5 = 1;
const NETFLOW_V5 = 2;
const SFLOW_LOCAL = 0x3fffffff;

/** Counts by "exporter|reason", drained by the service at each batch. */
export type LabelCounts = Map<string, { exporter: string; reason: string; n: number }>;

export class ResolveStats {
  /** flows per RATE_SOURCES index */
  readonly bySource = new Array<number>(7).fill(0);
  readonly rateUnknown: LabelCounts = new Map();
  readonly timeImplausible: LabelCounts = new Map();
  /** sFlow special interfaces: "in|local", "out|discard", ... */
  readonly specialInterfaces: LabelCounts = new Map();
}

function count(m: LabelCounts, exporter: string, reason: string): void {
  const k = exporter + "|" + reason;
  const e = m.get(k);
  if (e === undefined) m.set(k, { exporter, reason, n: 1 });
  else e.n++;
}

/** Map key of an exporter address given as text (same keys addrKey() makes from bytes). */
export function keyOfAddressText(addr: string): number | string {
  if (!addr.includes(":")) {
    const p = addr.split(".").map(Number);
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
  }
  const [head, tail] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf.toString("latin1", 0, 16);
}

export class Resolver {
  readonly stats = new ResolveStats();
  private readonly overrides = new Map<number | string, number>();
  private configDefaults = new Map<number | string, number>();
  private netboxDefaults = new Map<number | string, number>();
  private readonly lastKnown = new Map<number | string, number>();
  private readonly globalDefault: number;

  constructor(private readonly policy: ResolvePolicy) {
    this.globalDefault = policy.sampling.default ?? 0;
    for (const [addr, v] of Object.entries(policy.sampling.exporters ?? {})) {
      const k = keyOfAddressText(addr);
      if (v.override) this.overrides.set(k, v.override);
      if (v.default) this.configDefaults.set(k, v.default);
    }
  }

  /** Per-exporter defaults from NetBox (a device custom field); stack config wins over them. */
  setNetBoxDefaults(byAddress: Map<string, number>): void {
    const m = new Map<number | string, number>();
    for (const [addr, rate] of byAddress) if (rate > 0) m.set(keyOfAddressText(addr), rate);
    this.netboxDefaults = m;
  }

  resolve(f: RawFlow): void {
    const b = f.buf;
    const ek = addrKey(b, f.samplerS, f.samplerE);
    this.resolveRate(f, ek);
    this.resolveTime(f);
    if (f.type === SFLOW_5) this.resolveSflowInterfaces(f);
  }

  private resolveRate(f: RawFlow, ek: number | string): void {
    const ov = this.overrides.get(ek);
    if (ov !== undefined) return this.set(f, ov, RATE_SOURCE.override);
    let inFlow = 0;
    let badReason = "";
    if (f.samplingInterval > 0) inFlow = f.samplingInterval;
    else if (f.packetInterval > 0) inFlow = Math.round((f.packetInterval + f.packetSpace) / f.packetInterval);
    else if (f.packetSpace > 0) badReason = "packet_interval_zero";
    else if (f.randomInterval > 0) inFlow = f.randomInterval;
    else if ((f.type === SFLOW_5 || f.type === NETFLOW_V5) && f.samplingRateIn > 0) inFlow = f.samplingRateIn;
    // a sampler id separates several samplers of one exporter (per-sampler rates)
    const lk = f.samplerId > 0 ? `${ek}#${f.samplerId}` : ek;
    if (inFlow > 0) {
      if (this.lastKnown.get(lk) !== inFlow) this.remember(lk, ek, inFlow);
      return this.set(f, inFlow, RATE_SOURCE.flow);
    }
    // goflow2 keeps ONE options rate per exporter and observation domain (several samplers'
    // options collapse into one), so a sampler's own rate, seen in its data records, wins
    if (lk !== ek) {
      const own = this.lastKnown.get(lk);
      if (own !== undefined) return this.set(f, own, RATE_SOURCE.last_known);
    }
    if (f.type !== SFLOW_5 && f.type !== NETFLOW_V5 && f.samplingRateIn > 0) {
      if (this.lastKnown.get(lk) !== f.samplingRateIn) this.remember(lk, ek, f.samplingRateIn);
      return this.set(f, f.samplingRateIn, RATE_SOURCE.options);
    }
    const last = this.lastKnown.get(lk) ?? (lk !== ek ? this.lastKnown.get(ek) : undefined);
    if (last !== undefined) return this.set(f, last, RATE_SOURCE.last_known);
    const def = this.configDefaults.get(ek) ?? this.netboxDefaults.get(ek) ?? this.globalDefault;
    if (def > 0) return this.set(f, def, RATE_SOURCE.default);
    f.rate = 0;
    f.rateSource = RATE_SOURCE.unknown;
    this.stats.bySource[RATE_SOURCE.unknown]++;
    count(this.stats.rateUnknown, addressToString(f.buf, f.samplerS, f.samplerE), badReason || (f.type === SFLOW_5 ? "sflow_rate_zero" : f.type === NETFLOW_V5 ? "v5_header_rate_zero" : "no_rate_in_flow_options_or_config"));
  }

  private remember(lk: number | string, ek: number | string, rate: number): void {
    this.lastKnown.set(lk, rate);
    if (lk !== ek) this.lastKnown.set(ek, rate);
  }

  private set(f: RawFlow, rate: number, source: number): void {
    f.rate = rate;
    f.rateSource = source;
    this.stats.bySource[source]++;
  }

  private resolveTime(f: RawFlow): void {
    if (f.timeEndE === f.timeEndS || f.timeReceivedE === f.timeReceivedS) return;
    const b = f.buf;
    const end = varintValue(b, f.timeEndS, f.timeEndE);
    const received = varintValue(b, f.timeReceivedS, f.timeReceivedE);
    if (end === 0 || received === 0) return;
    let reason = "";
    if (end < received - this.policy.maxAgeNs) reason = "older_than_ttl";
    else if (end > received + this.policy.maxFutureNs) reason = "ahead_of_time_received";
    if (reason === "") return;
    f.timeImplausible = true;
    count(this.stats.timeImplausible, addressToString(b, f.samplerS, f.samplerE), reason);
  }

  private resolveSflowInterfaces(f: RawFlow): void {
    const i = f.inIf;
    if (i === SFLOW_LOCAL || i >>> 30 !== 0) {
      // format 1/2 never apply to an input interface (spec); such a value is not an ifIndex either
      f.inSpecial = i === SFLOW_LOCAL ? IF_SPECIAL_CODE.local : i >>> 30 === 1 ? IF_SPECIAL_CODE.discard : IF_SPECIAL_CODE.multiple;
      f.inIf = 0;
      count(this.stats.specialInterfaces, "in", i === SFLOW_LOCAL ? "local" : i >>> 30 === 1 ? "discard" : "multiple");
    }
    const o = f.outIf;
    if (o === SFLOW_LOCAL) {
      f.outSpecial = IF_SPECIAL_CODE.local;
      f.outIf = 0;
      count(this.stats.specialInterfaces, "out", "local");
    } else if (o >>> 30 === 1) {
      f.outSpecial = IF_SPECIAL_CODE.discard;
      f.discardReason = (o & 0x3fffffff) + 1;
      f.outIf = 0;
      count(this.stats.specialInterfaces, "out", "discard");
    } else if (o >>> 30 >= 2) {
      f.outSpecial = IF_SPECIAL_CODE.multiple;
      f.outIf = 0;
      count(this.stats.specialInterfaces, "out", "multiple");
    }
  }
}
