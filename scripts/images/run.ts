/**
 * Runs an image here without a Docker engine. amd64 runs under runc (Debian's runc 1.1, a real
 * OCI runtime: namespaces, the image's user, environment and working directory, read-only root).
 * arm64 runs under the same runc with Debian's statically linked qemu-aarch64-static copied into
 * the unpacked root and named as the process (no binfmt_misc registration is needed).
 * crun 1.8 refuses this sandbox's hybrid cgroup layout; runc starts. The host network namespace
 * is kept so tests reach the readiness endpoint and a loopback Kafka.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RuntimeConfig } from "./oci";
import { unpackImage, platformManifest } from "./unpack";

export const QEMU_AARCH64 = "/usr/bin/qemu-aarch64-static";
const QEMU_IN_ROOT = "/.qemu-aarch64-static";

export interface Prepared {
  rootfs: string;
  config: RuntimeConfig;
  arch: string;
  manifestDigest: string;
}

/** Unpacks (once per manifest digest) under cacheDir. */
export function prepare(layout: string, arch: string, cacheDir = path.join(os.tmpdir(), "helios-image-roots")): Prepared {
  const { digest } = platformManifest(layout, arch);
  const rootfs = path.join(cacheDir, digest.replace("sha256:", ""));
  const done = `${rootfs}.ok`;
  if (!fs.existsSync(done)) {
    fs.rmSync(rootfs, { recursive: true, force: true });
    unpackImage(layout, arch, rootfs);
    if (arch === "arm64") {
      if (!fs.existsSync(QEMU_AARCH64)) throw new Error(`${QEMU_AARCH64} missing; run: bash scripts/test-infra/install-tools.sh images`);
      fs.copyFileSync(QEMU_AARCH64, path.join(rootfs, QEMU_IN_ROOT));
      fs.chmodSync(path.join(rootfs, QEMU_IN_ROOT), 0o755);
    }
    fs.writeFileSync(done, "");
  }
  return { rootfs, config: readConfig(layout, arch), arch, manifestDigest: digest };
}

function readConfig(layout: string, arch: string): RuntimeConfig {
  const { manifest } = platformManifest(layout, arch);
  const file = path.join(layout, "blobs", "sha256", manifest.config.digest.replace("sha256:", ""));
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { config: RuntimeConfig }).config;
}

/** The executable as the runtime would find it through the image's PATH. */
function resolveExecutable(p: Prepared, name: string): string {
  if (name.startsWith("/")) return name;
  const pathEnv = p.config.Env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/bin:/bin";
  for (const dir of pathEnv.split(":")) {
    if (fs.existsSync(path.join(p.rootfs, dir, name))) return `${dir}/${name}`;
  }
  throw new Error(`${name} not found on the image's PATH ${pathEnv}`);
}

export interface RunOptions {
  /** replaces the image's Entrypoint (and drops its Cmd), as `docker run --entrypoint` does */
  entrypoint?: string[];
  /** replaces the image's Cmd (the Entrypoint stays), as `docker run image args...` does */
  args?: string[];
  env?: Record<string, string>;
  /** host directories mounted read-only into the container */
  mounts?: { source: string; destination: string }[];
}

let counter = 0;

/** Writes an OCI runtime bundle (config.json) for the prepared image; returns its directory and id. */
export function bundle(p: Prepared, opts: RunOptions): { dir: string; id: string } {
  const id = `helios-${process.pid}-${++counter}-${Date.now() % 100000}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-bundle-"));
  const cmd = opts.args ?? (opts.entrypoint ? [] : (p.config.Cmd ?? []));
  const [exe, ...rest] = [...(opts.entrypoint ?? p.config.Entrypoint), ...cmd];
  let args = [resolveExecutable(p, exe), ...rest];
  if (p.arch === "arm64") args = [QEMU_IN_ROOT, ...args];
  else if (p.arch !== os.arch().replace("x64", "amd64")) throw new Error(`cannot run ${p.arch} images on ${os.arch()}`);
  const [uid, gid] = p.config.User.split(":").map(Number);
  const env = [...p.config.Env.filter((e) => !(e.split("=")[0] in (opts.env ?? {}))), ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const spec = {
    ociVersion: "1.0.2",
    process: { terminal: false, user: { uid, gid }, args, env, cwd: p.config.WorkingDir || "/", noNewPrivileges: true, capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] } },
    root: { path: p.rootfs, readonly: true },
    hostname: "helios-image",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"] },
      { destination: "/etc/resolv.conf", type: "bind", source: "/etc/resolv.conf", options: ["rbind", "ro"] },
      { destination: "/etc/hosts", type: "bind", source: "/etc/hosts", options: ["rbind", "ro"] },
      ...(opts.mounts ?? []).map((m) => ({ destination: m.destination, type: "bind", source: m.source, options: ["rbind", "ro"] })),
    ],
    linux: {
      // no "network" namespace: the host's loopback is shared (readiness probes, Kafka)
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(spec));
  return { dir, id };
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs to completion under runc. */
export function runImage(p: Prepared, opts: RunOptions = {}, timeoutMs = 120_000): RunResult {
  const b = bundle(p, opts);
  const t0 = Date.now();
  try {
    const r = spawnSync("runc", ["run", "--bundle", b.dir, b.id], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
  } finally {
    spawnSync("runc", ["delete", "--force", b.id]);
    fs.rmSync(b.dir, { recursive: true, force: true });
  }
}

export interface Running {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a long-running container; stop() kills it and removes it. */
export function startImage(p: Prepared, opts: RunOptions = {}): Running {
  const b = bundle(p, opts);
  const child = spawn("runc", ["run", "--bundle", b.dir, b.id], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    output: () => out,
    stop: async () => {
      spawnSync("runc", ["kill", b.id, "TERM"]);
      const t = setTimeout(() => spawnSync("runc", ["kill", b.id, "KILL"]), 10_000);
      await exited;
      clearTimeout(t);
      spawnSync("runc", ["delete", "--force", b.id]);
      fs.rmSync(b.dir, { recursive: true, force: true });
    },
  };
}
