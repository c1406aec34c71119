import { generate } from "../src/generate";
import { ANN_CONFIGMAPS, ANN_DEVICES, ANN_HASH, checkPlausible, configMapName, contentHash, desiredConfigMaps, ExistingConfigMap, planWrites, allConfigMapNames } from "../src/plan";
import { Device } from "../src/types";
import { goldenInventory } from "./fixtures";

function many(n: number): Device[] {
  const [base] = goldenInventory().filter((d) => d.labels.device === "leaf-1");
  return Array.from({ length: n }, (_, i) => ({ ...base, id: i + 1, address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, labels: { ...base.labels, device: `dev-${String(i).padStart(5, "0")}` } }));
}

function asExisting(cms: ReturnType<typeof desiredConfigMaps>): Map<string, ExistingConfigMap> {
  return new Map(cms.map((c) => [c.name, { name: c.name, data: { ...c.data }, annotations: { ...c.annotations }, resourceVersion: "1" }]));
}

describe("desiredConfigMaps", () => {
  it("the four fixed ConfigMaps with their keys, hash and device-count annotations", () => {
    const cms = desiredConfigMaps(generate(goldenInventory()), 4);
    expect(cms.map((c) => [c.name, Object.keys(c.data)])).toEqual([
      ["helios-targets-gnmic", ["targets.yaml"]],
      ["helios-targets-snmp", ["snmp.json"]],
      ["helios-targets-blackbox", ["icmp.json", "tcp.json", "http.json", "dns.json"]],
      ["helios-targets-prometheus", ["prometheus.json"]],
    ]);
    for (const c of cms) {
      expect(c.annotations[ANN_HASH]).toBe(contentHash(c.data));
      expect(c.annotations[ANN_DEVICES]).toBe("4");
      expect(c.annotations[ANN_CONFIGMAPS]).toBe("1");
      expect(c.labels["helios.io/target-kind"]).toBe(c.kind);
    }
  });

  it("splits large outputs into keys and overflow ConfigMaps, every one under the limits", () => {
    const cms = desiredConfigMaps(generate(many(2000)), 2000, { partMaxBytes: 60_000, configMapMaxBytes: 150_000 });
    const snmp = cms.filter((c) => c.kind === "snmp");
    expect(snmp.length).toBeGreaterThan(1);
    expect(snmp[0].name).toBe("helios-targets-snmp");
    expect(snmp[1].name).toBe("helios-targets-snmp-1");
    expect(snmp[0].annotations[ANN_CONFIGMAPS]).toBe(String(snmp.length));
    expect(Object.keys(snmp[0].data).slice(0, 2)).toEqual(["snmp.json", "snmp-1.json"]);
    let groups = 0;
    for (const c of snmp) {
      const size = Object.entries(c.data).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
      expect(size).toBeLessThanOrEqual(150_000);
      for (const v of Object.values(c.data)) groups += JSON.parse(v).length;
    }
    expect(groups).toBe(2000);
  });

  it("refuses more overflow ConfigMaps than the Role allows", () => {
    expect(() => desiredConfigMaps(generate(many(3000)), 3000, { partMaxBytes: 20_000, configMapMaxBytes: 20_000 })).toThrow(/at most 9 are allowed/);
  });

  it("names every writable ConfigMap for RBAC", () => {
    expect(allConfigMapNames()).toContain("helios-targets-blackbox");
    expect(allConfigMapNames()).toContain("helios-targets-gnmic-8");
    expect(allConfigMapNames()).toHaveLength(36);
  });
});

describe("planWrites", () => {
  const cms = desiredConfigMaps(generate(goldenInventory()), 4);

  it("creates everything on an empty namespace", () => {
    expect(planWrites(cms, new Map()).map((a) => a.op)).toEqual(["create", "create", "create", "create"]);
  });

  it("writes nothing when content is unchanged", () => {
    expect(planWrites(cms, asExisting(cms)).map((a) => a.op)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
  });

  it("replaces a ConfigMap whose data was edited by hand even if the annotation still matches", () => {
    const existing = asExisting(cms);
    existing.get("helios-targets-snmp")!.data["snmp.json"] = "[]\n";
    const actions = planWrites(cms, existing);
    expect(actions.filter((a) => a.op === "replace").map((a) => (a.op === "replace" ? [a.cm.name, a.resourceVersion] : []))).toEqual([["helios-targets-snmp", "1"]]);
  });

  it("writes overflow ConfigMaps before the base one and deletes stale overflow last", () => {
    const big = desiredConfigMaps(generate(many(2000)), 2000, { partMaxBytes: 60_000, configMapMaxBytes: 150_000 });
    const order = planWrites(big, new Map()).map((a) => (a.op === "create" ? a.cm.name : a.op));
    expect(order.indexOf("helios-targets-snmp-1")).toBeLessThan(order.indexOf("helios-targets-snmp"));
    const shrink = planWrites(cms, asExisting(big));
    const deletes = shrink.filter((a) => a.op === "delete").map((a) => (a.op === "delete" ? a.name : ""));
    expect(deletes).toContain("helios-targets-snmp-1");
    expect(shrink.slice(-deletes.length).every((a) => a.op === "delete")).toBe(true);
    expect(deletes).not.toContain(configMapName("snmp"));
  });
});

describe("checkPlausible", () => {
  it.each([
    [undefined, 0, true],
    [0, 0, true],
    [100, 100, true],
    [100, 51, true],
    [100, 49, false],
    [5, 1, true],
    [5, 0, false],
    [3000, 0, false],
  ])("previous %p -> %p devices: ok=%p", (prev, next, ok) => {
    expect(checkPlausible(prev as number | undefined, next as number).ok).toBe(ok);
  });
  it("--force writes anyway; the reason names the counts", () => {
    expect(checkPlausible(3000, 0, { force: true }).ok).toBe(true);
    expect(checkPlausible(3000, 0).reason).toMatch(/0 monitored devices where the current targets have 3000/);
    expect(checkPlausible(100, 10, { maxDropRatio: 0.95 }).ok).toBe(true);
  });
});
