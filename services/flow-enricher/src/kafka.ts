/**
 * Kafka I/O behind a small interface, so the pipeline does not care which client runs it.
 * Delivery: at-least-once. A chunk of raw messages is processed, its enriched flows and dead
 * letters are produced with acks=all and awaited, and only then is the chunk's offset committed.
 * A failed produce throws out of the batch handler: the client re-delivers from the last
 * committed offset (duplicates possible, loss not).
 */
import { CompressionTypes, Consumer, Kafka, logLevel, Producer } from "kafkajs";
import { ConsumerHealth } from "./health";
import type { PackedMessage } from "./pack";
import type { DeadLetter } from "./pipeline";

/** Compression of produced batches; lz4 needs the platformatic producer (kafkajs has no lz4 codec). */
export type Compression = "gzip" | "lz4" | "none";

export interface InMessage {
  key: Buffer | null;
  value: Buffer | null;
}

export interface ChunkContext {
  topic: string;
  partition: number;
}

/** Called per chunk of one partition; must resolve only after its output is acknowledged. */
export type ChunkHandler = (messages: InMessage[], ctx: ChunkContext) => Promise<void>;

export interface KafkaIO {
  /** Joins the group and starts delivering chunks. */
  start(handler: ChunkHandler): Promise<void>;
  /** Produces packed enriched flows and dead letters; resolves when the broker acknowledged all. */
  produce(out: PackedMessage[], dead: DeadLetter[]): Promise<void>;
  /** Stops fetching, waits for the in-flight chunk (its offsets get committed), disconnects. */
  stop(): Promise<void>;
  readonly connected: boolean;
  /** whether the consumer is running, and since when it is not (health.ts) */
  readonly consumerHealth: ConsumerHealth;
}

/** The producing side, so the measured-faster producer can be used beside the kafkajs consumer. */
interface ProducerPort {
  readonly client: ProducerClient;
  connect(): Promise<void>;
  send(topic: string, messages: Array<{ key: Buffer | null; value: Buffer; headers?: Record<string, string> }>): Promise<void>;
  close(): Promise<void>;
}

class KafkajsProducer implements ProducerPort {
  readonly client = "kafkajs";
  private readonly p: Producer;
  constructor(kafka: Kafka, private readonly compression: Compression) {
    // kafkajs has no built-in lz4 codec (settings refuse that pair; this guards direct use)
    if (compression === "lz4") throw new Error("the kafkajs producer cannot compress with lz4; use gzip or the platformatic producer");
    // one request in flight: a retry cannot reorder an exporter's flows
    this.p = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: true, retry: { retries: 1000, initialRetryTime: 300, maxRetryTime: 5000 } });
  }
  connect(): Promise<void> {
    return this.p.connect();
  }
  async send(topic: string, messages: Array<{ key: Buffer | null; value: Buffer; headers?: Record<string, string> }>): Promise<void> {
    await this.p.send({ topic, acks: -1, compression: this.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None, messages });
  }
  close(): Promise<void> {
    return this.p.disconnect();
  }
}

/**
 * @platformatic/kafka producer (ESM-only; loaded with require(esm), Node >= 20.19). Measured
 * faster than kafkajs at producing in bench/kafka-clients.ts; see docs/flows.md.
 */
class PlatformaticProducer implements ProducerPort {
  readonly client = "platformatic";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly p: any;
  constructor(brokers: string[], clientId: string, compression: Compression) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pk = require("@platformatic/kafka") as typeof import("@platformatic/kafka");
    this.p = new pk.Producer({
      clientId,
      bootstrapBrokers: brokers,
      acks: -1,
      ...(compression !== "none" ? { compression } : {}),
      retries: 200,
      retryDelay: 500,
      autocreateTopics: true,
    });
  }
  async connect(): Promise<void> {
    // connects lazily on first send
  }
  async send(topic: string, messages: Array<{ key: Buffer | null; value: Buffer; headers?: Record<string, string> }>): Promise<void> {
    await this.p.send({
      messages: messages.map((m) => ({
        topic,
        key: m.key ?? undefined,
        value: m.value,
        // no serializers configured: header keys and values must be bytes
        headers: m.headers ? new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) : undefined,
      })),
    });
  }
  close(): Promise<void> {
    return this.p.close();
  }
}

/** The clients that can produce the enriched flows. */
export type ProducerClient = "kafkajs" | "platformatic";

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  topicRaw: string;
  topicEnriched: string;
  topicDeadLetter: string;
  compression: Compression;
  /** which client produces (the consumer is always kafkajs; see docs/benchmarks.md "Kafka client choice") */
  producerClient: ProducerClient;
  chunkSize: number;
  /** partitions whose chunks are handled concurrently (each partition stays sequential) */
  partitionsConcurrently?: number;
  /**
   * uncompressed value bytes per produce request: one request's batch for a partition stays under
   * the broker's message.max.bytes (1 MiB by default) even when compression gains nothing
   */
  produceRequestBytes?: number;
  fromBeginning?: boolean;
  onError?: (e: Error) => void;
  onProduceError?: (e: Error) => void;
}

/**
 * Consumes with kafkajs and produces with the client `producerClient` names (by default the
 * platformatic one): the name says the consumer, the settings say the producer.
 */
export class KafkajsConsumerIO implements KafkaIO {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: ProducerPort;
  /** the client that produces, as built (not as requested) */
  readonly producerClient: ProducerClient;
  connected = false;
  readonly consumerHealth = new ConsumerHealth();

  constructor(private readonly s: KafkaSettings) {
    this.kafka = new Kafka({
      clientId: s.clientId,
      brokers: s.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1000, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.consumer = this.kafka.consumer({
      groupId: s.groupId,
      maxBytes: 32 * 1024 * 1024,
      maxBytesPerPartition: 8 * 1024 * 1024,
      retry: { retries: 1000, initialRetryTime: 300, maxRetryTime: 5000 },
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
    });
    const producer = s.producerClient === "platformatic" ? new PlatformaticProducer(s.brokers, s.clientId, s.compression) : new KafkajsProducer(this.kafka, s.compression);
    this.producer = producer;
    this.producerClient = producer.client;
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      // restart=false: kafkajs gives up and this consumer never fetches again
      this.consumerHealth.crashed(e.payload.restart);
      s.onError?.(e.payload.error);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.consumerHealth.joined());
    this.consumer.on(this.consumer.events.STOP, () => this.consumerHealth.stopped());
  }

  async start(handler: ChunkHandler): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.s.topicRaw, fromBeginning: this.s.fromBeginning ?? true });
    this.connected = true;
    const chunk = this.s.chunkSize;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.s.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const msgs = batch.messages;
        for (let i = 0; i < msgs.length; i += chunk) {
          if (!isRunning() || isStale()) return; // rebalance/stop: uncommitted rest is re-delivered
          const part = msgs.slice(i, i + chunk);
          await handler(
            part.map((m) => ({ key: m.key, value: m.value })),
            { topic: batch.topic, partition: batch.partition },
          );
          const last = part[part.length - 1].offset;
          resolveOffset(last);
          await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        }
      },
    });
  }

  async produce(out: PackedMessage[], dead: DeadLetter[]): Promise<void> {
    const budget = this.s.produceRequestBytes ?? 768 * 1024;
    try {
      // sequential requests: a retry cannot reorder an exporter's flows
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < out.length; i++) {
        if (i > start && bytes + out[i].value.length > budget) {
          await this.producer.send(this.s.topicEnriched, out.slice(start, i));
          start = i;
          bytes = 0;
        }
        bytes += out[i].value.length;
      }
      if (start < out.length) await this.producer.send(this.s.topicEnriched, out.slice(start));
      if (dead.length > 0) {
        await this.producer.send(
          this.s.topicDeadLetter,
          dead.map((d) => ({ key: d.key, value: d.value, headers: { "x-helios-error": d.error, "x-helios-stage": d.stage } })),
        );
      }
    } catch (e) {
      this.s.onProduceError?.(e as Error);
      throw e;
    }
  }

  async stop(): Promise<void> {
    // consumer.disconnect() waits for the running eachBatch (and its commit) to finish
    this.consumerHealth.stopping();
    await this.consumer.disconnect();
    await this.producer.close();
    this.connected = false;
  }
}
