/**
 * Runs the built operator (dist/cli.js `operator`) against a real API server, and stands in for
 * the kubelet: every runner Job the operator creates is executed from the Job object as the
 * API server stored it (image checked, container args and env used verbatim, secretKeyRef env
 * read from the stored Secret) by spawning `dist/cli.js` with those args.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KubeCluster } from "../../../tests/helpers/kube";
import { freePort, waitForPort } from "../../../tests/helpers/net";
import { REPO_ROOT, run } from "../../../tests/helpers/tools";

export const SERVICE_DIR = path.resolve(__dirname, "..");
export const CLI = path.join(SERVICE_DIR, "dist", "cli.js");
export const NAMESPACE = "helios-automation";
export const RUNNER_IMAGE = "registry.helios.test/helios/runbook-operator:test";

let built = false;
export function buildCli(): string {
  if (built) return CLI;
  const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = run(process.execPath, [tsc, "-p", path.join(SERVICE_DIR, "tsconfig.build.json")], { timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`tsc: ${r.stdout}${r.stderr}`);
  built = true;
  return CLI;
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function spawnCli(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

export interface OperatorProc extends Proc {
  url: string;
}

export async function startOperator(cluster: KubeCluster, env: Record<string, string>): Promise<OperatorProc> {
  const port = await freePort();
  const p = spawnCli(["operator"], {
    KUBECONFIG: cluster.kubeconfig,
    POD_NAMESPACE: NAMESPACE,
    RUNNER_IMAGE,
    RUNNER_SERVICE_ACCOUNT: "helios-runbook-runner",
    HTTP_PORT: String(port),
    HTTP_HOST: "127.0.0.1",
    RESYNC_MS: "1000",
    LEASE_SECONDS: "4",
    ...env,
  });
  await waitForPort(port, 30_000, () => p.child.exitCode === null).catch((e) => {
    throw new Error(`operator did not start: ${e}\n${p.output()}`);
  });
  return { ...p, url: `http://127.0.0.1:${port}` };
}

/** The kubelet stand-in: executes each runner Job once, from its stored spec. */
export class JobRunner {
  private readonly seen = new Set<string>();
  private timer?: NodeJS.Timeout;
  readonly runs = new Map<string, Promise<{ code: number | null; output: string }>>();
  readonly procs = new Map<string, Proc>();

  constructor(
    private readonly cluster: KubeCluster,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  /** The env a kubelet would give the runner container: literals and secretKeyRefs resolved. */
  containerEnv(job: any): Record<string, string> {
    const c = job.spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        const s = this.cluster.kubectl(["get", "secret", e.valueFrom.secretKeyRef.name, "-n", job.metadata.namespace, "-o", "json"]);
        if (s.status !== 0) throw new Error(`secret ${e.valueFrom.secretKeyRef.name}: ${s.stderr}`);
        env[e.name] = Buffer.from(JSON.parse(s.stdout).data[e.valueFrom.secretKeyRef.key], "base64").toString("utf8");
      }
    }
    return env;
  }

  /** Starts the Job's container as stored; resolves with its exit code and output. */
  start(job: any): Proc {
    const c = job.spec.template.spec.containers[0];
    if (c.image !== RUNNER_IMAGE) throw new Error(`runner Job uses image ${c.image}, not the operator's ${RUNNER_IMAGE}`);
    if (c.command) throw new Error("runner Job overrides the entrypoint");
    const p = spawnCli(c.args, { ...this.containerEnv(job), KUBECONFIG: this.cluster.kubeconfig, HOSTNAME: `${job.metadata.name}-pod`, ...this.extraEnv });
    this.procs.set(job.metadata.name, p);
    this.runs.set(job.metadata.name, new Promise((resolve) => p.child.on("exit", (code) => resolve({ code, output: p.output() }))));
    return p;
  }

  auto(filter: (job: any) => boolean = () => true): void {
    this.timer = setInterval(() => {
      const r = this.cluster.kubectl(["get", "jobs", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=runbook-runner", "-o", "json"]);
      if (r.status !== 0) return;
      for (const job of JSON.parse(r.stdout).items) {
        if (this.seen.has(job.metadata.uid) || !filter(job)) continue;
        this.seen.add(job.metadata.uid);
        this.start(job);
      }
    }, 300);
  }

  markSeen(uid: string): void {
    this.seen.add(uid);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const p of this.procs.values()) await p.stop();
  }
}

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function writeTemp(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "helios-rbo-")), name);
  fs.writeFileSync(file, text);
  return file;
}
