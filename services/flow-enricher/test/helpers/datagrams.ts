/**
 * Export datagrams written from the specifications, for the corpus and bad-input tests:
 * NetFlow v5 (Cisco's fixed layout), NetFlow v9 (RFC 3954), IPFIX (RFC 7011) and sFlow v5
 * (sflow.org sflow_version_5.txt). Only the framing is ours; field numbers and layouts are the
 * RFCs'. Each writer takes the values as data, so a test knows what it sent.
 */

export const ip4 = (s: string) => Buffer.from(s.split(".").map(Number));
export function ip6(s: string): Buffer {
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** Big-endian unsigned integer of `len` bytes (len ≤ 8). */
export function uint(v: number | bigint, len: number): Buffer {
  const b = Buffer.alloc(len);
  let x = BigInt(v);
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

const pad4 = (b: Buffer) => (b.length % 4 === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]));

// ---------------------------------------------------------------------------------------------
// NetFlow v5

export interface V5Record {
  src: string;
  dst: string;
  inIf: number;
  outIf: number;
  packets: number;
  bytes: number;
  /** sysUptime ms of the first/last packet */
  first: number;
  last: number;
  sport: number;
  dport: number;
  proto: number;
}

export function netflowV5(h: { unixSecs: number; uptimeMs: number; sequence: number; samplingInterval?: number }, recs: V5Record[]): Buffer {
  const b = Buffer.alloc(24 + 48 * recs.length);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(recs.length, 2);
  b.writeUInt32BE(h.uptimeMs, 4);
  b.writeUInt32BE(h.unixSecs, 8);
  b.writeUInt32BE(h.sequence, 16);
  // sampling: 2 bits mode (01 = packet interval), 14 bits interval
  if (h.samplingInterval) b.writeUInt16BE((1 << 14) | h.samplingInterval, 22);
  recs.forEach((r, i) => {
    const o = 24 + 48 * i;
    ip4(r.src).copy(b, o);
    ip4(r.dst).copy(b, o + 4);
    b.writeUInt16BE(r.inIf, o + 12);
    b.writeUInt16BE(r.outIf, o + 14);
    b.writeUInt32BE(r.packets, o + 16);
    b.writeUInt32BE(r.bytes, o + 20);
    b.writeUInt32BE(r.first, o + 24);
    b.writeUInt32BE(r.last, o + 28);
    b.writeUInt16BE(r.sport, o + 32);
    b.writeUInt16BE(r.dport, o + 34);
    b.writeUInt8(r.proto, o + 38);
  });
  return b;
}

// ---------------------------------------------------------------------------------------------
// NetFlow v9 and IPFIX: templates are [information element, length] lists; records are values
// in template order (numbers, or Buffers for addresses).

/** [information element, length] or, for an enterprise-specific element (IPFIX), [ie, length, PEN] */
export type Field = [ie: number, len: number, pen?: number];
export type Value = number | bigint | Buffer;

export type Set9 =
  | { kind: "template"; id: number; fields: Field[] }
  | { kind: "options-template"; id: number; scope: Field[]; options: Field[] }
  | { kind: "data"; id: number; fields: Field[]; records: Value[][] };

function values(fields: Field[], rec: Value[]): Buffer {
  if (rec.length !== fields.length) throw new Error(`record has ${rec.length} values for ${fields.length} fields`);
  return Buffer.concat(
    fields.map(([, len], i) => {
      const v = rec[i];
      if (Buffer.isBuffer(v)) {
        if (v.length !== len) throw new Error(`value of ${v.length} bytes for a ${len}-byte field`);
        return v;
      }
      return uint(v, len);
    }),
  );
}

const fieldList = (fs: Field[]) =>
  Buffer.concat(fs.map(([t, l, pen]) => (pen === undefined ? Buffer.concat([uint(t, 2), uint(l, 2)]) : Buffer.concat([uint(0x8000 | t, 2), uint(l, 2), uint(pen, 4)]))));

function flowSet(id: number, body: Buffer): Buffer {
  const b = pad4(Buffer.concat([Buffer.alloc(4), body]));
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(b.length, 2);
  return b;
}

/** A NetFlow v9 export packet (RFC 3954 §5). */
export function netflowV9(h: { unixSecs: number; uptimeMs: number; sequence: number; sourceId: number }, sets: Set9[]): Buffer {
  let count = 0;
  const body = sets.map((s) => {
    if (s.kind === "template") {
      count++;
      return flowSet(0, Buffer.concat([uint(s.id, 2), uint(s.fields.length, 2), fieldList(s.fields)]));
    }
    if (s.kind === "options-template") {
      count++;
      return flowSet(1, Buffer.concat([uint(s.id, 2), uint(s.scope.length * 4, 2), uint(s.options.length * 4, 2), fieldList(s.scope), fieldList(s.options)]));
    }
    count += s.records.length;
    return flowSet(s.id, Buffer.concat(s.records.map((r) => values(s.fields, r))));
  });
  return Buffer.concat([uint(9, 2), uint(count, 2), uint(h.uptimeMs, 4), uint(h.unixSecs, 4), uint(h.sequence, 4), uint(h.sourceId, 4), ...body]);
}

/** An IPFIX message (RFC 7011 §3). Options templates: scope fields first (§3.4.2.2). */
export function ipfix(h: { exportTime: number; sequence: number; domain: number }, sets: Set9[]): Buffer {
  const body = sets.map((s) => {
    if (s.kind === "template") return flowSet(2, Buffer.concat([uint(s.id, 2), uint(s.fields.length, 2), fieldList(s.fields)]));
    if (s.kind === "options-template") return flowSet(3, Buffer.concat([uint(s.id, 2), uint(s.scope.length + s.options.length, 2), uint(s.scope.length, 2), fieldList(s.scope), fieldList(s.options)]));
    return flowSet(s.id, Buffer.concat(s.records.map((r) => values(s.fields, r))));
  });
  const msg = Buffer.concat([Buffer.alloc(16), ...body]);
  msg.writeUInt16BE(10, 0);
  msg.writeUInt16BE(msg.length, 2);
  msg.writeUInt32BE(h.exportTime, 4);
  msg.writeUInt32BE(h.sequence, 8);
  msg.writeUInt32BE(h.domain, 12);
  return msg;
}

// ---------------------------------------------------------------------------------------------
// sFlow v5

/** sFlow's interface encodings (sflow_version_5.txt, flow_sample "input"/"output"). */
export const SFLOW_IF = {
  local: 0x3fffffff,
  discard: (reason: number) => 0x40000000 | reason,
  multiple: (n: number) => 0x80000000 + n,
};

export interface SflowFlowSample {
  sequence: number;
  sourceIndex: number;
  samplingRate: number;
  pool: number;
  input: number;
  output: number;
  /** the sampled frame (Ethernet) and its original length */
  frame: Buffer;
  frameLength?: number;
  /** write this as the record's length field instead of the true one (bad-input tests) */
  lieAboutLength?: number;
}

export interface SflowCounterSample {
  sequence: number;
  ifIndex: number;
  speed: bigint;
  inOctets: bigint;
  outOctets: bigint;
}

function flowSampleBody(s: SflowFlowSample): Buffer {
  const hdr = pad4(s.frame);
  const rawHeader = Buffer.concat([uint(1, 4), uint(s.frameLength ?? s.frame.length, 4), uint(0, 4), uint(s.frame.length, 4), hdr]);
  const record = Buffer.concat([uint(1, 4), uint(s.lieAboutLength ?? rawHeader.length, 4), rawHeader]);
  return Buffer.concat([uint(s.sequence, 4), uint(s.sourceIndex, 4), uint(s.samplingRate, 4), uint(s.pool, 4), uint(0, 4), uint(s.input, 4), uint(s.output, 4), uint(1, 4), record]);
}

function counterSampleBody(c: SflowCounterSample): Buffer {
  // generic interface counters (format 1), 88 bytes
  const g = Buffer.concat([
    uint(c.ifIndex, 4), uint(6, 4), uint(c.speed, 8), uint(1, 4), uint(3, 4),
    uint(c.inOctets, 8), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4),
    uint(c.outOctets, 8), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4), uint(0, 4),
  ]);
  const record = Buffer.concat([uint(1, 4), uint(g.length, 4), g]);
  return Buffer.concat([uint(c.sequence, 4), uint(c.ifIndex, 4), uint(1, 4), record]);
}

export function sflowV5(h: { agent: Buffer; subAgent?: number; sequence: number; uptimeMs: number }, samples: Array<{ flow: SflowFlowSample } | { counters: SflowCounterSample }>): Buffer {
  const body = samples.map((s) => {
    const [format, data] = "flow" in s ? [1, flowSampleBody(s.flow)] : [2, counterSampleBody(s.counters)];
    return Buffer.concat([uint(format, 4), uint(data.length, 4), data]);
  });
  return Buffer.concat([uint(5, 4), uint(h.agent.length === 4 ? 1 : 2, 4), h.agent, uint(h.subAgent ?? 0, 4), uint(h.sequence, 4), uint(h.uptimeMs, 4), uint(samples.length, 4), ...body]);
}

/** An Ethernet + IPv4/IPv6 + TCP/UDP frame of `ipLength` bytes of IP packet. */
export function frame(src: Buffer, dst: Buffer, proto: number, sport: number, dport: number, ipLength: number): Buffer {
  const v6 = src.length === 16;
  const l4 = Buffer.alloc(proto === 6 ? 20 : 8);
  l4.writeUInt16BE(sport, 0);
  l4.writeUInt16BE(dport, 2);
  if (proto === 6) l4[12] = 0x50;
  else l4.writeUInt16BE(ipLength - (v6 ? 40 : 20), 4);
  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(ipLength - 40, 4);
    ip[6] = proto;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(ipLength, 2);
    ip[8] = 64;
    ip[9] = proto;
    src.copy(ip, 12);
    dst.copy(ip, 16);
  }
  const eth = Buffer.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00]);
  return Buffer.concat([eth, ip, l4]);
}
