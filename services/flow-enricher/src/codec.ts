/**
 * Hand-written codecs for proto/flow.proto (the hot path).
 *
 * decode: a goflow2 v2.2.6 `-format=bin` Kafka value is a FlowMessage prefixed with its
 * length as a varint (goflow2 marshals with protodelim). We read only the fields we keep into
 * a reusable `RawFlow` and skip the rest by wire type. uint64 fields (timestamps, bytes,
 * packets, sampling rate) are kept as the ORIGINAL varint bytes (offsets into the input) and
 * copied verbatim into the output: exact for the full uint64 range and no BigInt per flow.
 *
 * encode: EnrichedFlow is written field by field into a slab; the enrichment parts arrive as
 * pre-encoded blocks (see enrich.ts) and are copied in. Tests cross-check both directions
 * against protobufjs reading proto/flow.proto, so the hand-written code cannot drift from it.
 */

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

export const FLOW_TYPE_NAMES = ["FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5", "NETFLOW_V9", "IPFIX"];

/** One decoded flow. Offsets point into `buf`; valid until the next decode into this object. */
export class RawFlow {
  buf: Buffer = EMPTY;
  type = 0;
  sequenceNum = 0;
  srcPort = 0;
  dstPort = 0;
  proto = 0;
  etype = 0;
  tcpFlags = 0;
  inIf = 0;
  outIf = 0;
  srcAs = 0;
  dstAs = 0;
  // Helios custom fields (goflow2 -mapping), as numbers (rates fit well below 2^53)
  samplingRateIn = 0;
  samplingInterval = 0;
  samplingAlgorithm = 0;
  packetInterval = 0;
  packetSpace = 0;
  randomInterval = 0;
  samplerId = 0;
  inIfPhysical = 0;
  // Resolution results (resolve.ts), read by the encoder
  /** resolved sampling rate, 0 = unknown */
  rate = 0;
  /** index into RATE_SOURCES */
  rateSource = 0;
  timeImplausible = false;
  /** index into IF_SPECIAL ("" = none) */
  inSpecial = 0;
  outSpecial = 0;
  /** sFlow discard reason code + 1 (0 = none) */
  discardReason = 0;
  // [start, end) of the payload (varint bytes or byte string) in buf; start === end: absent.
  samplingRateS = 0;
  samplingRateE = 0;
  bytesS = 0;
  bytesE = 0;
  packetsS = 0;
  packetsE = 0;
  timeReceivedS = 0;
  timeReceivedE = 0;
  timeStartS = 0;
  timeStartE = 0;
  timeEndS = 0;
  timeEndE = 0;
  samplerS = 0;
  samplerE = 0;
  srcAddrS = 0;
  srcAddrE = 0;
  dstAddrS = 0;
  dstAddrE = 0;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.type = this.sequenceNum = this.srcPort = this.dstPort = this.proto = this.etype = this.tcpFlags = 0;
    this.inIf = this.outIf = this.srcAs = this.dstAs = 0;
    this.samplingRateIn = this.samplingInterval = this.samplingAlgorithm = this.packetInterval = this.packetSpace = this.randomInterval = this.samplerId = this.inIfPhysical = 0;
    this.rate = this.rateSource = this.inSpecial = this.outSpecial = this.discardReason = 0;
    this.timeImplausible = false;
    this.samplingRateS = this.samplingRateE = this.bytesS = this.bytesE = this.packetsS = this.packetsE = 0;
    this.timeReceivedS = this.timeReceivedE = this.timeStartS = this.timeStartE = this.timeEndS = this.timeEndE = 0;
    this.samplerS = this.samplerE = this.srcAddrS = this.srcAddrE = this.dstAddrS = this.dstAddrE = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads an unsigned varint as uint32 (bits above 32 of longer varints are dropped, as protobuf
 * does for uint32). Fast path for the 1–4 byte varints that make up nearly every field.
 */
function readU32(buf: Buffer, pos: number, end: number, out: { pos: number }): number {
  if (pos < end) {
    let b = buf[pos];
    if (b < 0x80) {
      out.pos = pos + 1;
      return b;
    }
    if (pos + 4 <= end) {
      let r = b & 0x7f;
      b = buf[pos + 1];
      r |= (b & 0x7f) << 7;
      if (b < 0x80) {
        out.pos = pos + 2;
        return r;
      }
      b = buf[pos + 2];
      r |= (b & 0x7f) << 14;
      if (b < 0x80) {
        out.pos = pos + 3;
        return r;
      }
      b = buf[pos + 3];
      r |= (b & 0x7f) << 21;
      if (b < 0x80) {
        out.pos = pos + 4;
        return r;
      }
    }
  }
  return readU32Slow(buf, pos, end, out);
}

function readU32Slow(buf: Buffer, pos: number, end: number, out: { pos: number }): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError("truncated varint");
    const b = buf[pos++];
    if (shift < 32) result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      out.pos = pos;
      return result % 4294967296;
    }
    shift += 7;
  }
  throw new DecodeError("varint longer than 10 bytes");
}

/** Reads a varint as a number (exact below 2^53; larger values are rounded). */
function readNum(buf: Buffer, pos: number, end: number, out: { pos: number }): number {
  let r = 0;
  let m = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError("truncated varint");
    const b = buf[pos++];
    r += (b & 0x7f) * m;
    if ((b & 0x80) === 0) {
      out.pos = pos;
      return r;
    }
    m *= 128;
  }
  throw new DecodeError("varint longer than 10 bytes");
}

/** The value of the varint bytes buf[s, e) as a number (0 when absent); rounded above 2^53. */
export function varintValue(buf: Buffer, s: number, e: number): number {
  let r = 0;
  let m = 1;
  for (let i = s; i < e; i++) {
    r += (buf[i] & 0x7f) * m;
    m *= 128;
  }
  return r;
}

/** Skips a varint, returns the position after it. */
function skipVarint(buf: Buffer, pos: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError("truncated varint");
    if ((buf[pos++] & 0x80) === 0) return pos;
  }
  throw new DecodeError("varint longer than 10 bytes");
}

const cursor = { pos: 0 };

/**
 * Decodes one FlowMessage occupying buf[start, end) into `flow`.
 * Throws DecodeError on truncation, bad wire types, or a message without a valid exporter address.
 */
export function decodeFlowMessage(buf: Buffer, start: number, end: number, flow: RawFlow): void {
  flow.reset(buf);
  let pos = start;
  const c = cursor;
  while (pos < end) {
    const tag = readU32(buf, pos, end, c);
    pos = c.pos;
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 0) throw new DecodeError("field number 0");
    if (wt === 0) {
      const vs = pos;
      switch (field) {
        case 1: flow.type = readU32(buf, pos, end, c); pos = c.pos; break;
        case 3: flow.samplingRateIn = readNum(buf, pos, end, c); pos = c.pos; flow.samplingRateS = vs; flow.samplingRateE = pos; break;
        case 4: flow.sequenceNum = readU32(buf, pos, end, c); pos = c.pos; break;
        case 9: pos = skipVarint(buf, pos, end); flow.bytesS = vs; flow.bytesE = pos; break;
        case 10: pos = skipVarint(buf, pos, end); flow.packetsS = vs; flow.packetsE = pos; break;
        case 14: flow.srcAs = readU32(buf, pos, end, c); pos = c.pos; break;
        case 15: flow.dstAs = readU32(buf, pos, end, c); pos = c.pos; break;
        case 18: flow.inIf = readU32(buf, pos, end, c); pos = c.pos; break;
        case 19: flow.outIf = readU32(buf, pos, end, c); pos = c.pos; break;
        case 20: flow.proto = readU32(buf, pos, end, c); pos = c.pos; break;
        case 21: flow.srcPort = readU32(buf, pos, end, c); pos = c.pos; break;
        case 22: flow.dstPort = readU32(buf, pos, end, c); pos = c.pos; break;
        case 26: flow.tcpFlags = readU32(buf, pos, end, c); pos = c.pos; break;
        case 30: flow.etype = readU32(buf, pos, end, c); pos = c.pos; break;
        case 110: pos = skipVarint(buf, pos, end); flow.timeReceivedS = vs; flow.timeReceivedE = pos; break;
        case 111: pos = skipVarint(buf, pos, end); flow.timeStartS = vs; flow.timeStartE = pos; break;
        case 112: pos = skipVarint(buf, pos, end); flow.timeEndS = vs; flow.timeEndE = pos; break;
        case 200: flow.samplingInterval = readNum(buf, pos, end, c); pos = c.pos; break;
        case 201: flow.samplingAlgorithm = readU32(buf, pos, end, c); pos = c.pos; break;
        case 202: flow.packetInterval = readNum(buf, pos, end, c); pos = c.pos; break;
        case 203: flow.packetSpace = readNum(buf, pos, end, c); pos = c.pos; break;
        case 204: flow.randomInterval = readNum(buf, pos, end, c); pos = c.pos; break;
        case 205: flow.samplerId = readNum(buf, pos, end, c); pos = c.pos; break;
        case 206: flow.inIfPhysical = readU32(buf, pos, end, c); pos = c.pos; break;
        default:
          if (field === 6 || field === 7 || field === 11) throw new DecodeError(`field ${field} has wire type 0, expected 2`);
          pos = skipVarint(buf, pos, end);
      }
    } else if (wt === 2) {
      const len = readU32(buf, pos, end, c);
      pos = c.pos;
      const ve = pos + len;
      if (ve > end) throw new DecodeError(`field ${field}: length ${len} runs past the end of the message`);
      if (field === 6) {
        flow.srcAddrS = pos;
        flow.srcAddrE = ve;
      } else if (field === 7) {
        flow.dstAddrS = pos;
        flow.dstAddrE = ve;
      } else if (field === 11) {
        flow.samplerS = pos;
        flow.samplerE = ve;
      } else if (KNOWN_SCALARS.has(field)) {
        // Scalars of this message are never length-delimited (only bytes and packed repeated fields are).
        throw new DecodeError(`field ${field} has wire type 2, expected 0`);
      }
      pos = ve;
    } else if (wt === 1) {
      pos += 8;
      if (pos > end) throw new DecodeError("truncated fixed64");
    } else if (wt === 5) {
      pos += 4;
      if (pos > end) throw new DecodeError("truncated fixed32");
    } else {
      throw new DecodeError(`unsupported wire type ${wt} (field ${field})`);
    }
  }
  if (pos !== end) throw new DecodeError("message overruns its length");
  const sl = flow.samplerE - flow.samplerS;
  if (sl !== 4 && sl !== 16) throw new DecodeError(sl === 0 ? "no sampler_address (exporter) in flow" : `sampler_address has ${sl} bytes, expected 4 or 16`);
  const s = flow.srcAddrE - flow.srcAddrS;
  const d = flow.dstAddrE - flow.dstAddrS;
  if ((s !== 0 && s !== 4 && s !== 16) || (d !== 0 && d !== 4 && d !== 16)) throw new DecodeError(`address of ${s}/${d} bytes, expected 4 or 16`);
}

const KNOWN_SCALARS = new Set([1, 3, 4, 9, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 70, 71, 106, 110, 111, 112, 200, 201, 202, 203, 204, 205, 206]);

/** Reads the varint length prefix at `pos`; sets frame.start/end of the message body. */
export function readDelimitedLength(buf: Buffer, pos: number, frame: { start: number; end: number }): void {
  const c = cursor;
  const len = readU32(buf, pos, buf.length, c);
  const start = c.pos;
  const end = start + len;
  if (end > buf.length) throw new DecodeError(`length prefix says ${len} bytes, only ${buf.length - start} present (truncated or not length-delimited)`);
  frame.start = start;
  frame.end = end;
}

/**
 * Splits a Kafka value into length-delimited FlowMessages, calling `each(start, end)` per
 * message. goflow2 writes exactly one per value; several back to back are accepted too.
 * Throws DecodeError when the framing is broken (empty value, truncated prefix or body).
 */
export function forEachDelimited(buf: Buffer, each: (start: number, end: number) => void): number {
  if (buf.length === 0) throw new DecodeError("empty message");
  let pos = 0;
  let n = 0;
  const c = cursor;
  while (pos < buf.length) {
    const len = readU32(buf, pos, buf.length, c);
    const start = c.pos;
    const end = start + len;
    if (end > buf.length) throw new DecodeError(`length prefix says ${len} bytes, only ${buf.length - start} present (truncated or not length-delimited)`);
    each(start, end);
    pos = end;
    n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers (also used to pre-encode the enrichment blocks).

export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  v = Math.floor(v / 2 ** 35);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

/** Writes a non-negative integer (< 2^53) as a varint; returns the new position. */
export function writeVarint(out: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** A pre-encoded string field (tag + length + UTF-8), or an empty buffer for "". */
export function encodeStringField(field: number, value: string): Buffer {
  if (!value) return EMPTY;
  const body = Buffer.from(value, "utf8");
  const tag = field * 8 + 2;
  const out = Buffer.allocUnsafe(varintSize(tag) + varintSize(body.length) + body.length);
  let p = writeVarint(out, 0, tag);
  p = writeVarint(out, p, body.length);
  body.copy(out, p);
  return out;
}

/** A pre-encoded varint field, or an empty buffer for 0. */
export function encodeVarintField(field: number, value: number): Buffer {
  if (!value) return EMPTY;
  const tag = field * 8;
  const out = Buffer.allocUnsafe(varintSize(tag) + varintSize(value));
  writeVarint(out, writeVarint(out, 0, tag), value);
  return out;
}

// EnrichedFlow field numbers (proto/flow.proto).
export const EF = {
  type: 1,
  time_received_ns: 2,
  time_flow_start_ns: 3,
  time_flow_end_ns: 4,
  sequence_num: 5,
  sampling_rate: 6,
  sampler_address: 7,
  src_addr: 8,
  dst_addr: 9,
  src_port: 10,
  dst_port: 11,
  proto: 12,
  etype: 13,
  bytes: 14,
  packets: 15,
  in_if: 16,
  out_if: 17,
  src_as: 18,
  dst_as: 19,
  tcp_flags: 20,
  exporter_name: 21,
  site: 22,
  region: 23,
  role: 24,
  tenant: 25,
  vendor: 26,
  platform: 27,
  tier: 28,
  in_if_name: 29,
  out_if_name: 30,
  in_if_speed: 31,
  out_if_speed: 32,
  src_country: 33,
  dst_country: 34,
  src_city: 35,
  dst_city: 36,
  src_as_name: 37,
  dst_as_name: 38,
  sampling_rate_source: 39,
  time_implausible: 40,
  exporter_time_flow_start_ns: 41,
  exporter_time_flow_end_ns: 42,
  in_if_special: 43,
  out_if_special: 44,
  discard_reason: 45,
  in_if_physical: 46,
} as const;

/** EnrichedFlow.sampling_rate_source values (index = RawFlow.rateSource; 0 is never written). */
export const RATE_SOURCES = ["", "override", "flow", "options", "last_known", "default", "unknown"] as const;
export const RATE_SOURCE = { override: 1, flow: 2, options: 3, last_known: 4, default: 5, unknown: 6 } as const;
/** EnrichedFlow.in_if_special / out_if_special values (index = RawFlow.inSpecial / outSpecial). */
export const IF_SPECIAL = ["", "local", "discard", "multiple"] as const;
export const IF_SPECIAL_CODE = { local: 1, discard: 2, multiple: 3 } as const;

/**
 * sFlow v5 discard reason codes (sflow_version_5.txt, "interface" format 1): 0-255 are ICMP
 * destination-unreachable codes (RFC 792/1812 names), 256-262 sFlow's own.
 */
const ICMP_UNREACHABLE = [
  "net_unreachable", "host_unreachable", "protocol_unreachable", "port_unreachable", "fragmentation_needed",
  "source_route_failed", "destination_network_unknown", "destination_host_unknown", "source_host_isolated",
  "destination_network_prohibited", "destination_host_prohibited", "network_unreachable_for_tos",
  "host_unreachable_for_tos", "communication_prohibited", "host_precedence_violation", "precedence_cutoff",
];
const SFLOW_DISCARD = ["unknown", "ttl_exceeded", "acl", "no_buffer_space", "red", "traffic_shaping", "packet_too_big"];
export function discardReasonName(code: number): string {
  if (code < ICMP_UNREACHABLE.length) return ICMP_UNREACHABLE[code];
  if (code >= 256 && code - 256 < SFLOW_DISCARD.length) return SFLOW_DISCARD[code - 256];
  return `code_${code}`;
}

const RATE_SOURCE_BLOCKS = RATE_SOURCES.map((n) => encodeStringField(EF.sampling_rate_source, n));
const IN_SPECIAL_BLOCKS = IF_SPECIAL.map((n) => encodeStringField(EF.in_if_special, n));
const OUT_SPECIAL_BLOCKS = IF_SPECIAL.map((n) => encodeStringField(EF.out_if_special, n));
const discardBlocks = new Map<number, Buffer>();
function discardBlock(code: number): Buffer {
  let b = discardBlocks.get(code);
  if (b === undefined) {
    b = encodeStringField(EF.discard_reason, discardReasonName(code));
    if (discardBlocks.size < 1024) discardBlocks.set(code, b);
  }
  return b;
}

const TYPE_BLOCKS = FLOW_TYPE_NAMES.map((n) => encodeStringField(EF.type, n));

/** Enrichment parts for one flow, each a pre-encoded block of EnrichedFlow fields. */
export interface EnrichmentBlocks {
  exporter: Buffer;
  inIf: Buffer;
  outIf: Buffer;
  src: Buffer;
  dst: Buffer;
  srcAs: number;
  dstAs: number;
  /** Kafka key (exporter address bytes) when the exporter is known; else the caller slices it from the input */
  key: Buffer | undefined;
}

/** Upper bound of the raw part of an EnrichedFlow given the input flow. */
export function rawPartBound(f: RawFlow): number {
  // 20 fields × (2-byte tag + 10-byte varint) is generous; byte strings add their length;
  // 120 for the resolution fields (39..46: short strings, a bool, two timestamps, an ifIndex).
  return 380 + (f.samplerE - f.samplerS) + (f.srcAddrE - f.srcAddrS) + (f.dstAddrE - f.dstAddrS);
}

// Byte loops instead of Buffer.copy: for the few bytes per field here, copy()'s call overhead dominates.
function copyVarintField(out: Buffer, pos: number, tag: number, src: Buffer, s: number, e: number): number {
  if (e === s) return pos;
  // A zero value (single 0x00 byte) is the proto3 default: omit it, as a proto3 encoder would.
  if (e - s === 1 && src[s] === 0) return pos;
  out[pos++] = tag;
  for (let i = s; i < e; i++) out[pos++] = src[i];
  return pos;
}

function bytesField(out: Buffer, pos: number, tag: number, src: Buffer, s: number, e: number): number {
  if (e === s) return pos;
  out[pos++] = tag;
  out[pos++] = e - s; // addresses are at most 16 bytes: one-byte length
  for (let i = s; i < e; i++) out[pos++] = src[i];
  return pos;
}

function u32Field(out: Buffer, pos: number, tag: number, v: number): number {
  if (v === 0) return pos;
  out[pos++] = tag;
  return writeVarint(out, pos, v);
}

function block(out: Buffer, pos: number, b: Buffer): number {
  const n = b.length;
  if (n === 0) return pos;
  if (n > 64) {
    b.copy(out, pos);
    return pos + n;
  }
  for (let i = 0; i < n; i++) out[pos++] = b[i];
  return pos;
}

/**
 * Writes one length-delimited EnrichedFlow (varint length + message, the framing of ClickHouse's
 * `Protobuf` format) into `out`, which has room for `bound` message bytes after `pos` plus the
 * prefix. The message is encoded first, after room for the longest prefix `bound` can need, and
 * the prefix is then written right before it, so nothing is copied. Returns the start; `frame.end`
 * gets the end.
 */
export function encodeDelimitedEnrichedFlow(out: Buffer, pos: number, bound: number, f: RawFlow, e: EnrichmentBlocks, frame: { start: number; end: number }): number {
  const bodyStart = pos + varintSize(bound);
  const end = encodeEnrichedFlow(out, bodyStart, f, e);
  const len = end - bodyStart;
  const start = bodyStart - varintSize(len);
  writeVarint(out, start, len);
  frame.start = start;
  frame.end = end;
  return start;
}

/** Writes EnrichedFlow for `f` + `e` at out[pos]; returns the end position. Caller ensures room. */
export function encodeEnrichedFlow(out: Buffer, pos: number, f: RawFlow, e: EnrichmentBlocks): number {
  const b = f.buf;
  pos = block(out, pos, TYPE_BLOCKS[f.type] ?? TYPE_BLOCKS[0]);
  // Fields 2..15 have one-byte tags (field*8+wiretype < 128).
  pos = copyVarintField(out, pos, 0x10, b, f.timeReceivedS, f.timeReceivedE); // 2:varint
  if (f.timeImplausible) {
    // stored at time_received (the exporter's clock is off); its values go to 41/42
    pos = copyVarintField(out, pos, 0x18, b, f.timeReceivedS, f.timeReceivedE); // 3
    pos = copyVarintField(out, pos, 0x20, b, f.timeReceivedS, f.timeReceivedE); // 4
  } else {
    pos = copyVarintField(out, pos, 0x18, b, f.timeStartS, f.timeStartE); // 3
    pos = copyVarintField(out, pos, 0x20, b, f.timeEndS, f.timeEndE); // 4
  }
  pos = u32Field(out, pos, 0x28, f.sequenceNum); // 5
  if (f.rate > 0) { out[pos++] = 0x30; pos = writeVarint(out, pos, f.rate); } // 6: the resolved rate
  pos = bytesField(out, pos, 0x3a, b, f.samplerS, f.samplerE); // 7:len
  pos = bytesField(out, pos, 0x42, b, f.srcAddrS, f.srcAddrE); // 8
  pos = bytesField(out, pos, 0x4a, b, f.dstAddrS, f.dstAddrE); // 9
  pos = u32Field(out, pos, 0x50, f.srcPort); // 10
  pos = u32Field(out, pos, 0x58, f.dstPort); // 11
  pos = u32Field(out, pos, 0x60, f.proto); // 12
  pos = u32Field(out, pos, 0x68, f.etype); // 13
  pos = copyVarintField(out, pos, 0x70, b, f.bytesS, f.bytesE); // 14
  pos = copyVarintField(out, pos, 0x78, b, f.packetsS, f.packetsE); // 15
  // Fields 16..20 have two-byte tags (field*8 >= 128).
  if (f.inIf !== 0) { out[pos++] = 0x80; out[pos++] = 0x01; pos = writeVarint(out, pos, f.inIf); } // 16
  if (f.outIf !== 0) { out[pos++] = 0x88; out[pos++] = 0x01; pos = writeVarint(out, pos, f.outIf); } // 17
  const srcAs = f.srcAs !== 0 ? f.srcAs : e.srcAs;
  const dstAs = f.dstAs !== 0 ? f.dstAs : e.dstAs;
  if (srcAs !== 0) { out[pos++] = 0x90; out[pos++] = 0x01; pos = writeVarint(out, pos, srcAs); } // 18
  if (dstAs !== 0) { out[pos++] = 0x98; out[pos++] = 0x01; pos = writeVarint(out, pos, dstAs); } // 19
  if (f.tcpFlags !== 0) { out[pos++] = 0xa0; out[pos++] = 0x01; pos = writeVarint(out, pos, f.tcpFlags); } // 20
  pos = block(out, pos, e.exporter); // 21..28
  pos = block(out, pos, e.inIf); // 29, 31
  pos = block(out, pos, e.outIf); // 30, 32
  pos = block(out, pos, e.src); // 33, 35, 37
  pos = block(out, pos, e.dst); // 34, 36, 38
  pos = block(out, pos, RATE_SOURCE_BLOCKS[f.rateSource]); // 39
  if (f.timeImplausible) {
    out[pos++] = 0xc0; out[pos++] = 0x02; out[pos++] = 1; // 40: true
    if (f.timeStartE > f.timeStartS) { out[pos++] = 0xc8; out[pos++] = 0x02; for (let i = f.timeStartS; i < f.timeStartE; i++) out[pos++] = b[i]; } // 41
    if (f.timeEndE > f.timeEndS) { out[pos++] = 0xd0; out[pos++] = 0x02; for (let i = f.timeEndS; i < f.timeEndE; i++) out[pos++] = b[i]; } // 42
  }
  if (f.inSpecial !== 0) pos = block(out, pos, IN_SPECIAL_BLOCKS[f.inSpecial]); // 43
  if (f.outSpecial !== 0) pos = block(out, pos, OUT_SPECIAL_BLOCKS[f.outSpecial]); // 44
  if (f.discardReason !== 0) pos = block(out, pos, discardBlock(f.discardReason - 1)); // 45
  if (f.inIfPhysical !== 0) { out[pos++] = 0xf0; out[pos++] = 0x02; pos = writeVarint(out, pos, f.inIfPhysical); } // 46
  return pos;
}

/** Hands out output buffers carved from large slabs (one allocation per ~1 MiB of output). */
export class Slab {
  private buf: Buffer;
  private pos = 0;
  constructor(private readonly size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }
  /** Ensures `need` bytes are available; returns [buffer, start]. */
  reserve(need: number): Buffer {
    if (this.pos + need > this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(this.size, need));
      this.pos = 0;
    }
    return this.buf;
  }
  get offset(): number {
    return this.pos;
  }
  /** Takes [start, end) from the current slab as one message (start defaults to the offset). */
  take(end: number, start = this.pos): Buffer {
    const out = this.buf.subarray(start, end);
    this.pos = end;
    return out;
  }
}
