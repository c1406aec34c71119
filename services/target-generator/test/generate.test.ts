import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { DEFAULT_GENERATE, generate, render, splitFile } from "../src/generate";
import { Device, TAXONOMY_LABELS } from "../src/types";
import { goldenInventory } from "./fixtures";

const GOLDEN = path.join(__dirname, "golden");

function files(devices: Device[]): Record<string, string> {
  const g = generate(devices);
  const out: Record<string, string> = {};
  for (const list of Object.values(g.files)) for (const f of list) out[f.key] = render(f.format, f.records);
  return out;
}

describe("generators", () => {
  const devices = goldenInventory();
  const out = files(devices);

  it.each(["targets.yaml", "snmp.json", "icmp.json", "tcp.json", "http.json", "dns.json", "prometheus.json"])("%s matches its golden file", (key) => {
    const golden = path.join(GOLDEN, key);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, out[key]);
    expect(out[key]).toBe(fs.readFileSync(golden, "utf8"));
  });

  it("is deterministic: input order does not change a byte", () => {
    expect(files([...devices].reverse())).toEqual(out);
  });

  it("every file_sd group carries all seven taxonomy labels, sorted by device", () => {
    for (const key of ["snmp.json", "icmp.json", "tcp.json", "http.json", "dns.json", "prometheus.json"]) {
      const groups = JSON.parse(out[key]) as { targets: string[]; labels: Record<string, string> }[];
      for (const g of groups) for (const l of TAXONOMY_LABELS) expect(g.labels[l]).toMatch(/^[A-Za-z0-9]/);
      const names = groups.map((g) => g.labels.device);
      expect(names).toEqual([...names].sort());
    }
    const snmp = JSON.parse(out["snmp.json"]);
    expect(snmp.map((g: { labels: Record<string, string> }) => [g.labels.device, g.labels.__param_module, g.labels.__param_auth])).toEqual([
      ["fw-1", "arista_sw", "public_v2"],
      ["leaf-1", "arista_sw", "public_v2"],
      ["spine-2", "juniper", "public_v2"],
    ]);
  });

  it("gnmic targets: address with the gNMI port, subscriptions by telemetry_profile, taxonomy event-tags", () => {
    const t = YAML.parse(out["targets.yaml"]);
    expect(Object.keys(t)).toEqual(["edge-v6", "leaf-1", "spine-2"]);
    expect(t["edge-v6"]).toEqual({
      address: "[2001:db8::10]:6030",
      subscriptions: ["interfaces"],
      "event-tags": { device: "edge-v6", site: "site-2", region: "us-east", vendor: "cisco", platform: "iosxr", role: "edge", tier: "gold" },
    });
    expect(t["spine-2"].address).toBe(`${devices.find((d) => d.labels.device === "spine-2")!.address}:57400`);
    expect(t["spine-2"].subscriptions).toEqual(DEFAULT_GENERATE.profiles.full);
  });

  it("counts devices per target type", () => {
    expect(generate(devices).counts).toEqual({ gnmic: 3, snmp: 3, prometheus: 4, "blackbox-icmp": 2, "blackbox-tcp": 1, "blackbox-http": 1, "blackbox-dns": 1 });
  });

  it("an unknown telemetry_profile drops only the gnmic target, logged with id and display", () => {
    const [a] = goldenInventory().filter((d) => d.labels.device === "leaf-1");
    const odd = { ...a, id: 99, display: "leaf-9", telemetryProfile: "nonsense", labels: { ...a.labels, device: "leaf-9" } };
    const g = generate([a, odd]);
    expect(g.counts.gnmic).toBe(1);
    expect(g.counts.prometheus).toBe(2);
    expect(g.skips).toEqual([{ device: "leaf-9", id: 99, display: "leaf-9", reason: "unknown_telemetry_profile", detail: expect.stringMatching(/"nonsense"/), scope: "gnmic" }]);
  });

  it("a name held in several sites loses nothing: the lowest id keeps the gnmic key, the others get <name>@<site>", () => {
    const [a] = goldenInventory().filter((d) => d.labels.device === "leaf-1");
    const otherSite = { ...a, id: 100, address: "10.9.9.9", labels: { ...a.labels, site: "site-2" } };
    const sameSite = { ...a, id: 101, address: "10.9.9.10", labels: { ...a.labels, site: "site-2" } }; // NetBox allows it with another tenant
    const g = generate([sameSite, otherSite, a]);
    expect(g.skips).toEqual([]);
    for (const t of ["gnmic", "snmp", "prometheus", "blackbox-icmp", "blackbox-tcp"]) expect(g.counts[t]).toBe(3);
    const t = YAML.parse(render("gnmic", g.files.gnmic[0].records));
    expect(Object.keys(t)).toEqual(["leaf-1", "leaf-1@site-2", "leaf-1@site-2#101"]);
    expect(t["leaf-1@site-2"]["event-tags"]).toMatchObject({ device: "leaf-1", site: "site-2" });
    expect(g.renamed.map((r) => [r.id, r.key, r.scope])).toEqual([
      [100, "leaf-1@site-2", "gnmic"],
      [101, "leaf-1@site-2#101", "gnmic"],
    ]);
    const prom = JSON.parse(render("file_sd", g.files.prometheus[0].records)) as { targets: string[]; labels: Record<string, string> }[];
    expect(prom.map((p) => [p.labels.device, p.labels.site, p.targets[0]])).toEqual([
      ["leaf-1", "site-1", a.address],
      ["leaf-1", "site-2", "10.9.9.9"],
      ["leaf-1", "site-2", "10.9.9.10"],
    ]);
  });

  it("empty inventories render as valid empty files", () => {
    const g = generate([]);
    expect(render("file_sd", g.files.snmp[0].records)).toBe("[]\n");
    expect(YAML.parse(render("gnmic", g.files.gnmic[0].records))).toEqual({});
  });

  it("splitFile cuts on record boundaries into valid parts named stem-N", () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ ...devices[1], id: i, labels: { ...devices[1].labels, device: `d-${String(i).padStart(3, "0")}` } }));
    const g = generate(many);
    const parts = splitFile(g.files.snmp[0], 20_000);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.map((p) => p.key).slice(0, 3)).toEqual(["snmp.json", "snmp-1.json", "snmp-2.json"]);
    const all = parts.flatMap((p) => {
      expect(Buffer.byteLength(p.content)).toBeLessThanOrEqual(20_000);
      return JSON.parse(p.content);
    });
    expect(all).toEqual(JSON.parse(render("file_sd", g.files.snmp[0].records)));
    const yparts = splitFile(g.files.gnmic[0], 20_000);
    expect(yparts[1].key).toBe("targets-1.yaml");
    const merged = Object.assign({}, ...yparts.map((p) => YAML.parse(p.content)));
    expect(Object.keys(merged)).toHaveLength(300);
    expect(() => splitFile(g.files.snmp[0], 100)).toThrow(/more than the 100-byte part limit/);
  });
});
