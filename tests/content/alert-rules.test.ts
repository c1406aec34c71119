// Alert rules with the real promtool (Debian 2.42): `promtool check rules` on every rule file,
// `promtool test rules` on every test file, and proof that the unit tests cover each alert
// both firing and staying silent. Rule files are also checked by the program's own loader
// (severity, summary, description, runbook_url) with clear errors for bad input.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ALERTS_DIR, SEVERITIES, loadRuleFiles, parseRuleFile } from "../../components/visualization/rules";
import { run, tempDir, tool } from "../helpers/tools";

const TESTS_DIR = path.join(ALERTS_DIR, "tests");
const REQUIRED_ALERTS = [
  "DeviceUnreachable",
  "InterfaceErrorRate",
  "BGPSessionDown",
  "HighCPU",
  "HighMemory",
  "FlowRateAnomaly",
  "ClickHouseDiskUsageHigh",
  "ThanosSidecarUploadFailures",
  "ThanosCompactorHalted",
  "ObjectStorageUnreachable",
  "ScrapeFailures",
  "EnricherConsumerLag",
];

describe("alert rules (promtool)", () => {
  const files = loadRuleFiles();
  const ruleFiles = files.map((f) => f.file);
  const testFiles = fs.readdirSync(TESTS_DIR).filter((f) => f.endsWith(".test.yaml")).map((f) => path.join(TESTS_DIR, f));
  const alerts = files.flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ file: f.name, ...r }) as any)));

  it("defines every required alert with a severity, summary, description and runbook link", () => {
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
    for (const a of alerts) {
      expect(SEVERITIES).toContain(a.labels.severity);
      for (const k of ["summary", "description", "runbook_url"]) expect(a.annotations[k]).toBeTruthy();
    }
    const thresholds = Object.fromEntries(alerts.map((a) => [a.alert, { expr: a.expr, for: a.for }]));
    expect(thresholds.DeviceUnreachable.for).toBe("2m");
    expect(thresholds.InterfaceErrorRate).toMatchObject({ for: "5m", expr: expect.stringContaining("> 0.01") });
    expect(thresholds.BGPSessionDown.for).toBe("1m");
    expect(thresholds.HighCPU).toMatchObject({ for: "5m", expr: expect.stringContaining("> 80") });
    expect(thresholds.HighMemory).toMatchObject({ for: "5m", expr: expect.stringContaining("> 85") });
    expect(thresholds.FlowRateAnomaly.expr).toContain("2 * (helios:flow_rate:stddev1d");
    expect(thresholds.ClickHouseDiskUsageHigh.expr).toContain("> 80");
  });

  it("has a runbook section for every link into config/alerts/RUNBOOKS.md", () => {
    const runbooks = fs.readFileSync(path.join(ALERTS_DIR, "RUNBOOKS.md"), "utf8");
    const anchors = new Set([...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
    const linked = alerts.filter((a) => String(a.annotations.runbook_url).includes("config/alerts/RUNBOOKS.md#"));
    expect(linked.map((a) => a.alert)).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
    for (const a of linked) {
      const anchor = String(a.annotations.runbook_url).split("#")[1];
      expect({ alert: a.alert, anchor: anchors.has(anchor) }).toEqual({ alert: a.alert, anchor: true });
    }
  });

  it.each(ruleFiles.map((f) => [path.basename(f), f]))("promtool check rules %s", (_name, file) => {
    const r = run(tool("promtool"), ["check", "rules", file]);
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it.each(testFiles.map((f) => [path.basename(f), f]))("promtool test rules %s", (_name, file) => {
    const r = run(tool("promtool"), ["test", "rules", path.basename(file)], { cwd: TESTS_DIR, timeoutMs: 300_000 });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  // Owned here: devices, flows, platform. (target-sync.rules.yaml belongs to the target
  // generator; promtool checks and runs its tests above like every other file.)
  const OWN = new Set(["devices", "flows", "platform"]);
  it("unit-tests every alert of devices/flows/platform both firing and staying silent", () => {
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const file of testFiles) {
      const doc = YAML.parse(fs.readFileSync(file, "utf8"));
      for (const t of doc.tests) {
        for (const c of t.alert_rule_test ?? []) (c.exp_alerts?.length ? fires : silent).add(c.alertname);
      }
    }
    for (const a of alerts.filter((x) => OWN.has(x.file))) {
      expect({ alert: a.alert, fires: fires.has(a.alert), silent: silent.has(a.alert) }).toEqual({ alert: a.alert, fires: true, silent: true });
    }
  });

  it("every rule file has a test file that loads it", () => {
    const loaded = new Set(testFiles.flatMap((f) => (YAML.parse(fs.readFileSync(f, "utf8")).rule_files as string[]).map((r) => path.basename(r))));
    for (const f of ruleFiles) expect(loaded).toContain(path.basename(f));
  });

  it("promtool fails a unit test whose expectation is wrong (the tests can fail)", () => {
    const dir = tempDir("promtool-neg");
    fs.copyFileSync(path.join(ALERTS_DIR, "devices.rules.yaml"), path.join(dir, "devices.rules.yaml"));
    fs.writeFileSync(
      path.join(dir, "wrong.test.yaml"),
      `rule_files: [devices.rules.yaml]
evaluation_interval: 30s
tests:
  - interval: 1m
    input_series:
      - series: 'gnmic_system_memory_utilized_bytes{device="x",site="s",region="r",vendor="v",platform="p",role="leaf",tier="t"}'
        values: '6800000000x10'
      - series: 'gnmic_system_memory_physical_bytes{device="x",site="s",region="r",vendor="v",platform="p",role="leaf",tier="t"}'
        values: '8000000000x10'
    alert_rule_test:
      - eval_time: 8m
        alertname: HighMemory
        exp_alerts:
          - exp_labels: { severity: warning, device: x, site: s, region: r, vendor: v, platform: p, role: leaf, tier: t }
`,
    );
    // 85% exactly is not above the threshold: the expectation that it fires must fail.
    const r = run(tool("promtool"), ["test", "rules", "wrong.test.yaml"], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("FAILED");
  });

  describe("the program's rule loader refuses bad rule files", () => {
    const cases: [string, string, string][] = [
      ["not YAML", "groups: [", "not valid YAML"],
      ["no groups", "rules: []", 'non-empty top-level "groups"'],
      ["missing severity", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations: { summary: s, description: d, runbook_url: 'https://x/y' }\n", 'labels.severity is undefined; must be one of critical, warning, info'],
      ["unknown severity", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: { severity: page }\n        annotations: { summary: s, description: d, runbook_url: 'https://x/y' }\n", 'labels.severity is "page"'],
      ["missing runbook", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: { severity: info }\n        annotations: { summary: s, description: d }\n", "rule A: needs annotations.runbook_url"],
      ["duplicate group", "groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n  - name: g\n    rules:\n      - record: a:c\n        expr: up\n", "group g: defined twice"],
      ["no expr", "groups:\n  - name: g\n    rules:\n      - record: a:b\n", "rule a:b: needs an expr"],
    ];
    it.each(cases)("%s", (_name, text, message) => {
      expect(() => parseRuleFile("/x/bad.rules.yaml", text)).toThrow(message);
      expect(() => parseRuleFile("/x/bad.rules.yaml", text)).toThrow("bad.rules.yaml");
    });
  });
});
