/**
 * A real NetBox (PyPI wheel, pinned in scripts/test-infra/engines/netbox.sh) on loopback, with
 * its own real PostgreSQL cluster (Debian's postgresql-15, copied from the template the
 * install step migrated once) and its own real Redis. Generic: any test that needs an
 * inventory (target generator, flow enricher, ...) starts one, fills it through the REST API
 * with the helpers below, and stops it in afterAll.
 *
 *   const nb = await startNetBox();
 *   const site = await nb.api.site({ name: "dc-a", region: "eu-west" });
 *   ...
 *   await nb.stop();
 *
 * As root, PostgreSQL runs as the `postgres` system user (initdb/postgres refuse root).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort, waitForPort } from "./net";
import { pinnedVersion, run, tempDir, TOOLS_DIR } from "./tools";

export interface NetBoxCredentials {
  user: string;
  /** Authorization header values: `Token <40>` (v1) and `Bearer nbt_<key>.<token>` (v2). */
  v1: string;
  v2: string;
}

export interface NetBox {
  /** Base URL, http://127.0.0.1:<port> */
  url: string;
  port: number;
  tokens: NetBoxCredentials;
  api: NetBoxApi;
  /** Stops only the NetBox web server (database and Redis stay): an outage as clients see it. */
  stopServer(): Promise<void>;
  /** Starts the web server again on the same port. */
  startServer(): Promise<void>;
  /**
   * Runs Python in NetBox's own Django shell (`netbox shell -c`), on the same database: for
   * bulk seeding where thousands of REST calls would take too long (benchmarks). Returns stdout.
   */
  shell(code: string, timeoutMs?: number): string;
  /** Stops everything and removes the data. */
  stop(): Promise<void>;
}

/** The installed NetBox release `version` (default: the pinned one; e.g. HELIOS_NETBOX_OLDEST_VERSION's). */
export function netboxDir(version = pinnedVersion("HELIOS_NETBOX_VERSION")): string {
  const dir = path.join(TOOLS_DIR, `netbox-${version}`);
  for (const f of ["venv/bin/gunicorn", "pgdata-template/PG_VERSION", "credentials.json", "root/conf/configuration.py"]) {
    if (!fs.existsSync(path.join(dir, f))) {
      throw new Error(`NetBox ${version} is not installed (missing ${path.join(dir, f)}); run: bash scripts/test-infra/install-tools.sh (engine netbox, or netbox_oldest)`);
    }
  }
  return dir;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a PostgreSQL binary as the cluster owner. */
function pg(bin: string, args: string[], timeoutMs = 120_000) {
  const pgbin = `/usr/lib/postgresql/${pinnedVersion("HELIOS_NETBOX_PG_VERSION")}/bin/${bin}`;
  if (!isRoot()) return run(pgbin, args, { timeoutMs });
  const quoted = [pgbin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  return run("su", ["postgres", "-s", "/bin/sh", "-c", quoted], { timeoutMs });
}

async function stopProcess(p: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startNetBox(opts: { workers?: number; version?: string } = {}): Promise<NetBox> {
  const dir = netboxDir(opts.version);
  const tokens = JSON.parse(fs.readFileSync(path.join(dir, "credentials.json"), "utf8")) as NetBoxCredentials;
  const work = tempDir("netbox");
  fs.chmodSync(work, 0o755);
  const pgdata = path.join(work, "pgdata");
  // cp -a keeps the owner (postgres) and the 0700 mode PostgreSQL insists on.
  const cp = run("cp", ["-a", path.join(dir, "pgdata-template"), pgdata]);
  if (cp.status !== 0) throw new Error(`copying the NetBox database template failed: ${cp.stderr}`);
  const [pgPort, redisPort, port] = [await freePort(), await freePort(), await freePort()];
  const pgLog = path.join(work, "postgres.log");
  if (isRoot()) run("chown", ["postgres", work]);
  const started = pg("pg_ctl", ["-D", pgdata, "-w", "-t", "60", "-l", pgLog, "-o", `-p ${pgPort} -h 127.0.0.1 -k '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, "start"]);
  if (started.status !== 0) {
    throw new Error(`PostgreSQL did not start: ${started.stderr}${fs.existsSync(pgLog) ? fs.readFileSync(pgLog, "utf8").slice(-2000) : ""}`);
  }
  const redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await waitForPort(redisPort, 30_000, () => redis.exitCode === null);

  const env = {
    ...process.env,
    NETBOX_ROOT: path.join(dir, "root"),
    HELIOS_NETBOX_DB_PORT: String(pgPort),
    HELIOS_NETBOX_REDIS_PORT: String(redisPort),
    PYTHONDONTWRITEBYTECODE: "1",
  };
  const webLog = path.join(work, "netbox.log");
  let web: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  const api = new NetBoxApi(url, tokens.v1);

  const startServer = async () => {
    const out = fs.openSync(webLog, "a");
    web = spawn(
      path.join(dir, "venv", "bin", "gunicorn"),
      // --keep-alive 75: gunicorn's default (2 s) is shorter than Node fetch's idle keep-alive
      // (4 s), so a reused socket could be closed by gunicorn just as a request went out
      // ("SocketError: other side closed", seen once while seeding under load); the server now
      // outlives the client's idle sockets.
      ["--bind", `127.0.0.1:${port}`, "--workers", String(opts.workers ?? 2), "--threads", "2", "--timeout", "300", "--keep-alive", "75", "--chdir", work, "netbox.wsgi"],
      { env, stdio: ["ignore", out, out] },
    );
    const p = web;
    const deadline = Date.now() + 300_000;
    try {
      await waitForPort(port, 300_000, () => p.exitCode === null);
      // Listening is not ready: wait until the API answers with our token.
      for (;;) {
        if (p.exitCode !== null) throw new Error(`NetBox exited with ${p.exitCode}`);
        const ok = await api.status().then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error("NetBox API did not answer within 300 s");
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${fs.readFileSync(webLog, "utf8").slice(-4000)}`);
    }
  };
  const stopServer = () => stopProcess(web);
  try {
    await startServer();
  } catch (e) {
    await stopServer();
    await stopProcess(redis);
    pg("pg_ctl", ["-D", pgdata, "-m", "immediate", "stop"]);
    throw e;
  }
  return {
    url,
    port,
    tokens,
    api,
    stopServer,
    startServer,
    shell: (code: string, timeoutMs = 600_000) => {
      const r = run(path.join(dir, "venv", "bin", "netbox"), ["shell", "--no-imports", "-c", code], { env, timeoutMs });
      if (r.status !== 0) throw new Error(`netbox shell failed (${r.status}): ${r.stderr.slice(-3000)}`);
      return r.stdout;
    },
    stop: async () => {
      await stopServer();
      await stopProcess(redis);
      pg("pg_ctl", ["-D", pgdata, "-m", "fast", "-w", "stop"]);
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

type Json = Record<string, unknown>;
export interface Ref {
  id: number;
  [k: string]: unknown;
}

/** Thin NetBox REST helpers (NetBox 4.x API shapes). Every helper returns the created object. */
export class NetBoxApi {
  constructor(
    readonly url: string,
    readonly auth: string,
  ) {}

  async request<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${apiPath}`, {
      method,
      headers: { Authorization: this.auth, "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`NetBox ${method} ${apiPath}: HTTP ${res.status}: ${text.slice(0, 1000)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  status(): Promise<Json> {
    return this.request("GET", "/api/status/");
  }

  /** POST one object or a list (NetBox bulk create). */
  create<T = Ref>(endpoint: string, body: Json): Promise<T>;
  create<T = Ref>(endpoint: string, body: Json[]): Promise<T[]>;
  create(endpoint: string, body: Json | Json[]): Promise<unknown> {
    return this.request("POST", `/api/${endpoint}/`, body);
  }

  patch(endpoint: string, id: number, body: Json): Promise<Ref> {
    return this.request("PATCH", `/api/${endpoint}/${id}/`, body);
  }

  /** PATCH a list of {id, ...} (NetBox bulk update). */
  bulkPatch(endpoint: string, body: Json[]): Promise<Ref[]> {
    return this.request("PATCH", `/api/${endpoint}/`, body);
  }

  delete(endpoint: string, id: number): Promise<void> {
    return this.request("DELETE", `/api/${endpoint}/${id}/`);
  }

  /** GET every page of a list endpoint (offset paging). */
  async list(endpoint: string, query: Record<string, string> = {}): Promise<Ref[]> {
    const out: Ref[] = [];
    for (let offset = 0; ; ) {
      const q = new URLSearchParams({ ...query, limit: "1000", offset: String(offset) });
      const page = await this.request<{ count: number; results: Ref[] }>("GET", `/api/${endpoint}/?${q}`);
      out.push(...page.results);
      offset += page.results.length;
      if (offset >= page.count || page.results.length === 0) return out;
    }
  }

  /** A custom field on dcim.device (types: text, integer, boolean, json, select, ...). */
  customField(f: { name: string; type: string; label?: string; default?: unknown; objectTypes?: string[]; extra?: Json }): Promise<Ref> {
    return this.create("extras/custom-fields", { name: f.name, type: f.type, label: f.label ?? f.name, object_types: f.objectTypes ?? ["dcim.device"], default: f.default ?? null, ...(f.extra ?? {}) });
  }

  region(name: string, slug = slugify(name)): Promise<Ref> {
    return this.create("dcim/regions", { name, slug });
  }

  site(s: { name: string; region?: number; slug?: string; status?: string }): Promise<Ref> {
    return this.create("dcim/sites", { name: s.name, slug: s.slug ?? slugify(s.name), region: s.region ?? null, status: s.status ?? "active" });
  }

  manufacturer(name: string, slug = slugify(name)): Promise<Ref> {
    return this.create("dcim/manufacturers", { name, slug });
  }

  platform(name: string, manufacturer?: number, slug = slugify(name)): Promise<Ref> {
    return this.create("dcim/platforms", { name, slug, manufacturer: manufacturer ?? null });
  }

  role(name: string, slug = slugify(name), color = "2196f3"): Promise<Ref> {
    return this.create("dcim/device-roles", { name, slug, color });
  }

  deviceType(model: string, manufacturer: number, slug = slugify(model)): Promise<Ref> {
    return this.create("dcim/device-types", { model, slug, manufacturer });
  }

  /** Device body as NetBox 4.x takes it: role (not device_role), device_type, site, platform, custom_fields. */
  device(d: { name: string; site: number; role: number; deviceType: number; platform?: number; status?: string; customFields?: Json }): Promise<Ref> {
    return this.create("dcim/devices", deviceBody(d));
  }

  interface(device: number, name: string, type = "1000base-t"): Promise<Ref> {
    return this.create("dcim/interfaces", { device, name, type });
  }

  ipAddress(address: string, iface?: number): Promise<Ref> {
    return this.create("ipam/ip-addresses", { address, status: "active", ...(iface ? { assigned_object_type: "dcim.interface", assigned_object_id: iface } : {}) });
  }

  /** Interface + IP on it + primary_ip4/6 of the device, in three calls. */
  async primaryIp(device: number, address: string, ifaceName = "mgmt0"): Promise<Ref> {
    const iface = await this.interface(device, ifaceName);
    const ip = await this.ipAddress(address, iface.id);
    await this.patch("dcim/devices", device, address.includes(":") ? { primary_ip6: ip.id } : { primary_ip4: ip.id });
    return ip;
  }
}

export function deviceBody(d: { name: string; site: number; role: number; deviceType: number; platform?: number; status?: string; customFields?: Json }): Json {
  return { name: d.name, site: d.site, role: d.role, device_type: d.deviceType, platform: d.platform ?? null, status: d.status ?? "active", custom_fields: d.customFields ?? {} };
}

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
