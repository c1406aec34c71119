/**
 * Real servers for the collection engine tests, all on 127.0.0.1 with random ports and stopped
 * by the tests: net-snmp `snmpd` (unprivileged config in a temp dir), openconfig's fake gNMI
 * server (`gnmi_server`, TLS with a throw-away self-signed certificate), exporters and
 * Prometheus processes, and nginx running helios-targets-sd's rendered server block.
 */
import { ChildProcess, spawn } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { renderSdNginxConfig } from "../../components/collection/scrape";
import { freePort, waitForPort } from "./net";
import { run, tempDir, tool } from "./tools";

export interface Proc {
  child: ChildProcess;
  /** stdout+stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts a process; its output is kept for failure messages. */
export function startProc(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on("data", (d) => (out = (out + d.toString()).slice(-200_000)));
  return {
    child,
    log: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

export const alive = (p: Proc) => () => p.child.exitCode === null && p.child.signalCode === null;

/** A free UDP port on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET a URL on loopback; resolves with status and body. */
export function httpGet(url: string): Promise<{ status: number; body: string; contentType?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, contentType: res.headers["content-type"] }));
      })
      .on("error", reject);
  });
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, log?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}${log ? `\n--- log ---\n${log().slice(-4000)}` : ""}`);
}

export interface Snmpd {
  /** "127.0.0.1:port" for snmp_exporter's target parameter. */
  target: string;
  community: string;
  stop(): Promise<void>;
}

/**
 * net-snmp snmpd on a random 127.0.0.1 UDP port, SNMPv2c read-only community, config and
 * persistent state in a temp dir (separate dirs: snmpd rewrites snmpd.conf in its persistent
 * dir), no default config files, no MIB loading. Nothing in it needs root.
 */
export async function startSnmpd(community = "helios-test-community"): Promise<Snmpd> {
  const dir = tempDir("snmpd");
  const port = await freeUdpPort();
  fs.mkdirSync(path.join(dir, "conf"));
  fs.mkdirSync(path.join(dir, "persist"));
  const conf = path.join(dir, "conf", "snmpd.conf");
  fs.writeFileSync(conf, [`agentAddress udp:127.0.0.1:${port}`, `rocommunity ${community} 127.0.0.1`, "sysLocation helios-test", ""].join("\n"));
  const proc = startProc(tool("snmpd"), ["-f", "-Lo", "-C", "-c", conf, "-p", path.join(dir, "snmpd.pid"), "-M", path.join(dir, "no-mibs")], {
    env: { MIBS: "", SNMP_PERSISTENT_DIR: path.join(dir, "persist") },
  });
  await waitFor(
    "snmpd to answer",
    async () => {
      if (!alive(proc)()) throw new Error(`snmpd exited: ${proc.log()}`);
      return (await snmpProbe(port, community)) ? true : undefined;
    },
    30_000,
    proc.log,
  );
  return { target: `127.0.0.1:${port}`, community, stop: proc.stop };
}

/** Sends an SNMPv2c GET of sysUpTime.0 and resolves true when any response arrives. */
function snmpProbe(port: number, community: string): Promise<boolean> {
  // Hand-built BER GetRequest (community, request-id 1, varbind 1.3.6.1.2.1.1.3.0 = NULL).
  const oid = Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00]);
  const varbind = Buffer.concat([Buffer.from([0x30, oid.length + 2]), oid, Buffer.from([0x05, 0x00])]);
  const varbinds = Buffer.concat([Buffer.from([0x30, varbind.length]), varbind]);
  const pduBody = Buffer.concat([Buffer.from([0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]), varbinds]);
  const pdu = Buffer.concat([Buffer.from([0xa0, pduBody.length]), pduBody]);
  const comm = Buffer.from(community);
  const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x01, 0x04, comm.length]), comm, pdu]);
  const msg = Buffer.concat([Buffer.from([0x30, body.length]), body]);
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    s.once("message", () => done(true));
    s.once("error", () => done(false));
    s.send(msg, port, "127.0.0.1");
  });
}

export interface GnmiServer {
  /** "127.0.0.1:port" (TLS, self-signed). */
  address: string;
  stop(): Promise<void>;
  log(): string;
}

/**
 * openconfig's fake gNMI target streaming `responses` (text-proto gnmi.SubscribeResponse
 * bodies) to every Subscribe, then holding the stream open.
 */
export async function startGnmiServer(target: string, responses: string[]): Promise<GnmiServer> {
  const dir = tempDir("gnmi-server");
  const crt = path.join(dir, "server.crt");
  const key = path.join(dir, "server.key");
  const ssl = run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  if (ssl.status !== 0) throw new Error(`openssl failed: ${ssl.stderr}`);
  const config = path.join(dir, "config.pb.txt");
  fs.writeFileSync(
    config,
    [`target: "${target}"`, "client_type: GRPC_GNMI", "disable_sync: false", "disable_eof: true", "fixed: {", ...responses.map((r) => `  responses: { ${r} }`), "}", ""].join("\n"),
  );
  const port = await freePort();
  const proc = startProc(tool("gnmi_server"), ["--config", config, "--text", "--port", String(port), "--server_crt", crt, "--server_key", key, "--allow_no_client_auth", "--logtostderr"]);
  await waitForPort(port, 30_000, alive(proc));
  return { address: `127.0.0.1:${port}`, stop: proc.stop, log: proc.log };
}

export interface FileServer {
  /** http://127.0.0.1:port */
  base: string;
  stop(): Promise<void>;
}

/**
 * Real nginx running helios-targets-sd's rendered server block over `root` (directories named
 * like the target ConfigMaps), on a random 127.0.0.1 port, everything else in a temp dir.
 */
export async function startNginxSd(root: string): Promise<FileServer> {
  const dir = tempDir("nginx");
  const port = await freePort();
  // Started as root, nginx serves from unprivileged workers: the docroot must be world-readable
  // (temp dirs are created 0700).
  const open = (p: string) => {
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) open(path.join(p, e));
  };
  open(root);
  fs.writeFileSync(path.join(dir, "sd.conf"), renderSdNginxConfig(`127.0.0.1:${port}`, root));
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      "events { worker_connections 64; }",
      "http {",
      "  include /etc/nginx/mime.types;",
      "  default_type application/octet-stream;",
      `  access_log ${dir}/access.log;`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  include ${dir}/sd.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  const check = run(tool("nginx"), ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")]);
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.stderr}`);
  const proc = startProc(tool("nginx"), ["-p", dir, "-c", path.join(dir, "nginx.conf")]);
  await waitForPort(port, 30_000, alive(proc));
  return { base: `http://127.0.0.1:${port}`, stop: proc.stop };
}

/** Parses Prometheus text exposition into samples. */
export function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** A real Prometheus (Debian package) with the given scrape_configs; query() runs instant queries. */
/** One target of Prometheus' /api/v1/targets: its scrape pool (job_name) and final labels. */
export interface ActiveTarget {
  scrapePool: string;
  /** labels after relabeling (without the `__` ones) */
  labels: Record<string, string>;
  scrapeUrl: string;
}

export async function startPrometheus(scrapeConfigs: unknown[]): Promise<{
  query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  activeTargets(): Promise<ActiveTarget[]>;
  stop(): Promise<void>;
  log(): string;
}> {
  const dir = tempDir("prometheus");
  const cfg = path.join(dir, "prometheus.yml");
  fs.writeFileSync(cfg, JSON.stringify({ global: { scrape_interval: "2s", evaluation_interval: "2s" }, scrape_configs: scrapeConfigs }));
  const check = run(tool("promtool"), ["check", "config", cfg]);
  if (check.status !== 0) throw new Error(`promtool check config failed:\n${check.stdout}${check.stderr}`);
  const port = await freePort();
  const proc = startProc(tool("prometheus"), [`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);
  await waitForPort(port, 60_000, alive(proc));
  return {
    log: proc.log,
    stop: proc.stop,
    async query(q: string) {
      const r = await httpGet(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = JSON.parse(r.body);
      if (body.status !== "success") throw new Error(`query ${q}: ${r.body}`);
      return body.data.result;
    },
    async activeTargets() {
      const r = await httpGet(`http://127.0.0.1:${port}/api/v1/targets?state=active`);
      const body = JSON.parse(r.body);
      if (body.status !== "success") throw new Error(`targets: ${r.body}`);
      return body.data.activeTargets;
    },
  };
}
