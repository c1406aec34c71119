/**
 * The resolution step through the Processor (decode → resolve → enrich → encode), read back with
 * protobufjs from proto/flow.proto: sampling-rate resolution order, implausible timestamps,
 * sFlow special interface values, and the counts behind the metrics.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { Processor } from "../src/pipeline";
import { ResolvePolicy, Resolver } from "../src/resolve";
import { writeMmdb } from "./helpers/mmdb";
import { decodeOneEnriched, goflowValue, ip4 } from "./helpers/proto";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-resolve-"));
let geo: GeoIp;
beforeAll(() => {
  const f = writeMmdb(dir);
  geo = new GeoIp(f.city, f.asn);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY_NS = 86400n * 1_000_000_000n;
const NOW_NS = 1_763_900_000_000_000_000n;
const policy = (sampling: ResolvePolicy["sampling"] = {}): ResolvePolicy => ({ sampling, maxAgeNs: 7 * 86400e9, maxFutureNs: 300e9 });

function pipeline(p: ResolvePolicy = policy()) {
  const resolver = new Resolver(p);
  const enricher = new Enricher(geo, 1000);
  const proc = new Processor(enricher, 65536, resolver);
  const one = (fields: Record<string, unknown>) => {
    const r = proc.processBatch([
      goflowValue({
        type: "IPFIX",
        samplerAddress: ip4("192.0.2.1"),
        srcAddr: ip4("10.0.0.1"),
        dstAddr: ip4("10.0.0.2"),
        bytes: 100,
        packets: 1,
        timeReceivedNs: NOW_NS.toString(),
        timeFlowStartNs: (NOW_NS - 10n * 1_000_000_000n).toString(),
        timeFlowEndNs: (NOW_NS - 1_000_000_000n).toString(),
        ...fields,
      }),
    ]);
    expect(r.dead).toEqual([]);
    return decodeOneEnriched(r.out[0].value);
  };
  return { resolver, enricher, one };
}

describe("sampling rate resolution", () => {
  it("takes the rate from the data record: samplingInterval (34), packet interval/space (305/306), random interval (50)", () => {
    const { one } = pipeline();
    expect(one({ samplingInterval: 512 })).toMatchObject({ sampling_rate: "512", sampling_rate_source: "flow" });
    expect(one({ samplerPacketInterval: 1, samplerPacketSpace: 1999 })).toMatchObject({ sampling_rate: "2000", sampling_rate_source: "flow" });
    expect(one({ samplerRandomInterval: 4096 })).toMatchObject({ sampling_rate: "4096", sampling_rate_source: "flow" });
    // the data record's rate wins over goflow2's per-domain options rate
    expect(one({ samplingInterval: 100, samplingRate: 30000 })).toMatchObject({ sampling_rate: "100", sampling_rate_source: "flow" });
  });

  it("falls back to options, then the exporter's last-known rate (a goflow2 restart or an HPA move)", () => {
    const { one } = pipeline();
    expect(one({ samplingRate: 1000 })).toMatchObject({ sampling_rate: "1000", sampling_rate_source: "options" });
    // goflow2 has not seen options yet: sampling_rate 0
    expect(one({ samplingRate: 0 })).toMatchObject({ sampling_rate: "1000", sampling_rate_source: "last_known" });
    // another exporter has no last-known rate
    expect(one({ samplerAddress: ip4("192.0.2.2") })).toMatchObject({ sampling_rate: "0", sampling_rate_source: "unknown" });
  });

  it("keeps several samplers of one exporter apart by sampler id", () => {
    const { one } = pipeline();
    one({ samplerId: 1, samplingInterval: 100 });
    one({ samplerId: 2, samplingInterval: 4000 });
    expect(one({ samplerId: 1 })).toMatchObject({ sampling_rate: "100", sampling_rate_source: "last_known" });
    expect(one({ samplerId: 2 })).toMatchObject({ sampling_rate: "4000", sampling_rate_source: "last_known" });
    // goflow2's options rate is one per observation domain (samplers collapsed): a sampler's own rate wins
    expect(one({ samplerId: 2, samplingRate: 100 })).toMatchObject({ sampling_rate: "4000", sampling_rate_source: "last_known" });
    expect(one({ samplerId: 3, samplingRate: 100 })).toMatchObject({ sampling_rate: "100", sampling_rate_source: "options" });
  });

  it("uses stack config: per-exporter override wins, per-exporter default, global default, NetBox default", () => {
    const { one, resolver } = pipeline(policy({ default: 10, exporters: { "192.0.2.1": { override: 2048 }, "192.0.2.3": { default: 300 }, "2001:db8::9": { default: 77 } } }));
    expect(one({ samplingInterval: 512 })).toMatchObject({ sampling_rate: "2048", sampling_rate_source: "override" });
    expect(one({ samplerAddress: ip4("192.0.2.3") })).toMatchObject({ sampling_rate: "300", sampling_rate_source: "default" });
    expect(one({ samplerAddress: Buffer.from("20010db8000000000000000000000009", "hex") })).toMatchObject({ sampling_rate: "77", sampling_rate_source: "default" });
    expect(one({ samplerAddress: ip4("192.0.2.4") })).toMatchObject({ sampling_rate: "10", sampling_rate_source: "default" });
    resolver.setNetBoxDefaults(new Map([["192.0.2.4", 64]]));
    expect(one({ samplerAddress: ip4("192.0.2.4") })).toMatchObject({ sampling_rate: "64", sampling_rate_source: "default" });
  });

  it("counts a flow whose rate stays unknown by exporter and reason, and never writes a rate for it", () => {
    const { one, resolver } = pipeline();
    const f = one({ type: "NETFLOW_V9", samplerAddress: ip4("198.51.100.9") });
    expect(f.sampling_rate).toBe("0");
    expect(f.sampling_rate_source).toBe("unknown");
    one({ type: "SFLOW_5", samplerAddress: ip4("198.51.100.9") });
    one({ samplerAddress: ip4("198.51.100.9"), samplerPacketSpace: 99 });
    expect([...resolver.stats.rateUnknown.values()].sort((a, b) => a.reason.localeCompare(b.reason))).toEqual([
      { exporter: "198.51.100.9", reason: "no_rate_in_flow_options_or_config", n: 1 },
      { exporter: "198.51.100.9", reason: "packet_interval_zero", n: 1 },
      { exporter: "198.51.100.9", reason: "sflow_rate_zero", n: 1 },
    ]);
    expect(resolver.stats.bySource[6]).toBe(3);
  });
});

describe("implausible exporter timestamps", () => {
  it("stores a flow older than the raw TTL at time_received, flagged, with the exporter's times kept", () => {
    const { one, resolver } = pipeline();
    const old = 1_230_768_000_000_000_000n; // 2009-01-01
    const f = one({ samplingInterval: 1, timeFlowStartNs: old.toString(), timeFlowEndNs: (old + 1_000_000_000n).toString() });
    expect(f).toMatchObject({
      time_implausible: true,
      time_flow_start_ns: NOW_NS.toString(),
      time_flow_end_ns: NOW_NS.toString(),
      exporter_time_flow_start_ns: old.toString(),
      exporter_time_flow_end_ns: (old + 1_000_000_000n).toString(),
    });
    expect([...resolver.stats.timeImplausible.values()]).toEqual([{ exporter: "192.0.2.1", reason: "older_than_ttl", n: 1 }]);
  });

  it("flags a flow further ahead of time_received than the skew, and leaves plausible ones alone", () => {
    const { one, resolver } = pipeline();
    const ahead = one({ samplingInterval: 1, timeFlowEndNs: (NOW_NS + DAY_NS).toString() });
    expect(ahead).toMatchObject({ time_implausible: true, time_flow_end_ns: NOW_NS.toString() });
    const fine = one({ samplingInterval: 1, timeFlowEndNs: (NOW_NS + 60n * 1_000_000_000n).toString() });
    expect(fine).toMatchObject({ time_implausible: false, time_flow_end_ns: (NOW_NS + 60n * 1_000_000_000n).toString(), exporter_time_flow_end_ns: "0" });
    const sixDaysOld = one({ samplingInterval: 1, timeFlowEndNs: (NOW_NS - 6n * DAY_NS).toString() });
    expect(sixDaysOld.time_implausible).toBe(false);
    expect([...resolver.stats.timeImplausible.values()]).toEqual([{ exporter: "192.0.2.1", reason: "ahead_of_time_received", n: 1 }]);
  });
});

describe("sFlow special interface values", () => {
  const sflow = (inIf: number, outIf: number) => ({ type: "SFLOW_5", samplingRate: 1024, inIf, outIf });

  it("decodes local, discard (with the reason) and multiple into ifIndex 0 plus a flag", () => {
    const { one, resolver } = pipeline();
    expect(one(sflow(0x3fffffff, 7))).toMatchObject({ in_if: 0, in_if_special: "local", out_if: 7, out_if_special: "" });
    expect(one(sflow(5, 0x3fffffff))).toMatchObject({ in_if: 5, out_if: 0, out_if_special: "local" });
    expect(one(sflow(5, 0x40000000 + 258))).toMatchObject({ out_if: 0, out_if_special: "discard", discard_reason: "acl" });
    expect(one(sflow(5, 0x40000000 + 3))).toMatchObject({ out_if: 0, out_if_special: "discard", discard_reason: "port_unreachable" });
    expect(one(sflow(5, 0x40000000 + 999))).toMatchObject({ out_if: 0, out_if_special: "discard", discard_reason: "code_999" });
    expect(one(sflow(5, 0x80000000 + 4))).toMatchObject({ out_if: 0, out_if_special: "multiple", discard_reason: "" });
    expect(one(sflow(5, 6))).toMatchObject({ in_if: 5, out_if: 6, in_if_special: "", out_if_special: "" });
    expect(Object.fromEntries([...resolver.stats.specialInterfaces.values()].map((c) => [`${c.exporter}/${c.reason}`, c.n]))).toEqual({
      "in/local": 1,
      "out/local": 1,
      "out/discard": 3,
      "out/multiple": 1,
    });
  });

  it("leaves NetFlow/IPFIX interfaces as they are (the special values are sFlow's)", () => {
    const { one } = pipeline();
    expect(one({ samplingInterval: 1, inIf: 0x3fffffff, outIf: 0x40000102 })).toMatchObject({ in_if: 0x3fffffff, out_if: 0x40000102, in_if_special: "", out_if_special: "" });
  });
});

describe("physical ingress interface (252)", () => {
  it("is carried to in_if_physical", () => {
    const { one } = pipeline();
    expect(one({ samplingInterval: 1, inIf: 10, inIfPhysical: 501 })).toMatchObject({ in_if: 10, in_if_physical: 501 });
  });
});

describe("exporters NetBox does not know", () => {
  it("are counted by exporter and reason (no NetBox snapshot yet vs not in NetBox)", () => {
    const { one, enricher } = pipeline();
    one({ samplingInterval: 1, samplerAddress: ip4("203.0.113.50") });
    enricher.setNetBox({ byAddress: new Map(), devices: 0, interfaces: 0, builtAt: 0 });
    one({ samplingInterval: 1, samplerAddress: ip4("203.0.113.50") });
    one({ samplingInterval: 1, samplerAddress: ip4("203.0.113.50") });
    expect([...enricher.stats.unknownExporters.values()]).toEqual([
      { exporter: "203.0.113.50", reason: "netbox_not_loaded", n: 1 },
      { exporter: "203.0.113.50", reason: "not_in_netbox", n: 2 },
    ]);
  });
});
