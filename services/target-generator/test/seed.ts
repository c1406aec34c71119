/** Seeds a real NetBox (tests/helpers/netbox.ts) with the Helios custom fields and devices; used by the real-NetBox test and the benchmark. */
import { deviceBody, NetBox, Ref } from "../../../tests/helpers/netbox";

export const CUSTOM_FIELDS: { name: string; type: string }[] = [
  { name: "helios_monitor", type: "boolean" },
  { name: "gnmi_enabled", type: "boolean" },
  { name: "gnmi_port", type: "integer" },
  { name: "snmp_enabled", type: "boolean" },
  { name: "snmp_module", type: "text" },
  { name: "telemetry_profile", type: "text" },
  { name: "monitoring_tier", type: "text" },
  { name: "blackbox_probes", type: "text" },
];

const SITES = [
  { name: "ams1", region: "eu-west" },
  { name: "fra1", region: "eu-west" },
  { name: "nyc1", region: "us-east" },
  { name: "sin1", region: "ap-south" },
];
const VENDORS = [
  { vendor: "arista", platform: "eos", model: "7280r3" },
  { vendor: "juniper", platform: "junos", model: "qfx5120" },
  { vendor: "cisco", platform: "iosxr", model: "ncs-5501" },
];
const ROLES = ["leaf", "spine", "edge"];
const PROFILES = ["minimal", "standard", "full"];
const TIERS = ["gold", "silver", "bronze"];

export interface SeededDevice {
  id: number;
  name: string;
  address: string;
  labels: Record<string, string>;
  gnmi: boolean;
  gnmiPort: number;
  snmp: boolean;
  snmpModule: string;
  probes: string;
}

/** Creates the custom fields and n monitored devices (bulk API calls) plus a few that must be left out. */
export async function seedNetBox(nb: NetBox, n: number, opts: { ipBase?: (i: number) => string } = {}): Promise<SeededDevice[]> {
  const api = nb.api;
  for (const cf of CUSTOM_FIELDS) await api.customField(cf);
  const regions = new Map<string, Ref>();
  for (const r of [...new Set(SITES.map((s) => s.region))]) regions.set(r, await api.region(r));
  const sites = [];
  for (const s of SITES) sites.push(await api.site({ name: s.name, region: regions.get(s.region)!.id }));
  const labSite = await api.site({ name: "lab1" }); // no region
  const types = [];
  const platforms = [];
  for (const v of VENDORS) {
    const m = await api.manufacturer(v.vendor);
    types.push(await api.deviceType(v.model, m.id));
    platforms.push(await api.platform(v.platform, m.id));
  }
  const roles = [];
  for (const r of ROLES) roles.push(await api.role(r));

  const ip = opts.ipBase ?? ((i: number) => `127.0.${1 + Math.floor(i / 250)}.${(i % 250) + 1}`);
  const seeded: Omit<SeededDevice, "id">[] = [];
  const bodies = [];
  for (let i = 0; i < n; i++) {
    const v = i % VENDORS.length;
    const s = i % SITES.length;
    const name = `dev-${String(i).padStart(4, "0")}`;
    const cf = {
      helios_monitor: true,
      gnmi_enabled: i % 2 === 0,
      gnmi_port: 57400 + (i % 3),
      snmp_enabled: i % 3 !== 0,
      snmp_module: VENDORS[v].vendor,
      telemetry_profile: PROFILES[i % 3],
      monitoring_tier: TIERS[i % 3],
      blackbox_probes: i % 4 === 0 ? "icmp, tcp:22" : "icmp",
    };
    bodies.push(deviceBody({ name, site: sites[s].id, role: roles[i % 3].id, deviceType: types[v].id, platform: platforms[v].id, customFields: cf }));
    seeded.push({
      name,
      address: ip(i),
      labels: { device: name, site: SITES[s].name, region: SITES[s].region, vendor: VENDORS[v].vendor, platform: VENDORS[v].platform, role: ROLES[i % 3], tier: TIERS[i % 3] },
      gnmi: cf.gnmi_enabled,
      gnmiPort: cf.gnmi_port,
      snmp: cf.snmp_enabled,
      snmpModule: cf.snmp_module,
      probes: cf.blackbox_probes,
    });
  }
  // Devices that must NOT become targets.
  const base = { site: sites[0].id, role: roles[0].id, deviceType: types[0].id, platform: platforms[0].id };
  const full = { helios_monitor: true, gnmi_enabled: true, snmp_enabled: true, monitoring_tier: "gold", blackbox_probes: "icmp" };
  const excluded = [
    deviceBody({ ...base, name: "x-unmonitored", customFields: { ...full, helios_monitor: false } }),
    deviceBody({ ...base, name: "x-planned", status: "planned", customFields: full }),
    deviceBody({ ...base, name: "x-lab", site: labSite.id, customFields: full }),
  ];
  const noIp = deviceBody({ ...base, name: "x-no-ip", customFields: full });

  const created: Ref[] = [];
  for (let i = 0; i < bodies.length; i += 500) created.push(...(await api.create("dcim/devices", bodies.slice(i, i + 500))));
  const createdExcluded = await api.create("dcim/devices", excluded);
  await api.create("dcim/devices", [noIp]);
  const withIp = [...created, ...createdExcluded];
  const ipOf = (k: number) => (k < n ? ip(k) : ip(n + k));
  const ifaces: Ref[] = [];
  for (let i = 0; i < withIp.length; i += 500) {
    ifaces.push(...(await api.create("dcim/interfaces", withIp.slice(i, i + 500).map((d) => ({ device: d.id, name: "mgmt0", type: "1000base-t" })))));
  }
  const ips: Ref[] = [];
  for (let i = 0; i < ifaces.length; i += 500) {
    ips.push(...(await api.create("ipam/ip-addresses", ifaces.slice(i, i + 500).map((f, j) => ({ address: `${ipOf(i + j)}/32`, status: "active", assigned_object_type: "dcim.interface", assigned_object_id: f.id })))));
  }
  for (let i = 0; i < withIp.length; i += 500) {
    await api.bulkPatch("dcim/devices", withIp.slice(i, i + 500).map((d, j) => ({ id: d.id, primary_ip4: ips[i + j].id })));
  }
  return seeded.map((s, i) => ({ ...s, id: created[i].id }));
}

