// Smoke test of the Debian install route: the real promtool checks and unit-tests a rule.
import * as fs from "fs";
import * as path from "path";
import { run, tempDir, tool } from "../helpers/tools";

describe("promtool (Debian package)", () => {
  const dir = tempDir("promtool");
  const rules = path.join(dir, "rules.yaml");
  fs.writeFileSync(
    rules,
    `groups:
  - name: smoke
    rules:
      - alert: TargetDown
        expr: up == 0
        for: 1m
        labels: { severity: warning }
        annotations: { summary: "{{ $labels.device }} down" }
`,
  );

  it("accepts a valid rule file and rejects a broken one", () => {
    const ok = run(tool("promtool"), ["check", "rules", rules]);
    expect(ok.stdout + ok.stderr).toContain("SUCCESS: 1 rules found");
    expect(ok.status).toBe(0);

    const broken = path.join(dir, "broken.yaml");
    fs.writeFileSync(broken, "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: up ==\n");
    const bad = run(tool("promtool"), ["check", "rules", broken]);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/parse error|unexpected end of input/);
  });

  it("fires the alert in a rule unit test", () => {
    const tests = path.join(dir, "tests.yaml");
    fs.writeFileSync(
      tests,
      `rule_files: [rules.yaml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'up{device="leaf1"}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 2m
        alertname: TargetDown
        exp_alerts:
          - exp_labels: { severity: warning, device: leaf1 }
            exp_annotations: { summary: "leaf1 down" }
`,
    );
    const r = run(tool("promtool"), ["test", "rules", tests], { cwd: dir });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
