/**
 * Bad input at the collector: truncated datagrams, data for a template never sent, a template
 * with a zero-length field, sFlow samples whose lengths are impossible. Each goes to real
 * goflow2 v2.2.6 (args and mapping as the plan renders them) and on through Kafka to the
 * enricher. Where it is caught is measured, and stated per case:
 * - "goflow2": goflow2 counts a decoder error and publishes nothing;
 * - "enricher": goflow2 publishes a flow with invented values (0 bytes from 0.0.0.0, no
 *   addresses, one address) without an error; the enricher's validate step dead-letters it with
 *   its reason (counted in helios_flow_enricher_dead_lettered_total{stage="validate"});
 * - "dropped": goflow2 drops it without counting anything (an upstream gap: nothing reaches us
 *   to count). Still no flow.
 * Neither process crashes, and a valid datagram sent after each one is enriched.
 */
import * as dgram from "dgram";
import { KafkaBroker, readTopicWithLibrdkafka, startKafka } from "../../../tests/helpers/kafka";
import { freePort } from "../../../tests/helpers/net";
import { tempDir } from "../../../tests/helpers/tools";
import { Field, frame, ip4, ipfix, netflowV5, netflowV9, sflowV5, uint } from "./helpers/datagrams";
import { writeMmdb } from "./helpers/mmdb";
import { decodeEnrichedMessage } from "./helpers/proto";
import { Enricher, Goflow2, createTopics, startEnricher, startGoflow2, topicCount, waitFor } from "./helpers/stack";

const RAW = "helios-flows-raw";
const ENRICHED = "helios-flows-enriched";
const DLQ = "helios-flows-dead-letter";
const up = 3_600_000;
const secs = () => Math.floor(Date.now() / 1000);
const T9: Field[] = [[8, 4], [12, 4], [4, 1], [1, 4], [2, 4]];

/** One valid NetFlow v5 flow whose source address marks which step sent it. */
const marker = (step: number) =>
  netflowV5({ unixSecs: secs(), uptimeMs: up, sequence: step }, [{ src: `10.99.0.${step}`, dst: "203.0.113.1", inIf: 1, outIf: 2, packets: 1, bytes: 100, first: up - 2000, last: up - 1000, sport: 1, dport: 2, proto: 6 }]);

function sflowWithLength(lie: number): Buffer {
  return sflowV5({ agent: ip4("192.0.2.77"), sequence: 1, uptimeMs: up }, [
    { flow: { sequence: 1, sourceIndex: 1, samplingRate: 100, pool: 100, input: 1, output: 2, frame: frame(ip4("10.98.0.1"), ip4("203.0.113.2"), 17, 1, 2, 100), lieAboutLength: lie } },
  ]);
}

type Caught = "goflow2" | "enricher" | "dropped";
const BAD: Array<{ what: string; port: "netflow" | "sflow"; caught: Caught; datagram: () => Buffer }> = [
  { what: "NetFlow v5 truncated mid-record", port: "netflow", caught: "enricher", datagram: () => marker(200).subarray(0, 24 + 20) },
  {
    what: "NetFlow v9 truncated mid-flowset",
    port: "netflow",
    caught: "dropped",
    datagram: () => {
      const d = netflowV9({ unixSecs: secs(), uptimeMs: up, sequence: 1, sourceId: 1 }, [{ kind: "template", id: 256, fields: T9 }, { kind: "data", id: 256, fields: T9, records: [[ip4("10.98.1.1"), ip4("203.0.113.3"), 6, 100, 1]] }]);
      return d.subarray(0, d.length - 6);
    },
  },
  {
    what: "IPFIX data for a template never sent",
    port: "netflow",
    caught: "goflow2",
    datagram: () => ipfix({ exportTime: secs(), sequence: 1, domain: 42 }, [{ kind: "data", id: 999, fields: T9, records: [[ip4("10.98.2.1"), ip4("203.0.113.4"), 6, 100, 1]] }]),
  },
  {
    what: "IPFIX template with a zero-length field, then data for it",
    port: "netflow",
    caught: "enricher",
    datagram: () => {
      const fields: Field[] = [[8, 4], [12, 0], [1, 4]];
      const tmpl = ipfix({ exportTime: secs(), sequence: 1, domain: 43 }, [{ kind: "template", id: 300, fields }]);
      // the data set by hand: a zero-length field takes no bytes
      const data = Buffer.concat([uint(300, 2), uint(12, 2), ip4("10.98.3.1"), uint(100, 4)]);
      const msg = Buffer.concat([tmpl, data]);
      msg.writeUInt16BE(msg.length, 2);
      return msg;
    },
  },
  { what: "sFlow flow record longer than its sample", port: "sflow", caught: "enricher", datagram: () => sflowWithLength(100_000) },
  { what: "sFlow flow record length not a multiple of 4 and short", port: "sflow", caught: "goflow2", datagram: () => sflowWithLength(3) },
  { what: "sFlow datagram claiming more samples than it has", port: "sflow", caught: "goflow2", datagram: () => { const d = sflowWithLength(0); d.writeUInt32BE(50, 24); return d; } },
];

let broker: KafkaBroker;
let goflow: Goflow2;
let enricher: Enricher;
const sock = dgram.createSocket("udp4");

beforeAll(async () => {
  broker = await startKafka();
  await createTopics(broker.bootstrap, [{ topic: RAW, numPartitions: 2 }, { topic: ENRICHED, numPartitions: 1 }, { topic: DLQ, numPartitions: 1 }]);
  goflow = await startGoflow2(broker.bootstrap, "small");
  const geo = writeMmdb(tempDir("bad-geo"));
  // no NetBox here: the enricher keeps running without it (flows are counted as from unknown exporters)
  enricher = await startEnricher({ KAFKA_BROKERS: broker.bootstrap, NETBOX_URL: `http://127.0.0.1:${await freePort()}`, NETBOX_TOKEN: "t", GEOIP_CITY_PATH: geo.city, GEOIP_ASN_PATH: geo.asn });
}, 180_000);
afterAll(async () => {
  sock.close();
  await enricher?.stop("SIGKILL");
  await goflow?.stop();
  await broker?.stop();
});

async function goflowErrors(): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${goflow.httpPort}/metrics`)).text();
  let n = 0;
  for (const l of body.split("\n")) if (/^goflow2_flow_(decoder_error_total|process_nf_errors_total)\{/.test(l)) n += Number(l.split(" ").pop());
  return n;
}

const send = (d: Buffer, port: number) => new Promise<void>((res, rej) => sock.send(d, port, "127.0.0.1", (e) => (e ? rej(e) : res())));

async function enricherMetric(name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${enricher.httpPort}/metrics`)).text();
  let n = 0;
  for (const l of body.split("\n")) if (l.startsWith(name + " ") || l.startsWith(name + "{")) n += Number(l.split(" ").pop());
  return n;
}
const validated = () => enricherMetric('helios_flow_enricher_dead_lettered_total{stage="validate"}');

describe("bad datagrams through goflow2 (as rendered) and the enricher", () => {
  beforeAll(async () => {
    await waitFor("enricher /readyz", async () => (await fetch(`http://127.0.0.1:${enricher.httpPort}/readyz`).catch(() => undefined))?.status === 200, 120_000);
  });

  it.each(BAD.map((b, i) => [b.what, b.caught, i] as const))("%s: caught by %s, no flow, both keep working", async (_what, caught, i) => {
    const bad = BAD[i];
    const before = { goflow2: await goflowErrors(), enricher: await validated(), enriched: await enricherMetric("helios_flow_enricher_enriched_total") };
    await send(bad.datagram(), bad.port === "netflow" ? goflow.netflowPort : goflow.sflowPort);
    await new Promise((r) => setTimeout(r, 500));
    // the control flow after it is enriched: everything before it has been handled
    await send(marker(i + 1), goflow.netflowPort);
    await waitFor("the control flow enriched", async () => (await enricherMetric("helios_flow_enricher_enriched_total")) >= before.enriched + 1, 60_000, 500);
    await new Promise((r) => setTimeout(r, 1000));
    const after = { goflow2: await goflowErrors(), enricher: await validated(), enriched: await enricherMetric("helios_flow_enricher_enriched_total") };
    expect({ goflow2: after.goflow2 > before.goflow2, enricher: after.enricher - before.enricher, enriched: after.enriched - before.enriched }).toEqual({
      goflow2: caught === "goflow2",
      enricher: caught === "enricher" ? 1 : 0,
      enriched: 1,
    });
    expect(goflow.proc.exitCode).toBeNull();
    expect(enricher.proc.exitCode).toBeNull();
  }, 120_000);

  it("only the control flows were enriched; the invented ones are dead letters with their reason", async () => {
    const enriched = readTopicWithLibrdkafka(broker.bootstrap, ENRICHED, await topicCount(broker.bootstrap, ENRICHED));
    const srcs = enriched.flatMap((m) => decodeEnrichedMessage(m.value)).map((f) => [...(f.src_addr as Buffer)].join("."));
    expect(srcs.sort()).toEqual(BAD.map((_, i) => `10.99.0.${i + 1}`).sort());
    // the enricher's producer compresses with lz4, which only librdkafka (not kafkajs) reads
    const dead = readTopicWithLibrdkafka(broker.bootstrap, DLQ, BAD.filter((b) => b.caught === "enricher").length);
    expect(dead.map((d) => d.headers["x-helios-stage"])).toEqual(["validate", "validate", "validate"]);
    expect(dead.map((d) => d.headers["x-helios-error"]).sort()).toEqual([
      "flow with 0 bytes (a truncated or malformed record)",
      "flow with 0 bytes (a truncated or malformed record)",
      "flow with only one address (a zero-length or malformed address field)",
    ]);
  }, 120_000);
});
