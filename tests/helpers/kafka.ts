/**
 * A real single-node Apache Kafka broker (KRaft, combined broker+controller) on loopback,
 * from the classpath install-tools.sh resolves from Maven Central.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort, waitForPort } from "./net";
import { PodNetns, PodNetwork, waitForPortInPod } from "./pod-network";
import { pinnedVersion, run, tempDir, TOOLS_DIR, venvPython } from "./tools";

export interface KafkaBroker {
  /** "127.0.0.1:port" for clients. */
  bootstrap: string;
  port: number;
  dataDir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after 15 s). */
  stop(): Promise<void>;
  /** Stops and starts the broker again on the same port and data (broker-restart tests). */
  restart(): Promise<void>;
}

export function kafkaClasspath(): string {
  const libs = path.join(TOOLS_DIR, `kafka-${pinnedVersion("HELIOS_KAFKA_VERSION")}`, "libs");
  if (!fs.existsSync(libs)) {
    throw new Error(`Kafka is not installed at ${libs}; run: bash scripts/test-infra/install-tools.sh kafka`);
  }
  return `${libs}/*`;
}

/** A log4j2 config that keeps a test broker's log to warnings (its path, written into `dir`). */
export function writeKafkaLog4j(dir: string): string {
  const log4j = path.join(dir, "log4j2.yaml");
  fs.writeFileSync(
    log4j,
    "Configuration:\n  Appenders:\n    Console:\n      name: STDOUT\n      PatternLayout:\n        pattern: \"[%d] %p %m (%c)%n\"\n  Loggers:\n    Root:\n      level: WARN\n      AppenderRef:\n        - ref: STDOUT\n",
  );
  return log4j;
}

/** A fresh KRaft cluster id (Kafka's StorageTool). */
export function newKafkaClusterId(): string {
  return run("java", ["-cp", kafkaClasspath(), "kafka.tools.StorageTool", "random-uuid"]).stdout.trim();
}

/** Formats the log directories a server.properties names, for `clusterId` (Kafka's StorageTool). */
export function formatKafkaStorage(clusterId: string, props: string): void {
  const fmt = run("java", ["-cp", kafkaClasspath(), "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props]);
  if (fmt.status !== 0) throw new Error(`kafka storage format failed: ${fmt.stderr || fmt.stdout}`);
}

export interface StartKafkaOptions {
  partitions?: number;
  heap?: string;
  /**
   * Run inside a pod network namespace (tests/helpers/pod-network.ts) as the broker a stored Kafka
   * custom resource describes: listening on all of the pod's addresses on `port`, advertised as
   * `advertisedHost` (the bootstrap Service name clients are configured with).
   */
  pod?: { netns: PodNetns; port: number; advertisedHost: string };
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const classpath = kafkaClasspath();
  const [port, controllerPort] = opts.pod ? [opts.pod.port, opts.pod.port + 1] : [await freePort(), await freePort()];
  const listenHost = opts.pod ? "0.0.0.0" : "127.0.0.1";
  const advertisedHost = opts.pod?.advertisedHost ?? "127.0.0.1";
  const dir = tempDir("kafka");
  const dataDir = path.join(dir, "data");
  const props = path.join(dir, "server.properties");
  fs.writeFileSync(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://${listenHost}:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${advertisedHost}:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${dataDir}`,
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=4",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      `num.partitions=${opts.partitions ?? 1}`,
      "auto.create.topics.enable=true",
      "message.max.bytes=4194304",
      "",
    ].join("\n"),
  );
  const log4j = writeKafkaLog4j(dir);
  formatKafkaStorage(newKafkaClusterId(), props);

  const logFile = path.join(dir, "broker.log");
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const out = fs.openSync(logFile, "a");
    const java = ["java", `-Xmx${opts.heap ?? "768m"}`, `-Dlog4j2.configurationFile=${log4j}`, "-cp", classpath, "kafka.Kafka", props];
    const argv = opts.pod ? [...PodNetwork.exec(opts.pod.netns), ...java] : java;
    proc = spawn(argv[0], argv.slice(1), { stdio: ["ignore", out, out] });
    const p = proc;
    try {
      if (opts.pod) await waitForPortInPod(opts.pod.netns, "127.0.0.1", port, 90_000, () => p.exitCode === null);
      else await waitForPort(port, 90_000, () => p.exitCode === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${fs.readFileSync(logFile, "utf8").slice(-4000)}`);
    }
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    bootstrap: `${advertisedHost}:${port}`,
    port,
    dataDir,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

export interface RdkafkaMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Reads `count` messages of a topic from the beginning with librdkafka (confluent-kafka, the
 * client inside ClickHouse's Kafka engine): proves ClickHouse's client can read what we produced,
 * compression included. Throws with librdkafka's own error otherwise.
 */
export function readTopicWithLibrdkafka(bootstrap: string, topic: string, count: number, timeoutMs = 120_000): RdkafkaMessage[] {
  const script = path.join(__dirname, "rdkafka_read.py");
  const r = run(venvPython(), [script, bootstrap, topic, String(count), String(timeoutMs / 1000)], { timeoutMs: timeoutMs + 30_000 });
  if (r.status !== 0) throw new Error(`librdkafka could not read ${topic} (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const m = JSON.parse(line) as { partition: number; offset: number; key: string | null; value: string; headers: Record<string, string> };
      return { ...m, key: m.key === null ? null : Buffer.from(m.key, "hex"), value: Buffer.from(m.value, "base64") };
    });
}

/**
 * The compression codecs of the record batches stored for a topic on this broker's disk, read
 * with Kafka's own DumpLogSegments: shows what a producer really sent, not what it was asked to.
 */
export function storedBatchCodecs(broker: KafkaBroker, topic: string): Set<string> {
  const codecs = new Set<string>();
  const dirs = fs.readdirSync(broker.dataDir).filter((d) => d.startsWith(`${topic}-`) && /-\d+$/.test(d));
  for (const d of dirs) {
    const logs = fs.readdirSync(path.join(broker.dataDir, d)).filter((f) => f.endsWith(".log"));
    for (const f of logs) {
      const r = run("java", ["-cp", kafkaClasspath(), "org.apache.kafka.tools.DumpLogSegments", "--files", path.join(broker.dataDir, d, f)], { timeoutMs: 120_000 });
      if (r.status !== 0) throw new Error(`DumpLogSegments failed on ${d}/${f}: ${r.stderr.trim()}`);
      for (const m of r.stdout.matchAll(/compresscodec: (\w+)/g)) codecs.add(m[1].toLowerCase());
    }
  }
  return codecs;
}
