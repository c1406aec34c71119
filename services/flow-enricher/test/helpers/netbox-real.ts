/**
 * Fills a REAL NetBox (tests/helpers/netbox.ts) through its REST API with the inventory a
 * NetBoxWorld describes, so the tests written against the hand-written fixture
 * (netbox-fixture.ts) can run the same world against NetBox itself.
 *
 * World ids are fixture ids only; NetBox assigns its own, and the returned maps translate.
 * Seeding is additive: calling it again with another world reuses sites, regions, roles,
 * vendors, device types, platforms, tenants and custom fields that already exist (by name)
 * and creates the new devices, interfaces and IPs.
 */
import { NetBox, Ref, slugify } from "../../../../tests/helpers/netbox";
import { NetBoxWorld } from "./netbox-fixture";

/** The enricher's defaults (src/config.ts NETBOX_IFINDEX_FIELD / NETBOX_TIER_FIELD). */
export const IFINDEX_FIELD = "snmp_ifindex";
export const TIER_FIELD = "monitoring_tier";

/**
 * NetBox only accepts a primary IP that sits on one of the device's own interfaces, and the world
 * does not say which. Primary IPs go on this interface (created when the world has none of that
 * name); it has no ifIndex, so the enricher does not index it.
 */
export const PRIMARY_IP_INTERFACE = "mgmt0";

/** fixture id → NetBox id, per object kind */
export interface SeededWorld {
  sites: Map<number, number>;
  devices: Map<number, number>;
  interfaces: Map<number, number>;
  ips: Map<number, number>;
}

// NetBox's bulk endpoints take a list; chunks keep one request well inside the server's timeout.
const CHUNK = 500;

async function bulkCreate(nb: NetBox, endpoint: string, bodies: Record<string, unknown>[]): Promise<Ref[]> {
  const out: Ref[] = [];
  for (let i = 0; i < bodies.length; i += CHUNK) out.push(...(await nb.api.create(endpoint, bodies.slice(i, i + CHUNK))));
  return out;
}

async function bulkPatch(nb: NetBox, endpoint: string, bodies: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += CHUNK) await nb.api.bulkPatch(endpoint, bodies.slice(i, i + CHUNK));
}

/** Get-or-create by name for the small taxonomy objects a world shares with earlier ones. */
async function byName(nb: NetBox, endpoint: string, nameKey = "name"): Promise<(name: string, body: Record<string, unknown>) => Promise<number>> {
  const known = new Map((await nb.api.list(endpoint)).map((o) => [String(o[nameKey]), o.id]));
  return async (name, body) => {
    let id = known.get(name);
    if (id === undefined) {
      id = (await nb.api.create(endpoint, { [nameKey]: name, slug: slugify(name), ...body })).id;
      known.set(name, id);
    }
    return id;
  };
}

/** The custom fields the enricher reads; the tier also on sites (the enricher falls back to the site's). */
async function ensureCustomFields(nb: NetBox): Promise<void> {
  const existing = new Set((await nb.api.list("extras/custom-fields")).map((f) => String(f.name)));
  if (!existing.has(IFINDEX_FIELD)) {
    await nb.api.customField({ name: IFINDEX_FIELD, type: "integer", label: "SNMP ifIndex", objectTypes: ["dcim.interface"], extra: { validation_minimum: 0 } });
  }
  if (!existing.has(TIER_FIELD)) {
    await nb.api.customField({ name: TIER_FIELD, type: "text", label: "Monitoring tier", objectTypes: ["dcim.device", "dcim.site"] });
  }
}

export async function seedNetBoxWorld(nb: NetBox, world: NetBoxWorld): Promise<SeededWorld> {
  await ensureCustomFields(nb);
  const seeded: SeededWorld = { sites: new Map(), devices: new Map(), interfaces: new Map(), ips: new Map() };

  const region = await byName(nb, "dcim/regions");
  const site = await byName(nb, "dcim/sites");
  for (const s of world.sites) {
    seeded.sites.set(s.id, await site(s.name, { status: "active", region: s.region ? await region(s.region, {}) : null }));
  }

  const role = await byName(nb, "dcim/device-roles");
  const manufacturer = await byName(nb, "dcim/manufacturers");
  const deviceType = await byName(nb, "dcim/device-types", "model");
  const platform = await byName(nb, "dcim/platforms");
  const tenant = await byName(nb, "tenancy/tenants");
  const deviceBodies = [];
  for (const d of world.devices) {
    const vendor = await manufacturer(d.vendor, {});
    deviceBodies.push({
      name: d.name,
      site: seeded.sites.get(d.siteId),
      role: await role(d.role, { color: "2196f3" }),
      device_type: await deviceType(`${d.vendor} router`, { manufacturer: vendor }),
      platform: d.platform ? await platform(d.platform, {}) : null,
      tenant: d.tenant ? await tenant(d.tenant, {}) : null,
      status: "active",
      custom_fields: { [TIER_FIELD]: d.tier },
    });
  }
  const devices = await bulkCreate(nb, "dcim/devices", deviceBodies);
  world.devices.forEach((d, i) => seeded.devices.set(d.id, devices[i].id));

  const interfaces = await bulkCreate(
    nb,
    "dcim/interfaces",
    world.interfaces.map((i) => ({
      device: seeded.devices.get(i.deviceId),
      name: i.name,
      type: "other",
      description: i.description,
      speed: i.speedKbps,
      custom_fields: { [IFINDEX_FIELD]: i.ifIndex },
    })),
  );
  world.interfaces.forEach((i, k) => seeded.interfaces.set(i.id, interfaces[k].id));

  // The interface each device's primary IPs go on: its own mgmt0 if the world has one, else a new one.
  const withPrimary = world.devices.filter((d) => d.primaryIp4 || d.primaryIp6);
  const needMgmt = withPrimary.filter((d) => !world.interfaces.some((i) => i.deviceId === d.id && i.name === PRIMARY_IP_INTERFACE));
  const mgmt = await bulkCreate(nb, "dcim/interfaces", needMgmt.map((d) => ({ device: seeded.devices.get(d.id), name: PRIMARY_IP_INTERFACE, type: "other" })));
  const mgmtOf = new Map(needMgmt.map((d, k) => [d.id, mgmt[k].id]));
  for (const i of world.interfaces) if (i.name === PRIMARY_IP_INTERFACE) mgmtOf.set(i.deviceId, seeded.interfaces.get(i.id)!);

  const onInterface = (address: string, iface: number) => ({ address, status: "active", assigned_object_type: "dcim.interface", assigned_object_id: iface });
  const ips = await bulkCreate(nb, "ipam/ip-addresses", world.ips.map((ip) => onInterface(ip.address, seeded.interfaces.get(ip.interfaceId)!)));
  world.ips.forEach((ip, k) => seeded.ips.set(ip.id, ips[k].id));

  const primaries = withPrimary.flatMap((d) => [d.primaryIp4, d.primaryIp6].filter((a): a is string => !!a).map((a) => ({ device: d.id, address: a })));
  const primaryIps = await bulkCreate(nb, "ipam/ip-addresses", primaries.map((p) => onInterface(p.address, mgmtOf.get(p.device)!)));
  const patches = new Map<number, Record<string, unknown>>();
  primaries.forEach((p, k) => {
    const id = seeded.devices.get(p.device)!;
    const patch = patches.get(id) ?? { id };
    patch[p.address.includes(":") ? "primary_ip6" : "primary_ip4"] = primaryIps[k].id;
    patches.set(id, patch);
  });
  await bulkPatch(nb, "dcim/devices", [...patches.values()]);
  return seeded;
}

/** "Token x" / "Bearer nbt_x" (the harness's header values) → the value NETBOX_TOKEN holds. */
export const rawToken = (header: string) => header.slice(header.indexOf(" ") + 1);
