// Smoke test of the Maven Central route: a real KRaft broker, produce and consume with a Node client.
import { Kafka, logLevel } from "kafkajs";
import { KafkaBroker, startKafka } from "../helpers/kafka";

describe("Apache Kafka single-node KRaft (Maven Central)", () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("round-trips a keyed message through a consumer group", async () => {
    const kafka = new Kafka({ clientId: "helios-smoke", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "helios-smoke", numPartitions: 3 }], waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: ["helios-smoke"] });
    expect(meta.topics[0].partitions).toHaveLength(3);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "helios-smoke", messages: [{ key: "leaf1", value: "flow-1" }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: "helios-smoke" });
    await consumer.connect();
    await consumer.subscribe({ topic: "helios-smoke", fromBeginning: true });
    const received = await new Promise<{ key: string; value: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key: "leaf1", value: "flow-1" });
  });
});
