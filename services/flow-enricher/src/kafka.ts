/**
 * Kafka I/O behind a small interface, so the pipeline does not care which client runs it.
 * Delivery: at-least-once. A chunk of raw messages is processed, its enriched flows and dead
 * letters are produced with acks=all and awaited, and only then is the chunk's offset committed.
 * A failed produce throws out of the batch handler: the client re-delivers from the last
 * committed offset (duplicates possible, loss not).
 */
import { CompressionTypes, Consumer, Kafka, logLevel, Producer } from "kafkajs";
import type { DeadLetter, OutMessage } from "./pipeline";

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
  /** Produces enriched flows and dead letters; resolves when the broker acknowledged all. */
  produce(out: OutMessage[], dead: DeadLetter[]): Promise<void>;
  /** Stops fetching, waits for the in-flight chunk (its offsets get committed), disconnects. */
  stop(): Promise<void>;
  readonly connected: boolean;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  topicRaw: string;
  topicEnriched: string;
  topicDeadLetter: string;
  compression: "gzip" | "none";
  chunkSize: number;
  /** per produce request; keeps a record batch well under the broker's message.max.bytes */
  produceChunk?: number;
  fromBeginning?: boolean;
  onError?: (e: Error) => void;
  onProduceError?: (e: Error) => void;
}

export class KafkajsIO implements KafkaIO {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  connected = false;

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
    // acks=all + idempotent-like single in-flight request keeps per-partition order on retries
    this.producer = this.kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: true, retry: { retries: 1000, initialRetryTime: 300, maxRetryTime: 5000 } });
    this.consumer.on(this.consumer.events.CRASH, (e) => s.onError?.(e.payload.error));
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
      partitionsConsumedConcurrently: 1,
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

  async produce(out: OutMessage[], dead: DeadLetter[]): Promise<void> {
    const compression = this.s.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
    const step = this.s.produceChunk ?? 4000;
    // sequential requests: with maxInFlightRequests=1 a retry cannot reorder an exporter's flows
    for (let i = 0; i < out.length; i += step) {
      try {
        await this.producer.send({ topic: this.s.topicEnriched, acks: -1, compression, messages: out.slice(i, i + step) });
      } catch (e) {
        this.s.onProduceError?.(e as Error);
        throw e;
      }
    }
    if (dead.length > 0) {
      try {
        await this.producer.send({
          topic: this.s.topicDeadLetter,
          acks: -1,
          compression,
          messages: dead.map((d) => ({ key: d.key, value: d.value, headers: { "x-helios-error": d.error, "x-helios-stage": d.stage } })),
        });
      } catch (e) {
        this.s.onProduceError?.(e as Error);
        throw e;
      }
    }
  }

  async stop(): Promise<void> {
    // consumer.disconnect() waits for the running eachBatch (and its commit) to finish
    await this.consumer.disconnect();
    await this.producer.disconnect();
    this.connected = false;
  }
}
