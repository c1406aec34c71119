/**
 * pack step: enriched flows of one batch → Kafka messages of one exporter each, length-delimited
 * EnrichedFlows back to back. The flows here come from the real Processor (real codec, enrichment
 * without NetBox/GeoIP data: the framing does not depend on it) and are read back with protobufjs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { packByExporter } from "../src/pack";
import { EncodedFlow, Processor } from "../src/pipeline";
import { writeMmdb } from "./helpers/mmdb";
import { decodeEnrichedMessage, goflowValue, ip4 } from "./helpers/proto";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-pack-"));
let processor: Processor;

beforeAll(() => {
  const f = writeMmdb(dir);
  processor = new Processor(new Enricher(new GeoIp(f.city, f.asn), 1000), 65536);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const EXPORTERS = ["127.0.0.1", "192.0.2.1", "198.51.100.254"];

/** `n` equal-sized flows round-robin over EXPORTERS; sequence_num = SEQ0 + position in the batch */
const SEQ0 = 1000;
function batch(n: number): EncodedFlow[] {
  const values = Array.from({ length: n }, (_, i) =>
    goflowValue({ type: "IPFIX", samplerAddress: ip4(EXPORTERS[i % EXPORTERS.length]), srcAddr: ip4("198.51.100.7"), dstAddr: ip4("203.0.113.9"), bytes: 1500, packets: 1, sequenceNum: SEQ0 + i }),
  );
  return processor.processBatch(values).out;
}

const exporterOf = (key: Buffer) => [...key].join(".");

describe("packByExporter", () => {
  it("packs each exporter's flows into its own messages, in arrival order, nothing lost or added", () => {
    const flows = batch(300);
    const packed = packByExporter(flows, 65536);
    expect(packed).toHaveLength(3);
    let total = 0;
    for (const m of packed) {
      const decoded = decodeEnrichedMessage(m.value);
      expect(decoded).toHaveLength(m.flows);
      total += decoded.length;
      for (const f of decoded) expect(exporterOf(f.sampler_address)).toBe(exporterOf(m.key));
      const seqs = decoded.map((f) => f.sequence_num);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(total).toBe(300);
    expect(packed.map((m) => exporterOf(m.key)).sort()).toEqual([...EXPORTERS].sort());
  });

  it("splits an exporter's flows at the byte limit and keeps their order across messages", () => {
    const flows = batch(600);
    const flowBytes = flows[0].value.length;
    expect(new Set(flows.map((f) => f.value.length)).size).toBe(1);
    const limit = flowBytes * 25 + 3; // room for 25 flows, not 26
    const packed = packByExporter(flows, limit);
    for (const m of packed) expect(m.value.length).toBeLessThanOrEqual(limit);
    expect(packed.reduce((n, m) => n + m.flows, 0)).toBe(600);
    for (const exporter of EXPORTERS) {
      const mine = packed.filter((m) => exporterOf(m.key) === exporter);
      expect(mine.length).toBe(Math.ceil(200 / 25));
      const seqs = mine.flatMap((m) => decodeEnrichedMessage(m.value).map((f) => f.sequence_num));
      expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => SEQ0 + i * 3 + EXPORTERS.indexOf(exporter)));
    }
  });

  it("sends a flow larger than the limit alone instead of dropping it", () => {
    const flows = batch(3);
    const packed = packByExporter(flows, 16);
    expect(packed.map((m) => m.flows)).toEqual([1, 1, 1]);
    expect(packed.map((m) => decodeEnrichedMessage(m.value)[0].sequence_num)).toEqual([SEQ0, SEQ0 + 1, SEQ0 + 2]);
  });

  it("an empty batch produces no message", () => {
    expect(packByExporter([], 65536)).toEqual([]);
  });
});
