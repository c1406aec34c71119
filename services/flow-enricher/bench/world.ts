/** Shared bench input: a NetBox snapshot, GeoIP databases and goflow2-framed flows with realistic address reuse. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DeviceInfo, NetBoxSnapshot } from "../src/netbox";
import { GeoSpec, writeMmdb } from "../test/helpers/mmdb";
import { goflowValue } from "../test/helpers/proto";

export const EXPORTERS = 200;

export function benchSnapshot(): NetBoxSnapshot {
  const byAddress = new Map<string, DeviceInfo>();
  for (let i = 0; i < EXPORTERS; i++) {
    const interfaces = new Map<number, { name: string; description: string; speed: number }>();
    for (let j = 1; j <= 48; j++) interfaces.set(j, { name: `et-0/0/${j}`, description: `port ${j}`, speed: 100_000_000_000 });
    byAddress.set(`10.${i >> 8}.${i & 255}.1`, {
      id: i, name: `edge-${i}`, site: `site-${i % 20}`, region: `region-${i % 4}`, role: "edge-router", tenant: "netops", vendor: "Juniper", platform: "junos", tier: "tier1", interfaces,
    });
  }
  return { byAddress, devices: EXPORTERS, interfaces: EXPORTERS * 48, builtAt: Date.now() / 1000 };
}

/** GeoIP: 256 /16s of "public" space, each with its own country/city/ASN. */
export function benchGeo(): { city: string; asn: string } {
  const spec: GeoSpec = { city: [], asn: [] };
  for (let i = 0; i < 256; i++) {
    const net = `${11 + (i >> 4)}.${(i & 15) * 16}.0.0/12`;
    spec.city.push({ network: net, country: ["DE", "JP", "US", "FR", "BR", "IN"][i % 6], city: `City ${i}` });
    spec.asn.push({ network: net, asn: 64512 + i, org: `Example AS ${i}` });
  }
  return writeMmdb(fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-bench-")), spec);
}

/**
 * `n` flows. Addresses come from a pool of `distinct` hosts with a skewed (80/20-ish)
 * popularity, which gives GeoIP cache hit ratios like real traffic (~98% at 20k hosts / 1M flows).
 */
export function benchFlows(n: number, distinct = 20_000, seed = 1): Buffer[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const host = () => {
    const k = Math.floor(distinct * rnd() ** 3);
    return Buffer.from([11 + ((k >> 16) & 15), (k >> 8) & 255, k & 255, 1 + (k % 250)]);
  };
  const now = BigInt(Date.now()) * 1_000_000n;
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const e = Math.floor(rnd() * EXPORTERS);
    out.push(
      goflowValue({
        type: i % 3 === 0 ? "SFLOW_5" : i % 3 === 1 ? "NETFLOW_V9" : "IPFIX",
        timeReceivedNs: now.toString(),
        timeFlowStartNs: (now - 10_000_000_000n).toString(),
        timeFlowEndNs: now.toString(),
        sequenceNum: i,
        samplingRate: 1000,
        samplerAddress: Buffer.from([10, e >> 8, e & 255, 1]),
        srcAddr: host(),
        dstAddr: host(),
        srcPort: 1024 + (i % 50000),
        dstPort: 443,
        proto: 6,
        etype: 0x800,
        bytes: 1500 * (1 + (i % 10)),
        packets: 1 + (i % 10),
        inIf: 1 + (i % 48),
        outIf: 1 + ((i * 7) % 48),
        srcAs: i % 4 === 0 ? 64500 : 0,
        tcpFlags: 0x18,
        srcMac: "123456789012",
        dstMac: "123456789013",
        ipTtl: 60,
        layerStack: ["Ethernet", "IPv4", "TCP"],
        layerSize: [14, 20, 20],
      }),
    );
  }
  return out;
}
