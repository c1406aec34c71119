/**
 * NetBox client against a local HTTP server that answers like NetBox's list endpoints
 * (count/next/previous/results). The real-NetBox tests are in test/real-netbox.test.ts.
 */
import * as http from "http";
import { authorizationHeader, NetBoxClient, NetBoxError } from "../src/netbox";

interface Served {
  url: string;
  requests: { url: string; auth?: string }[];
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<Served> {
  const requests: Served["requests"] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", auth: req.headers.authorization });
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A paged list of n objects, `next` pointing at a host that must NOT be used. */
function pager(n: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u = new URL(req.url ?? "", "http://x");
    const limit = Number(u.searchParams.get("limit"));
    const offset = Number(u.searchParams.get("offset"));
    const results = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => ({ id: offset + i + 1 }));
    const next = offset + limit < n ? `http://netbox.internal.invalid/api/dcim/devices/?limit=${limit}&offset=${offset + limit}` : null;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ count: n, next, previous: null, results }));
  };
}

const noSleep = async () => undefined;
let srv: Served | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe("authorizationHeader", () => {
  it.each([
    ["0123456789abcdef0123456789abcdef01234567", "Token 0123456789abcdef0123456789abcdef01234567"],
    ["Token abc", "Token abc"],
    ["nbt_AbC123.s3cr3t", "Bearer nbt_AbC123.s3cr3t"],
    ["Bearer nbt_AbC123.s3cr3t", "Bearer nbt_AbC123.s3cr3t"],
    ["  Token abc\n", "Token abc"],
  ])("%p -> %p", (token, header) => expect(authorizationHeader(token)).toBe(header));
  it.each([[""], ["Bearer abc"], ["nbt_nokey"], ["two words"]])("rejects %p", (token) => {
    expect(() => authorizationHeader(token)).toThrow(/token/i);
  });
});

describe("NetBoxClient", () => {
  it("pages by offset until count, with the monitoring filters, ignoring the host in `next`", async () => {
    srv = await serve(pager(23));
    const c = new NetBoxClient({ url: srv.url + "/", token: "Token t", pageSize: 10, filters: { site: ["a", "b"] } });
    const devices = await c.listDevices();
    expect(devices.map((d) => (d as { id: number }).id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(srv.requests).toHaveLength(3);
    const u = new URL(srv.requests[2].url, "http://x");
    expect(u.pathname).toBe("/api/dcim/devices/");
    expect(u.searchParams.get("cf_helios_monitor")).toBe("true");
    // Status and primary IP are judged by the generator (skipped and counted), not filtered away unseen.
    expect(u.searchParams.has("status")).toBe(false);
    expect(u.searchParams.has("has_primary_ip")).toBe(false);
    expect(u.searchParams.getAll("site")).toEqual(["a", "b"]);
    expect(u.searchParams.get("offset")).toBe("20");
  });

  it("accepts the URL with /api and reads an empty inventory in one request", async () => {
    srv = await serve(pager(0));
    const c = new NetBoxClient({ url: srv.url + "/api/", token: "t" });
    expect(await c.listSites()).toEqual([]);
    expect(srv.requests[0].url.startsWith("/api/dcim/sites/?")).toBe(true);
  });

  it("sends v1 and v2 tokens in NetBox's header formats", async () => {
    srv = await serve(pager(1));
    await new NetBoxClient({ url: srv.url, token: "abc" }).listSites();
    await new NetBoxClient({ url: srv.url, token: "nbt_KEY123.plain" }).listSites();
    expect(srv.requests.map((r) => r.auth)).toEqual(["Token abc", "Bearer nbt_KEY123.plain"]);
  });

  it("fails at once on 401/403 (no retry) with the status", async () => {
    srv = await serve((_req, res) => {
      res.statusCode = 403;
      res.end('{"detail":"Invalid token"}');
    });
    const c = new NetBoxClient({ url: srv.url, token: "t", retries: 3, sleep: noSleep });
    await expect(c.listDevices()).rejects.toMatchObject({ kind: "http", status: 403 });
    expect(srv.requests).toHaveLength(1);
  });

  it("retries 5xx and 429 with growing backoff, then succeeds", async () => {
    const waits: number[] = [];
    srv = await serve((req, res, n) => {
      if (n <= 2) {
        res.statusCode = n === 1 ? 502 : 429;
        return res.end("busy");
      }
      pager(3)(req, res);
    });
    const c = new NetBoxClient({ url: srv.url, token: "t", retries: 3, backoffMs: 100, sleep: async (ms) => void waits.push(ms) });
    expect(await c.listDevices()).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
  });

  it("gives up after the retries on persistent 500", async () => {
    srv = await serve((_req, res) => {
      res.statusCode = 500;
      res.end("oops");
    });
    const c = new NetBoxClient({ url: srv.url, token: "t", retries: 2, sleep: noSleep });
    await expect(c.listDevices()).rejects.toMatchObject({ kind: "http", status: 500 });
    expect(srv.requests).toHaveLength(3);
  });

  it("times out a hanging NetBox, retries, and reports a timeout", async () => {
    srv = await serve(() => undefined); // never answers
    const c = new NetBoxClient({ url: srv.url, token: "t", timeoutMs: 150, retries: 1, sleep: noSleep });
    const t0 = Date.now();
    const err = await c.listDevices().catch((e) => e);
    expect(err).toBeInstanceOf(NetBoxError);
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(/timed out after 150 ms/);
    expect(srv.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("reports connection refused as a network error", async () => {
    srv = await serve(pager(1));
    const url = srv.url;
    await srv.close();
    srv = undefined;
    const err = await new NetBoxClient({ url, token: "t", retries: 1, sleep: noSleep }).listDevices().catch((e) => e);
    expect(err).toMatchObject({ kind: "network" });
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it("rejects non-JSON and non-list bodies", async () => {
    srv = await serve((req, res) => res.end(req.url?.includes("sites") ? "<html>login</html>" : '{"detail":"x"}'));
    const c = new NetBoxClient({ url: srv.url, token: "t", sleep: noSleep });
    await expect(c.listSites()).rejects.toMatchObject({ kind: "parse", message: expect.stringMatching(/not JSON/) });
    await expect(c.listDevices()).rejects.toMatchObject({ kind: "parse", message: expect.stringMatching(/count\/results/) });
  });

  it("detects a count that the pages never reach", async () => {
    srv = await serve((req, res) => {
      const offset = Number(new URL(req.url ?? "", "http://x").searchParams.get("offset"));
      res.end(JSON.stringify({ count: 5, next: null, previous: null, results: offset === 0 ? [{ id: 1 }, { id: 2 }] : [] }));
    });
    const c = new NetBoxClient({ url: srv.url, token: "t", pageSize: 2 });
    await expect(c.listDevices()).rejects.toMatchObject({ kind: "inconsistent" });
  });

  it("rejects bad options clearly", () => {
    expect(() => new NetBoxClient({ url: "netbox.local", token: "t" })).toThrow(/not an absolute URL/);
    expect(() => new NetBoxClient({ url: "ftp://x", token: "t" })).toThrow(/http\(s\)/);
    expect(() => new NetBoxClient({ url: "http://x", token: "t", pageSize: 5000 })).toThrow(/pageSize/);
  });
});
