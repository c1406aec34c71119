/**
 * The CLI in Kubernetes mode (ConfigMapWriter, @kubernetes/client-node 1.x) against the FAKE
 * Kubernetes API of fake-kube-api.ts (no API server can run here; see that file). The CLI
 * runs as a real process (tsx), with KUBECONFIG pointing at the fake.
 */
import { NAMESPACE } from "../src/plan";
import { FakeKubeApi, startFakeKubeApi } from "./fake-kube-api";
import { rawDevice, runCli, startInventoryServer } from "./fixtures";

const raws = (n: number) => Array.from({ length: n }, (_, i) => rawDevice({ id: i + 1, name: `dev-${i + 1}`, site: (i % 2) + 1 }));

describe("ConfigMapWriter through the CLI", () => {
  let api: FakeKubeApi;
  let inv: Awaited<ReturnType<typeof startInventoryServer>>;
  let devices = raws(30);
  beforeAll(async () => {
    api = await startFakeKubeApi();
    inv = await startInventoryServer(() => devices);
  });
  afterAll(async () => {
    await api.close();
    await inv.close();
  });
  const cli = (...extra: string[]) => runCli(["--netbox-url", inv.url, "--retries", "0", ...extra], { KUBECONFIG: api.kubeconfigFile, NETBOX_TOKEN: "0123456789abcdef0123456789abcdef01234567" });
  const cm = (name: string) => api.store.get(`${NAMESPACE}/${name}`);

  it("creates the four ConfigMaps, then leaves them alone when nothing changed", async () => {
    const r = await cli();
    expect(r.stderr).toContain("target sync done");
    expect(r.status).toBe(0);
    expect([...api.store.keys()].sort()).toEqual(["blackbox", "gnmic", "prometheus", "snmp"].map((k) => `${NAMESPACE}/helios-targets-${k}`));
    expect(JSON.parse(cm("helios-targets-snmp")!.data!["snmp.json"])).toHaveLength(30);
    expect(cm("helios-targets-prometheus")!.metadata.annotations!["helios.io/device-count"]).toBe("30");
    expect(cm("helios-targets-gnmic")!.metadata.labels!["app.kubernetes.io/managed-by"]).toBe("helios-target-generator");

    api.calls.length = 0;
    const again = await cli();
    expect(again.status).toBe(0);
    expect(api.calls.length).toBeGreaterThan(0);
    expect(api.calls.every((c) => c.startsWith("GET "))).toBe(true);
  });

  it("replaces with the read resourceVersion when a device is added, and deletes stale overflow", async () => {
    const rv = cm("helios-targets-snmp")!.metadata.resourceVersion;
    devices = raws(31);
    const base = cm("helios-targets-snmp")!;
    base.metadata.annotations!["helios.io/configmaps"] = "2";
    api.store.set(`${NAMESPACE}/helios-targets-snmp-1`, { metadata: { name: "helios-targets-snmp-1", namespace: NAMESPACE, resourceVersion: "7" }, data: { "snmp-1.json": "[]\n" } });
    api.calls.length = 0;
    const r = await cli();
    expect(r.status).toBe(0);
    expect(api.calls).toContain("PUT helios-targets-snmp");
    expect(api.calls).toContain("DELETE helios-targets-snmp-1");
    expect(api.calls.indexOf("DELETE helios-targets-snmp-1")).toBeGreaterThan(api.calls.indexOf("PUT helios-targets-prometheus"));
    expect(cm("helios-targets-snmp")!.metadata.resourceVersion).not.toBe(rv);
    expect(JSON.parse(cm("helios-targets-prometheus")!.data!["prometheus.json"])).toHaveLength(31);
  });

  it("NetBox down: no write, exit 1; zero devices: refused; --force writes", async () => {
    const before = JSON.stringify([...api.store.entries()]);
    inv.setDown(true);
    api.calls.length = 0;
    const down = await cli();
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/"stage":"netbox"/);
    expect(api.calls).toEqual([]);
    inv.setDown(false);
    devices = [];
    const zero = await cli();
    expect(zero.status).toBe(1);
    expect(zero.stderr).toMatch(/0 monitored devices where the current targets have 31/);
    expect(JSON.stringify([...api.store.entries()])).toBe(before);
    const forced = await cli("--force");
    expect(forced.status).toBe(0);
    expect(JSON.parse(cm("helios-targets-snmp")!.data!["snmp.json"])).toEqual([]);
  });

  it("an API server error fails the run (exit 1, stage write)", async () => {
    devices = raws(5);
    api.failWrites(1);
    const r = await cli("--force");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/"stage":"write"/);
  });
});
