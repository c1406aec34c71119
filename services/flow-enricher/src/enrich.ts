/**
 * Enrichment step. Everything a flow gets from NetBox and GeoIP is cached ALREADY ENCODED:
 * - per exporter: one block with exporter_name/site/region/role/tenant/vendor/platform/tier
 *   and, per ifIndex, the in_* and out_* interface blocks (rebuilt when a NetBox snapshot is
 *   swapped in — one reference assignment, so readers never see a half-built cache);
 * - per source/destination address: one merged City+ASN lookup, kept as the src_* block, the
 *   dst_* block and the ASN, in a bounded two-generation cache (a cheap LRU approximation).
 * So a cache hit costs one Map lookup and the encoder copies bytes.
 */
import { EF, EnrichmentBlocks, RawFlow, encodeStringField, encodeVarintField } from "./codec";
import { GeoInfo, addressToString, isPrivateAddress } from "./geoip";
import { DeviceInfo, NetBoxSnapshot } from "./netbox";

const EMPTY = Buffer.alloc(0);

interface IfBlocks {
  inBlock: Buffer;
  outBlock: Buffer;
}
interface ExporterEntry {
  block: Buffer;
  key: Buffer;
  ifaces: Map<number, IfBlocks>;
}
interface AddrEntry {
  src: Buffer;
  dst: Buffer;
  asn: number;
}

export interface GeoLookup {
  lookup(ip: string): GeoInfo;
}

/** Counters read by the metrics exporter (plain numbers: no per-flow metric calls). */
export class EnrichStats {
  exporterHits = 0;
  exporterMisses = 0;
  ifHits = 0;
  ifMisses = 0;
  geoCacheHits = 0;
  geoCacheMisses = 0;
  geoPrivate = 0;
  /** flows whose exporter NetBox does not know, by "exporter|reason" (drained by the service) */
  readonly unknownExporters = new Map<string, { exporter: string; reason: string; n: number }>();
}

function concat(parts: Buffer[]): Buffer {
  const nonEmpty = parts.filter((p) => p.length > 0);
  return nonEmpty.length === 0 ? EMPTY : Buffer.concat(nonEmpty);
}

/** Truncates to at most `max` UTF-8 bytes (keeps output messages bounded). */
function clip(s: string, max = 200): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

export function exporterBlock(d: DeviceInfo): Buffer {
  return concat([
    encodeStringField(EF.exporter_name, clip(d.name)),
    encodeStringField(EF.site, clip(d.site)),
    encodeStringField(EF.region, clip(d.region)),
    encodeStringField(EF.role, clip(d.role)),
    encodeStringField(EF.tenant, clip(d.tenant)),
    encodeStringField(EF.vendor, clip(d.vendor)),
    encodeStringField(EF.platform, clip(d.platform)),
    encodeStringField(EF.tier, clip(d.tier)),
  ]);
}

export function geoBlocks(g: GeoInfo): AddrEntry {
  return {
    src: concat([encodeStringField(EF.src_country, clip(g.country)), encodeStringField(EF.src_city, clip(g.city)), encodeStringField(EF.src_as_name, clip(g.asName))]),
    dst: concat([encodeStringField(EF.dst_country, clip(g.country)), encodeStringField(EF.dst_city, clip(g.city)), encodeStringField(EF.dst_as_name, clip(g.asName))]),
    asn: g.asn,
  };
}

const EMPTY_ADDR: AddrEntry = { src: EMPTY, dst: EMPTY, asn: 0 };

/** Key of an address in a Map without allocating for IPv4: the int32 value (a V8 small integer); IPv6: latin1 text. */
/** Map key for the address bytes b[s, e): an int for IPv4 (no allocation), latin1 text otherwise. */
export function addrKey(b: Buffer, s: number, e: number): number | string {
  if (e - s === 4) return (b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3];
  return b.toString("latin1", s, e);
}

export class Enricher {
  readonly stats = new EnrichStats();
  private exporters = new Map<number | string, ExporterEntry>();
  private netboxLoaded = false;
  private geoCur = new Map<number | string, AddrEntry>();
  private geoPrev = new Map<number | string, AddrEntry>();
  private readonly geoGenSize: number;

  constructor(private geo: GeoLookup, geoCacheSize = 200_000) {
    this.geoGenSize = Math.max(1, Math.floor(geoCacheSize / 2));
  }

  /** Swaps in a new NetBox snapshot (pre-encodes everything, then one assignment). */
  setNetBox(snap: NetBoxSnapshot): void {
    const next = new Map<number | string, ExporterEntry>();
    const built = new Map<DeviceInfo, ExporterEntry>();
    for (const [addr, dev] of snap.byAddress) {
      let entry = built.get(dev);
      if (!entry) {
        const ifaces = new Map<number, IfBlocks>();
        for (const [idx, i] of dev.interfaces) {
          ifaces.set(idx, {
            inBlock: concat([encodeStringField(EF.in_if_name, clip(i.name)), encodeVarintField(EF.in_if_speed, i.speed)]),
            outBlock: concat([encodeStringField(EF.out_if_name, clip(i.name)), encodeVarintField(EF.out_if_speed, i.speed)]),
          });
        }
        entry = { block: exporterBlock(dev), ifaces, key: EMPTY };
        built.set(dev, entry);
      }
      const k = keyOfText(addr);
      next.set(k, { ...entry, key: keyBytes(k) });
    }
    this.exporters = next;
    this.netboxLoaded = true;
  }

  /** New GeoIP databases: drop cached lookups. */
  setGeo(geo: GeoLookup): void {
    this.geo = geo;
    this.clearGeoCache();
  }

  clearGeoCache(): void {
    this.geoCur = new Map();
    this.geoPrev = new Map();
  }

  get geoCacheSize(): number {
    return this.geoCur.size + this.geoPrev.size;
  }

  private addr(b: Buffer, s: number, e: number): AddrEntry {
    if (e === s) return EMPTY_ADDR;
    const key = addrKey(b, s, e);
    let v = this.geoCur.get(key);
    if (v !== undefined) {
      this.stats.geoCacheHits++;
      return v;
    }
    v = this.geoPrev.get(key);
    if (v !== undefined) {
      this.stats.geoCacheHits++;
    } else {
      this.stats.geoCacheMisses++;
      if (isPrivateAddress(b, s, e)) {
        this.stats.geoPrivate++;
        v = EMPTY_ADDR;
      } else {
        v = geoBlocks(this.geo.lookup(addressToString(b, s, e)));
      }
    }
    if (this.geoCur.size >= this.geoGenSize) {
      this.geoPrev = this.geoCur;
      this.geoCur = new Map();
    }
    this.geoCur.set(key, v);
    return v;
  }

  /** Fills `out` with the pre-encoded enrichment of `f`. Never throws: unknown → empty. */
  enrich(f: RawFlow, out: EnrichmentBlocks): void {
    const b = f.buf;
    const ex = this.exporters.get(addrKey(b, f.samplerS, f.samplerE));
    if (ex === undefined) {
      this.stats.exporterMisses++;
      const exporter = addressToString(b, f.samplerS, f.samplerE);
      const reason = this.netboxLoaded ? "not_in_netbox" : "netbox_not_loaded";
      const k = exporter + "|" + reason;
      const c = this.stats.unknownExporters.get(k);
      if (c === undefined) this.stats.unknownExporters.set(k, { exporter, reason, n: 1 });
      else c.n++;
      out.key = undefined;
      out.exporter = EMPTY;
      out.inIf = EMPTY;
      out.outIf = EMPTY;
    } else {
      this.stats.exporterHits++;
      out.key = ex.key;
      out.exporter = ex.block;
      const i = f.inIf === 0 ? undefined : ex.ifaces.get(f.inIf);
      const o = f.outIf === 0 ? undefined : ex.ifaces.get(f.outIf);
      if (f.inIf !== 0) i === undefined ? this.stats.ifMisses++ : this.stats.ifHits++;
      if (f.outIf !== 0) o === undefined ? this.stats.ifMisses++ : this.stats.ifHits++;
      out.inIf = i === undefined ? EMPTY : i.inBlock;
      out.outIf = o === undefined ? EMPTY : o.outBlock;
    }
    const s = this.addr(b, f.srcAddrS, f.srcAddrE);
    const d = this.addr(b, f.dstAddrS, f.dstAddrE);
    out.src = s.src;
    out.dst = d.dst;
    out.srcAs = s.asn;
    out.dstAs = d.asn;
  }
}

/** Map key for an exporter address given as text (same keys addrKey() makes from bytes). */
function keyOfText(addr: string): number | string {
  if (!addr.includes(":")) {
    const p = addr.split(".").map(Number);
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
  }
  const groups = addr.split(":").map((g) => parseInt(g, 16));
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  return buf.toString("latin1", 0, 16);
}

function keyBytes(k: number | string): Buffer {
  if (typeof k === "number") {
    const b = Buffer.alloc(4);
    b.writeInt32BE(k);
    return b;
  }
  return Buffer.from(k, "latin1");
}

export function newBlocks(): EnrichmentBlocks {
  return { exporter: EMPTY, inIf: EMPTY, outIf: EMPTY, src: EMPTY, dst: EMPTY, srcAs: 0, dstAs: 0, key: undefined };
}
