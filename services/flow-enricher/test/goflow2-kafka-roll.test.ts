/**
 * Issue 12, "nothing lost in a broker restart at any tier", at the small tier as rendered: the
 * Kafka nodes, roles and broker config of the small tier's KafkaNodePool and Kafka resource, the
 * raw topic's partitions, replicas and config from its KafkaTopic (tests/helpers/kafka-rendered.ts),
 * and goflow2 v2.2.6 with the args and mapping the small tier renders. While goflow2 receives
 * numbered NetFlow v5 flows at a steady rate, every Kafka node is restarted in turn as Strimzi's
 * rolling update does (stop only when every partition is fully in sync, stay down, start), then
 * leadership goes back to the preferred replicas (what the controller's auto rebalance does within
 * leader.imbalance.check.interval.seconds). Every flow id sent must be read back from the raw
 * topic; duplicates (sarama retries without idempotence) are counted and reported, not lost.
 */
import * as dgram from "dgram";
import { TOPICS } from "../../../components/flows/names";
import { TIERS } from "../../../components/tiers";
import { KafkaTestCluster, startKafkaCluster } from "../../../tests/helpers/kafka-cluster";
import { RenderedKafka, renderedKafka } from "../../../tests/helpers/kafka-rendered";
import { netflowV5, rawFlowIdCounts } from "./helpers/netflow-ids";
import { Goflow2, kafka, startGoflow2, waitFor } from "./helpers/stack";

const TIER = "small";
const RAW = TOPICS.raw;
const RECORDS_PER_PACKET = 25;
const PACKET_EVERY_MS = 50; // 25 × 20/s = 500 flows/s (a tenth of small's 5,000: the test machine is shared)
/** How long each node stays down: a Kafka pod's restart on Kubernetes takes at least this. */
const NODE_DOWN_MS = 10_000;

/** goflow2's Prometheus counters whose name starts with `prefix`, summed over labels. */
async function goflowCounter(g: Goflow2, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

describe(`goflow2 → Kafka at the ${TIER} tier as rendered: a rolling restart of every broker loses nothing`, () => {
  let rendered: RenderedKafka;
  let cluster: KafkaTestCluster;
  let goflow: Goflow2;
  let reader: string;
  const socket = dgram.createSocket("udp4");

  beforeAll(async () => {
    rendered = await renderedKafka(TIER);
    cluster = await startKafkaCluster(rendered);
    reader = `127.0.0.1:${cluster.nodes[0].port}`;
    // what Strimzi's topic operator creates from the rendered KafkaTopic
    const t = rendered.topics[RAW];
    if (!t) throw new Error(`the ${TIER} plan renders no KafkaTopic ${RAW}`);
    const admin = kafka(reader).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: RAW, numPartitions: t.partitions, replicationFactor: t.replicas, configEntries: Object.entries(t.config).map(([name, v]) => ({ name, value: String(v) })) }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    await cluster.waitForFullIsr([RAW]);
    goflow = await startGoflow2(cluster.bootstrap, TIER);
  }, 420_000);
  afterAll(async () => {
    socket.close();
    await goflow?.stop();
    await cluster?.stop();
  });

  it("runs what the small tier renders: dual-role nodes, RF 3, min ISR 2, no unclean election", () => {
    const t = rendered.topics[RAW];
    expect(rendered.pools).toEqual([{ name: "dual-role", replicas: TIERS.small.kafka.brokers, roles: ["controller", "broker"] }]);
    expect(t.replicas).toBe(3);
    expect(Number(t.config["min.insync.replicas"])).toBe(2);
    expect(rendered.brokerConfig["unclean.leader.election.enable"]).toBe(false);
    expect(cluster.nodes).toHaveLength(TIERS.small.kafka.brokers);
  });

  it("every flow sent before, during and after the roll reaches the raw topic", async () => {
    let next = 0;
    let sequence = 0;
    let packets = 0;
    let sending = true;
    const t0 = Date.now();
    const events: string[] = [];
    const note = (e: string) => events.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${e} (flow ${next})`);
    const sender = (async () => {
      while (sending) {
        await new Promise<void>((resolve, reject) => socket.send(netflowV5(next, RECORDS_PER_PACKET, sequence++), goflow.netflowPort, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
        next += RECORDS_PER_PACKET;
        packets++;
        await new Promise((r) => setTimeout(r, PACKET_EVERY_MS));
      }
    })();

    await new Promise((r) => setTimeout(r, 5000));
    await cluster.roll([RAW], { downMs: NODE_DOWN_MS, onEvent: note });
    note("preferred leader election");
    await cluster.preferredLeaderElection();
    note("preferred leaders back");
    await new Promise((r) => setTimeout(r, 10_000));
    sending = false;
    await sender;
    note("sending stopped");
    const total = next;
    const seconds = (Date.now() - t0) / 1000;
    expect(goflow.proc.exitCode).toBeNull();

    // goflow2 flushes every -transport.kafka.flushfreq (5 s): wait until the topic holds every id or stops growing
    let counts = new Map<number, number>();
    await waitFor(
      "goflow2 to publish every flow sent",
      async () => {
        const before = counts.size;
        counts = await rawFlowIdCounts(reader, RAW);
        return counts.size >= total || (counts.size === before && counts.size > 0 ? counts : undefined);
      },
      120_000,
      5000,
    ).catch(() => undefined);
    const missing: number[] = [];
    for (let id = 0; id < total; id++) if (!counts.has(id)) missing.push(id);
    const duplicates = [...counts.values()].reduce((n, c) => n + (c - 1), 0);
    const received = await goflowCounter(goflow, "goflow2_flow_traffic_packets_total");
    const dropped = await goflowCounter(goflow, "goflow2_flow_dropped_packets_total");
    const ranges = missing.length === 0 ? "" : `; first missing ids ${missing.slice(0, 10).join(",")}…${missing[missing.length - 1]}`;
    process.stderr.write(
      `[goflow2 roll, ${TIER}] ${cluster.nodes.length} nodes rolled, ${NODE_DOWN_MS / 1000} s down each, over ${seconds.toFixed(1)} s: ` +
        `sent ${total} flows in ${packets} datagrams (goflow2 received ${received}, dropped ${dropped}); ` +
        `in the raw topic ${counts.size} distinct, missing ${missing.length}, duplicates ${duplicates}${ranges}\n  ${events.join("\n  ")}\n`,
    );
    expect(received).toBe(packets); // UDP delivered every datagram, so a missing flow would be Kafka's
    expect(missing).toEqual([]);
    expect(goflow.proc.exitCode).toBeNull();
  }, 600_000);
});
