/**
 * Target lookups against a REAL NetBox (tests/helpers/netbox.ts), through a proxy that counts the
 * requests NetBox receives: concurrent lookups of different devices go out together (a `name=`
 * filter each) instead of one request per execution, every answer stays exact — a missing device
 * is undefined, a device without a primary IP is DeviceUnreachable for its own waiters only — and
 * an unreachable NetBox fails every waiter with InventoryUnavailable.
 */
import * as http from "http";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { freePort } from "../../../tests/helpers/net";
import { SeededDevice, seedNetBox } from "../../target-generator/test/seed";
import { InventoryError, NetBoxInventory } from "../src/inventory";

describe("NetBoxInventory on a real NetBox", () => {
  let nb: NetBox;
  let devices: SeededDevice[];
  let proxy: http.Server;
  let proxyUrl: string;
  const requests: string[] = [];
  let token: string;

  beforeAll(async () => {
    nb = await startNetBox();
    devices = await seedNetBox(nb, 12);
    token = nb.tokens.v1.replace(/^Token /, "");
    const target = new URL(nb.url);
    proxy = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      const up = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", (e) => res.writeHead(502).end(String(e)));
      req.pipe(up);
    });
    const port = await freePort();
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${port}`;
  }, 300_000);

  afterAll(async () => {
    proxy?.close();
    await nb?.stop();
  });

  test("ten concurrent lookups cost NetBox at most three requests, each answer exact", async () => {
    const inv = new NetBoxInventory(proxyUrl, token);
    requests.length = 0;
    const names = [...devices.slice(0, 8).map((d) => d.name), "no-such-device", "x-no-ip"];
    const answers = await Promise.allSettled(names.map((n) => inv.byName(n)));
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests.length).toBeLessThanOrEqual(3);
    for (const [i, d] of devices.slice(0, 8).entries()) {
      expect(answers[i]).toEqual({ status: "fulfilled", value: expect.objectContaining({ name: d.name, address: d.address }) });
    }
    expect(answers[8]).toEqual({ status: "fulfilled", value: undefined });
    const noIp = answers[9] as PromiseRejectedResult;
    expect(noIp.status).toBe("rejected");
    expect(noIp.reason).toBeInstanceOf(InventoryError);
    expect(noIp.reason).toMatchObject({ reason: "DeviceUnreachable", message: "device x-no-ip has no primary IP in NetBox" });
  });

  test("the same device asked twice at once is one name in one request", async () => {
    const inv = new NetBoxInventory(proxyUrl, token);
    requests.length = 0;
    const [a, b] = await Promise.all([inv.byName(devices[0].name), inv.byName(devices[0].name)]);
    expect(a).toEqual(b);
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0], proxyUrl).searchParams.getAll("name")).toEqual([devices[0].name]);
  });

  test("nothing is cached: a device removed from NetBox is gone on the next lookup", async () => {
    const inv = new NetBoxInventory(proxyUrl, token);
    const victim = devices[11];
    expect(await inv.byName(victim.name)).toMatchObject({ name: victim.name });
    const del = await fetch(`${nb.url}/api/dcim/devices/${victim.id}/`, { method: "DELETE", headers: { Authorization: nb.tokens.v1 } });
    expect(del.status).toBe(204);
    expect(await inv.byName(victim.name)).toBeUndefined();
  });

  test("bad input: an unreachable NetBox fails every waiter with InventoryUnavailable naming it", async () => {
    const port = await freePort();
    const inv = new NetBoxInventory(`http://127.0.0.1:${port}`, token, 2_000);
    const answers = await Promise.allSettled([inv.byName("a"), inv.byName("b"), inv.byName("c")]);
    for (const a of answers) {
      expect(a.status).toBe("rejected");
      expect((a as PromiseRejectedResult).reason).toMatchObject({ reason: "InventoryUnavailable", message: expect.stringContaining(`NetBox at http://127.0.0.1:${port} did not answer`) });
    }
  });
});
