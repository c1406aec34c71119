import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { generate } from "../src/generate";
import { SyncMetrics } from "../src/metrics";
import { desiredConfigMaps } from "../src/plan";
import { syncOnce } from "../src/sync";
import { DirectoryWriter, previousDeviceCount, writeTargets } from "../src/writers";
import { goldenInventory, rawDevice, rawSite } from "./fixtures";

const log = pino({ level: "silent" });

/** A NetBox stand-in for sync tests: returns fixed raw lists, or throws. */
function inventory(devices: unknown[] | Error) {
  return {
    listDevices: async () => {
      if (devices instanceof Error) throw devices;
      return devices;
    },
    listSites: async () => [rawSite(1, "eu-west"), rawSite(2, "us-east")],
  };
}
const raws = (n: number) => Array.from({ length: n }, (_, i) => rawDevice({ id: i + 1, name: `dev-${i + 1}`, site: (i % 2) + 1 }));

function metricValue(m: SyncMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return Promise.resolve(undefined);
  return metric.get().then((v) => v.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val))?.value);
}

describe("DirectoryWriter", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes each key as a file, then rewrites nothing when unchanged", async () => {
    const w = new DirectoryWriter(dir);
    const cms = desiredConfigMaps(generate(goldenInventory()), 4);
    expect((await writeTargets(w, cms, await w.readExisting())).written).toBe(4);
    expect(fs.readdirSync(dir).sort()).toEqual([".helios-targets-state.json", "dns.json", "http.json", "icmp.json", "prometheus.json", "snmp.json", "targets.yaml", "tcp.json"]);
    const mtimes = fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
    const existing = await w.readExisting();
    expect(previousDeviceCount(existing)).toBe(4);
    expect((await writeTargets(w, cms, existing)).written).toBe(0);
    expect(fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs)).toEqual(mtimes);
  });

  it("a broken state file is a clear error", async () => {
    fs.writeFileSync(path.join(dir, ".helios-targets-state.json"), "{nope");
    await expect(new DirectoryWriter(dir).readExisting()).rejects.toThrow(/not valid JSON.*remove it/);
  });
});

describe("syncOnce safety", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const snapshot = () => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));

  it("NetBox failure: nothing written, error counted by stage, ok=false", async () => {
    const metrics = new SyncMetrics();
    const writer = new DirectoryWriter(dir);
    expect((await syncOnce({ client: inventory(raws(20)), writer, metrics, log })).ok).toBe(true);
    const before = snapshot();
    const r = await syncOnce({ client: inventory(new Error("connect ECONNREFUSED")), writer, metrics, log });
    expect(r).toMatchObject({ ok: false, stage: "netbox" });
    expect(snapshot()).toEqual(before);
    expect(await metricValue(metrics, "helios_target_sync_errors_total", { stage: "netbox" })).toBe(1);
    expect(await metricValue(metrics, "helios_target_sync_devices", { target_type: "prometheus" })).toBe(20);
  });

  it("an implausible drop is refused unless forced", async () => {
    const metrics = new SyncMetrics();
    const writer = new DirectoryWriter(dir);
    await syncOnce({ client: inventory(raws(40)), writer, metrics, log });
    const before = snapshot();
    expect(await syncOnce({ client: inventory([]), writer, metrics, log })).toMatchObject({ ok: false, stage: "guard", error: expect.stringMatching(/0 monitored devices where the current targets have 40/) });
    expect(await syncOnce({ client: inventory(raws(10)), writer, metrics, log })).toMatchObject({ ok: false, stage: "guard" });
    expect(snapshot()).toEqual(before);
    expect(await metricValue(metrics, "helios_target_sync_errors_total", { stage: "guard" })).toBe(2);
    const forced = await syncOnce({ client: inventory([]), writer, metrics, log, force: true });
    expect(forced.ok).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "prometheus.json"), "utf8"))).toEqual([]);
  });

  it("bad devices are skipped and counted; the rest is written", async () => {
    const metrics = new SyncMetrics();
    const bad = [rawDevice({ id: 900, name: null }), rawDevice({ id: 901, name: "noip", ip: null }), rawDevice({ id: 902, name: "planned", status: "planned" })];
    const r = await syncOnce({ client: inventory([...raws(5), ...bad]), writer: new DirectoryWriter(dir), metrics, log });
    expect(r.ok).toBe(true);
    expect(r.devices).toBe(5);
    expect(r.skips.map((s) => s.reason).sort()).toEqual(["missing_name", "missing_primary_ip", "not_active"]);
    expect(await metricValue(metrics, "helios_target_sync_skipped_devices", { reason: "missing_primary_ip" })).toBe(1);
    expect(await metricValue(metrics, "helios_target_sync_last_success_timestamp_seconds")).toBeGreaterThan(1.7e9);
  });
});

