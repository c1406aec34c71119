/**
 * enrich step and the whole decode → enrich → encode Processor, with real MaxMind-format
 * databases and a NetBox cache built over HTTP from the NetBox 4.x-shaped fixture server.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { NetBoxClient } from "../src/netbox";
import { BatchResult, Processor } from "../src/pipeline";
import { writeMmdb } from "./helpers/mmdb";
import { TOKEN, startNetBoxFixture } from "./helpers/netbox-fixture";
import { decodeOneEnriched, goflowValue, ip4 } from "./helpers/proto";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-pipe-"));
let enricher: Enricher;
let geo: GeoIp;

beforeAll(async () => {
  const f = writeMmdb(dir);
  geo = new GeoIp(f.city, f.asn);
  enricher = new Enricher(geo, 1000);
  const nb = await startNetBoxFixture();
  try {
    enricher.setNetBox(await new NetBoxClient({ url: nb.url, token: TOKEN }).snapshot());
  } finally {
    await nb.close();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const flow = (o: Record<string, unknown> = {}) =>
  goflowValue({ type: "NETFLOW_V9", samplerAddress: ip4("127.0.0.1"), srcAddr: ip4("198.51.100.7"), dstAddr: ip4("203.0.113.9"), inIf: 1, outIf: 2, bytes: 1500, packets: 1, samplingRate: 100, ...o });

function run(values: Array<Buffer | null>, max = 65536): BatchResult {
  return new Processor(enricher, max).processBatch(values);
}

describe("Processor (decode → enrich → encode)", () => {
  it("enriches a known exporter with NetBox device + interfaces and GeoIP for both ends", () => {
    const r = run([flow()]);
    expect(r.dead).toEqual([]);
    expect(r.out).toHaveLength(1);
    expect(r.out[0].key).toEqual(ip4("127.0.0.1"));
    expect(decodeOneEnriched(r.out[0].value)).toMatchObject({
      type: "NETFLOW_V9",
      exporter_name: "edge-fra1-01",
      site: "fra1",
      region: "eu-central",
      role: "edge-router",
      tenant: "netops",
      vendor: "Juniper",
      platform: "junos",
      tier: "tier1",
      in_if_name: "xe-0/0/1",
      in_if_speed: "10000000000",
      out_if_name: "xe-0/0/2",
      out_if_speed: "1000000000",
      src_country: "DE",
      src_city: "Berlin",
      src_as: 64500,
      src_as_name: "Example Transit DE",
      dst_country: "JP",
      dst_city: "Tokyo",
      dst_as: 64501,
      dst_as_name: "Example Cloud JP",
      bytes: "1500",
      sampling_rate: "100",
    });
  });

  it("matches an exporter by a secondary IP assigned to one of its interfaces", () => {
    expect(decodeOneEnriched(run([flow({ samplerAddress: ip4("192.0.2.1") })]).out[0].value).exporter_name).toBe("edge-fra1-01");
  });

  it("unknown exporter: still produced, NetBox fields empty, GeoIP still filled, counted", () => {
    const before = enricher.stats.exporterMisses;
    const r = run([flow({ samplerAddress: ip4("192.0.2.77") })]);
    const o = decodeOneEnriched(r.out[0].value);
    expect(o).toMatchObject({ exporter_name: "", site: "", in_if_name: "", in_if_speed: "0", src_country: "DE", dst_city: "Tokyo" });
    expect(enricher.stats.exporterMisses).toBe(before + 1);
  });

  it("missing interface (ifIndex not in NetBox): name empty, speed 0, counted", () => {
    const before = enricher.stats.ifMisses;
    const o = decodeOneEnriched(run([flow({ inIf: 999, outIf: 0 })]).out[0].value);
    expect(o).toMatchObject({ in_if: 999, in_if_name: "", in_if_speed: "0", out_if_name: "", exporter_name: "edge-fra1-01" });
    expect(enricher.stats.ifMisses).toBe(before + 1);
  });

  it("private and unknown addresses get no GeoIP fields and keep the router's AS", () => {
    const o = decodeOneEnriched(run([flow({ srcAddr: ip4("10.1.2.3"), dstAddr: ip4("192.0.2.200"), srcAs: 65001 })]).out[0].value);
    expect(o).toMatchObject({ src_country: "", src_city: "", src_as_name: "", src_as: 65001, dst_country: "", dst_as: 0 });
  });

  it("IPv6 flows are enriched too", () => {
    const o = decodeOneEnriched(run([flow({ srcAddr: Buffer.from("20010db8000100000000000000000005", "hex"), etype: 0x86dd })]).out[0].value);
    expect(o).toMatchObject({ src_country: "FR", src_city: "Paris", src_as: 64502 });
  });

  it("bad input becomes dead letters with a reason, good messages around it still flow", () => {
    const good = flow();
    const oversized = Buffer.concat([good, Buffer.alloc(70_000, 1)]);
    const r = run([good, Buffer.from("garbage!"), good.subarray(0, good.length - 3), oversized, null, good]);
    expect(r.out).toHaveLength(2);
    expect(r.dead.map((d) => d.stage)).toEqual(["decode", "decode", "size", "decode"]);
    expect(r.dead[2].error).toMatch(/70\d+ bytes exceeds the limit of 65536/);
    expect(r.dead[1].value).toEqual(good.subarray(0, good.length - 3)); // the original bytes
  });

  it("caches the merged per-address lookup (one database lookup per address)", () => {
    const e = new Enricher(geo, 1000);
    const p = new Processor(e, 65536);
    p.processBatch(Array.from({ length: 100 }, () => flow()));
    expect(e.stats.geoCacheMisses).toBe(2);
    expect(e.stats.geoCacheHits).toBe(198);
  });

  it("the per-address cache is bounded", () => {
    const e = new Enricher(geo, 100);
    const p = new Processor(e, 65536);
    p.processBatch(Array.from({ length: 1000 }, (_, i) => flow({ srcAddr: ip4(`198.51.${100 + (i >> 8)}.${i & 255}`) })));
    expect(e.geoCacheSize).toBeLessThanOrEqual(100);
  });

  it("a NetBox swap takes effect for the next flow", async () => {
    const e = new Enricher(geo, 1000);
    const p = new Processor(e, 65536);
    expect(decodeOneEnriched(p.processBatch([flow()]).out[0].value).exporter_name).toBe("");
    const nb = await startNetBoxFixture();
    try {
      e.setNetBox(await new NetBoxClient({ url: nb.url, token: TOKEN }).snapshot());
    } finally {
      await nb.close();
    }
    expect(decodeOneEnriched(p.processBatch([flow()]).out[0].value).exporter_name).toBe("edge-fra1-01");
  });
});

describe("validate step (flows goflow2 makes from malformed records)", () => {
  it.each([
    ["0 bytes (truncated NetFlow v5 record)", { bytes: 0, srcAddr: ip4("0.0.0.0"), dstAddr: ip4("0.0.0.0") }, /0 bytes/],
    ["no bytes field at all (sFlow record overrunning its sample)", { bytes: undefined, srcAddr: undefined, dstAddr: undefined }, /0 bytes/],
    ["one address (zero-length address field)", { dstAddr: Buffer.alloc(0) }, /only one address/],
  ])("dead-letters a flow with %s at stage validate", (_what, patch, reason) => {
    const r = run([flow(patch)]);
    expect(r.out).toEqual([]);
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0].stage).toBe("validate");
    expect(r.dead[0].error).toMatch(reason);
  });
  it("keeps a non-IP sFlow sample (no addresses, bytes > 0)", () => {
    const r = run([flow({ type: "SFLOW_5", srcAddr: undefined, dstAddr: undefined, bytes: 60 })]);
    expect(r.dead).toEqual([]);
    expect(r.out).toHaveLength(1);
  });
});
