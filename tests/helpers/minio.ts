/**
 * Real MinIO servers for the storage tests: loopback only, random ports, temp data dirs,
 * stopped by the tests (afterAll → stop()). `mc` runs with a private config dir.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort, waitForPort } from "./net";
import { SynthResult } from "../../scripts/lib/synthesize";
import { ofType } from "./stacks";
import { RunResult, run, tempDir, tool } from "./tools";

export interface MinioServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  rootUser: string;
  rootPassword: string;
  /** mc alias of this server in `mcConfigDir`. */
  alias: string;
  mcConfigDir: string;
  /** Runs mc against this server's alias (throws on failure unless `allowFail`). */
  mc(args: string[], opts?: { allowFail?: boolean; input?: string }): RunResult;
  stop(): Promise<void>;
}

export interface StartMinioOptions {
  /** Site region (MINIO_SITE_REGION); AWS-style configs sign for their region. */
  region?: string;
  /** Enable SSE-S3 with a static KMS key (MINIO_KMS_SECRET_KEY). */
  kms?: boolean;
  alias?: string;
}

export async function startMinio(opts: StartMinioOptions = {}): Promise<MinioServer> {
  const port = await freePort();
  const consolePort = await freePort();
  const dataDir = tempDir("minio-data");
  const mcConfigDir = tempDir("mc-config");
  const rootUser = "helios-test-root";
  const rootPassword = "helios-test-root-password";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MINIO_ROOT_USER: rootUser,
    MINIO_ROOT_PASSWORD: rootPassword,
    MINIO_BROWSER: "off",
    MINIO_UPDATE: "off",
  };
  if (opts.region) env.MINIO_SITE_REGION = opts.region;
  if (opts.kms) env.MINIO_KMS_SECRET_KEY = `helios-test-key:${Buffer.alloc(32, 7).toString("base64")}`;
  const logFile = path.join(dataDir, "..", `${path.basename(dataDir)}.log`);
  const log = fs.openSync(logFile, "w");
  const child: ChildProcess = spawn(tool("minio"), ["server", "--quiet", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, dataDir], {
    env,
    stdio: ["ignore", log, log],
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  try {
    await waitForPort(port, 60_000, () => !exited);
  } catch (e) {
    throw new Error(`minio did not start: ${(e as Error).message}\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
  }
  const alias = opts.alias ?? "srv";
  const url = `http://127.0.0.1:${port}`;
  const mc = (args: string[], o: { allowFail?: boolean; input?: string } = {}): RunResult => {
    const r = run(tool("mc"), ["--no-color", ...args], { env: { ...process.env, MC_CONFIG_DIR: mcConfigDir }, input: o.input });
    if (r.status !== 0 && !o.allowFail) throw new Error(`mc ${args.join(" ")} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
    return r;
  };
  // The S3 port may accept connections a moment before IAM is ready: retry the alias.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = mc(["alias", "set", alias, url, rootUser, rootPassword], { allowFail: true });
    if (r.status === 0 && mc(["ready", alias], { allowFail: true }).status === 0) break;
    if (Date.now() > deadline) throw new Error(`minio at ${url} never became ready: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 300));
  }
  return {
    url,
    port,
    rootUser,
    rootPassword,
    alias,
    mcConfigDir,
    mc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

/** Creates a user with an IAM policy document on a MinIO server (as the program's resources would). */
export function createUserWithPolicy(server: MinioServer, user: string, secret: string, policyName: string, policyJson: string): void {
  const file = path.join(tempDir("policy"), `${policyName}.json`);
  fs.writeFileSync(file, policyJson);
  server.mc(["admin", "policy", "create", server.alias, policyName, file]);
  server.mc(["admin", "user", "add", server.alias, user, secret]);
  server.mc(["admin", "policy", "attach", server.alias, policyName, "--user", user]);
}

/** Pulumi's marker for a secret value in serialized inputs (the plan records inputs as the engine sees them). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps secret markers in planned resource inputs, so tests can read what would be applied. */
export function revealSecrets<T = any>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => revealSecrets(v)) as T;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (SECRET_SIG in o) return revealSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revealSecrets(v)])) as T;
  }
  return value as T;
}

export interface PlannedJob {
  script: string;
  env: Record<string, string>;
}

/** The mc Job a plan emits: its script and environment (secret env resolved from its Secret). */
export function plannedJob(plan: SynthResult, name: string): PlannedJob {
  const job = ofType(plan, "kubernetes:batch/v1:Job").find((j) => j.kubernetesName === name);
  if (!job) throw new Error(`${plan.stack} plans no Job ${name}`);
  const container = job.inputs.spec.template.spec.containers[0];
  const secret = revealSecrets<Record<string, string>>(ofType(plan, "kubernetes:core/v1:Secret").find((s) => s.kubernetesName === `${name}-env`)!.inputs.stringData);
  const env: Record<string, string> = {};
  for (const e of container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }[]) {
    env[e.name] = e.value ?? secret[e.valueFrom!.secretKeyRef.key];
  }
  if (container.command[0] !== "/bin/sh" || container.command[1] !== "-c") throw new Error(`${name}: unexpected command ${container.command}`);
  return { script: container.command[2], env };
}

/** Runs a planned mc script with its env, endpoints/credentials swapped for the loopback servers'. */
export function runPlannedScript(job: PlannedJob, overrides: Record<string, string>) {
  const mcConfigDir = tempDir("mc-job");
  const env = { ...job.env, ...overrides, MC_CONFIG_DIR: mcConfigDir, PATH: `${path.dirname(tool("mc"))}:${process.env.PATH}`, HOME: mcConfigDir };
  return run("sh", ["-c", job.script], { env });
}


/** Creates the bucket, versioning and replication user a plan declares on a real server; returns the user's secret. */
export function applyPlannedMinio(plan: SynthResult, server: MinioServer): { bucket: string; replicationUser: string; replicationSecret: string } {
  const bucket = ofType(plan, "minio:index/s3Bucket:S3Bucket")[0].inputs.bucket as string;
  server.mc(["mb", `${server.alias}/${bucket}`]);
  const versioning = ofType(plan, "minio:index/s3BucketVersioning:S3BucketVersioning")[0].inputs.versioningConfiguration.status;
  if (versioning === "Enabled") server.mc(["version", "enable", `${server.alias}/${bucket}`]);
  const user = ofType(plan, "minio:index/iamUser:IamUser").find((u) => u.inputs.name === "helios-replication")!;
  const policy = ofType(plan, "minio:index/iamPolicy:IamPolicy").find((p) => p.inputs.name === "helios-replication")!;
  // The plan cannot know the generated password; the test makes its own.
  const secret = `repl-${plan.stack}-0123456789abcdef`;
  createUserWithPolicy(server, user.inputs.name, secret, policy.inputs.name, policy.inputs.policy);
  return { bucket, replicationUser: user.inputs.name, replicationSecret: secret };
}

