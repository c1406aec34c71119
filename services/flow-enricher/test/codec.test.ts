/** decode + encode steps, checked against protobufjs reading proto/flow.proto. */
import { DecodeError, EF, RawFlow, Slab, decodeFlowMessage, encodeDelimitedEnrichedFlow, encodeEnrichedFlow, encodeStringField, forEachDelimited, rawPartBound } from "../src/codec";
import { newBlocks } from "../src/enrich";
import { DEFAULT_RESOLVE_POLICY, Resolver } from "../src/resolve";
import { FlowMessage, decodeEnriched, decodeOneEnriched, goflowValue, ip4 } from "./helpers/proto";

const FULL = {
  type: "IPFIX",
  timeReceivedNs: "1763900000123456789",
  timeFlowStartNs: "1763899990000000000",
  timeFlowEndNs: "1763899999000000000",
  sequenceNum: 4242,
  samplingRate: 1000,
  samplerAddress: ip4("192.0.2.1"),
  srcAddr: ip4("198.51.100.7"),
  dstAddr: Buffer.from("20010db8000100000000000000000005", "hex"),
  srcPort: 443,
  dstPort: 51234,
  proto: 6,
  etype: 0x86dd,
  bytes: "1152921504606846977", // 2^60 + 1: beyond Number precision, must survive exactly
  packets: 3,
  inIf: 1,
  outIf: 300,
  srcAs: 64500,
  dstAs: 0,
  tcpFlags: 0x12,
  // fields we drop, in every wire shape goflow2 uses: varint, bytes, packed repeated
  srcMac: "123456789012",
  nextHop: ip4("192.0.2.254"),
  asPath: [64500, 64501, 64502],
  layerStack: ["Ethernet", "IPv6", "TCP"],
  mplsIp: [ip4("10.1.1.1")],
  ipTtl: 64,
  observationDomainId: 7,
};

function decodeOne(value: Buffer): RawFlow {
  const f = new RawFlow();
  const n = forEachDelimited(value, (s, e) => decodeFlowMessage(value, s, e, f));
  expect(n).toBe(1);
  return f;
}

/** decode → resolve → encode, as the pipeline runs them (enrichment blocks given) */
function roundTrip(value: Buffer, blocks = newBlocks()) {
  const f = decodeOne(value);
  new Resolver(DEFAULT_RESOLVE_POLICY).resolve(f);
  const slab = new Slab(4096);
  const buf = slab.reserve(1024);
  const end = encodeEnrichedFlow(buf, slab.offset, f, blocks);
  return decodeEnriched(slab.take(end));
}

describe("decode FlowMessage (goflow2 v2 -format=bin framing)", () => {
  it("reads every kept field, exact for uint64, skipping the others", () => {
    const out = roundTrip(goflowValue(FULL));
    expect(out).toMatchObject({
      type: "IPFIX",
      time_received_ns: "1763900000123456789",
      time_flow_start_ns: "1763899990000000000",
      time_flow_end_ns: "1763899999000000000",
      sequence_num: 4242,
      sampling_rate: "1000",
      sampling_rate_source: "options",
      src_port: 443,
      dst_port: 51234,
      proto: 6,
      etype: 0x86dd,
      bytes: "1152921504606846977",
      packets: "3",
      in_if: 1,
      out_if: 300,
      src_as: 64500,
      dst_as: 0,
      tcp_flags: 0x12,
      exporter_name: "",
      src_country: "",
    });
    expect(out.sampler_address).toEqual(ip4("192.0.2.1"));
    expect(out.src_addr).toEqual(ip4("198.51.100.7"));
    expect(out.dst_addr).toEqual(FULL.dstAddr);
  });

  it("maps every goflow2 flow type to its name", () => {
    for (const t of ["SFLOW_5", "NETFLOW_V5", "NETFLOW_V9", "IPFIX"]) {
      expect(roundTrip(goflowValue({ type: t, samplerAddress: ip4("192.0.2.1") })).type).toBe(t);
    }
  });

  it("the encoder's output equals what protobufjs decodes field by field (no extra or lost bytes)", () => {
    const out = roundTrip(goflowValue({ samplerAddress: ip4("192.0.2.1"), bytes: 0, packets: 0 }));
    expect(out.bytes).toBe("0");
    expect(out.type).toBe("FLOWUNKNOWN");
  });

  const good = goflowValue(FULL);
  const bad: Array<[string, Buffer, RegExp]> = [
    ["truncated (cut in the middle)", good.subarray(0, Math.floor(good.length / 2)), /truncated|runs past|only/],
    ["truncated by one byte", good.subarray(0, good.length - 1), /only .* present/],
    ["not length-delimited (plain proto.Marshal)", Buffer.from(FlowMessage.encode(FlowMessage.fromObject(FULL)).finish()), /./],
    ["garbage text", Buffer.from("this is not a flow, just some text that arrived"), /./],
    ["garbage bytes with a valid prefix", Buffer.from([5, 0xff, 0xff, 0xff, 0xff, 0xff]), /varint|truncated/],
    ["a group wire type", Buffer.from([2, 0x0b, 0x0c]), /wire type/],
    ["no exporter address", goflowValue({ type: "IPFIX", bytes: 10 }), /sampler_address/],
    ["exporter address of 5 bytes", goflowValue({ samplerAddress: Buffer.from([1, 2, 3, 4, 5]) }), /5 bytes/],
    ["a scalar sent as bytes", Buffer.from([4, 0x4a, 0x02, 0x01, 0x02]), /wire type 2, expected 0/],
    ["empty", Buffer.alloc(0), /empty/],
  ];
  it.each(bad)("rejects %s with a DecodeError", (_name, value, msg) => {
    let err: unknown;
    try {
      decodeOne(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as Error).message).toMatch(msg);
  });

  it("accepts several delimited messages in one value", () => {
    const two = Buffer.concat([goflowValue({ samplerAddress: ip4("192.0.2.1"), packets: 1 }), goflowValue({ samplerAddress: ip4("192.0.2.2"), packets: 2 })]);
    const f = new RawFlow();
    const seen: number[] = [];
    forEachDelimited(two, (s, e) => {
      decodeFlowMessage(two, s, e, f);
      seen.push(f.buf[f.samplerE - 1]);
    });
    expect(seen).toEqual([1, 2]);
  });
});

describe("encode EnrichedFlow", () => {
  it("fills src_as/dst_as from GeoIP only where the router reported 0", () => {
    const b = newBlocks();
    b.srcAs = 1;
    b.dstAs = 64501;
    const out = roundTrip(goflowValue(FULL), b);
    expect(out.src_as).toBe(64500);
    expect(out.dst_as).toBe(64501);
  });

  describe("length-delimited (one flow of an enriched Kafka message)", () => {
    const delimited = (value: Buffer, blocks: ReturnType<typeof newBlocks>, bound: number) => {
      const f = decodeOne(value);
      const slab = new Slab(1 << 16);
      const buf = slab.reserve(bound + 3);
      const frame = { start: 0, end: 0 };
      encodeDelimitedEnrichedFlow(buf, slab.offset, bound, f, blocks, frame);
      const bare = encodeEnrichedFlow(Buffer.alloc(bound), 0, f, blocks);
      return { value: slab.take(frame.end, frame.start), bareLength: bare };
    };

    it("prefixes the message with its exact varint length, whatever room the bound reserved", () => {
      const small = goflowValue({ type: "SFLOW_5", bytes: 1, packets: 1, samplerAddress: ip4("192.0.2.1") });
      // bound needs a 2-byte prefix, the message needs 1: the prefix still comes out minimal
      const { value, bareLength } = delimited(small, newBlocks(), 300);
      expect(bareLength).toBeLessThan(128);
      expect(value[0]).toBe(bareLength);
      expect(value.length).toBe(bareLength + 1);
      expect(decodeOneEnriched(value).type).toBe("SFLOW_5");
    });

    it("writes a two-byte prefix for messages of 128 bytes and more", () => {
      const b = newBlocks();
      b.exporter = encodeStringField(EF.exporter_name, "x".repeat(200));
      const f = decodeOne(goflowValue(FULL));
      const bound = rawPartBound(f) + b.exporter.length;
      const { value, bareLength } = delimited(goflowValue(FULL), b, bound);
      expect(bareLength).toBeGreaterThanOrEqual(128);
      expect(value.length).toBe(bareLength + 2);
      const out = decodeOneEnriched(value);
      expect(out.exporter_name).toBe("x".repeat(200));
      expect(out.sequence_num).toBe(4242);
    });
  });
});
