/**
 * The NetBox client against a REAL NetBox 4.7.3 (tests/helpers/netbox.ts: the PyPI wheel on a
 * real PostgreSQL and Redis, on loopback), seeded through its REST API with the fixture's
 * TEST_WORLD plus enough devices and interfaces to span pages, and with objects a real NetBox
 * legitimately returns that the fixture does not model (no primary IP, null speed, no
 * platform/tenant/region, unnamed device, IPs on VM interfaces or on nothing).
 */
import * as http from "http";
import { AddressInfo } from "net";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { NetBoxClient, NetBoxClientOptions, NetBoxRefresher, NetBoxSnapshot, canonicalAddress } from "../src/netbox";
import { NetBoxWorld, TEST_WORLD } from "./helpers/netbox-fixture";
import { IFINDEX_FIELD, PRIMARY_IP_INTERFACE, SeededWorld, TIER_FIELD, rawToken, seedNetBoxWorld } from "./helpers/netbox-real";

/** The client's default page size (src/netbox.ts); the paging world must exceed it. */
const DEFAULT_PAGE_SIZE = 1000;

// 30 devices × 40 interfaces: the interface list spans more than one default-sized page.
const PAGING_WORLD: NetBoxWorld = {
  sites: [{ id: 1, name: "fra1", region: "eu-central" }],
  devices: Array.from({ length: 30 }, (_, d) => ({
    id: d + 1,
    name: `leaf-fra1-${String(d + 1).padStart(2, "0")}`,
    siteId: 1,
    role: "leaf",
    vendor: "Arista",
    platform: "eos",
    tenant: "netops",
    tier: "tier2",
    primaryIp4: `10.1.0.${d + 1}/32`,
  })),
  interfaces: Array.from({ length: 30 * 40 }, (_, k) => ({
    id: k + 1,
    deviceId: Math.floor(k / 40) + 1,
    name: `Ethernet${(k % 40) + 1}`,
    description: `leaf port ${(k % 40) + 1}`,
    speedKbps: 25_000_000,
    ifIndex: (k % 40) + 1,
  })),
  ips: [],
};

// Shapes a real NetBox returns that the enricher must take in its stride.
const SPARSE_WORLD: NetBoxWorld = {
  sites: [
    { id: 1, name: "lab1", region: null },
    { id: 2, name: "ams9", region: "eu-west" },
  ],
  devices: [
    // no primary IP, platform, tenant or tier; its site has no region
    { id: 1, name: "bare-lab1-01", siteId: 1, role: "lab", vendor: "Cisco", platform: null, tenant: null, tier: null, primaryIp4: null },
    // no tier of its own: the site's (set below) applies
    { id: 2, name: "edge-ams9-01", siteId: 2, role: "edge-router", vendor: "Juniper", platform: "junos", tenant: null, tier: null, primaryIp4: "198.51.100.9/32" },
  ],
  interfaces: [
    { id: 1, deviceId: 1, name: "ge-0/0/0", description: "", speedKbps: null, ifIndex: 5 },
    { id: 2, deviceId: 2, name: "xe-0/0/0", description: "peering", speedKbps: 10_000_000, ifIndex: 7 },
    { id: 3, deviceId: 2, name: "xe-0/0/1", description: "", speedKbps: null, ifIndex: 8 },
  ],
  ips: [],
};

/**
 * A reverse proxy that forwards the Host header without its port, as nginx's
 * `proxy_set_header Host $host` does on a non-default port.
 */
async function portDroppingProxy(netboxPort: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: "127.0.0.1", port: netboxPort, method: req.method, path: req.url, headers: { ...req.headers, host: "127.0.0.1" } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}


/** A snapshot as plain data, independent of Map identity and order, to compare two builds. */
function plain(s: NetBoxSnapshot) {
  return {
    devices: s.devices,
    interfaces: s.interfaces,
    byAddress: [...s.byAddress]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([a, d]) => [a, { ...d, interfaces: [...d.interfaces].sort(([x], [y]) => x - y) }]),
  };
}

describe("NetBoxClient against a real NetBox 4.7.3", () => {
  let nb: NetBox;
  let world: SeededWorld;
  let sparse: SeededWorld;
  let unnamedId: number;
  const client = (opts: Partial<NetBoxClientOptions> = {}) => new NetBoxClient({ url: nb.url, token: rawToken(nb.tokens.v1), ...opts });
  let snap: NetBoxSnapshot;

  beforeAll(async () => {
    nb = await startNetBox();
    world = await seedNetBoxWorld(nb, TEST_WORLD);
    await seedNetBoxWorld(nb, PAGING_WORLD);
    sparse = await seedNetBoxWorld(nb, SPARSE_WORLD);
    await nb.api.patch("dcim/sites", sparse.sites.get(2)!, { custom_fields: { [TIER_FIELD]: "tier3" } });

    // NetBox allows unnamed devices; this one still exports flows from its primary IP.
    const [bare] = (await nb.api.list("dcim/devices", { name: "bare-lab1-01" })) as Array<{ id: number; site: { id: number }; role: { id: number }; device_type: { id: number } }>;
    unnamedId = (await nb.api.create("dcim/devices", { name: null, site: bare.site.id, role: bare.role.id, device_type: bare.device_type.id, status: "active" })).id;
    await nb.api.primaryIp(unnamedId, "198.51.100.10/32");

    // An IP on a virtual machine's interface and one assigned to nothing: not exporters of any device.
    const clusterType = await nb.api.create("virtualization/cluster-types", { name: "kvm", slug: "kvm" });
    const cluster = await nb.api.create("virtualization/clusters", { name: "lab-kvm", type: clusterType.id, status: "active" });
    const vm = await nb.api.create("virtualization/virtual-machines", { name: "collector-vm", cluster: cluster.id, status: "active" });
    const vmIf = await nb.api.create("virtualization/interfaces", { virtual_machine: vm.id, name: "eth0" });
    await nb.api.create("ipam/ip-addresses", { address: "203.0.113.50/32", status: "active", assigned_object_type: "virtualization.vminterface", assigned_object_id: vmIf.id });
    await nb.api.ipAddress("203.0.113.51/32");

    snap = await client().snapshot();
  }, 900_000);
  afterAll(() => nb?.stop());

  it("maps every exporter address (primary v4, v6 and a loopback's secondary IP) to the device's NetBox taxonomy", () => {
    const edge = snap.byAddress.get("127.0.0.1")!;
    expect(edge).toMatchObject({
      id: world.devices.get(10),
      name: "edge-fra1-01",
      site: "fra1",
      region: "eu-central",
      role: "edge-router",
      vendor: "Juniper",
      platform: "junos",
      tenant: "netops",
      tier: "tier1",
    });
    expect(snap.byAddress.get("192.0.2.1")).toBe(edge); // the secondary IP on lo0

    const core = snap.byAddress.get(canonicalAddress("2001:db8:ffff::2"))!;
    expect(core).toMatchObject({ id: world.devices.get(11), name: "core-nrt1-01", site: "nrt1", region: "ap-northeast", role: "core-router", vendor: "Arista", platform: "eos", tenant: "", tier: "" });
    expect(snap.byAddress.get("10.0.0.2")).toBe(core);

    const leaf = snap.byAddress.get("10.1.0.30")!;
    expect(leaf).toMatchObject({ name: "leaf-fra1-30", site: "fra1", region: "eu-central", role: "leaf", vendor: "Arista", platform: "eos", tenant: "netops", tier: "tier2" });
  });

  it("indexes interfaces by (device, snmp_ifindex) with name, description and speed in bit/s; those without an ifIndex are left out", () => {
    const edge = snap.byAddress.get("127.0.0.1")!;
    expect([...edge.interfaces].sort(([a], [b]) => a - b)).toEqual([
      [1, { name: "xe-0/0/1", description: "transit DE", speed: 10_000_000_000 }],
      [2, { name: "xe-0/0/2", description: "customer", speed: 1_000_000_000 }],
    ]); // lo0 and mgmt0 exist in NetBox but carry no ifIndex
    expect([...edge.interfaces.values()].map((i) => i.name)).not.toContain(PRIMARY_IP_INTERFACE);
    expect(snap.byAddress.get("10.0.0.2")!.interfaces).toEqual(new Map([[1, { name: "Ethernet1", description: "", speed: 100_000_000_000 }]]));
    expect(snap.byAddress.get("10.1.0.7")!.interfaces.get(40)).toEqual({ name: "Ethernet40", description: "leaf port 40", speed: 25_000_000_000 });

    const withIfIndex = [TEST_WORLD, PAGING_WORLD, SPARSE_WORLD].flatMap((w) => w.interfaces).filter((i) => i.ifIndex !== null).length;
    expect(snap.interfaces).toBe(withIfIndex);
  });

  it("follows NetBox's pages past the default page size, and any page size gives the same snapshot", async () => {
    const total = (await nb.api.request<{ count: number }>("GET", "/api/dcim/interfaces/?limit=1")).count;
    expect(total).toBeGreaterThan(DEFAULT_PAGE_SIZE);
    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const again = await client({ fetchImpl: recording }).snapshot();
    expect(urls.filter((u) => new URL(u).pathname === "/api/dcim/interfaces/")).toHaveLength(Math.ceil(total / DEFAULT_PAGE_SIZE));
    expect(plain(again)).toEqual(plain(snap));

    // Small pages: the device and IP lists span several too.
    urls.length = 0;
    const small = await client({ fetchImpl: recording, pageSize: 30 }).snapshot();
    for (const list of ["/api/dcim/devices/", "/api/ipam/ip-addresses/"]) {
      expect(urls.filter((u) => new URL(u).pathname === list).length).toBeGreaterThan(1);
    }
    expect(plain(small)).toEqual(plain(snap));
    expect(snap.devices).toBe(TEST_WORLD.devices.length + PAGING_WORLD.devices.length + SPARSE_WORLD.devices.length + 1);
  });

  it("pages correctly behind a reverse proxy whose Host header NetBox builds wrong `next` links from", async () => {
    const proxy = await portDroppingProxy(nb.port);
    try {
      // What NetBox answers through it: `next` on port 80, where nothing listens.
      const res = await fetch(`${proxy.url}/api/dcim/interfaces/?limit=${DEFAULT_PAGE_SIZE}&fields=id`, { headers: { Authorization: nb.tokens.v1, Accept: "application/json" } });
      expect(((await res.json()) as { next: string }).next).toMatch(/^http:\/\/127\.0\.0\.1\/api\/dcim\/interfaces\/\?/);
      expect(plain(await client({ url: proxy.url }).snapshot())).toEqual(plain(snap));
    } finally {
      await proxy.close();
    }
  });

  it("accepts a v2 token (sent as Bearer nbt_…) and reads the same inventory", async () => {
    expect(nb.tokens.v2).toMatch(/^Bearer nbt_/);
    const seen: string[] = [];
    const spying: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers).get("authorization") ?? "");
      return fetch(input, init);
    };
    const v2 = await client({ token: rawToken(nb.tokens.v2), fetchImpl: spying }).snapshot();
    expect(new Set(seen)).toEqual(new Set([nb.tokens.v2]));
    expect(plain(v2)).toEqual(plain(snap));
  });

  it("a wrong token fails with NetBox's status and reason, v1 and v2 alike", async () => {
    await expect(client({ token: "0".repeat(40) }).snapshot()).rejects.toThrow(/HTTP 403.*Invalid v1 token/);
    await expect(client({ token: "nbt_doesnotexist.wrongsecret" }).snapshot()).rejects.toThrow(/HTTP 403.*Invalid v2 token/);
  });

  it("takes in its stride what a real NetBox returns: no primary IP, null speed, no platform/tenant/region/name, IPs not on a device", async () => {
    const bare = [...snap.byAddress.values()].find((d) => d.id === sparse.devices.get(1));
    expect(bare).toBeUndefined(); // no primary IP and no assigned IP: nothing to match a flow to
    const edgeAms = snap.byAddress.get("198.51.100.9")!;
    expect(edgeAms).toMatchObject({ name: "edge-ams9-01", site: "ams9", region: "eu-west", tenant: "", tier: "tier3" }); // tier from the site
    expect(edgeAms.interfaces.get(7)).toEqual({ name: "xe-0/0/0", description: "peering", speed: 10_000_000_000 });

    const unnamed = snap.byAddress.get("198.51.100.10")!;
    expect(unnamed).toMatchObject({ id: unnamedId, name: "", site: "lab1", region: "", role: "lab", vendor: "Cisco", platform: "", tenant: "", tier: "" });

    expect(snap.byAddress.has("203.0.113.50")).toBe(false); // on a VM interface
    expect(snap.byAddress.has("203.0.113.51")).toBe(false); // assigned to nothing

    // NetBox returns speed null (unknown) for an interface with an ifIndex: indexed with speed 0
    const [noSpeed] = await nb.api.list("dcim/interfaces", { id: String(sparse.interfaces.get(3)) });
    expect([noSpeed.speed, (noSpeed.custom_fields as Record<string, unknown>)[IFINDEX_FIELD]]).toEqual([null, 8]);
    expect(edgeAms.interfaces.get(8)).toEqual({ name: "xe-0/0/1", description: "", speed: 0 });
    const bareDevice = (await nb.api.request<{ platform: unknown; tenant: unknown; primary_ip4: unknown; primary_ip6: unknown }>("GET", `/api/dcim/devices/${sparse.devices.get(1)}/`));
    expect([bareDevice.platform, bareDevice.tenant, bareDevice.primary_ip4, bareDevice.primary_ip6]).toEqual([null, null, null, null]);
  });

  it("NetBox down: the refresher keeps the last good snapshot and counts the failure; the next refresh after NetBox returns succeeds", async () => {
    const swaps: NetBoxSnapshot[] = [];
    const failures: Error[] = [];
    const r = new NetBoxRefresher(client({ timeoutMs: 10_000 }), (s) => swaps.push(s), (e) => failures.push(e));
    await r.refresh();
    expect(r.successes).toBe(1);
    const good = r.current!;

    await nb.stopServer();
    try {
      await r.refresh();
      await r.refresh();
    } finally {
      await nb.startServer();
    }
    expect(r.failures).toBe(2);
    expect(r.current).toBe(good);
    expect(swaps).toEqual([good]);
    // The error names what failed, not just undici's bare "fetch failed".
    expect(failures[0].message).toContain(`NetBox GET ${nb.url}/api/`);
    expect(failures[0].message).toMatch(/ECONNREFUSED/);

    // Changed while it was down: the next refresh picks it up.
    await nb.api.patch("dcim/devices", world.devices.get(10)!, { custom_fields: { [TIER_FIELD]: "tier0" } });
    await r.refresh();
    expect(r.successes).toBe(2);
    expect(r.failures).toBe(2);
    expect(r.current).not.toBe(good);
    expect(r.current!.byAddress.get("127.0.0.1")!.tier).toBe("tier0");
  });
});
