/**
 * A small inventory shaped like a real one, seeded in a REAL NetBox through its REST API:
 * healthy devices plus every awkward case the generator must account for (unnamed
 * virtual-chassis members, no primary IP, planned/offline, dual-stack and IPv6-only, a site
 * without region, a platform no module knows, no platform, the same name in two sites).
 * Used by real-netbox-inventory.test.ts; the expected outcome of each device is recorded here
 * next to the data that causes it.
 */
import { deviceBody, NetBox, Ref } from "../../../tests/helpers/netbox";
import { CUSTOM_FIELDS } from "./seed";

export interface InventoryDevice {
  id: number;
  name: string | null;
  site: string;
  /** What the generator must do with it under the default --address-family prefer-ipv4. */
  expect: { written: true; address: string } | { written: false; reason: string };
  ip4?: string;
  ip6?: string;
  gnmi: boolean;
  snmp: boolean;
  platform: string;
  addressFamily?: string;
}

/** Custom fields of this inventory: the generator's, plus the optional address_family (snmp_auth is left undefined on purpose). */
export const INVENTORY_CUSTOM_FIELDS = [...CUSTOM_FIELDS, { name: "address_family", type: "text" }];

export async function seedInventory(nb: NetBox): Promise<InventoryDevice[]> {
  const api = nb.api;
  for (const cf of INVENTORY_CUSTOM_FIELDS) await api.customField(cf);
  const eu = await api.region("eu-west");
  const us = await api.region("us-east");
  const sites: Record<string, Ref> = {
    ams1: await api.site({ name: "ams1", region: eu.id }),
    nyc1: await api.site({ name: "nyc1", region: us.id }),
    lab1: await api.site({ name: "lab1" }), // no region
  };
  const arista = await api.manufacturer("arista");
  const edgecore = await api.manufacturer("edgecore");
  const types = { arista: await api.deviceType("7280r3", arista.id), edgecore: await api.deviceType("as7726-32x", edgecore.id) };
  const platforms = { eos: await api.platform("eos", arista.id), sonic: await api.platform("sonic") }; // sonic: no SNMP/gNMI module knows it
  const leaf = await api.role("leaf");
  const tor = await api.role("tor");
  const vc = await api.create("dcim/virtual-chassis", { name: "r105-torsw" });

  type Spec = Omit<InventoryDevice, "id" | "expect"> & { status?: string; vcPosition?: number; monitored?: boolean; expect: InventoryDevice["expect"] | "auto" };
  const specs: Spec[] = [];
  for (let i = 1; i <= 12; i++) {
    specs.push({ name: `leaf-${String(i).padStart(2, "0")}`, site: i % 2 ? "ams1" : "nyc1", ip4: `127.0.10.${i}`, gnmi: i % 2 === 0, snmp: i % 3 !== 0, platform: "eos", expect: "auto" });
  }
  specs.push(
    { name: "core-1", site: "ams1", ip4: "127.0.20.1", ip6: "fd00:20::1", gnmi: true, snmp: true, platform: "eos", expect: "auto" },
    { name: "core-1", site: "nyc1", ip4: "127.0.20.2", gnmi: true, snmp: true, platform: "eos", expect: "auto" }, // same name, other site
    { name: "dual-v6", site: "ams1", ip4: "127.0.20.3", ip6: "fd00:20::3", gnmi: true, snmp: false, platform: "eos", addressFamily: "ipv6", expect: { written: true, address: "fd00:20::3" } },
    { name: "edge-v6", site: "nyc1", ip6: "fd00:20::4", gnmi: true, snmp: true, platform: "eos", expect: { written: true, address: "fd00:20::4" } },
    { name: "sonic-1", site: "ams1", ip4: "127.0.20.5", gnmi: false, snmp: true, platform: "sonic", expect: "auto" },
    { name: "noplat-1", site: "nyc1", ip4: "127.0.20.6", gnmi: false, snmp: true, platform: "unknown", expect: "auto" },
    { name: null, site: "ams1", ip4: "127.0.20.7", gnmi: true, snmp: true, platform: "sonic", vcPosition: 1, expect: { written: false, reason: "missing_name" } },
    { name: null, site: "ams1", ip4: "127.0.20.8", gnmi: true, snmp: true, platform: "sonic", vcPosition: 2, expect: { written: false, reason: "missing_name" } },
    { name: "no-ip-1", site: "ams1", gnmi: true, snmp: true, platform: "eos", expect: { written: false, reason: "missing_primary_ip" } },
    { name: "planned-1", site: "nyc1", ip4: "127.0.20.9", status: "planned", gnmi: true, snmp: true, platform: "eos", expect: { written: false, reason: "not_active" } },
    { name: "offline-1", site: "nyc1", ip4: "127.0.20.10", status: "offline", gnmi: true, snmp: true, platform: "eos", expect: { written: false, reason: "not_active" } },
    { name: "lab-1", site: "lab1", ip4: "127.0.20.11", gnmi: true, snmp: true, platform: "eos", expect: { written: false, reason: "missing_region" } },
    { name: "unmonitored-1", site: "ams1", ip4: "127.0.20.12", monitored: false, gnmi: true, snmp: true, platform: "eos", expect: { written: false, reason: "(not monitored: never returned)" } },
  );

  const out: InventoryDevice[] = [];
  for (const s of specs) {
    const sonic = s.platform === "sonic";
    const body = deviceBody({
      name: s.name as string,
      site: sites[s.site].id,
      role: sonic ? tor.id : leaf.id,
      deviceType: sonic ? types.edgecore.id : types.arista.id,
      platform: s.platform === "unknown" ? undefined : platforms[s.platform as "eos" | "sonic"].id,
      status: s.status,
      customFields: {
        helios_monitor: s.monitored ?? true,
        gnmi_enabled: s.gnmi,
        snmp_enabled: s.snmp,
        snmp_module: sonic ? null : "arista_sw",
        telemetry_profile: "standard",
        monitoring_tier: "gold",
        blackbox_probes: "icmp",
        address_family: s.addressFamily ?? null,
      },
    });
    if (s.vcPosition !== undefined) Object.assign(body, { virtual_chassis: vc.id, vc_position: s.vcPosition });
    const d = await api.create("dcim/devices", body);
    if (s.ip4) await api.primaryIp(d.id, `${s.ip4}/32`, "mgmt0");
    if (s.ip6) await api.primaryIp(d.id, `${s.ip6}/128`, "mgmt1");
    const expect: InventoryDevice["expect"] = s.expect === "auto" ? { written: true, address: (s.ip4 ?? s.ip6) as string } : s.expect;
    out.push({ id: d.id, name: s.name, site: s.site, expect, ip4: s.ip4, ip6: s.ip6, gnmi: s.gnmi, snmp: s.snmp, platform: s.platform, addressFamily: s.addressFamily });
  }
  return out.filter((d) => !d.name?.startsWith("unmonitored"));
}

type Json = Record<string, unknown>;
type Group = { targets: string[]; labels: Record<string, string> };

/** The CLI's JSON log lines (pino on stderr). */
export const logLines = (stderr: string): Json[] =>
  stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Json);

/**
 * Asserts one CLI run over the seeded inventory accounted for every monitored device: written
 * with the expected address, or skipped with the expected reason, a log line carrying the
 * NetBox id and the display NetBox itself shows, the skip metric; one summary line.
 */
export async function expectEveryDeviceAccounted(nb: NetBox, inventory: InventoryDevice[], r: { status: number; stderr: string }, dir: string, metricsFile: string): Promise<void> {
  const fs = await import("fs");
  const path = await import("path");
  expect(r.status).toBe(0);
  const lines = logLines(r.stderr);
  const displays = new Map((await nb.api.list("dcim/devices", { cf_helios_monitor: "true" })).map((d) => [d.id, d.display]));
  expect(displays.size).toBe(inventory.length);

  const skippedLines = lines.filter((l) => String(l.msg).startsWith("device skipped"));
  const expectedSkips = inventory.filter((d) => !d.expect.written);
  const reasonOf = (d: InventoryDevice) => (d.expect as { reason: string }).reason;
  expect(skippedLines.map((l) => [l.id, l.reason, l.scope]).sort()).toEqual(expectedSkips.map((d) => [d.id, reasonOf(d), "device"]).sort());
  for (const l of skippedLines) {
    expect(l.display).toBe(displays.get(l.id as number));
    expect(String(l.display)).not.toBe("");
  }
  // Unnamed virtual-chassis members are told apart by NetBox's display ("r105-torsw:1 ...").
  const unnamed = skippedLines.filter((l) => l.reason === "missing_name");
  expect(unnamed).toHaveLength(2);
  for (const l of unnamed) expect(String(l.display)).toContain("r105-torsw");

  const summary = lines.find((l) => l.msg === "target sync summary");
  const written = inventory.filter((d) => d.expect.written);
  expect(summary).toMatchObject({ monitored: inventory.length, written: written.length, devicesSkipped: expectedSkips.length });

  const prom = JSON.parse(fs.readFileSync(path.join(dir, "prometheus.json"), "utf8")) as Group[];
  expect(prom.map((g) => `${g.labels.device}@${g.labels.site}=${g.targets[0]}`).sort()).toEqual(written.map((d) => `${d.name}@${d.site}=${(d.expect as { address: string }).address}`).sort());
  expect(prom.find((g) => g.labels.device === "sonic-1")?.labels.platform).toBe("sonic");
  expect(prom.find((g) => g.labels.device === "noplat-1")?.labels.platform).toBe("unknown");

  const metrics = fs.readFileSync(metricsFile, "utf8");
  const byReason = new Map<string, number>();
  for (const d of expectedSkips) byReason.set(reasonOf(d), (byReason.get(reasonOf(d)) ?? 0) + 1);
  for (const [reason, n] of byReason) expect(metrics).toContain(`helios_target_sync_skipped_devices{reason="${reason}",scope="device"} ${n}`);
  expect(metrics).toContain('helios_target_sync_label_fallbacks{field="platform"} 1');
}
