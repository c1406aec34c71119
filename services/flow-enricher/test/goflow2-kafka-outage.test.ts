/**
 * Spec edge case "Kafka temporarily unavailable": real goflow2 v2.2.6 keeps receiving NetFlow
 * while the real Kafka broker it publishes to is stopped and started again, and resumes
 * publishing without a restart of its own. A single broker: no tier renders one any more (small
 * runs three, goflow2-kafka-roll.test.ts); this test documents what goflow2 loses when no broker
 * at all takes writes (a whole-cluster outage), since it holds flows only for sarama's retry
 * budget. Flows are NetFlow v5 datagrams we write (one flow id per record, carried in the source
 * address), sent at a steady rate before, during and after the outage; the raw topic is read back
 * and decoded with proto/flow.proto.
 */
import * as dgram from "dgram";
import { KafkaBroker, startKafka } from "../../../tests/helpers/kafka";
import { netflowV5, rawFlowIdCounts } from "./helpers/netflow-ids";
import { Goflow2, createTopics, startGoflow2, waitFor } from "./helpers/stack";

const RAW = "helios-flows-raw";
const RECORDS_PER_PACKET = 10;

/** Flow ids goflow2 wrote to the raw topic. */
async function rawFlowIds(bootstrap: string): Promise<Set<number>> {
  return new Set((await rawFlowIdCounts(bootstrap, RAW)).keys());
}

describe("goflow2 → Kafka: the broker goes away and comes back", () => {
  let broker: KafkaBroker;
  let goflow: Goflow2;
  const socket = dgram.createSocket("udp4");

  beforeAll(async () => {
    broker = await startKafka({ partitions: 2 });
    await createTopics(broker.bootstrap, [{ topic: RAW, numPartitions: 2 }]);
    goflow = await startGoflow2(broker.bootstrap);
  }, 180_000);
  afterAll(async () => {
    socket.close();
    await goflow?.stop();
    await broker?.stop();
  });

  it("keeps running through the outage and publishes again without a restart", async () => {
    let next = 0;
    let sequence = 0;
    const sendBatch = () =>
      new Promise<void>((resolve, reject) => {
        socket.send(netflowV5(next, RECORDS_PER_PACKET, sequence++), goflow.netflowPort, "127.0.0.1", (e) => (e ? reject(e) : resolve()));
        next += RECORDS_PER_PACKET;
      });
    const sendFor = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await sendBatch();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const t0 = Date.now();
    await sendFor(5000);
    const beforeOutage = next;
    // the outage: stop, then start on the same port and data, while flows keep coming
    let restarting = true;
    const restart = broker.restart().finally(() => (restarting = false));
    while (restarting) await sendFor(200);
    await restart;
    const outage = { from: beforeOutage, to: next, seconds: (Date.now() - t0) / 1000 - 5 };
    await sendFor(12_000);
    const total = next;
    expect(goflow.proc.exitCode).toBeNull();

    // everything sent well after the broker came back arrives (goflow2 reconnected on its own)
    // (from ~5 s after the restart returned: the broker's own start-up and goflow2's metadata refresh)
    const afterFrom = outage.to + RECORDS_PER_PACKET * 100;
    const ids = await waitFor(
      "goflow2 to publish the flows sent after the outage",
      async () => {
        const got = await rawFlowIds(broker.bootstrap);
        for (let id = afterFrom; id < total; id++) if (!got.has(id)) return undefined;
        return got;
      },
      60_000,
      2000,
    );
    const before = [...ids].filter((id) => id < outage.from).length;
    const during = [...ids].filter((id) => id >= outage.from && id < outage.to).length;
    const after = [...ids].filter((id) => id >= outage.to).length;
    process.stderr.write(
      `[goflow2 outage] before: ${before}/${outage.from}, during the ${outage.seconds.toFixed(1)} s outage: ${during}/${outage.to - outage.from}, after: ${after}/${total - outage.to}\n`,
    );
    expect(before).toBe(outage.from); // published before the outage stays published
    expect(goflow.proc.exitCode).toBeNull();
  }, 240_000);
});
