/**
 * Runs the built operator (dist/cli.js `operator`) against a real API server, and stands in for
 * the kubelet: every runner Job the operator creates is executed from the Job object as the
 * API server stored it (image checked, container args and env used verbatim, secretKeyRef env
 * read from the stored Secret) by spawning `dist/cli.js` with those args.
 */
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { KubeCluster } from "../../../tests/helpers/kube";
import { runPodToCompletion } from "../../../tests/helpers/pod-runner";
import { PodNetwork } from "../../../tests/helpers/pod-network";
import { SCRIPT_COMPONENT } from "../src/script";
import { freePort, waitForPort } from "../../../tests/helpers/net";
import { REPO_ROOT, run, tool } from "../../../tests/helpers/tools";

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

/** The node name the pod runner reports (tests/helpers/pod-runner.ts uses it for spec.nodeName). */
const NODE = "pod-runner";

/**
 * What a Job controller and a kubelet do for script Jobs, which this machine has neither of:
 * for each script Job the runner creates, a Pod is created from the Job's template (labels
 * batch.kubernetes.io/job-name, owner reference, bound to a Node), its container is run to
 * completion by the project's pod runner (runPodToCompletion: the image's executables from
 * tests/helpers/images.ts, its command and args as stored, in its own network namespace, as
 * its runAsUser with no_new_privs and no capabilities), and its status (phase, exit code) is
 * written back. Its log is served on the Node's kubelet endpoint, so the runner reads it through
 * the real API server's pods/log, as in a cluster. The Job's own status is not written (the
 * runner does not read it for a pod that ran).
 */
export class ScriptKubelet {
  private readonly seen = new Set<string>();
  private readonly logs = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private server?: https.Server;
  private network?: PodNetwork;
  private busy = false;
  readonly pods: { job: any; pod: string; argv: string[]; exitCode: number | null }[] = [];
  /** Failures of the stand-in itself (a test checks it stayed empty). */
  readonly errors: string[] = [];

  constructor(private readonly cluster: KubeCluster) {}

  private kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(tool("kubectl"), ["--kubeconfig", this.cluster.kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  async start(): Promise<void> {
    const pki = path.join(this.cluster.stateDir, "pki");
    // The API server does not verify kubelet certificates unless told to; any certificate serves.
    this.server = https.createServer({ cert: fs.readFileSync(path.join(pki, "apiserver.crt")), key: fs.readFileSync(path.join(pki, "apiserver.key")) }, (req, res) => {
      const u = new URL(req.url ?? "/", "https://kubelet");
      const m = u.pathname.match(/^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/);
      const log = m ? this.logs.get(`${m[1]}/${m[2]}/${m[3]}`) : undefined;
      if (log === undefined) return void res.writeHead(404).end("not found");
      const limit = Number(u.searchParams.get("limitBytes") ?? "0");
      const body = Buffer.from(log);
      res.writeHead(200, { "Content-Type": "text/plain" }).end(limit > 0 ? body.subarray(0, limit) : body);
    });
    const port = await freePort();
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    const node = await this.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: NODE } }));
    if (node.code !== 0) throw new Error(`node: ${node.stderr}`);
    const st = await this.kubectl(["patch", "node", NODE, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } })]);
    if (st.code !== 0) throw new Error(`node status: ${st.stderr}`);
    this.network = new PodNetwork(`rbs${process.pid % 100000}`);
    this.timer = setInterval(() => void this.tick(), 300);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const r = await this.kubectl(["get", "jobs", "-n", NAMESPACE, "-l", `app.kubernetes.io/component=${SCRIPT_COMPONENT}`, "-o", "json"]);
      if (r.code !== 0) return;
      for (const job of JSON.parse(r.stdout).items) {
        if (this.seen.has(job.metadata.uid)) continue;
        this.seen.add(job.metadata.uid);
        this.runJob(job).catch((e) => this.errors.push(`${job.metadata.name}: ${(e as Error).message}`));
      }
    } finally {
      this.busy = false;
    }
  }

  private async runJob(job: any): Promise<void> {
    const name = `${job.metadata.name.slice(0, 57)}-${Math.random().toString(36).slice(2, 7)}`;
    const ns = job.metadata.namespace;
    const tpl = job.spec.template;
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: ns,
        labels: { ...(tpl.metadata?.labels ?? {}), "batch.kubernetes.io/job-name": job.metadata.name, "job-name": job.metadata.name, "batch.kubernetes.io/controller-uid": job.metadata.uid },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...tpl.spec, nodeName: NODE },
    };
    const created = await this.kubectl(["create", "-f", "-"], JSON.stringify(pod));
    if (created.code !== 0) throw new Error(`pod for ${job.metadata.name}: ${created.stderr}`);
    let status: any;
    try {
      const done = await runPodToCompletion(this.cluster, this.network!, { kind: "Job", metadata: job.metadata, spec: job.spec }, { podName: name });
      const containers = done.containers.map((c) => {
        this.logs.set(`${ns}/${name}/${c.name}`, c.log);
        this.pods.push({ job, pod: name, argv: c.argv, exitCode: c.exitCode });
        const exitCode = c.exitCode ?? 137;
        return { name: c.name, image: tpl.spec.containers.find((x: any) => x.name === c.name).image, imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode, reason: c.signal ? "DeadlineExceeded" : exitCode === 0 ? "Completed" : "Error", ...(exitCode !== 0 ? { message: c.log.slice(-2048) } : {}) } } };
      });
      status = { phase: containers.every((c) => c.state.terminated.exitCode === 0) ? "Succeeded" : "Failed", containerStatuses: containers };
    } catch (e) {
      // The pod runner could not start it (e.g. an executable not in the image): as a kubelet's CreateContainerError.
      status = { phase: "Failed", reason: "StartError", message: (e as Error).message.slice(0, 1000), containerStatuses: tpl.spec.containers.map((c: any) => ({ name: c.name, image: c.image, imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 128, reason: "StartError", message: (e as Error).message.slice(0, 1000) } } })) };
      for (const c of tpl.spec.containers) this.logs.set(`${ns}/${name}/${c.name}`, "");
    }
    const patched = await this.kubectl(["patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    if (patched.code !== 0) throw new Error(`pod status for ${name}: ${patched.stderr}`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.server?.close();
    this.network?.destroy();
  }
}
