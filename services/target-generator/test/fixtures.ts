import { DEFAULT_NORMALIZE, normalizeDevice } from "../src/normalize";
import { siteMap } from "../src/sync";
import { Device } from "../src/types";

/** NetBox 4.x-shaped device and site JSON for unit tests (shapes as /api/dcim/devices/ returns them). */
export interface FakeDeviceSpec {
  id: number;
  name: string | null;
  site?: number | null;
  ip?: string | null;
  /** A second primary address (dual stack): set as primary_ip6 next to an IPv4 `ip`. */
  ip6?: string | null;
  /** NetBox's display; defaults to the name, or "<model> (<id>)" as NetBox shows an unnamed device. */
  display?: string;
  vendor?: string | null;
  platform?: string | null;
  role?: string | null;
  status?: string;
  cf?: Record<string, unknown>;
}

export function rawDevice(s: FakeDeviceSpec): Record<string, unknown> {
  const ip = s.ip === undefined ? `10.0.${Math.floor(s.id / 250)}.${(s.id % 250) + 1}/24` : s.ip;
  const vendor = s.vendor === undefined ? "arista" : s.vendor;
  const ipRef = (address: string) => ({ id: s.id, address, family: { value: address.includes(":") ? 6 : 4, label: address.includes(":") ? "IPv6" : "IPv4" } });
  const ip4 = ip !== null && !ip.includes(":") ? ipRef(ip) : null;
  const ip6 = ip !== null && ip.includes(":") ? ipRef(ip) : s.ip6 ? ipRef(s.ip6) : null;
  return {
    id: s.id,
    url: `http://netbox.internal/api/dcim/devices/${s.id}/`,
    display: s.display ?? s.name ?? `7280R3 (${s.id})`,
    name: s.name,
    device_type: { id: 1, model: "7280R3", slug: "7280r3", manufacturer: vendor === null ? null : { id: 1, name: vendor, slug: vendor } },
    role: s.role === null ? null : { id: 1, name: s.role ?? "leaf", slug: s.role ?? "leaf" },
    platform: s.platform === null ? null : { id: 1, name: s.platform ?? "eos", slug: s.platform ?? "eos" },
    site: s.site === null ? null : { id: s.site ?? 1, name: `site ${s.site ?? 1}`, slug: `site-${s.site ?? 1}` },
    status: { value: s.status ?? "active", label: "Active" },
    // NetBox's computed primary_ip: IPv6 first unless the server sets PREFER_IPV4 (the generator ignores it).
    primary_ip: ip6 ?? ip4,
    primary_ip4: ip4,
    primary_ip6: ip6,
    custom_fields: {
      helios_monitor: true,
      gnmi_enabled: true,
      gnmi_port: 6030,
      snmp_enabled: true,
      snmp_module: "arista_sw",
      telemetry_profile: "standard",
      monitoring_tier: "gold",
      blackbox_probes: "icmp, tcp:22",
      snmp_auth: null,
      address_family: null,
      ...(s.cf ?? {}),
    },
  };
}

export function rawSite(id: number, region: string | null): Record<string, unknown> {
  return { id, name: `site ${id}`, slug: `site-${id}`, region: region === null ? null : { id, name: region, slug: region } };
}

/** A small inventory covering every target type, IPv6, defaults and unusual-but-valid data. */
export function goldenInventory(): Device[] {
  const sites = siteMap([rawSite(1, "eu-west"), rawSite(2, "us-east")]);
  const raws = [
    rawDevice({ id: 4, name: "spine-2", site: 2, vendor: "juniper", platform: "junos", role: "spine", cf: { gnmi_port: null, telemetry_profile: "full", snmp_module: "juniper", blackbox_probes: "icmp" } }),
    rawDevice({ id: 1, name: "leaf-1", site: 1 }),
    rawDevice({ id: 2, name: "fw-1", site: 1, vendor: "paloalto", platform: null, role: "firewall", cf: { gnmi_enabled: false, monitoring_tier: "silver", blackbox_probes: "http:443/, dns" } }),
    rawDevice({ id: 3, name: "edge-v6", site: 2, ip: "2001:db8::10/64", vendor: "cisco", platform: "iosxr", role: "edge", cf: { snmp_enabled: false, telemetry_profile: "minimal", blackbox_probes: "" } }),
  ];
  return raws.map((r) => normalizeDevice(r, { ...DEFAULT_NORMALIZE, sites }).device as Device);
}


/** A NetBox stand-in over HTTP (list endpoints only) for CLI tests; the real one is in tests/helpers/netbox.ts. */
export async function startInventoryServer(devices: () => unknown[], sites: () => unknown[] = () => [rawSite(1, "eu-west"), rawSite(2, "us-east")]) {
  const http = await import("http");
  let down = false;
  const server = http.createServer((req, res) => {
    if (down) {
      res.statusCode = 503;
      return res.end("down");
    }
    const u = new URL(req.url ?? "", "http://x");
    const all = u.pathname === "/api/dcim/sites/" ? sites() : u.pathname === "/api/dcim/devices/" ? devices() : undefined;
    if (!all) {
      res.statusCode = 404;
      return res.end("{}");
    }
    const limit = Number(u.searchParams.get("limit") ?? 50);
    const offset = Number(u.searchParams.get("offset") ?? 0);
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ count: all.length, next: null, previous: null, results: all.slice(offset, offset + limit) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    setDown: (d: boolean) => (down = d),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let built: string | undefined;
/** Compiles src/ once per test process (tsc) so each CLI run is a plain `node` start. */
export function builtCli(): string {
  if (built) return built;
  const { spawnSync } = require("child_process") as typeof import("child_process");
  const path = require("path") as typeof import("path");
  const fs = require("fs") as typeof import("fs");
  const os = require("os") as typeof import("os");
  const root = path.resolve(__dirname, "..", "..", "..");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-dist-"));
  const r = spawnSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", path.join(__dirname, "..", "tsconfig.build.json"), "--outDir", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  // node resolves packages from the output's location: link the workspace's node_modules.
  fs.symlinkSync(path.join(root, "node_modules"), path.join(out, "node_modules"));
  built = path.join(out, "cli.js");
  return built;
}

/** Runs the compiled CLI asynchronously, so in-process test servers keep answering. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ status: number; stdout: string; stderr: string }> {
  const { spawn } = require("child_process") as typeof import("child_process");
  const cli = builtCli();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(t);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}
