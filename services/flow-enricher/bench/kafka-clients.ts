/**
 * Kafka client comparison on the same local broker, same run: produce N EnrichedFlow-sized
 * messages (keyed by 200 exporters, gzip, acks=all, 4000 per request) and consume them back
 * through a consumer group. kafkajs 2.2.4 vs @platformatic/kafka.
 * @confluentinc/kafka-javascript is not measured: its install needs a prebuilt librdkafka
 * binary from GitHub or a source build that downloads zlib/OpenSSL/zstd, neither reachable
 * from this machine (npm install failed in node-pre-gyp; see docs/flows.md).
 */
import { CompressionTypes, Kafka, logLevel } from "kafkajs";

export interface ClientFigures {
  produceMsgsPerSec: number;
  consumeMsgsPerSec: number;
}

function payloads(n: number): Array<{ key: Buffer; value: Buffer }> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const value = Buffer.alloc(230 + (i % 40), i & 255);
    out.push({ key: Buffer.from([10, 0, (i % 200) >> 8, i % 200]), value });
  }
  return out;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function benchKafkajs(bootstrap: string, topic: string, n: number, compression: "gzip" | "none" = "gzip"): Promise<ClientFigures> {
  const k = new Kafka({ clientId: "bench-kafkajs", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const msgs = payloads(n);
  const producer = k.producer({ maxInFlightRequests: 1 });
  await producer.connect();
  const ps = await timeIt(async () => {
    for (let i = 0; i < n; i += 4000) await producer.send({ topic, acks: -1, compression: compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None, messages: msgs.slice(i, i + 4000) });
  });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `bench-kafkajs-${Date.now()}`, maxBytes: 32 << 20, maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  let t0 = 0n;
  const cs = await new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (t0 === 0n) t0 = process.hrtime.bigint();
        got += batch.messages.length;
        resolveOffset(batch.lastOffset());
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
        if (got >= n) resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      },
    });
  });
  await consumer.disconnect();
  return { produceMsgsPerSec: Math.round(n / ps), consumeMsgsPerSec: Math.round(n / cs) };
}

export async function benchPlatformatic(bootstrap: string, topic: string, n: number, compression: "gzip" | "snappy" | "lz4" | "zstd" | "none" = "gzip"): Promise<ClientFigures> {
  // ESM-only package: loaded with require(esm) (Node >= 20.19)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pk = require("@platformatic/kafka") as typeof import("@platformatic/kafka");
  const msgs = payloads(n);
  const producer = new pk.Producer({ clientId: "bench-platformatic", bootstrapBrokers: [bootstrap], compression, acks: -1 });
  const ps = await timeIt(async () => {
    for (let i = 0; i < n; i += 4000) await producer.send({ messages: msgs.slice(i, i + 4000).map((m) => ({ topic, key: m.key, value: m.value })) });
  });
  await producer.close();
  const consumer = new pk.Consumer({ groupId: `bench-platformatic-${Date.now()}`, clientId: "bench-platformatic", bootstrapBrokers: [bootstrap], maxBytes: 32 << 20 });
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  let got = 0;
  let t0 = 0n;
  let last: { commit(): unknown } | undefined;
  const cs = await new Promise<number>((resolve) => {
    stream.on("data", (m: { commit(): unknown }) => {
      if (t0 === 0n) t0 = process.hrtime.bigint();
      got++;
      last = m;
      if (got % 4000 === 0) void m.commit();
      if (got >= n) resolve(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  });
  await last?.commit();
  await stream.close();
  await consumer.close();
  return { produceMsgsPerSec: Math.round(n / ps), consumeMsgsPerSec: Math.round(n / cs) };
}
