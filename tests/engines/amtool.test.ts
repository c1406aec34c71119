// Smoke test of the `go install` route: the real amtool checks a config and tests routing.
import * as fs from "fs";
import * as path from "path";
import { run, tempDir, tool } from "../helpers/tools";

describe("amtool (go install)", () => {
  const dir = tempDir("amtool");
  const config = path.join(dir, "alertmanager.yaml");
  fs.writeFileSync(
    config,
    `route:
  receiver: email
  group_by: [datacenter, site, alertname]
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: email
    email_configs: [{ to: noc@example.net, from: am@example.net, smarthost: "smtp.example.net:587" }]
  - name: pager
    pagerduty_configs: [{ routing_key: placeholder }]
`,
  );

  it("accepts the config and routes by severity", () => {
    const check = run(tool("amtool"), ["check-config", config]);
    expect(check.stdout).toContain("SUCCESS");
    expect(check.status).toBe(0);

    const critical = run(tool("amtool"), ["config", "routes", "test", "--config.file", config, "severity=critical"]);
    expect(critical.stdout.trim()).toBe("pager");
    const other = run(tool("amtool"), ["config", "routes", "test", "--config.file", config, "severity=info"]);
    expect(other.stdout.trim()).toBe("email");
  });

  it("rejects a route to an undefined receiver", () => {
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "route:\n  receiver: nowhere\nreceivers:\n  - name: email\n");
    const r = run(tool("amtool"), ["check-config", bad]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('undefined receiver "nowhere"');
  });
});
