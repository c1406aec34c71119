/**
 * Writes a libpcap savefile of synthetic Ethernet/IPv4 TCP+UDP packets, the input real
 * exporters (softflowd, pmacctd) turn into NetFlow v9 / IPFIX / sFlow datagrams.
 */
import * as fs from "fs";

export interface PcapFlow {
  src: string;
  dst: string;
  proto: 6 | 17;
  sport: number;
  dport: number;
  packets: number;
  /** IP total length of each packet */
  size: number;
}

function ipBytes(s: string): number[] {
  return s.split(".").map(Number);
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) + (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function packet(f: PcapFlow, seq: number): Buffer {
  const l4len = f.proto === 6 ? 20 : 8;
  const ipLen = Math.max(f.size, 20 + l4len);
  const frame = Buffer.alloc(14 + ipLen);
  // Ethernet: dst, src MAC, type IPv4
  Buffer.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]).copy(frame, 0);
  const ip = frame.subarray(14);
  ip[0] = 0x45;
  ip.writeUInt16BE(ipLen, 2);
  ip.writeUInt16BE(seq & 0xffff, 4);
  ip[8] = 64;
  ip[9] = f.proto;
  Buffer.from(ipBytes(f.src)).copy(ip, 12);
  Buffer.from(ipBytes(f.dst)).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip.subarray(0, 20)), 10);
  const l4 = ip.subarray(20);
  l4.writeUInt16BE(f.sport, 0);
  l4.writeUInt16BE(f.dport, 2);
  if (f.proto === 6) {
    l4.writeUInt32BE(seq, 4);
    l4[12] = 0x50;
    l4[13] = seq === 0 ? 0x02 : 0x10; // SYN then ACK
    l4.writeUInt16BE(65535, 14);
  } else {
    l4.writeUInt16BE(ipLen - 20, 4);
  }
  return frame;
}

/** Writes the flows' packets interleaved, 1 ms apart, starting at `startSec` (unix seconds). */
export function writePcap(file: string, flows: PcapFlow[], startSec = Math.floor(Date.now() / 1000) - 60): number {
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(hdr);
  let t = 0;
  let n = 0;
  const maxPk = Math.max(...flows.map((f) => f.packets));
  for (let k = 0; k < maxPk; k++) {
    for (const f of flows) {
      if (k >= f.packets) continue;
      const p = packet(f, k);
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(startSec + Math.floor(t / 1000), 0);
      rec.writeUInt32LE((t % 1000) * 1000, 4);
      rec.writeUInt32LE(p.length, 8);
      rec.writeUInt32LE(p.length, 12);
      parts.push(rec, p);
      t++;
      n++;
    }
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return n;
}

/** `count` distinct flows from the test's "public" ranges (GeoIP knows them) plus one private. */
export function testFlows(count: number): PcapFlow[] {
  const flows: PcapFlow[] = [];
  for (let i = 0; i < count; i++) {
    flows.push({ src: `198.51.100.${1 + (i % 250)}`, dst: `203.0.113.${1 + ((i * 7) % 250)}`, proto: i % 2 ? 17 : 6, sport: 10000 + i, dport: i % 2 ? 53 : 443, packets: 3, size: 200 + (i % 5) * 100 });
  }
  return flows;
}
