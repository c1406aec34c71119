/**
 * Numbered flows for loss tests: NetFlow v5 datagrams whose records carry a flow id in the source
 * address (10.0.0.0 + id), and the read-back of those ids from the raw topic goflow2 writes
 * (FlowMessage, length-delimited, decoded with proto/flow.proto).
 */
import * as dgram from "dgram";
import { FlowMessage } from "./proto";
import { readTopic, topicCount } from "./stack";

/** A NetFlow v5 datagram (fixed layout: 24-byte header, 48-byte records) carrying flow ids `first..first+n-1`. */
export function netflowV5(first: number, n: number, sequence: number): Buffer {
  if (n < 1 || n > 30) throw new Error(`NetFlow v5 carries 1–30 records per datagram, asked for ${n}`);
  const b = Buffer.alloc(24 + 48 * n);
  const now = Math.floor(Date.now() / 1000);
  b.writeUInt16BE(5, 0); // version
  b.writeUInt16BE(n, 2); // count
  b.writeUInt32BE(100_000, 4); // sysUptime (ms)
  b.writeUInt32BE(now, 8); // unix_secs
  b.writeUInt32BE(sequence, 16); // flow_sequence
  for (let i = 0; i < n; i++) {
    const r = 24 + 48 * i;
    b.writeUInt32BE(0x0a000000 + first + i, r); // srcaddr 10.x.y.z = flow id
    b.writeUInt32BE(0xcb007101, r + 4); // dstaddr 203.0.113.1
    b.writeUInt16BE(1, r + 12); // input ifIndex
    b.writeUInt16BE(2, r + 14); // output ifIndex
    b.writeUInt32BE(1, r + 16); // packets
    b.writeUInt32BE(100, r + 20); // bytes
    b.writeUInt32BE(99_000, r + 24); // first (sysUptime ms)
    b.writeUInt32BE(99_500, r + 28); // last
    b.writeUInt16BE(40_000, r + 32); // src port
    b.writeUInt16BE(443, r + 34); // dst port
    b.writeUInt8(6, r + 38); // TCP
  }
  return b;
}

/** How many times each flow id (source address − 10.0.0.0) appears in the raw topic. */
export async function rawFlowIdCounts(bootstrap: string, topic: string): Promise<Map<number, number>> {
  const messages = await readTopic(bootstrap, topic, await topicCount(bootstrap, topic));
  const counts = new Map<number, number>();
  for (const m of messages) {
    const f = FlowMessage.toObject(FlowMessage.decodeDelimited(m.value), { bytes: Buffer }) as { srcAddr: Buffer };
    const id = f.srcAddr.readUInt32BE(f.srcAddr.length - 4) - 0x0a000000;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface SteadySender {
  /** The next flow id to send. */
  next(): number;
  /** Datagrams sent so far. */
  packets(): number;
  /** Stops after the datagram in flight. */
  stop(): Promise<void>;
}

/** Sends flows numbered from `firstId` to 127.0.0.1:`port`, `recordsPerPacket` per datagram every `everyMs`, until stopped. */
export function startSteadySender(socket: dgram.Socket, port: number, recordsPerPacket: number, everyMs: number, firstId = 0): SteadySender {
  if (!Number.isInteger(firstId) || firstId < 0 || firstId >= 2 ** 24) throw new Error(`firstId ${firstId}: flow ids live in 10.0.0.0/8, so 0 ≤ id < 2^24`);
  let next = firstId;
  let packets = 0;
  let sending = true;
  const loop = (async () => {
    while (sending) {
      await new Promise<void>((resolve, reject) => socket.send(netflowV5(next, recordsPerPacket, packets), port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
      next += recordsPerPacket;
      packets++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    next: () => next,
    packets: () => packets,
    stop: async () => {
      sending = false;
      await loop;
    },
  };
}

/** goflow2's Prometheus counter `name`, summed over its labels. */
export async function goflowCounter(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** Waits until the raw topic holds every id below `total` or stops growing (goflow2 flushes every 5 s); returns the counts. */
export async function settledFlowIdCounts(bootstrap: string, topic: string, total: number, timeoutMs = 120_000): Promise<Map<number, number>> {
  const deadline = Date.now() + timeoutMs;
  let counts = new Map<number, number>();
  for (;;) {
    const before = counts.size;
    counts = await rawFlowIdCounts(bootstrap, topic);
    if (counts.size >= total || (counts.size === before && before > 0) || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 5000));
  }
}
