/**
 * Real processes for the end-to-end tests: goflow2 v2 (collector → Kafka), the enricher itself
 * (src/main.ts as a child process, so SIGTERM and start-up errors are the real thing), and
 * Kafka topic helpers. Everything listens on 127.0.0.1 and is stopped by the tests.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Kafka, logLevel } from "kafkajs";
import { localGoflow2Args, renderedGoflow2 } from "../../../../tests/helpers/goflow2";
import { freePort, waitForPort } from "../../../../tests/helpers/net";
import { NODE_FLAGS } from "../../src/node-flags";
import { tempDir, tool } from "../../../../tests/helpers/tools";

export const SERVICE_DIR = path.resolve(__dirname, "..", "..");
export const REPO = path.resolve(SERVICE_DIR, "..", "..");

export interface Proc {
  proc: ChildProcess;
  log: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv, name: string, cwd?: string): Proc {
  const log = path.join(tempDir(name), `${name}.log`);
  const fd = fs.openSync(log, "a");
  const proc = spawn(cmd, args, { env, cwd, stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    log,
    exited,
    output: () => fs.readFileSync(log, "utf8"),
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface Goflow2 extends Proc {
  netflowPort: number;
  sflowPort: number;
  httpPort: number;
}

/**
 * Starts goflow2 with the args and mapping file the plan renders for `tier` (tests/helpers/goflow2.ts):
 * only listeners, metrics address, brokers and the mapping path are made local.
 */
export async function startGoflow2(bootstrap: string, tier = "small"): Promise<Goflow2> {
  const [nf, sf, http] = [await freePort(), await freePort(), await freePort()];
  const args = localGoflow2Args(await renderedGoflow2(tier), { bootstrap, netflowPort: nf, sflowPort: sf, httpPort: http });
  const p = launch(tool("goflow2"), args, process.env, "goflow2");
  await waitForPort(http, 30_000, () => p.proc.exitCode === null);
  return { ...p, netflowPort: nf, sflowPort: sf, httpPort: http };
}

export interface Enricher extends Proc {
  httpPort: number;
}

/**
 * Starts src/main.ts in its own node process with the image's V8 flags (src/node-flags.ts);
 * one process, so `nodeArgs` such as --cpu-prof apply to it.
 */
export async function startEnricher(env: Record<string, string>, nodeArgs: string[] = []): Promise<Enricher> {
  const httpPort = await freePort();
  const p = launch(
    process.execPath,
    [...NODE_FLAGS, ...nodeArgs, "--import", "tsx", path.join(SERVICE_DIR, "src", "main.ts")],
    { PATH: process.env.PATH, HTTP_HOST: "127.0.0.1", HTTP_PORT: String(httpPort), LOG_LEVEL: "info", ...env },
    "flow-enricher",
    SERVICE_DIR,
  );
  return { ...p, httpPort };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export function kafka(bootstrap: string): Kafka {
  return new Kafka({ clientId: "helios-fe-test", brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
}

export async function createTopics(bootstrap: string, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  // right after start-up the broker can answer metadata before it lists itself (kafkajs then
  // throws KafkaJSBrokerNotFound "Broker -1"): seen once in a full run; retried, not ignored
  for (let attempt = 1; ; attempt++) {
    const admin = kafka(bootstrap).admin();
    try {
      await admin.connect();
      await admin.createTopics({ topics, waitForLeaders: true });
      return;
    } catch (e) {
      if ((e as Error).name !== "KafkaJSBrokerNotFound" || attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await admin.disconnect();
    }
  }
}

/** Number of messages in a topic (sum of high watermarks; topics here start at offset 0). */
export async function topicCount(bootstrap: string, topic: string): Promise<number> {
  const admin = kafka(bootstrap).admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((n, o) => n + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  partition: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `count` messages arrived. */
export async function readTopic(bootstrap: string, topic: string, count: number, timeoutMs = 120_000): Promise<ReadMessage[]> {
  const c = kafka(bootstrap).consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` });
  const got: ReadMessage[] = [];
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await c.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      got.push({ partition, key: message.key, value: message.value ?? Buffer.alloc(0), headers });
      if (got.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await c.disconnect();
  if (got.length < count) throw new Error(`read ${got.length} of ${count} messages from ${topic} within ${timeoutMs} ms`);
  return got;
}
