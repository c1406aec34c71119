/**
 * Kafka client comparison (npm run bench -- kafka-clients), kafkajs 2.2.4 against
 * @platformatic/kafka, on one local broker in one run, alternating which client goes first:
 *  - consumer: the enricher's consuming side. A raw topic preloaded with BENCH_CLIENT_MESSAGES
 *    (default 1,000,000) goflow2-framed FlowMessages keyed by exporter, as goflow2 writes them
 *    (uncompressed, as the rendered goflow2 args set no compression; 4 partitions). Each client
 *    joins a fresh group and the clock starts at the subscription (before the group join and
 *    the first fetch, which the former figure left out) and stops when every message arrived;
 *    both commit as the enricher does (per delivered batch / every 5,000 messages).
 *  - producer: the enricher's producing side. The flows' enriched messages as the service packs
 *    them (Processor + packByExporter per 5,000-flow batch), acks=all, 768 KiB per request.
 * BENCH_CLIENT_RUNS runs (default 3) of each; the figures are the median and the spread (min–max).
 * @confluentinc/kafka-javascript is not measured: its install needs a prebuilt librdkafka binary
 * from GitHub or a source build that downloads zlib/OpenSSL/zstd, neither reachable from here.
 * Writes bench/results/kafka-clients.json at the repo root.
 */
import * as fs from "fs";
import * as path from "path";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { startKafka } from "../../../tests/helpers/kafka";
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { packByExporter } from "../src/pack";
import { BatchResult, Processor } from "../src/pipeline";
import { FlowMessage } from "../test/helpers/proto";
import { createTopics } from "../test/helpers/stack";
import { benchFlows, benchGeo, benchSnapshot } from "./world";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PARTITIONS = 4;

type Msg = { key: Buffer; value: Buffer };

// ESM-only package: loaded with require(esm) (Node >= 20.19)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pk = () => require("@platformatic/kafka") as typeof import("@platformatic/kafka");

/** goflow2-framed flows keyed by exporter address, as the raw topic holds them. */
function rawMessages(n: number): Msg[] {
  // keyed by the exporter (sampler) address, as goflow2 with our mapping file keys them
  return benchFlows(n, 20_000, 11).map((value) => ({ key: Buffer.from((FlowMessage.decodeDelimited(value) as unknown as { samplerAddress: Uint8Array }).samplerAddress), value }));
}

/** The enriched messages the service would produce for `n` flows (5,000-flow batches, 64 KiB messages). */
function packedMessages(n: number): { msgs: Msg[]; flows: number } {
  const g = benchGeo();
  const enricher = new Enricher(new GeoIp(g.city, g.asn), 200_000);
  enricher.setNetBox(benchSnapshot());
  const p = new Processor(enricher, 65536);
  const flows = benchFlows(n, 20_000, 13);
  const msgs: Msg[] = [];
  let count = 0;
  for (let i = 0; i < flows.length; i += 5000) {
    const res: BatchResult = { out: [], dead: [] };
    for (let j = i; j < Math.min(i + 5000, flows.length); j++) p.processOne(flows[j], null, res);
    for (const m of packByExporter(res.out, 65536)) {
      // copies: the processor's slab is reused by the next batch
      msgs.push({ key: Buffer.from(m.key), value: Buffer.from(m.value) });
      count += m.flows;
    }
  }
  return { msgs, flows: count };
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Request-sized slices as the service's produce() cuts them (768 KiB of values). */
function requests(msgs: Msg[], budget = 768 * 1024): Msg[][] {
  const out: Msg[][] = [];
  let cur: Msg[] = [];
  let bytes = 0;
  for (const m of msgs) {
    if (cur.length > 0 && bytes + m.value.length > budget) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += m.value.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

async function preload(bootstrap: string, topic: string, msgs: Msg[]): Promise<void> {
  const producer = new (pk().Producer)({ clientId: "bench-preload", bootstrapBrokers: [bootstrap], acks: -1 });
  for (const r of requests(msgs)) await producer.send({ messages: r.map((m) => ({ topic, key: m.key, value: m.value })) });
  await producer.close();
}

/** Seconds from the subscription until all `n` messages were delivered (kafkajs, as src/kafka.ts consumes). */
export async function consumeKafkajs(bootstrap: string, topic: string, n: number): Promise<number> {
  const k = new Kafka({ clientId: "bench-kafkajs", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = k.consumer({ groupId: `bench-kafkajs-${process.hrtime.bigint()}`, maxBytes: 32 << 20, maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  let got = 0;
  const t0 = process.hrtime.bigint();
  await consumer.subscribe({ topic, fromBeginning: true });
  const s = await new Promise<number>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch, resolveOffset }) => {
          got += batch.messages.length;
          resolveOffset(batch.lastOffset());
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
          if (got >= n) resolve(seconds(t0));
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  if (got !== n) throw new Error(`kafkajs consumed ${got} of ${n} messages`);
  return s;
}

/** The same with @platformatic/kafka's message stream. */
export async function consumePlatformatic(bootstrap: string, topic: string, n: number): Promise<number> {
  const consumer = new (pk().Consumer)({ groupId: `bench-platformatic-${process.hrtime.bigint()}`, clientId: "bench-platformatic", bootstrapBrokers: [bootstrap], maxBytes: 32 << 20, maxBytesPerPartition: 8 << 20 });
  let got = 0;
  const t0 = process.hrtime.bigint();
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  let last: { commit(): unknown } | undefined;
  const s = await new Promise<number>((resolve, reject) => {
    stream.on("error", reject);
    stream.on("data", (m: { commit(): unknown }) => {
      got++;
      last = m;
      if (got % 5000 === 0) void m.commit();
      if (got === n) resolve(seconds(t0));
    });
  });
  await last?.commit();
  await stream.close();
  await consumer.close();
  if (got < n) throw new Error(`platformatic consumed ${got} of ${n} messages`);
  return s;
}

export async function produceKafkajs(bootstrap: string, topic: string, msgs: Msg[]): Promise<number> {
  const k = new Kafka({ clientId: "bench-kafkajs", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = k.producer({ maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = process.hrtime.bigint();
  for (const r of requests(msgs)) await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: r });
  const s = seconds(t0);
  await producer.disconnect();
  return s;
}

export async function producePlatformatic(bootstrap: string, topic: string, msgs: Msg[], compression: "gzip" | "lz4"): Promise<number> {
  const producer = new (pk().Producer)({ clientId: "bench-platformatic", bootstrapBrokers: [bootstrap], compression, acks: -1 });
  // it connects lazily; kafkajs connects before its clock starts, so connect this one first too
  await producer.metadata({ topics: [topic] });
  const t0 = process.hrtime.bigint();
  for (const r of requests(msgs)) await producer.send({ messages: r.map((m) => ({ topic, key: m.key, value: m.value })) });
  const s = seconds(t0);
  await producer.close();
  return s;
}

/** the installed version of a package (its package.json is not in its exports) */
function version(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** median and spread of per-run rates */
function summary(rates: number[]) {
  const s = [...rates].sort((a, b) => a - b);
  return { median: Math.round(s[Math.floor(s.length / 2)]), min: Math.round(s[0]), max: Math.round(s[s.length - 1]), runs: rates.map(Math.round) };
}

async function main() {
  const n = Number(process.env.BENCH_CLIENT_MESSAGES ?? 1_000_000);
  const runs = Number(process.env.BENCH_CLIENT_RUNS ?? 3);
  const produceFlows = Number(process.env.BENCH_CLIENT_PRODUCE_FLOWS ?? 500_000);
  if (!(n >= 1) || !(runs >= 1) || !(produceFlows >= 1)) throw new Error("BENCH_CLIENT_MESSAGES, BENCH_CLIENT_RUNS and BENCH_CLIENT_PRODUCE_FLOWS must be positive numbers");
  console.log(`building ${n.toLocaleString()} raw messages and the packed output of ${produceFlows.toLocaleString()} flows`);
  const raw = rawMessages(n);
  const rawBytes = raw.reduce((s, m) => s + m.value.length, 0);
  const packed = packedMessages(produceFlows);
  const broker = await startKafka({ partitions: PARTITIONS, heap: "1g" });
  try {
    const produceTopics = Array.from({ length: runs }, (_, r) => ["kj-gzip", "pk-gzip", "pk-lz4"].map((t) => `${t}-${r}`)).flat();
    await createTopics(broker.bootstrap, [{ topic: "raw", numPartitions: PARTITIONS }, ...produceTopics.map((topic) => ({ topic, numPartitions: PARTITIONS }))]);
    const t0 = process.hrtime.bigint();
    await preload(broker.bootstrap, "raw", raw);
    console.log(`preloaded ${n.toLocaleString()} messages (${(rawBytes / 2 ** 20).toFixed(0)} MiB) in ${seconds(t0).toFixed(1)} s`);
    const consume: Record<"kafkajs" | "platformatic", number[]> = { kafkajs: [], platformatic: [] };
    const produce: Record<string, number[]> = { "kafkajs gzip": [], "platformatic gzip": [], "platformatic lz4": [] };
    for (let r = 0; r < runs; r++) {
      // alternate the order, so neither client always meets a warmer broker page cache
      const order: Array<"kafkajs" | "platformatic"> = r % 2 === 0 ? ["kafkajs", "platformatic"] : ["platformatic", "kafkajs"];
      for (const c of order) {
        const s = c === "kafkajs" ? await consumeKafkajs(broker.bootstrap, "raw", n) : await consumePlatformatic(broker.bootstrap, "raw", n);
        consume[c].push(n / s);
        console.log(`  run ${r + 1} consume ${c}: ${Math.round(n / s).toLocaleString()} msg/s (${s.toFixed(2)} s from the subscription)`);
      }
      const pr: Array<[string, () => Promise<number>]> = [
        ["kafkajs gzip", () => produceKafkajs(broker.bootstrap, `kj-gzip-${r}`, packed.msgs)],
        ["platformatic gzip", () => producePlatformatic(broker.bootstrap, `pk-gzip-${r}`, packed.msgs, "gzip")],
        ["platformatic lz4", () => producePlatformatic(broker.bootstrap, `pk-lz4-${r}`, packed.msgs, "lz4")],
      ];
      for (const [name, fn] of r % 2 === 0 ? pr : [...pr].reverse()) {
        const s = await fn();
        produce[name].push(packed.flows / s);
        console.log(`  run ${r + 1} produce ${name}: ${Math.round(packed.flows / s).toLocaleString()} flows/s (${packed.msgs.length.toLocaleString()} messages in ${s.toFixed(2)} s)`);
      }
    }
    const consumer = { kafkajs: summary(consume.kafkajs), platformatic: summary(consume.platformatic) };
    const fasterConsumer = consumer.platformatic.median > consumer.kafkajs.median ? "platformatic" : "kafkajs";
    const result = {
      benchmark: "kafka-clients",
      measuredAt: new Date().toISOString(),
      clients: { kafkajs: version("kafkajs"), "@platformatic/kafka": version("@platformatic/kafka") },
      params: { consumeMessages: n, runs, partitions: PARTITIONS, rawMessageBytesMean: Math.round(rawBytes / n), produceFlows: packed.flows, producedMessages: packed.msgs.length, producedBytesMean: Math.round(packed.msgs.reduce((s, m) => s + m.value.length, 0) / packed.msgs.length) },
      consumeMsgsPerSec: consumer,
      fasterConsumer,
      // the client the service consumes with (src/kafka.ts); see docs/benchmarks.md "Kafka client choice"
      serviceConsumer: "kafkajs",
      serviceConsumerMsgsPerSec: consumer.kafkajs.median,
      produceFlowsPerSec: Object.fromEntries(Object.entries(produce).map(([k, v]) => [k, summary(v)])),
    };
    const out = path.join(process.env.HELIOS_BENCH_RESULTS ?? path.join(REPO, "bench", "results"), "kafka-clients.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await broker.stop();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
