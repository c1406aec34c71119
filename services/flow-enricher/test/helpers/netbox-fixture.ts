/**
 * A local HTTP server answering NetBox 4.x REST API list endpoints from in-memory objects.
 * The JSON is HAND-WRITTEN in the NetBox 4.x shape (count/next/previous/results pagination,
 * nested brief objects, `role` not `device_role`, interface `speed` in kbit/s, custom fields
 * under `custom_fields`); it was NOT recorded from a running NetBox. Listens on 127.0.0.1.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface FixtureDevice {
  id: number;
  name: string;
  siteId: number;
  role: string;
  vendor: string;
  platform: string | null;
  tenant: string | null;
  tier: string | null;
  primaryIp4: string | null;
  primaryIp6?: string | null;
}
export interface FixtureSite { id: number; name: string; region: string | null }
export interface FixtureInterface { id: number; deviceId: number; name: string; description: string; speedKbps: number | null; ifIndex: number | null }
export interface FixtureIp { id: number; address: string; deviceId: number; interfaceId: number }

export interface NetBoxWorld {
  sites: FixtureSite[];
  devices: FixtureDevice[];
  interfaces: FixtureInterface[];
  ips: FixtureIp[];
}

export const TOKEN = "0123456789abcdef0123456789abcdef01234567";

export const TEST_WORLD: NetBoxWorld = {
  sites: [
    { id: 1, name: "fra1", region: "eu-central" },
    { id: 2, name: "nrt1", region: "ap-northeast" },
  ],
  devices: [
    { id: 10, name: "edge-fra1-01", siteId: 1, role: "edge-router", vendor: "Juniper", platform: "junos", tenant: "netops", tier: "tier1", primaryIp4: "127.0.0.1/32" },
    { id: 11, name: "core-nrt1-01", siteId: 2, role: "core-router", vendor: "Arista", platform: "eos", tenant: null, tier: null, primaryIp4: "10.0.0.2/32", primaryIp6: "2001:db8:ffff::2/128" },
  ],
  interfaces: [
    { id: 100, deviceId: 10, name: "xe-0/0/1", description: "transit DE", speedKbps: 10_000_000, ifIndex: 1 },
    { id: 101, deviceId: 10, name: "xe-0/0/2", description: "customer", speedKbps: 1_000_000, ifIndex: 2 },
    { id: 102, deviceId: 10, name: "lo0", description: "", speedKbps: null, ifIndex: null },
    { id: 110, deviceId: 11, name: "Ethernet1", description: "", speedKbps: 100_000_000, ifIndex: 1 },
  ],
  ips: [
    // a second address of edge-fra1-01 (the exporter may source flows from a loopback)
    { id: 1000, address: "192.0.2.1/32", deviceId: 10, interfaceId: 102 },
  ],
};

function brief(base: string, kind: string, id: number, name: string, extra: Record<string, unknown> = {}) {
  return { id, url: `${base}/api/${kind}/${id}/`, display: name, name, ...extra };
}

export function render(world: NetBoxWorld, base: string) {
  const site = (id: number) => world.sites.find((s) => s.id === id)!;
  const dev = (id: number) => world.devices.find((d) => d.id === id)!;
  return {
    "/api/dcim/sites/": world.sites.map((s) => ({
      ...brief(base, "dcim/sites", s.id, s.name, { slug: s.name }),
      status: { value: "active", label: "Active" },
      region: s.region ? brief(base, "dcim/regions", s.id, s.region, { slug: s.region, _depth: 0 }) : null,
      tenant: null,
      custom_fields: {},
    })),
    "/api/dcim/devices/": world.devices.map((d) => ({
      ...brief(base, "dcim/devices", d.id, d.name, { description: "" }),
      device_type: { ...brief(base, "dcim/device-types", d.id, "model-x", { model: "model-x", slug: "model-x" }), manufacturer: brief(base, "dcim/manufacturers", d.id, d.vendor, { slug: d.vendor.toLowerCase() }) },
      role: brief(base, "dcim/device-roles", d.id, d.role, { slug: d.role }),
      tenant: d.tenant ? brief(base, "tenancy/tenants", d.id, d.tenant, { slug: d.tenant }) : null,
      platform: d.platform ? brief(base, "dcim/platforms", d.id, d.platform, { slug: d.platform }) : null,
      site: brief(base, "dcim/sites", d.siteId, site(d.siteId).name, { slug: site(d.siteId).name }),
      status: { value: "active", label: "Active" },
      primary_ip: d.primaryIp4 ? { id: d.id * 10, address: d.primaryIp4, family: { value: 4, label: "IPv4" } } : null,
      primary_ip4: d.primaryIp4 ? { id: d.id * 10, url: `${base}/api/ipam/ip-addresses/${d.id * 10}/`, display: d.primaryIp4, family: { value: 4, label: "IPv4" }, address: d.primaryIp4 } : null,
      primary_ip6: d.primaryIp6 ? { id: d.id * 10 + 1, url: `${base}/api/ipam/ip-addresses/${d.id * 10 + 1}/`, display: d.primaryIp6, family: { value: 6, label: "IPv6" }, address: d.primaryIp6 } : null,
      custom_fields: { helios_monitor: true, monitoring_tier: d.tier },
    })),
    "/api/dcim/interfaces/": world.interfaces.map((i) => ({
      id: i.id,
      url: `${base}/api/dcim/interfaces/${i.id}/`,
      display: i.name,
      device: brief(base, "dcim/devices", i.deviceId, dev(i.deviceId).name, { description: "" }),
      name: i.name,
      type: { value: "10gbase-x-sfpp", label: "SFP+ (10GE)" },
      enabled: true,
      speed: i.speedKbps,
      description: i.description,
      custom_fields: { snmp_ifindex: i.ifIndex },
    })),
    "/api/ipam/ip-addresses/": world.ips.map((ip) => ({
      id: ip.id,
      url: `${base}/api/ipam/ip-addresses/${ip.id}/`,
      display: ip.address,
      family: { value: 4, label: "IPv4" },
      address: ip.address,
      assigned_object_type: "dcim.interface",
      assigned_object_id: ip.interfaceId,
      assigned_object: {
        id: ip.interfaceId,
        url: `${base}/api/dcim/interfaces/${ip.interfaceId}/`,
        display: "lo0",
        device: brief(base, "dcim/devices", ip.deviceId, dev(ip.deviceId).name, { description: "" }),
        name: "lo0",
      },
      custom_fields: {},
    })),
  } as Record<string, unknown[]>;
}

export interface NetBoxFixtureServer {
  url: string;
  requests: Array<{ path: string; auth: string | undefined }>;
  /** make every request fail with this HTTP status (0 = serve normally) */
  failWith: number;
  world: NetBoxWorld;
  close(): Promise<void>;
}

export async function startNetBoxFixture(world: NetBoxWorld = TEST_WORLD, token = TOKEN): Promise<NetBoxFixtureServer> {
  const state: NetBoxFixtureServer = { url: "", requests: [], failWith: 0, world, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", state.url);
    state.requests.push({ path: u.pathname + u.search, auth: req.headers.authorization });
    const ok = req.headers.authorization === `Token ${token}` || req.headers.authorization === `Bearer ${token}`;
    if (!ok) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ detail: "Invalid token" }));
      return;
    }
    if (state.failWith) {
      res.writeHead(state.failWith, { "Content-Type": "text/html" });
      res.end("<h1>Server Error</h1>");
      return;
    }
    let all: unknown[] | undefined;
    try {
      all = render(state.world, state.url)[u.pathname];
    } catch (e) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`fixture error: ${(e as Error).message}`);
      return;
    }
    if (!all) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ detail: "Not found." }));
      return;
    }
    const limit = Number(u.searchParams.get("limit") ?? 50);
    const offset = Number(u.searchParams.get("offset") ?? 0);
    const pageUrl = (o: number) => {
      const n = new URL(u.toString());
      n.searchParams.set("limit", String(limit));
      n.searchParams.set("offset", String(o));
      return n.toString();
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        count: all.length,
        next: offset + limit < all.length ? pageUrl(offset + limit) : null,
        previous: offset > 0 ? pageUrl(Math.max(0, offset - limit)) : null,
        results: all.slice(offset, offset + limit),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
