/** Real Thanos (built from its Go module) and real TSDB blocks for the storage engine tests. */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { SynthResult } from "../../scripts/lib/synthesize";
import { MinioServer, revealSecrets } from "./minio";
import { freePort, waitForPort } from "./net";
import { ofType } from "./stacks";
import { run, tempDir, tool } from "./tools";

/** The objstore.yml the plan put in the Thanos objstore Secret. */
export function plannedObjstore(plan: SynthResult): { type: string; config: Record<string, unknown> } {
  const secret = ofType(plan, "kubernetes:core/v1:Secret").find((s) => s.kubernetesName === "helios-thanos-objstore")!;
  return YAML.parse(revealSecrets<Record<string, string>>(secret.inputs.stringData)["objstore.yml"]);
}

/** Points the planned config at the loopback server, keeping every other setting. */
export function onLoopback(planned: ReturnType<typeof plannedObjstore>, server: MinioServer, accessKey: string, secretKey: string): string {
  const file = path.join(tempDir("objstore"), "objstore.yml");
  const config = { ...planned.config, endpoint: `127.0.0.1:${server.port}`, insecure: true, access_key: accessKey, secret_key: secretKey };
  fs.writeFileSync(file, YAML.stringify({ ...planned, config }));
  return file;
}

export function helmValues(plan: SynthResult, release: string): Record<string, any> {
  return plan.helmReleases.find((h) => h.name === release)!.values;
}

/** Real Prometheus TSDB blocks written by promtool from one gauge series' [value, unix seconds] samples. */
export function makeBlocks(series: string, samples: Array<[number, number]>): string {
  const dir = tempDir("tsdb");
  const input = path.join(dir, "input.om");
  const name = series.replace(/\{.*$/, "");
  const lines = [`# TYPE ${name} gauge`, ...samples.map(([v, t]) => `${series} ${v} ${t}`), "# EOF"];
  fs.writeFileSync(input, lines.join("\n") + "\n");
  const blocks = path.join(dir, "blocks");
  const r = run(tool("promtool"), ["tsdb", "create-blocks-from", "openmetrics", input, blocks]);
  if (r.status !== 0) throw new Error(`promtool failed: ${r.stderr}`);
  return blocks;
}

export function thanosTool(args: string[]) {
  return run(tool("thanos"), ["tools", "bucket", ...args], { timeoutMs: 120_000 });
}

export interface ThanosProcess {
  http: number;
  grpc: number;
  log(): string;
  stop(): Promise<void>;
}

/** Starts a Thanos component on loopback ports and waits for /-/ready. */
export async function startThanos(args: string[]): Promise<ThanosProcess> {
  const http = await freePort();
  const grpc = await freePort();
  let log = "";
  const child: ChildProcess = spawn(tool("thanos"), [...args, `--http-address=127.0.0.1:${http}`, `--grpc-address=127.0.0.1:${grpc}`], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await gone;
  };
  try {
    await waitForPort(http, 60_000, () => !exited);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://127.0.0.1:${http}/-/ready`).then((r) => r.status === 200, () => false);
      if (ok) return { http, grpc, log: () => log, stop };
      if (exited) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    await stop();
    throw new Error(`thanos ${args[0]} did not start: ${(e as Error).message}\n${excerpt(log)}`);
  }
  await stop();
  throw new Error(`thanos ${args[0]} never became ready:\n${excerpt(log)}`);
}

/** The start of a log (where a panic says why) and its end. */
function excerpt(log: string): string {
  return log.length <= 5000 ? log : `${log.slice(0, 3000)}\n[…]\n${log.slice(-2000)}`;
}
