/**
 * A real multi-node Apache Kafka cluster (KRaft) on loopback, started from a rendered node pool
 * (tests/helpers/kafka-rendered.ts): as many nodes as the pool's replicas, the pool's roles, and the
 * Kafka resource's broker config written into every node's server.properties as Strimzi does.
 * roll() restarts the nodes one at a time the way Strimzi's rolling update does: a node is stopped
 * (SIGTERM, so Kafka's controlled shutdown moves its leaderships first) only once every partition
 * has its full ISR again.
 *
 * Partial: only dual-role pools (every node broker and KRaft voter, the small tier's layout) are
 * started here; a tier with a separate controller pool is refused with an error, not approximated.
 */
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Kafka, logLevel } from "kafkajs";
import { formatKafkaStorage, kafkaClasspath, newKafkaClusterId, writeKafkaLog4j } from "./kafka";
import type { RenderedKafka } from "./kafka-rendered";
import { freePort, waitForPort } from "./net";
import { tempDir } from "./tools";

export interface KafkaNode {
  nodeId: number;
  port: number;
  dataDir: string;
  logFile: string;
  running(): boolean;
  /** SIGTERM (controlled shutdown), SIGKILL after 30 s. */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash, no controlled shutdown. */
  kill(): Promise<void>;
  /** Starts the node on the same ports and data; resolves when its broker listener accepts connections. */
  start(): Promise<void>;
}

export interface KafkaTestCluster {
  /** Every node's broker listener, comma-separated (what the bootstrap Service resolves to). */
  bootstrap: string;
  nodes: KafkaNode[];
  /** Resolves when every partition of `topics` has a leader and all its replicas in the ISR. */
  waitForFullIsr(topics: string[], timeoutMs?: number): Promise<void>;
  /**
   * Strimzi-style roll: for each node in turn, wait for full ISR, stop it, stay down `downMs`
   * (a pod's restart), start it. `onEvent` hears each step with its time.
   */
  roll(topics: string[], opts: { downMs: number; onEvent?: (event: string) => void }): Promise<void>;
  /** Node id → how many partitions of `topic` it leads. */
  leaders(topic: string): Promise<Map<number, number>>;
  /** Moves leadership back to each partition's preferred replica (what the controller's auto rebalance does). */
  preferredLeaderElection(): Promise<void>;
  stop(): Promise<void>;
}

/** The one pool of a rendered Kafka, refused unless it is dual-role (see the header). */
function dualRolePool(k: RenderedKafka): { name: string; replicas: number } {
  const [pool, ...more] = k.pools;
  if (more.length > 0 || !(pool.roles.includes("broker") && pool.roles.includes("controller"))) {
    throw new Error(`startKafkaCluster runs one dual-role node pool; the plan renders ${k.pools.map((p) => `${p.name} [${p.roles.join(",")}]`).join(", ")}`);
  }
  if (!Number.isInteger(pool.replicas) || pool.replicas < 1) throw new Error(`KafkaNodePool ${pool.name}: replicas must be a positive integer, got ${pool.replicas}`);
  return pool;
}

function propValue(key: string, v: unknown): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`Kafka config ${key}: expected a string, number or boolean, got ${JSON.stringify(v)}`);
}

export async function startKafkaCluster(k: RenderedKafka, opts: { heap?: string } = {}): Promise<KafkaTestCluster> {
  const pool = dualRolePool(k);
  const classpath = kafkaClasspath();
  const dir = tempDir("kafka-cluster");
  const log4j = writeKafkaLog4j(dir);
  const ids = Array.from({ length: pool.replicas }, (_, i) => i);
  const ports = await Promise.all(ids.map(async () => ({ broker: await freePort(), controller: await freePort() })));
  const voters = ids.map((i) => `${i}@127.0.0.1:${ports[i].controller}`).join(",");
  const clusterId = newKafkaClusterId();

  const nodes: KafkaNode[] = ids.map((i) => {
    const nodeDir = path.join(dir, `node-${i}`);
    fs.mkdirSync(nodeDir);
    const dataDir = path.join(nodeDir, "data");
    const props = path.join(nodeDir, "server.properties");
    const lines = [
      // what Strimzi generates per node (roles from the pool, listeners, quorum)
      "process.roles=broker,controller",
      `node.id=${i}`,
      `controller.quorum.voters=${voters}`,
      `listeners=PLAINTEXT://127.0.0.1:${ports[i].broker},CONTROLLER://127.0.0.1:${ports[i].controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${ports[i].broker}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${dataDir}`,
      // test speed only: no effect on produce durability
      "offsets.topic.num.partitions=4",
      "group.initial.rebalance.delay.ms=0",
      // the rendered spec.kafka.config, as Strimzi copies it
      ...Object.entries(k.brokerConfig).map(([key, v]) => `${key}=${propValue(key, v)}`),
      "",
    ];
    fs.writeFileSync(props, lines.join("\n"));
    formatKafkaStorage(clusterId, props);
    const logFile = path.join(nodeDir, "node.log");
    let proc: ChildProcess | undefined;
    const running = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    const signal = async (sig: "SIGTERM" | "SIGKILL") => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
      p.kill(sig);
      const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    };
    return {
      nodeId: i,
      port: ports[i].broker,
      dataDir,
      logFile,
      running,
      start: async () => {
        if (running()) return;
        const out = fs.openSync(logFile, "a");
        const p = spawn("java", [`-Xmx${opts.heap ?? "512m"}`, `-Dlog4j2.configurationFile=${log4j}`, "-cp", classpath, "kafka.Kafka", props], { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        proc = p;
        try {
          await waitForPort(ports[i].broker, 120_000, () => p.exitCode === null);
        } catch (e) {
          throw new Error(`Kafka node ${i}: ${(e as Error).message}\n${fs.readFileSync(logFile, "utf8").slice(-4000)}`);
        }
      },
      stop: () => signal("SIGTERM"),
      kill: () => signal("SIGKILL"),
    };
  });
  // voters must meet to elect a leader: start them together
  await Promise.all(nodes.map((n) => n.start()));
  const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(",");

  const admin = () => new Kafka({ clientId: "helios-test-cluster", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } }).admin();

  const waitForFullIsr = async (topics: string[], timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    let okInARow = 0;
    while (Date.now() < deadline) {
      const a = admin();
      try {
        await a.connect();
        const md = await a.fetchTopicMetadata({ topics });
        const short = md.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length).map((p) => `${t.name}-${p.partitionId} isr [${p.isr}] of [${p.replicas}]`));
        last = short.join("; ");
        // twice in a row a second apart: one broker's metadata can lag the controller's
        okInARow = short.length === 0 ? okInARow + 1 : 0;
        if (okInARow >= 2) return;
      } catch (e) {
        last = (e as Error).message;
        okInARow = 0;
      } finally {
        await a.disconnect().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`partitions not fully in sync within ${timeoutMs} ms: ${last}`);
  };

  return {
    bootstrap,
    nodes,
    waitForFullIsr,
    roll: async (topics, { downMs, onEvent }) => {
      for (const n of nodes) {
        await waitForFullIsr(topics);
        onEvent?.(`stop node ${n.nodeId}`);
        await n.stop();
        onEvent?.(`node ${n.nodeId} stopped`);
        await new Promise((r) => setTimeout(r, downMs));
        onEvent?.(`start node ${n.nodeId}`);
        await n.start();
        onEvent?.(`node ${n.nodeId} listening`);
      }
      await waitForFullIsr(topics);
      onEvent?.("roll done, ISR full");
    },
    leaders: async (topic) => {
      const a = admin();
      await a.connect();
      try {
        const md = await a.fetchTopicMetadata({ topics: [topic] });
        const byNode = new Map<number, number>();
        for (const p of md.topics[0].partitions) byNode.set(p.leader, (byNode.get(p.leader) ?? 0) + 1);
        return byNode;
      } finally {
        await a.disconnect();
      }
    },
    preferredLeaderElection: async () => {
      // asynchronous: a test's sender keeps its rate while the election runs
      const r = await new Promise<{ status: number | null; out: string }>((resolve) =>
        execFile("java", ["-cp", classpath, "org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server", bootstrap, "--election-type", "preferred", "--all-topic-partitions"], { timeout: 120_000 }, (e, stdout, stderr) =>
          resolve({ status: e ? ((e as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
        ),
      );
      // "Valid replica already elected" for partitions already on their preferred leader is not a failure
      if (r.status !== 0 && !/already elected|Successfully completed/.test(r.out)) throw new Error(`preferred leader election failed: ${r.out}`);
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
