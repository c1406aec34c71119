/**
 * Sync-level accounting, schema check and guards (in-process NetBox stand-in returning
 * NetBox-4.x-shaped JSON; the same cases against the real NetBox are in
 * real-netbox-inventory.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { Writable } from "stream";
import { checkTargetGuards } from "../src/guard";
import { SyncMetrics } from "../src/metrics";
import { DEVICE_FIELD_PATHS, OPTIONAL_CUSTOM_FIELDS } from "../src/schema";
import { syncOnce } from "../src/sync";
import { DirectoryWriter } from "../src/writers";
import { rawDevice, rawSite } from "./fixtures";

type Json = Record<string, unknown>;

function capture() {
  const lines: Json[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

/** 40 healthy devices of which 20 poll SNMP, 20 gNMI, platform set, plus the awkward ones. */
function inventory(): Json[] {
  const healthy = Array.from({ length: 40 }, (_, i) =>
    rawDevice({ id: i + 1, name: `dev-${i + 1}`, site: (i % 2) + 1, cf: { snmp_enabled: i % 2 === 0, gnmi_enabled: i % 2 === 1 } }),
  );
  return [
    ...healthy,
    rawDevice({ id: 101, name: null, display: "r105-torsw:1" }),
    rawDevice({ id: 102, name: "no-ip", ip: null }),
    rawDevice({ id: 103, name: "planned-1", status: "planned" }),
    rawDevice({ id: 104, name: "offline-1", status: "offline" }),
    rawDevice({ id: 105, name: "lab-1", site: 3 }),
  ];
}
const sites = [rawSite(1, "eu-west"), rawSite(2, "us-east"), rawSite(3, null)];
const client = (devices: () => unknown[]) => ({ listDevices: async () => devices(), listSites: async () => sites });

/** Deletes a dotted path from every device (what a NetBox upgrade or a deleted custom field does). */
function without(devices: Json[], dotted: string): Json[] {
  return devices.map((d) => {
    const copy = JSON.parse(JSON.stringify(d)) as Json;
    const keys = dotted.split(".");
    let cur: Json | null = copy;
    for (const k of keys.slice(0, -1)) cur = cur && typeof cur[k] === "object" ? (cur[k] as Json | null) : null;
    if (cur) delete cur[keys[keys.length - 1]];
    return copy;
  });
}

describe("every monitored device is accounted for", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-acc-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const snapshot = () => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));

  it("each skipped device has a reason, a log line with its NetBox id and display, and a metric; one summary line", async () => {
    const { log, lines } = capture();
    const metrics = new SyncMetrics();
    const r = await syncOnce({ client: client(inventory), writer: new DirectoryWriter(dir), metrics, log });
    expect(r.ok).toBe(true);
    expect(r.monitored).toBe(45);
    const skipped = lines.filter((l) => l.msg && String(l.msg).startsWith("device skipped"));
    expect(skipped.map((l) => [l.id, l.display, l.reason, l.scope])).toEqual([
      [101, "r105-torsw:1", "missing_name", "device"],
      [102, "no-ip", "missing_primary_ip", "device"],
      [103, "planned-1", "not_active", "device"],
      [104, "offline-1", "not_active", "device"],
      [105, "lab-1", "missing_region", "device"],
    ]);
    // monitored = written + skipped as a whole
    expect(r.devices + r.skips.filter((s) => s.scope === "device").length).toBe(r.monitored);
    const summary = lines.filter((l) => l.msg === "target sync summary");
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ monitored: 45, written: 40, devicesSkipped: 5, skipped: { "missing_name/device": 1, "missing_primary_ip/device": 1, "not_active/device": 2, "missing_region/device": 1 } });
    const text = await metrics.registry.metrics();
    expect(text).toContain('helios_target_sync_skipped_devices{reason="not_active",scope="device"} 2');
    expect(text).toContain('helios_target_sync_skipped_devices{reason="missing_name",scope="device"} 1');
    expect(text).toContain('helios_target_sync_label_fallbacks{field="platform"} 0');
  });

  it("duplicate names: no skip, a renamed-target metric and a log line with both ids' display", async () => {
    const { log, lines } = capture();
    const metrics = new SyncMetrics();
    const devices = [rawDevice({ id: 1, name: "core-1", site: 1 }), rawDevice({ id: 2, name: "core-1", site: 2 })];
    const r = await syncOnce({ client: client(() => devices), writer: new DirectoryWriter(dir), metrics, log });
    expect(r.skips).toEqual([]);
    expect(r.counts).toMatchObject({ gnmic: 2, snmp: 2, prometheus: 2 });
    expect(lines.find((l) => l.reason === "duplicate_name")).toMatchObject({ id: 2, display: "core-1", scope: "gnmic", key: "core-1@site-2" });
    expect(await metrics.registry.metrics()).toContain('helios_target_sync_renamed_targets{reason="duplicate_name",scope="gnmic"} 1');
    expect(await metrics.registry.metrics()).not.toContain("duplicate_name\",scope=\"device");
  });

  describe("schema drift: an absent field stops the sync, byte-identical outputs", () => {
    const required = DEVICE_FIELD_PATHS.filter((p) => !p.endsWith(".slug") && !p.endsWith(".value") && !p.endsWith(".address") && !p.endsWith(".id") && !p.endsWith(".manufacturer"));
    it.each(required.map((p) => [p]))("%s removed from every device", async (field) => {
      const writer = new DirectoryWriter(dir);
      const metrics = new SyncMetrics();
      expect((await syncOnce({ client: client(inventory), writer, metrics, log: pino({ level: "silent" }) })).ok).toBe(true);
      const before = snapshot();
      const r = await syncOnce({ client: client(() => without(inventory(), field)), writer, metrics, log: pino({ level: "silent" }) });
      expect(r).toMatchObject({ ok: false, stage: "schema" });
      expect(r.error).toContain(`field ${field} is missing`);
      expect(snapshot()).toEqual(before);
      expect(await metrics.registry.metrics()).toContain('helios_target_sync_errors_total{stage="schema"} 1');
    });

    it("a nested field (platform.slug, site.region) absent is a schema error too; null is data", async () => {
      const writer = new DirectoryWriter(dir);
      const log = pino({ level: "silent" });
      expect((await syncOnce({ client: client(inventory), writer, metrics: new SyncMetrics(), log })).ok).toBe(true);
      const r = await syncOnce({ client: client(() => without(inventory(), "platform.slug")), writer, metrics: new SyncMetrics(), log });
      expect(r).toMatchObject({ ok: false, stage: "schema", error: expect.stringContaining("field platform.slug is missing") });
      const noRegion = { listDevices: async () => inventory(), listSites: async () => sites.map((s) => ({ id: s.id, slug: s.slug })) };
      expect(await syncOnce({ client: noRegion, writer, metrics: new SyncMetrics(), log })).toMatchObject({ ok: false, stage: "schema", error: expect.stringContaining("field region is missing") });
    });

    it.each(OPTIONAL_CUSTOM_FIELDS.map((f) => [f]))("optional custom field %s absent: defaults apply, counted as fallbacks, written", async (f) => {
      const writer = new DirectoryWriter(dir);
      const log = pino({ level: "silent" });
      await syncOnce({ client: client(inventory), writer, metrics: new SyncMetrics(), log });
      const metrics = new SyncMetrics();
      const r = await syncOnce({ client: client(() => without(inventory(), `custom_fields.${f}`)), writer, metrics, log });
      expect(r.ok).toBe(true);
      expect(r.written).toBe(0); // all values were null already: same outputs
      expect(await metrics.registry.metrics()).toMatch(new RegExp(`helios_target_sync_label_fallbacks\\{field="custom_fields.${f}"\\} [1-9]`));
    });
  });

  describe("guards per target type and per label (values present but null)", () => {
    const nulled = (field: string) => () =>
      inventory().map((d) => {
        const c = JSON.parse(JSON.stringify(d)) as Json;
        if (field.startsWith("custom_fields.")) (c.custom_fields as Json)[field.slice(14)] = null;
        else c[field] = null;
        return c;
      });
    it.each([
      ["custom_fields.snmp_enabled", /snmp targets dropped from 20 to 0 \(field custom_fields.snmp_enabled\)/],
      ["custom_fields.gnmi_enabled", /gnmic targets dropped from 20 to 0 \(field custom_fields.gnmi_enabled\)/],
      ["custom_fields.blackbox_probes", /blackbox-icmp targets dropped from 40 to 0 \(field custom_fields.blackbox_probes\)/],
      ["platform", /40 more devices fell back to the default for field platform/],
      ["custom_fields.snmp_module", /20 more devices fell back to the default for field custom_fields.snmp_module/],
      ["custom_fields.telemetry_profile", /20 more devices fell back to the default for field custom_fields.telemetry_profile/],
    ])("%s null on every device: exit with stage guard naming the field, outputs byte-identical; --force writes", async (field, message) => {
      const writer = new DirectoryWriter(dir);
      const log = pino({ level: "silent" });
      const metrics = new SyncMetrics();
      await syncOnce({ client: client(inventory), writer, metrics, log });
      const before = snapshot();
      const r = await syncOnce({ client: client(nulled(field)), writer, metrics, log });
      expect(r).toMatchObject({ ok: false, stage: "guard" });
      expect(r.error).toMatch(message);
      expect(snapshot()).toEqual(before);
      expect(await metrics.registry.metrics()).toContain('helios_target_sync_errors_total{stage="guard"} 1');
      expect((await syncOnce({ client: client(nulled(field)), writer, metrics, log, force: true })).ok).toBe(true);
      expect(snapshot()).not.toEqual(before);
    });

    it("a few devices flipping to a fallback (under 10 %, or fewer than 3) are written and counted", async () => {
      const writer = new DirectoryWriter(dir);
      const log = pino({ level: "silent" });
      await syncOnce({ client: client(inventory), writer, metrics: new SyncMetrics(), log });
      const two = () => inventory().map((d) => (d.id === 1 || d.id === 2 ? { ...d, platform: null } : d));
      const metrics = new SyncMetrics();
      const r = await syncOnce({ client: client(two), writer, metrics, log });
      expect(r.ok).toBe(true);
      expect(r.stats?.fallbacks.platform).toBe(2);
      expect(await metrics.registry.metrics()).toContain('helios_target_sync_label_fallbacks{field="platform"} 2');
      const prom = JSON.parse(fs.readFileSync(path.join(dir, "prometheus.json"), "utf8")) as { labels: Record<string, string> }[];
      expect(prom.filter((g) => g.labels.platform === "unknown").map((g) => g.labels.device).sort()).toEqual(["dev-1", "dev-2"]);
    });
  });
});

describe("checkTargetGuards", () => {
  const stats = (targets: Record<string, number>, platform = 0) => ({
    targets,
    fallbacks: { platform, "custom_fields.gnmi_port": 0, "custom_fields.snmp_module": 0, "custom_fields.snmp_auth": 0, "custom_fields.telemetry_profile": 0, "custom_fields.address_family": 0 },
  });
  it("no recorded baseline (first run, or outputs of an older version): no verdict", () => {
    expect(checkTargetGuards(undefined, stats({ snmp: 0 }), 100).ok).toBe(true);
  });
  it("a type dropping by more than --max-drop of at least 10 stops; a small type may shrink", () => {
    expect(checkTargetGuards(stats({ snmp: 40 }), stats({ snmp: 19 }), 100)).toMatchObject({ ok: false, reason: expect.stringMatching(/snmp targets dropped from 40 to 19, more than 50% \(field custom_fields.snmp_enabled\)/) });
    expect(checkTargetGuards(stats({ snmp: 40 }), stats({ snmp: 19 }), 100, { maxDropRatio: 0.6 }).ok).toBe(true);
    expect(checkTargetGuards(stats({ gnmic: 6 }), stats({ gnmic: 1 }), 100).ok).toBe(true);
    expect(checkTargetGuards(stats({ gnmic: 6 }), stats({ gnmic: 0 }), 100).ok).toBe(false);
  });
  it("fallback flips: limit is 10 % of the devices and never below 3 flips", () => {
    expect(checkTargetGuards(stats({}, 0), stats({}, 2), 10).ok).toBe(true);
    expect(checkTargetGuards(stats({}, 0), stats({}, 3), 10).ok).toBe(false);
    expect(checkTargetGuards(stats({}, 5), stats({}, 15), 100).ok).toBe(true);
    expect(checkTargetGuards(stats({}, 5), stats({}, 16), 100)).toMatchObject({ ok: false, reason: expect.stringMatching(/11 more devices fell back to the default for field platform \(5 -> 16 of 100; limit 10\)/) });
  });
});
