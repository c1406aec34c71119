/**
 * NetBox cache step. The server is test/helpers/netbox-fixture.ts: NetBox 4.x-shaped JSON,
 * HAND-WRITTEN (not recorded from a running NetBox), served over real HTTP on 127.0.0.1.
 */
import { NetBoxClient, NetBoxRefresher, canonicalAddress } from "../src/netbox";
import { NetBoxFixtureServer, TEST_WORLD, TOKEN, startNetBoxFixture } from "./helpers/netbox-fixture";

let nb: NetBoxFixtureServer;
beforeAll(async () => {
  nb = await startNetBoxFixture();
});
afterAll(() => nb.close());

describe("NetBoxClient", () => {
  it("builds exporter → device and (device, snmp_ifindex) → interface maps across pages", async () => {
    nb.requests.length = 0;
    const snap = await new NetBoxClient({ url: nb.url, token: TOKEN, pageSize: 1 }).snapshot();
    // pageSize 1: every list is followed through `next`
    expect(nb.requests.filter((r) => r.path.startsWith("/api/dcim/interfaces/")).length).toBe(TEST_WORLD.interfaces.length);
    expect(nb.requests.every((r) => r.auth === `Token ${TOKEN}`)).toBe(true);
    expect(snap.devices).toBe(2);
    expect(snap.interfaces).toBe(3); // lo0 has no snmp_ifindex and is left out
    const edge = snap.byAddress.get("127.0.0.1")!;
    expect(edge).toMatchObject({ name: "edge-fra1-01", site: "fra1", region: "eu-central", role: "edge-router", tenant: "netops", vendor: "Juniper", platform: "junos", tier: "tier1" });
    expect(edge.interfaces.get(1)).toEqual({ name: "xe-0/0/1", description: "transit DE", speed: 10_000_000_000 });
    expect(snap.byAddress.get("192.0.2.1")).toBe(edge); // ip-addresses assigned to its interfaces
    const core = snap.byAddress.get(canonicalAddress("2001:db8:ffff::2"))!;
    expect(core).toMatchObject({ name: "core-nrt1-01", tenant: "", tier: "", region: "ap-northeast" });
  });

  it("sends NetBox v2 tokens (nbt_...) as Bearer", async () => {
    const v2 = "nbt_abc123.secretpart";
    const srv = await startNetBoxFixture(TEST_WORLD, v2);
    try {
      await new NetBoxClient({ url: srv.url, token: v2 }).snapshot();
      expect(srv.requests[0].auth).toBe(`Bearer ${v2}`);
    } finally {
      await srv.close();
    }
  });

  it("fails with the status and URL on HTTP errors and a wrong token", async () => {
    await expect(new NetBoxClient({ url: nb.url, token: "wrong" }).snapshot()).rejects.toThrow(/HTTP 403.*Invalid token/);
  });

  it("fails clearly on a response that is not NetBox-shaped", async () => {
    const bad = await startNetBoxFixture({ ...TEST_WORLD, devices: [{ ...TEST_WORLD.devices[0], name: 5 as unknown as string }, TEST_WORLD.devices[1]] });
    try {
      await expect(new NetBoxClient({ url: bad.url, token: TOKEN }).snapshot()).rejects.toThrow(/unexpected response shape: results\.0\.name/);
    } finally {
      await bad.close();
    }
  });

  it("fails naming the URL when a proxy answers 200 with something that is not JSON", async () => {
    // e.g. an SSO or captive login page in front of NetBox
    const http = await import("http");
    const page = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<html><body>Please log in</body></html>");
    });
    await new Promise<void>((r) => page.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
    try {
      await expect(new NetBoxClient({ url, token: TOKEN }).snapshot()).rejects.toThrow(/NetBox GET http:\/\/127\.0\.0\.1:\d+\/api\/.*response is not JSON: <html><body>Please log in/);
    } finally {
      await new Promise<void>((r) => page.close(() => r()));
    }
  });

  it("canonicalAddress strips prefix lengths and normalises IPv6", () => {
    expect(canonicalAddress("192.0.2.1/32")).toBe("192.0.2.1");
    expect(canonicalAddress("2001:DB8::0:1/64")).toBe("2001:db8:0:0:0:0:0:1");
    expect(canonicalAddress("::1")).toBe("0:0:0:0:0:0:0:1");
  });
});

describe("NetBoxRefresher", () => {
  it("keeps the last good cache when NetBox fails, counts the failure, recovers", async () => {
    const swaps: number[] = [];
    const failures: string[] = [];
    const r = new NetBoxRefresher(new NetBoxClient({ url: nb.url, token: TOKEN }), (s) => swaps.push(s.devices), (e) => failures.push(e.message));
    await r.refresh();
    expect(swaps).toEqual([2]);
    const good = r.current;
    nb.failWith = 502;
    try {
      await r.refresh();
    } finally {
      nb.failWith = 0;
    }
    expect(r.failures).toBe(1);
    expect(failures[0]).toMatch(/HTTP 502/);
    expect(r.current).toBe(good);
    await r.refresh();
    expect(swaps).toEqual([2, 2]);
    expect(r.successes).toBe(2);
  });
});
