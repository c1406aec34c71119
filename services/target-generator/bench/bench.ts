/**
 * Target generator benchmark (`npm run bench target-generator` from the repo root).
 *
 * 1. generate8000: 8,000 NetBox-shaped devices -> normalize -> all generators -> ConfigMap plan
 *    (split included); median of 5 runs after a warm-up; peak RSS of this process. Floor: < 2 s.
 * 2. netboxSync: a real NetBox (tests/helpers/netbox.ts) holding HELIOS_BENCH_NETBOX_DEVICES
 *    monitored devices (default 8000, SC-005), then a full sync (paged reads of devices +
 *    sites, schema check, generate, guards, write files), best of 2. Floor < 5 min, aim < 60 s.
 *    Seeding: HELIOS_BENCH_SEED=orm (default) bulk-creates the devices and their primary IPs in
 *    NetBox's own Django shell (minutes instead of ~6 min per 1000 devices through REST; the IPs
 *    are not assigned to an interface, which the device list does not show); =api seeds through
 *    the REST API like the tests. The taxonomy, custom fields and the awkward devices (planned,
 *    no IP, site without region) always go through REST. HELIOS_BENCH_NETBOX_DEVICES=0 skips.
 * Writes bench/results/target-generator.json (date, machine, load average, commit, parameters).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { generate } from "../src/generate";
import { SyncMetrics } from "../src/metrics";
import { NetBoxClient } from "../src/netbox";
import { DEFAULT_NORMALIZE, normalizeDevice } from "../src/normalize";
import { desiredConfigMaps } from "../src/plan";
import { siteMap, syncOnce } from "../src/sync";
import { Device } from "../src/types";
import { DirectoryWriter } from "../src/writers";
import { rawDevice, rawSite } from "../test/fixtures";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FLOOR_MS = 2000;
/** SC-005: a full sync of 8,000 devices against NetBox in under 5 minutes; the aim is 60 s. */
const NETBOX_SYNC_FLOOR_MS = 5 * 60_000;
const NETBOX_SYNC_AIM_MS = 60_000;

function gitCommit(): string {
  const r = spawnSync("git", ["-C", ROOT, "describe", "--always", "--dirty"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

/**
 * Python for NetBox's Django shell: n monitored devices spread over the regioned sites, vendors
 * and roles that seedNetBox created, each with an IPv4 primary address, in bulk.
 */
function ormSeed(n: number): string {
  return `
from netaddr import IPNetwork
from dcim.models import Device, DeviceRole, DeviceType, Platform, Site
from ipam.models import IPAddress
n = ${n}
sites = list(Site.objects.filter(region__isnull=False).order_by("id"))
types = list(DeviceType.objects.select_related("manufacturer").order_by("id"))
platform_of = {p.manufacturer_id: p for p in Platform.objects.all()}
roles = list(DeviceRole.objects.order_by("id"))
ips = IPAddress.objects.bulk_create([IPAddress(address=IPNetwork(f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32"), status="active") for i in range(1, n + 1)], batch_size=1000)
profiles = ["minimal", "standard", "full"]
tiers = ["gold", "silver", "bronze"]
devices = []
for i in range(n):
    t = types[i % len(types)]
    devices.append(Device(
        name=f"bench-{i:05d}", site=sites[i % len(sites)], device_type=t, role=roles[i % len(roles)],
        platform=platform_of.get(t.manufacturer_id), status="active", primary_ip4=ips[i],
        custom_field_data={"helios_monitor": True, "gnmi_enabled": i % 2 == 0, "gnmi_port": 57400, "snmp_enabled": i % 3 != 0,
            "snmp_module": t.manufacturer.slug, "telemetry_profile": profiles[i % 3], "monitoring_tier": tiers[i % 3],
            "blackbox_probes": "icmp, tcp:22" if i % 4 == 0 else "icmp"}))
Device.objects.bulk_create(devices, batch_size=1000)
print(Device.objects.filter(name__startswith="bench-").count())
`;
}

function pipeline(raws: unknown[], sites: ReturnType<typeof siteMap>) {
  const devices: Device[] = [];
  for (const r of raws) {
    const d = normalizeDevice(r, { ...DEFAULT_NORMALIZE, sites }).device;
    if (d) devices.push(d);
  }
  const g = generate(devices);
  return desiredConfigMaps(g, devices.length);
}

async function main() {
  const n = 8000;
  const sites = siteMap(Array.from({ length: 40 }, (_, i) => rawSite(i + 1, `region-${i % 5}`)));
  const raws = Array.from({ length: n }, (_, i) =>
    rawDevice({
      id: i + 1,
      name: `dev-${String(i).padStart(5, "0")}`,
      site: (i % 40) + 1,
      vendor: ["arista", "juniper", "cisco", "paloalto"][i % 4],
      cf: { gnmi_enabled: i % 2 === 0, snmp_enabled: true, blackbox_probes: i % 5 === 0 ? "icmp, tcp:22, http:443/" : "icmp", telemetry_profile: ["minimal", "standard", "full"][i % 3] },
    }),
  );
  pipeline(raws.slice(0, 500), sites); // warm-up (JIT)
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let cms: ReturnType<typeof desiredConfigMaps> = [];
  for (let k = 0; k < 5; k++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    cms = pipeline(raws, sites);
    const c = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpuTimes.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  // Wall time on a 2-core machine shared with other work is inflated by waiting for a core;
  // the CPU time this process used is the figure held to the floor, both are recorded.
  const generate8000Ms = Math.round(cpuTimes[2]);
  const generate8000WallMs = Math.round(times[2]);
  const bytes = cms.reduce((s, c) => s + Object.values(c.data).reduce((x, v) => x + Buffer.byteLength(v), 0), 0);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`generate 8000 devices: median CPU ${generate8000Ms} ms, wall ${generate8000WallMs} ms (wall runs ${times.map((t) => Math.round(t)).join(", ")} ms; load average ${os.loadavg()[0].toFixed(1)}), ${cms.length} ConfigMaps, ${(bytes / 1048576).toFixed(1)} MiB of targets, peak RSS ${peakRssMb} MiB`);

  const result: Record<string, unknown> = {
    generate8000Ms,
    generate8000WallMs,
    generate8000WallRunsMs: times.map((t) => Math.round(t)),
    generate8000CpuRunsMs: cpuTimes.map((t) => Math.round(t)),
    loadAverage1m: Number(os.loadavg()[0].toFixed(1)),
    peakRssMb,
    configMaps8000: cms.length,
    targetsBytes8000: bytes,
    floorGenerate8000Ms: FLOOR_MS,
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, shared`,
    date: new Date().toISOString(),
  };

  const nbDevices = Number(process.env.HELIOS_BENCH_NETBOX_DEVICES ?? "8000");
  const seedMethod = process.env.HELIOS_BENCH_SEED ?? "orm";
  if (nbDevices > 0) {
    const { startNetBox } = await import("../../../tests/helpers/netbox");
    const { seedNetBox } = await import("../test/seed");
    const nb = await startNetBox({ workers: 2 });
    try {
      const s0 = Date.now();
      if (seedMethod === "api") await seedNetBox(nb, nbDevices);
      else {
        await seedNetBox(nb, 0);
        nb.shell(ormSeed(nbDevices));
      }
      const seedMs = Date.now() - s0;
      const pageSize = 1000;
      const runs: number[] = [];
      let devices = 0;
      let monitored = 0;
      let skipped: Record<string, number> = {};
      let requests = 0;
      const loadBefore = Number(os.loadavg()[0].toFixed(1));
      for (let k = 0; k < 2; k++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-bench-"));
        const client = new NetBoxClient({ url: nb.url, token: nb.tokens.v2, pageSize, timeoutMs: 120_000 });
        const t0 = Date.now();
        const r = await syncOnce({ client, writer: new DirectoryWriter(dir), metrics: new SyncMetrics(), log: pino({ level: "silent" }) });
        runs.push(Date.now() - t0);
        if (!r.ok) throw new Error(`sync failed: ${r.error}`);
        devices = r.devices;
        monitored = r.monitored;
        skipped = {};
        for (const s of r.skips) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
        requests = client.requests;
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const best = Math.min(...runs);
      if (devices < nbDevices) throw new Error(`only ${devices} of ${nbDevices} seeded devices were written`);
      console.log(`real NetBox, ${monitored} monitored devices (seeded by ${seedMethod} in ${Math.round(seedMs / 1000)} s): full sync best ${best} ms (runs ${runs.join(", ")} ms), ${devices} written, skipped ${JSON.stringify(skipped)}, ${requests} HTTP requests, load average ${loadBefore}`);
      Object.assign(result, {
        netboxDevices: devices,
        netboxMonitoredDevices: monitored,
        netboxSkipped: skipped,
        netboxSyncMs: best,
        netboxSyncRunsMs: runs,
        netboxRequests: requests,
        netboxPageSize: pageSize,
        netboxSeed: seedMethod,
        netboxSeedMs: seedMs,
        netboxSyncLoadAverage1m: loadBefore,
        netboxVersion: (await nb.api.status())["netbox-version"],
        floorNetboxSyncMs: NETBOX_SYNC_FLOOR_MS,
        aimNetboxSyncMs: NETBOX_SYNC_AIM_MS,
      });
      if (best >= NETBOX_SYNC_FLOOR_MS) {
        console.error(`full sync of ${devices} devices took ${best} ms, floor is ${NETBOX_SYNC_FLOOR_MS} ms (SC-005)`);
        process.exitCode = 1;
      }
    } finally {
      await nb.stop();
    }
  }
  result.commit = gitCommit();

  const out = path.join(ROOT, "bench", "results", "target-generator.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${path.relative(ROOT, out)}`);
  if (generate8000Ms >= FLOOR_MS) {
    console.error(`generation of 8000 devices took ${generate8000Ms} ms of CPU, floor is ${FLOOR_MS} ms`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
