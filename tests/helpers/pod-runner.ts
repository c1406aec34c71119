/**
 * The pod runner: no kubelet runs here, so this starts a pod's containers from the workload object
 * as the API server stored it after `pulumi up`: exactly its command and args (or the image's
 * entrypoint and cmd, tests/helpers/images.ts), its env with secretKeyRef/configMapKeyRef/fieldRef
 * resolved from the stored objects, and its volumes materialized from the stored ConfigMaps and
 * Secrets. Each pod gets its own network namespace (tests/helpers/pod-network.ts). Init containers run
 * to completion first, in order; then every container starts and must pass its readiness probe within
 * the probe's budget (initialDelaySeconds + periodSeconds × failureThreshold).
 *
 * What differs from a kubelet, and why:
 * - Mount paths are mapped to a temp dir (no mount namespace per container): every absolute mount
 *   path in command, args, env and the materialized files is rewritten to its temp location.
 * - A StatefulSet's pods see their temp dirs at one path they share (each process bind-mounts its
 *   own pod's dir there, in the private mount namespace `ip netns exec` gives it), because peers
 *   name each other's paths by the same string: a MinIO pool's `http://<sts>-{0...3}.<svc>/export{0...3}`
 *   must be the same argument on every server, and the path in it is each server's own drive. Paths
 *   in URLs to the StatefulSet's own pods are rewritten like local ones.
 * - Processes run as the test's user, not runAsUser, and the root filesystem is the machine's.
 * - Resource limits are not enforced.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { imageRepository, NOT_RUNNABLE_IMAGES, RUNNABLE_IMAGES, SIDECARS_NOT_RUN } from "./images";
import { KubeCluster } from "./kube";
import { PodNetns, PodNetwork } from "./pod-network";
import { ApiRelay, IN_POD_API_PORT, serviceAccountFiles, startPodForwarder, withServiceAccount } from "./in-cluster";
import { run, tempDir } from "./tools";

/** A Deployment, StatefulSet, DaemonSet or Job as stored. */
export interface StoredWorkload {
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] };
}

interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: any }[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean }; prefix?: string }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** A native sidecar (an init container that keeps running). */
  restartPolicy?: string;
}

interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  grpc?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; optional?: boolean };
  secret?: { secretName: string; items?: { key: string; path: string }[]; optional?: boolean };
  projected?: { sources: { configMap?: { name: string; items?: { key: string; path: string }[]; optional?: boolean }; secret?: { name: string; items?: { key: string; path: string }[]; optional?: boolean } }[] };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
}

export interface RunningContainer {
  name: string;
  argv: string[];
  process: ChildProcess;
  log(): string;
}

export interface RunningPod {
  workload: string;
  pod: PodNetns;
  root: string;
  containers: RunningContainer[];
  /** Seconds from the first init container's start until every container was ready. */
  readySeconds: number;
  stop(): Promise<void>;
}

export class PodStartError extends Error {}

/** What keeps a workload from running here, or undefined when every container's image can run. */
export function notRunnableReason(w: StoredWorkload): string | undefined {
  const spec = w.spec.template.spec;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const repo = imageRepository(c.image);
    if (RUNNABLE_IMAGES[repo] || SIDECARS_NOT_RUN[repo]) continue;
    const reason = NOT_RUNNABLE_IMAGES[repo];
    return reason ? `${c.name}: ${repo}: ${reason}` : `${c.name}: image ${repo} is in neither RUNNABLE_IMAGES nor NOT_RUNNABLE_IMAGES (tests/helpers/images.ts)`;
  }
  return undefined;
}


export interface RunPodOptions {
  /** Relay to the API server; with it, pods get their service account and KUBERNETES_SERVICE_* as from a kubelet. */
  apiRelay?: ApiRelay;
  /** The pod's network namespace, when the caller made it first (a StatefulSet's peers resolve each other). */
  netns?: PodNetns;
  /** The StatefulSet ordinal (pod name <name>-<ordinal>); 0 by default. */
  ordinal?: number;
  /** Files a stood-in container would have written, by volume name: file name → content. */
  standIns?: Record<string, Record<string, Buffer | string>>;
  /** Extra seconds on top of every probe budget (a slow shared machine). 0 by default. */
  probeGraceSeconds?: number;
  /**
   * An empty directory the pod's processes see the pod's temp dir at (bind-mounted over it in their
   * mount namespace), the same for every pod of a StatefulSet; without it they see the temp dir itself.
   */
  viewRoot?: string;
}

/** Starts one pod of `w`; resolves when all its containers are ready, throws naming the container otherwise. */
export async function runPod(cluster: KubeCluster, network: PodNetwork, w: StoredWorkload, opts: RunPodOptions = {}): Promise<RunningPod> {
  const id = `${w.metadata.namespace}/${w.kind}/${w.metadata.name}`;
  const spec = w.spec.template.spec;
  if (opts.viewRoot !== undefined && !(fs.existsSync(opts.viewRoot) && fs.statSync(opts.viewRoot).isDirectory() && fs.readdirSync(opts.viewRoot).length === 0)) {
    throw new PodStartError(`${id}: viewRoot ${opts.viewRoot} must be an existing empty directory (the pod's files are bound over it)`);
  }
  const root = tempDir(`pod-${w.metadata.name}-${opts.ordinal ?? 0}`);
  const layout = podLayout(root, opts.viewRoot);
  const pod = opts.netns ?? network.addPod();
  const podName = w.kind === "StatefulSet" ? `${w.metadata.name}-${opts.ordinal ?? 0}` : `${w.metadata.name}-pod`;
  const fail = (container: string, why: string): never => {
    throw new PodStartError(`${id} container ${container}: ${why}`);
  };

  // Volumes: materialize each once, then map mount paths onto them.
  const volumeDirs = new Map<string, string>();
  // A StatefulSet's claims: a fresh, empty volume each, as a newly provisioned one would be.
  const claims: Volume[] = (w.spec.volumeClaimTemplates ?? []).map((t) => ({ name: t.metadata.name, emptyDir: {} }));
  for (const v of [...(spec.volumes ?? []), ...claims]) {
    const dir = path.join(root, "volumes", v.name);
    fs.mkdirSync(dir, { recursive: true });
    writeVolume(cluster, w.metadata.namespace, v, dir, (why) => fail("(volumes)", why));
    for (const [file, content] of Object.entries(opts.standIns?.[v.name] ?? {})) fs.writeFileSync(path.join(dir, file), content);
    volumeDirs.set(v.name, dir);
  }

  const placedVolumes = new Set<string>();
  const containers: RunningContainer[] = [];
  const helpers: ChildProcess[] = [];
  const stop = async () => {
    for (const c of containers.reverse()) await stopProcess(c.process);
    for (const h of helpers) await stopProcess(h);
  };
  // As a kubelet does (unless the pod opts out): the service account's token and the API server.
  const podSpec = spec as PodSpec & { serviceAccountName?: string; automountServiceAccountToken?: boolean };
  let saDir: string | undefined;
  if (opts.apiRelay && podSpec.automountServiceAccountToken !== false) {
    saDir = serviceAccountFiles(cluster, w.metadata.namespace, podSpec.serviceAccountName ?? "default");
    helpers.push(startPodForwarder(pod, opts.apiRelay));
  }
  const inCluster = (argv: string[]) => (saDir ? withServiceAccount(saDir, argv) : argv);
  const apiEnv: NodeJS.ProcessEnv = saDir ? { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(IN_POD_API_PORT) } : {};
  const started = Date.now();
  try {
    // Init containers whose image is a sidecar not run (geoipupdate) are stood in for by opts.standIns.
    const inits = (spec.initContainers ?? []).filter((c) => !SIDECARS_NOT_RUN[imageRepository(c.image)]);
    const sidecars = inits.filter((c) => c.restartPolicy === "Always");
    for (const c of inits.filter((x) => x.restartPolicy !== "Always")) {
      const prepared = prepareContainer(cluster, w, c, layout, volumeDirs, placedVolumes, podName, pod, fail);
      const r = run(PodNetwork.exec(pod)[0], [...PodNetwork.exec(pod).slice(1), ...inCluster(prepared.argv)], { env: { ...apiEnv, ...prepared.env }, cwd: prepared.cwd, timeoutMs: 120_000 });
      if (r.status !== 0) fail(c.name, `init container exited ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}`);
    }
    const containersToRun = [...sidecars, ...spec.containers].filter((c) => !SIDECARS_NOT_RUN[imageRepository(c.image)]);
    for (const c of containersToRun) {
      const prepared = prepareContainer(cluster, w, c, layout, volumeDirs, placedVolumes, podName, pod, fail);
      const argv = [...PodNetwork.exec(pod), ...inCluster(prepared.argv)];
      const child = spawn(argv[0], argv.slice(1), { env: { ...apiEnv, ...prepared.env }, cwd: prepared.cwd, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      const keep = (d: Buffer) => (out = (out + d.toString()).slice(-100_000));
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      containers.push({ name: c.name, argv: prepared.argv, process: child, log: () => out });
    }
    for (const c of containersToRun) {
      const running = containers.find((x) => x.name === c.name)!;
      await waitReady(pod, c, running, opts.probeGraceSeconds ?? 0, (why) => fail(c.name, `${why}\n--- argv: ${JSON.stringify(running.argv)}\n--- log:\n${running.log().slice(-3000)}`));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { workload: id, pod, root, containers, readySeconds: (Date.now() - started) / 1000, stop };
}

function stopProcess(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    p.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    p.kill("SIGTERM");
  });
}

function getObject(cluster: KubeCluster, kind: "configmap" | "secret", namespace: string, name: string): any | undefined {
  const r = cluster.kubectl(["get", kind, name, "-n", namespace, "-o", "json"]);
  if (r.status !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${kind} ${namespace}/${name}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

/** The key → bytes of a stored ConfigMap or Secret. */
function objectData(obj: any, kind: "configmap" | "secret"): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (kind === "secret") for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = Buffer.from(v as string, "base64");
  else {
    for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = Buffer.from(v as string, "utf8");
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) out[k] = Buffer.from(v as string, "base64");
  }
  return out;
}

function writeVolume(cluster: KubeCluster, namespace: string, v: Volume, dir: string, fail: (why: string) => never): void {
  const source = (kind: "configmap" | "secret", name: string, items: { key: string; path: string }[] | undefined, optional: boolean | undefined) => {
    const obj = getObject(cluster, kind, namespace, name);
    if (!obj) {
      if (optional) return;
      fail(`volume ${v.name}: ${kind} ${namespace}/${name} does not exist (the kubelet would not start the pod)`);
    }
    const data = objectData(obj, kind);
    const wanted = items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const { key, path: rel } of wanted) {
      if (!(key in data)) fail(`volume ${v.name}: ${kind} ${namespace}/${name} has no key ${key}`);
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), data[key]);
    }
  };
  if (v.configMap) source("configmap", v.configMap.name, v.configMap.items, v.configMap.optional);
  else if (v.secret) source("secret", v.secret.secretName, v.secret.items, v.secret.optional);
  else if (v.projected) {
    for (const s of v.projected.sources) {
      if (s.configMap) source("configmap", s.configMap.name, s.configMap.items, s.configMap.optional);
      if (s.secret) source("secret", s.secret.name, s.secret.items, s.secret.optional);
    }
  } else if (!v.emptyDir && !v.persistentVolumeClaim) {
    fail(`volume ${v.name}: kind ${Object.keys(v).filter((k) => k !== "name").join(",")} is not supported by the pod runner`);
  }
}

interface PreparedContainer {
  /** What to run: with a view root, a wrapper that binds the pod's dir there, enters cwd and execs. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The directory to spawn in (on the host). */
  cwd: string;
}

/** Where a pod's files are on the host, and the path its processes see them at. */
interface PodLayout {
  /** The pod's temp dir, where the runner writes. */
  root: string;
  /** The same dir as the pod's processes see it (equal to root without a view root). */
  view: string;
  /** A path as the processes see it → the same file on the host. */
  toHost(p: string): string;
  /** argv run with `cwd` (a view path) as its working directory, the pod's dir bound at the view. */
  wrap(argv: string[], cwd: string): string[];
}

function podLayout(root: string, viewRoot: string | undefined): PodLayout {
  if (!viewRoot || viewRoot === root) return { root, view: root, toHost: (p) => p, wrap: (argv) => argv };
  return {
    root,
    view: viewRoot,
    toHost: (p) => (p === viewRoot || p.startsWith(viewRoot + "/") ? root + p.slice(viewRoot.length) : p),
    // `ip netns exec` has already given the process a private mount namespace (as withServiceAccount relies on).
    wrap: (argv, cwd) => ["sh", "-c", 'mount --bind "$0" "$1" && cd "$2" && shift 2 && exec "$@"', root, viewRoot, cwd, ...argv],
  };
}

function prepareContainer(
  cluster: KubeCluster,
  w: StoredWorkload,
  c: Container,
  layout: PodLayout,
  volumeDirs: Map<string, string>,
  placedVolumes: Set<string>,
  podName: string,
  pod: PodNetns,
  fail: (container: string, why: string) => never,
): PreparedContainer {
  const image = RUNNABLE_IMAGES[imageRepository(c.image)];
  if (!image) fail(c.name, `image ${c.image} has no engine here`);

  // Mounts: the container path → its temp location as the processes see it. Longest first, so nested mounts win.
  const containerRoot = path.join(layout.view, "containers", c.name);
  const mounts: [string, string][] = [];
  for (const m of c.volumeMounts ?? []) {
    const dir = volumeDirs.get(m.name) ?? fail(c.name, `volumeMount ${m.name} names no volume`);
    const target = layout.toHost(path.join(containerRoot, m.mountPath));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    if (!m.subPath && !placedVolumes.has(m.name)) {
      // The volume's first mount is a real directory (MinIO refuses a drive that is a symlink);
      // later mounts, in this container or others, link to it.
      fs.renameSync(dir, target);
      volumeDirs.set(m.name, target);
      placedVolumes.add(m.name);
    } else {
      fs.symlinkSync(m.subPath ? path.join(dir, m.subPath) : dir, target);
    }
    mounts.push([m.mountPath.replace(/\/+$/, ""), path.join(containerRoot, m.mountPath)]);
  }
  mounts.sort((a, b) => b[0].length - a[0].length);
  const mapPath = (p: string) => {
    for (const [from, to] of mounts) if (p === from || p.startsWith(from + "/")) return to + p.slice(from.length);
    return p.startsWith("/tmp") ? path.join(containerRoot, p) : p;
  };
  const rewritePaths = (text: string) =>
    mounts.reduce((t, [from, to]) => t.replace(new RegExp(`(?<![\\w.])${escapeRegExp(from)}(?=/|$|[^\\w.-])`, "g"), to), text);
  // MinIO's ellipsis (`/export{0...3}`) names several mounts at once: when every path it expands to
  // is mounted, its prefix moves with them.
  const rewriteLocal = (text: string) =>
    rewritePaths(text).replace(/(?<![\w.])(\/[^\s{}]*)\{(\d+)\.\.\.(\d+)\}([^\s{}]*)/g, (whole, prefix: string, from: string, to: string, suffix: string) => {
      const expanded = Array.from({ length: Number(to) - Number(from) + 1 }, (_, i) => `${prefix}${Number(from) + i}${suffix}`);
      return expanded.every((p) => mapPath(p) === path.join(containerRoot, p)) ? path.join(containerRoot, prefix) + whole.slice(prefix.length) : whole;
    });
  // A path in a URL to one of the StatefulSet's own pods is that peer's path, mounted as here: with
  // the view root every peer shares, it maps to the same string (MinIO requires identical endpoints).
  const peers = layout.view !== layout.root ? peerUrl(w) : undefined;
  const rewrite = (text: string) => {
    const local = rewriteLocal(text);
    return peers ? local.replace(peers, (_m, origin: string, p: string) => origin + rewriteLocal(p)) : local;
  };
  // Config files refer to other mounted files by their container paths.
  for (const [, target] of mounts) {
    const real = fs.realpathSync(layout.toHost(target));
    if (fs.statSync(real).isDirectory()) rewriteTree(real, rewrite);
    else rewriteFile(real, rewrite);
  }

  // Env, in order: envFrom, then env (later entries see earlier ones through $(VAR)).
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef!;
    const kind = from.configMapRef ? "configmap" : "secret";
    const obj = getObject(cluster, kind, w.metadata.namespace, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      fail(c.name, `envFrom ${kind} ${ref.name} does not exist`);
    }
    for (const [k, v] of Object.entries(objectData(obj, kind))) env[(from.prefix ?? "") + k] = v.toString("utf8");
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env);
    else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
      const kind = e.valueFrom.secretKeyRef ? "secret" : "configmap";
      const obj = getObject(cluster, kind, w.metadata.namespace, ref.name);
      const value = obj ? objectData(obj, kind)[ref.key] : undefined;
      if (value === undefined) {
        if (ref.optional) continue;
        fail(c.name, `env ${e.name}: ${kind} ${w.metadata.namespace}/${ref.name} key ${ref.key} does not exist`);
      }
      env[e.name] = value!.toString("utf8");
    } else if (e.valueFrom?.fieldRef) {
      const field = e.valueFrom.fieldRef.fieldPath as string;
      const fields: Record<string, string> = {
        "metadata.name": podName,
        "metadata.namespace": w.metadata.namespace,
        "status.podIP": pod.address,
        "status.podIPs": pod.address,
        // One network namespace is pod and node here.
        "status.hostIP": pod.address,
        "status.hostIPs": pod.address,
        "spec.nodeName": "pod-runner",
        "spec.serviceAccountName": (w.spec.template.spec as { serviceAccountName?: string }).serviceAccountName ?? "default",
      };
      env[e.name] = fields[field] ?? fail(c.name, `env ${e.name}: fieldRef ${field} is not supported by the pod runner`);
    } else if (e.valueFrom?.resourceFieldRef) {
      fail(c.name, `env ${e.name}: resourceFieldRef is not supported by the pod runner`);
    } else env[e.name] = "";
  }
  for (const k of Object.keys(env)) env[k] = rewrite(env[k]);

  // Kubernetes: command replaces ENTRYPOINT, args replace CMD; $(VAR) expands from the env.
  const imageEntrypoint = image.entrypoint(mapPath, layout.toHost);
  let argv: string[];
  if (c.command) {
    const [exe, ...rest] = c.command;
    const binaries = image.binaries?.() ?? {};
    const local = binaries[path.basename(exe)] ?? fail(c.name, `command ${exe} is not an executable the pod runner knows in ${imageRepository(c.image)}`);
    argv = [local, ...[...rest, ...(c.args ?? [])].map((a) => rewrite(expand(a, env)))];
  } else {
    argv = [...imageEntrypoint, ...(c.args ?? image.cmd).map((a) => rewrite(expand(a, env)))];
  }

  const wanted = c.workingDir ? mapPath(c.workingDir) : image.workdir?.() ?? containerRoot;
  fs.mkdirSync(layout.toHost(path.join(containerRoot, "tmp")), { recursive: true });
  const cwd = fs.existsSync(layout.toHost(wanted)) ? wanted : containerRoot;
  return {
    argv: layout.wrap(argv, cwd),
    // A container's env is its own: only PATH (for /bin/sh scripts) and HOME come from here.
    env: { PATH: process.env.PATH, HOME: mapPath("/tmp"), TMPDIR: mapPath("/tmp"), ...(image.nodeEnv?.env ?? {}), ...env },
    cwd: layout.toHost(cwd),
  };
}

/**
 * URLs to the pods of a StatefulSet `w` (`<name>-<ordinal>.<serviceName>…`, or MinIO's
 * `<name>-{0...3}.<serviceName>…`), capturing the scheme-host-port and the path.
 */
function peerUrl(w: StoredWorkload): RegExp | undefined {
  const serviceName = (w.spec as { serviceName?: string }).serviceName;
  if (w.kind !== "StatefulSet" || !serviceName) return undefined;
  const host = `${escapeRegExp(w.metadata.name)}-(?:\\d+|\\{\\d+\\.\\.\\.\\d+\\})\\.${escapeRegExp(serviceName)}(?:\\.[A-Za-z0-9.-]*)?(?::\\d+)?`;
  return new RegExp(`(\\bhttps?://${host})(/[^\\s,;"']*)`, "g");
}

function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === "$$" ? "$" : name! in env ? env[name!] : m));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function rewriteTree(dir: string, rewrite: (t: string) => string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory()) rewriteTree(p, rewrite);
      else if (e.isFile()) rewriteFile(p, rewrite);
    } catch (err) {
      // A container of this pod already running on a shared volume (gnmic's targets-merge loop
      // writes targets.yaml.tmp and renames it) may remove a file between readdir and open: a
      // file that is gone has nothing to rewrite.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}

/** Rewrites a text file's mount paths in place; binary files are left alone. */
function rewriteFile(file: string, rewrite: (t: string) => string): void {
  const buf = fs.readFileSync(file);
  if (buf.includes(0)) return;
  const text = buf.toString("utf8");
  const out = rewrite(text);
  if (out !== text) fs.writeFileSync(file, out);
}

function probePort(c: Container, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

async function waitReady(pod: PodNetns, c: Container, running: RunningContainer, grace: number, fail: (why: string) => never): Promise<void> {
  const probe = c.startupProbe ?? c.readinessProbe;
  const period = probe?.periodSeconds ?? 10;
  const budgetSeconds = probe ? (probe.initialDelaySeconds ?? 0) + period * (probe.failureThreshold ?? 3) + (c.startupProbe && c.readinessProbe ? (c.readinessProbe.periodSeconds ?? 10) * (c.readinessProbe.failureThreshold ?? 3) : 0) : 5;
  const deadline = Date.now() + (budgetSeconds + grace) * 1000;
  const exec = PodNetwork.exec(pod);
  let last = "";
  // Probing more often than the period only finds readiness sooner; the budget is the probe's.
  for (;;) {
    if (running.process.exitCode !== null || running.process.signalCode !== null) fail(`exited (${running.process.exitCode ?? running.process.signalCode}) before it was ready`);
    if (!probe) {
      if (Date.now() >= deadline) return;
    } else {
      const timeout = String(probe.timeoutSeconds ?? 1);
      let r: { status: number; stdout: string; stderr: string };
      if (probe.httpGet) {
        const port = probePort(c, probe.httpGet.port) ?? fail(`probe port ${probe.httpGet.port} is not a port of the container`);
        const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
        r = run(exec[0], [...exec.slice(1), "curl", "-ksS", "-o", "/dev/null", "-w", "%{http_code}", "-m", timeout, `${scheme}://127.0.0.1:${port}${probe.httpGet.path ?? "/"}`], { timeoutMs: 10_000 });
        const code = Number(r.stdout.trim());
        if (code >= 200 && code < 400) return;
        last = `httpGet ${probe.httpGet.path ?? "/"} on ${port}: ${r.stdout.trim() || r.stderr.trim()}`;
      } else if (probe.tcpSocket) {
        const port = probePort(c, probe.tcpSocket.port) ?? fail(`probe port ${probe.tcpSocket.port} is not a port of the container`);
        r = run(exec[0], [...exec.slice(1), "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { timeoutMs: 10_000 });
        if (r.status === 0) return;
        last = `tcpSocket ${port}: ${r.stderr.trim()}`;
      } else if (probe.exec) {
        r = run(exec[0], [...exec.slice(1), ...probe.exec.command], { timeoutMs: 10_000 });
        if (r.status === 0) return;
        last = `exec ${probe.exec.command.join(" ")}: exit ${r.status}`;
      } else {
        fail(`probe kind ${Object.keys(probe).join(",")} is not supported by the pod runner`);
      }
      if (Date.now() >= deadline) fail(`not ready within the probe's budget of ${budgetSeconds} s (last: ${last})`);
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * Starts every pod of a workload: one for a Deployment, `replicas` for a StatefulSet, whose pods get
 * their stable names (<pod>.<serviceName>.<namespace>.svc) before any starts, since peers such as a
 * MinIO pool find each other by them, and one view root (RunPodOptions.viewRoot), since peers name
 * each other's paths too. Resolves when all are ready.
 */
export async function runWorkload(cluster: KubeCluster, network: PodNetwork, w: StoredWorkload, opts: RunPodOptions = {}): Promise<RunningPod[]> {
  const spec = w.spec as { replicas?: number; serviceName?: string };
  if (w.kind !== "StatefulSet") return [await runPod(cluster, network, w, opts)];
  const replicas = Math.max(1, spec.replicas ?? 1);
  const namespaces = Array.from({ length: replicas }, () => network.addPod());
  if (spec.serviceName) {
    namespaces.forEach((netns, i) => network.publish(PodNetwork.serviceNames(`${w.metadata.name}-${i}.${spec.serviceName}`, w.metadata.namespace), netns.address));
  }
  // One path every pod sees its own files at, so peers' paths are the same strings (see the header).
  const viewRoot = opts.viewRoot ?? tempDir(`sts-${w.metadata.name}`);
  const started = await Promise.allSettled(namespaces.map((netns, ordinal) => runPod(cluster, network, w, { ...opts, netns, ordinal, viewRoot })));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    for (const r of started) if (r.status === "fulfilled") await r.value.stop();
    throw failed.reason;
  }
  return started.map((r) => (r as PromiseFulfilledResult<RunningPod>).value);
}

/** Every workload in the cluster's helios-* namespaces, as stored. */
export function storedWorkloads(cluster: KubeCluster): StoredWorkload[] {
  const r = cluster.kubectl(["get", "deployments,statefulsets,daemonsets,jobs", "-A", "-o", "json"]);
  if (r.status !== 0) throw new Error(`listing workloads: ${r.stderr}`);
  const items = (JSON.parse(r.stdout).items as StoredWorkload[]).filter((w) => w.metadata.namespace.startsWith("helios-"));
  return items.sort((a, b) => `${a.metadata.namespace}/${a.kind}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.kind}/${b.metadata.name}`));
}

export interface CompletedContainer {
  name: string;
  argv: string[];
  exitCode: number | null;
  /** Set when the container was killed (its deadline, or a signal). */
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, as a kubelet's container log. */
  log: string;
}

/**
 * Runs a Job's pod to completion (restartPolicy Never): every container starts, the pod ends when
 * all have exited; activeDeadlineSeconds kills what is still running. Unlike runPod, the container
 * user and privileges are applied where this machine can: runAsUser/runAsGroup (pod or container
 * securityContext) through setpriv, no_new_privs when allowPrivilegeEscalation is false, and an
 * empty capability bounding set when capabilities.drop holds ALL. readOnlyRootFilesystem is NOT
 * enforced (no mount namespace per container here), nor are resource limits.
 */
export async function runPodToCompletion(cluster: KubeCluster, network: PodNetwork, w: StoredWorkload, opts: { podName?: string } = {}): Promise<{ containers: CompletedContainer[]; pod: PodNetns }> {
  const id = `${w.metadata.namespace}/${w.kind}/${w.metadata.name}`;
  const spec = w.spec.template.spec as PodSpec & { securityContext?: SecurityContext; activeDeadlineSeconds?: number };
  const root = tempDir(`pod-${w.metadata.name}`);
  const pod = network.addPod();
  const podName = opts.podName ?? `${w.metadata.name}-pod`;
  const fail = (container: string, why: string): never => {
    throw new PodStartError(`${id} container ${container}: ${why}`);
  };
  const volumeDirs = new Map<string, string>();
  for (const v of spec.volumes ?? []) {
    const dir = path.join(root, "volumes", v.name);
    fs.mkdirSync(dir, { recursive: true });
    writeVolume(cluster, w.metadata.namespace, v, dir, (why) => fail("(volumes)", why));
    volumeDirs.set(v.name, dir);
  }
  const placedVolumes = new Set<string>();
  const prepared = spec.containers.map((c) => ({ c, p: prepareContainer(cluster, w, c, podLayout(root, undefined), volumeDirs, placedVolumes, podName, pod, fail) }));
  const deadlineMs = ((w.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds ?? spec.activeDeadlineSeconds ?? 600) * 1000;
  const results = await Promise.all(
    prepared.map(({ c, p }) => {
      const sc = { ...(spec.securityContext ?? {}), ...((c as Container & { securityContext?: SecurityContext }).securityContext ?? {}) };
      const priv: string[] = [];
      if (sc.runAsUser !== undefined) {
        // The container's files (its /tmp and volumes) belong to its user, as a kubelet's fsGroup/emptyDir would allow.
        run("chown", ["-R", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`, root]);
        priv.push(`--reuid=${sc.runAsUser}`, `--regid=${sc.runAsGroup ?? sc.runAsUser}`, "--clear-groups");
      }
      if (sc.allowPrivilegeEscalation === false) priv.push("--no-new-privs");
      if (sc.capabilities?.drop?.includes("ALL")) priv.push("--bounding-set=-all", "--inh-caps=-all");
      const argv = [...PodNetwork.exec(pod), ...(priv.length ? ["setpriv", ...priv, "--"] : []), ...p.argv];
      return new Promise<CompletedContainer>((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { env: p.env, cwd: p.cwd, stdio: ["ignore", "pipe", "pipe"] });
        let log = "";
        const keep = (d: Buffer) => (log = (log + d.toString()).slice(-1_000_000));
        child.stdout!.on("data", keep);
        child.stderr!.on("data", keep);
        const timer = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
        child.on("error", (e) => {
          clearTimeout(timer);
          resolve({ name: c.name, argv: p.argv, exitCode: 128, signal: null, log: `${log}${e.message}\n` });
        });
        child.on("close", (exitCode, signal) => {
          clearTimeout(timer);
          resolve({ name: c.name, argv: p.argv, exitCode, signal, log });
        });
      });
    }),
  );
  return { containers: results, pod };
}

interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
