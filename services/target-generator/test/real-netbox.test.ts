/**
 * Against a REAL NetBox (tests/helpers/netbox.ts: the PyPI wheel on a real PostgreSQL and
 * Redis): custom fields and a few dozen devices across regions, sites, vendors and roles are
 * created through its REST API; the CLI's outputs must match; flipping helios_monitor removes a
 * device; with NetBox stopped the outputs stay byte-for-byte, the error counter rises and a
 * one-shot run exits non-zero.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { freePort } from "../../../tests/helpers/net";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { SeededDevice, seedNetBox } from "./seed";
import { builtCli, runCli } from "./fixtures";
import { spawn } from "child_process";

type Group = { targets: string[]; labels: Record<string, string> };
const readJson = (dir: string, f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Group[];
const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));

describe("target generator against a real NetBox", () => {
  let nb: NetBox;
  let seeded: SeededDevice[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-real-"));
  beforeAll(async () => {
    builtCli();
    nb = await startNetBox();
    seeded = await seedNetBox(nb, 36);
  }, 600_000);
  afterAll(async () => {
    await nb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const cli = (token: string, ...extra: string[]) => runCli(["--netbox-url", nb.url, "--output-dir", dir, "--page-size", "10", ...extra], { NETBOX_TOKEN: token });

  jest.setTimeout(300_000);
  it("a v2 (Bearer nbt_) token run writes exactly the monitored devices, with their NetBox taxonomy", async () => {
    const r = await cli(nb.tokens.v2);
    expect(r.stderr).toContain("target sync done");
    expect(r.status).toBe(0);
    // Skipped and logged with NetBox id and display: the planned device, the one without an IP
    // and the one at a site without region (the unmonitored one is not monitored: never returned).
    expect(r.stderr).toMatch(/"display":"x-lab".*"reason":"missing_region"/);
    expect(r.stderr).toMatch(/"display":"x-planned".*"reason":"not_active"/);
    expect(r.stderr).toMatch(/"display":"x-no-ip".*"reason":"missing_primary_ip"/);
    expect(r.stderr).not.toContain("x-unmonitored");

    const prom = readJson(dir, "prometheus.json");
    expect(prom.map((g) => g.labels.device)).toEqual(seeded.map((s) => s.name));
    for (const [i, g] of prom.entries()) {
      const s = seeded[i];
      expect(g.targets).toEqual([s.address]);
      expect(Object.fromEntries(Object.entries(g.labels).filter(([k]) => k !== "helios_targets"))).toEqual(s.labels);
    }
    const snmp = readJson(dir, "snmp.json");
    expect(snmp.map((g) => [g.labels.device, g.targets[0], g.labels.__param_module, g.labels.__param_auth])).toEqual(
      seeded.filter((s) => s.snmp).map((s) => [s.name, s.address, s.snmpModule, "public_v2"]),
    );
    expect(readJson(dir, "icmp.json").map((g) => g.labels.device)).toEqual(seeded.map((s) => s.name));
    expect(readJson(dir, "tcp.json").map((g) => g.targets[0])).toEqual(seeded.filter((s) => s.probes.includes("tcp")).map((s) => `${s.address}:22`));
    expect(readJson(dir, "http.json")).toEqual([]);
    const gnmic = YAML.parse(fs.readFileSync(path.join(dir, "targets.yaml"), "utf8"));
    expect(Object.keys(gnmic)).toEqual(seeded.filter((s) => s.gnmi).map((s) => s.name));
    for (const s of seeded.filter((x) => x.gnmi)) {
      expect(gnmic[s.name].address).toBe(`${s.address}:${s.gnmiPort}`);
      expect(gnmic[s.name]["event-tags"]).toEqual(s.labels);
    }
  });

  it("a v1 (Token) run reads the same inventory and rewrites nothing", async () => {
    const before = snapshot(dir);
    const r = await cli(nb.tokens.v1);
    expect(r.status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("flipping one device's helios_monitor to false removes it from every output on the next run", async () => {
    const victim = seeded[2]; // gnmi, snmp and icmp targets
    expect([victim.gnmi, victim.snmp, victim.probes]).toEqual([true, true, "icmp"]);
    await nb.api.patch("dcim/devices", victim.id, { custom_fields: { helios_monitor: false } });
    const r = await cli(nb.tokens.v2);
    expect(r.status).toBe(0);
    for (const f of ["prometheus.json", "snmp.json", "icmp.json"]) {
      const names = readJson(dir, f).map((g) => g.labels.device);
      expect(names).not.toContain(victim.name);
    }
    expect(readJson(dir, "prometheus.json")).toHaveLength(seeded.length - 1);
    expect(YAML.parse(fs.readFileSync(path.join(dir, "targets.yaml"), "utf8"))[victim.name]).toBeUndefined();
  });

  it("NetBox stopped: outputs unchanged byte for byte, errors counted and rising, one-shot exits 1; recovers when NetBox returns", async () => {
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const daemon = spawn(process.execPath, [builtCli(), "--netbox-url", nb.url, "--output-dir", dir, "--interval", "3s", "--metrics-port", String(port), "--metrics-host", "127.0.0.1", "--retries", "0", "--timeout", "5s"], {
      env: { ...process.env, NETBOX_TOKEN: nb.tokens.v1 },
      stdio: "ignore",
    });
    const scrape = async () => {
      for (let i = 0; i < 200; i++) {
        try {
          const res = await fetch(metricsUrl);
          if (res.ok) return await res.text();
        } catch {
          /* not up yet */
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error("no /metrics");
    };
    const value = (text: string, series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(series + " "));
      return line === undefined ? undefined : Number(line.split(" ")[1]);
    };
    const waitFor = async (pred: (t: string) => boolean, what: string) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const t = await scrape();
        if (pred(t)) return t;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${t}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    try {
      const ok = await waitFor((t) => value(t, "helios_target_sync_last_success_timestamp_seconds") !== undefined, "first success");
      expect(value(ok, 'helios_target_sync_errors_total{stage="netbox"}')).toBe(0);
      expect(value(ok, 'helios_target_sync_devices{target_type="prometheus"}')).toBe(seeded.length - 1);
      const before = snapshot(dir);

      await nb.stopServer();
      const one = await waitFor((t) => (value(t, 'helios_target_sync_errors_total{stage="netbox"}') ?? 0) >= 1, "first error");
      // The last success before the outage; it must not move while NetBox is down.
      const lastSuccess = value(one, "helios_target_sync_last_success_timestamp_seconds")!;
      const two = await waitFor((t) => (value(t, 'helios_target_sync_errors_total{stage="netbox"}') ?? 0) > value(one, 'helios_target_sync_errors_total{stage="netbox"}')!, "error counter rising");
      expect(value(two, "helios_target_sync_last_success_timestamp_seconds")).toBe(lastSuccess);
      expect(snapshot(dir)).toEqual(before);

      const metricsFile = path.join(os.tmpdir(), `helios-tg-metrics-${process.pid}.prom`);
      const r = await runCli(["--netbox-url", nb.url, "--output-dir", dir, "--retries", "1", "--timeout", "3s", "--metrics-file", metricsFile], { NETBOX_TOKEN: nb.tokens.v2 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/"stage":"netbox".*ECONNREFUSED/);
      expect(fs.readFileSync(metricsFile, "utf8")).toContain('helios_target_sync_errors_total{stage="netbox"} 1');
      expect(snapshot(dir)).toEqual(before);

      await nb.startServer();
      await waitFor((t) => (value(t, "helios_target_sync_last_success_timestamp_seconds") ?? 0) > lastSuccess, "recovery");
      expect(snapshot(dir)).toEqual(before);
    } finally {
      daemon.kill("SIGTERM");
    }
  }, 900_000);
});
