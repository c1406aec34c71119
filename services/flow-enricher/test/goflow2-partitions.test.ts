/**
 * The raw topic is keyed by exporter: real goflow2 v2.2.6, started with the args and mapping file
 * the plan renders for the small tier, publishes to a real Kafka topic with the small tier's raw
 * partition count. N exporters (distinct source addresses on loopback) each send NetFlow v5;
 * every exporter's flows must land on exactly one partition, with a non-empty key, and the
 * exporters must spread over every partition.
 */
import * as dgram from "dgram";
import { TIERS } from "../../../components/tiers";
import { KafkaBroker, startKafka } from "../../../tests/helpers/kafka";
import { netflowV5 } from "./helpers/datagrams";
import { FlowMessage } from "./helpers/proto";
import { Goflow2, createTopics, readTopic, startGoflow2, topicCount, waitFor } from "./helpers/stack";

const RAW = "helios-flows-raw";
const EXPORTERS = 48;
const FLOWS_PER_EXPORTER = 5;
const PARTITIONS = TIERS.small.kafka.rawPartitions;

describe("goflow2 → Kafka: the raw topic is keyed by exporter", () => {
  let broker: KafkaBroker;
  let goflow: Goflow2;

  beforeAll(async () => {
    broker = await startKafka();
    await createTopics(broker.bootstrap, [{ topic: RAW, numPartitions: PARTITIONS }]);
    goflow = await startGoflow2(broker.bootstrap, "small");
  }, 180_000);
  afterAll(async () => {
    await goflow?.stop();
    await broker?.stop();
  });

  it(`puts each of ${EXPORTERS} exporters on exactly one of ${PARTITIONS} partitions, and uses every partition`, async () => {
    const now = Math.floor(Date.now() / 1000);
    for (let e = 1; e <= EXPORTERS; e++) {
      const sock = dgram.createSocket("udp4");
      await new Promise<void>((r) => sock.bind(0, `127.0.1.${e}`, () => r()));
      const recs = Array.from({ length: FLOWS_PER_EXPORTER }, (_, i) => ({ src: `10.0.${e}.${i + 1}`, dst: "203.0.113.1", inIf: 1, outIf: 2, packets: 1, bytes: 100, first: 99_000, last: 99_500, sport: 40_000 + i, dport: 443, proto: 6 }));
      await new Promise<void>((res, rej) => sock.send(netflowV5({ unixSecs: now, uptimeMs: 100_000, sequence: e }, recs), goflow.netflowPort, "127.0.0.1", (err) => (err ? rej(err) : res())));
      sock.close();
    }
    const expected = EXPORTERS * FLOWS_PER_EXPORTER;
    await waitFor("all flows on the raw topic", async () => (await topicCount(broker.bootstrap, RAW)) >= expected, 60_000, 1000);
    const messages = await readTopic(broker.bootstrap, RAW, expected);

    const partitionsOf = new Map<string, Set<number>>();
    const keysOf = new Map<string, Set<string>>();
    const perPartition = new Array<number>(PARTITIONS).fill(0);
    const exportersPerPartition = new Array<Set<string>>(PARTITIONS).fill(new Set()).map(() => new Set<string>());
    for (const m of messages) {
      const f = FlowMessage.toObject(FlowMessage.decodeDelimited(m.value), { bytes: Buffer }) as { samplerAddress: Buffer };
      const exporter = [...f.samplerAddress].join(".");
      if (!partitionsOf.has(exporter)) partitionsOf.set(exporter, new Set());
      if (!keysOf.has(exporter)) keysOf.set(exporter, new Set());
      partitionsOf.get(exporter)!.add(m.partition);
      expect(m.key).not.toBeNull();
      expect(m.key!.length).toBeGreaterThan(0);
      keysOf.get(exporter)!.add(m.key!.toString("hex"));
      perPartition[m.partition]++;
      exportersPerPartition[m.partition].add(exporter);
    }
    process.stderr.write(
      `[partitions] ${EXPORTERS} exporters, ${messages.length} flows over ${PARTITIONS} partitions: ` +
        perPartition.map((n, p) => `p${p}=${n} flows/${exportersPerPartition[p].size} exporters`).join(", ") +
        "\n",
    );
    expect(partitionsOf.size).toBe(EXPORTERS);
    for (const [exporter, parts] of partitionsOf) {
      expect({ exporter, partitions: [...parts] }).toEqual({ exporter, partitions: [expect.any(Number)] });
      expect(keysOf.get(exporter)!.size).toBe(1);
    }
    // distinct exporters get distinct keys (a shared empty key was the bug)
    expect(new Set([...keysOf.values()].map((s) => [...s][0])).size).toBe(EXPORTERS);
    expect(perPartition.every((n) => n > 0)).toBe(true);
  }, 180_000);
});
