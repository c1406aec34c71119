// The Alertmanager config rendered from config/alertmanager/alertmanager.yaml, checked by the
// real amtool (check-config, routes test per severity) and run by a real Alertmanager
// (same release, v0.34.0) on 127.0.0.1: alerts posted to it reach the receiver of their
// severity, and a device that is down inhibits that device's interface and BGP alerts.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import YAML from "yaml";
import { ALERTMANAGER_TEMPLATE, ReceiverValues, renderAlertmanagerConfig } from "../../components/visualization/alertmanager";
import { freePort, waitForPort } from "../helpers/net";
import { run, tempDir, tool } from "../helpers/tools";

const template = fs.readFileSync(ALERTMANAGER_TEMPLATE, "utf8");
const VALUES: ReceiverValues = {
  pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
  slackWebhookUrl: "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX",
  smtpPassword: "smtp-secret",
  emailTo: "noc@example.net",
  emailFrom: "alertmanager@example.net",
  emailSmarthost: "smtp.example.net:587",
  emailUsername: "alertmanager",
};

function writeConfig(yaml: string): string {
  const file = path.join(tempDir("am"), "alertmanager.yaml");
  fs.writeFileSync(file, yaml);
  return file;
}

describe("Alertmanager routing config (amtool)", () => {
  const rendered = renderAlertmanagerConfig(template, VALUES);
  const file = writeConfig(rendered.yaml);

  it("renders every receiver with its secret and passes amtool check-config", () => {
    expect(rendered.disabled).toEqual([]);
    const doc = YAML.parse(rendered.yaml);
    const byName = Object.fromEntries(doc.receivers.map((r: any) => [r.name, r]));
    expect(byName["helios-critical"].pagerduty_configs[0].routing_key).toBe(VALUES.pagerdutyRoutingKey);
    expect(byName["helios-warning"].slack_configs[0].api_url).toBe(VALUES.slackWebhookUrl);
    expect(byName["helios-info"].email_configs[0]).toMatchObject({ to: VALUES.emailTo, auth_password: VALUES.smtpPassword, smarthost: VALUES.emailSmarthost });
    expect(doc.route.group_by).toEqual(["datacenter", "site", "alertname"]);
    const check = run(tool("amtool"), ["check-config", file]);
    expect(check.stdout).toContain("SUCCESS");
    expect(check.status).toBe(0);
  });

  it.each([
    ["severity=critical", "helios-critical"],
    ["severity=warning", "helios-warning"],
    ["severity=info", "helios-info"],
    ["alertname=Unlabelled", "helios-info"],
  ])("amtool config routes test %s -> %s", (labels, receiver) => {
    const r = run(tool("amtool"), ["config", "routes", "test", "--config.file", file, "--verify.receivers", receiver, "alertname=X", "datacenter=dc-a", "site=ams1", labels]);
    expect(r.stdout.trim()).toBe(receiver);
    expect(r.status).toBe(0);
  });

  it("amtool routes test fails for a wrong expectation (the check can fail)", () => {
    const r = run(tool("amtool"), ["config", "routes", "test", "--config.file", file, "--verify.receivers", "helios-info", "severity=critical"]);
    expect(r.status).not.toBe(0);
  });

  it("drops an integration whose inputs are not configured, and the config stays valid", () => {
    const partial = renderAlertmanagerConfig(template, { slackWebhookUrl: VALUES.slackWebhookUrl, emailTo: "noc@example.net", emailFrom: "am@example.net", emailSmarthost: "smtp.example.net:25" });
    expect(partial.disabled).toEqual(["helios-critical/pagerduty (needs pagerdutyRoutingKey)"]);
    const doc = YAML.parse(partial.yaml);
    const info = doc.receivers.find((r: any) => r.name === "helios-info");
    expect(info.email_configs[0].auth_username).toBeUndefined();
    expect(info.email_configs[0].auth_password).toBeUndefined();
    expect(doc.receivers.find((r: any) => r.name === "helios-critical").pagerduty_configs).toBeUndefined();
    const check = run(tool("amtool"), ["check-config", writeConfig(partial.yaml)]);
    expect(check.status).toBe(0);
  });

  it("refuses a template with an unknown placeholder or without routes", () => {
    expect(() => renderAlertmanagerConfig(template.replace("${slackWebhookUrl}", "${slackUrl}"), VALUES)).toThrow("unknown placeholder(s) ${slackUrl}");
    expect(() => renderAlertmanagerConfig("receivers: []\n", VALUES)).toThrow("must have a top-level route and a receivers list");
    expect(() => renderAlertmanagerConfig("route: [", VALUES)).toThrow("not valid YAML");
  });
});

describe("a real Alertmanager with the Helios routing and inhibition", () => {
  let am: ChildProcess | undefined;
  let hook: http.Server;
  let amUrl = "";
  const received: { receiver: string; alerts: string[] }[] = [];

  beforeAll(async () => {
    // Same route tree and inhibit rules; every receiver's integrations replaced by a webhook
    // to this test (never to PagerDuty/Slack/SMTP), and group_wait shortened to 1 s.
    const hookPort = await freePort();
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const msg = JSON.parse(body);
        received.push({ receiver: msg.receiver, alerts: msg.alerts.map((a: any) => `${a.labels.alertname}/${a.labels.device}`).sort() });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(hookPort, "127.0.0.1", () => r()));
    const doc = YAML.parse(renderAlertmanagerConfig(template, VALUES).yaml);
    doc.receivers = doc.receivers.map((r: any) => ({ name: r.name, webhook_configs: [{ url: `http://127.0.0.1:${hookPort}/${r.name}`, send_resolved: false }] }));
    const shorten = (route: any) => {
      if (route.group_wait) route.group_wait = "1s";
      (route.routes ?? []).forEach(shorten);
    };
    doc.route.group_wait = "1s";
    shorten(doc.route);
    const dir = tempDir("am-server");
    const config = path.join(dir, "alertmanager.yaml");
    fs.writeFileSync(config, YAML.stringify(doc));
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(dir, "am.log"), "a");
    am = spawn(tool("alertmanager"), [`--config.file=${config}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], { stdio: ["ignore", log, log] });
    const proc = am;
    await waitForPort(port, 60_000, () => proc.exitCode === null);
  });

  afterAll(async () => {
    if (am && am.exitCode === null) {
      const exited = new Promise<void>((r) => am!.once("exit", () => r()));
      am.kill("SIGTERM");
      await exited;
    }
    await new Promise<void>((r) => hook?.close(() => r()));
  });

  it("routes by severity and inhibits the interface and BGP alerts of a device that is down", async () => {
    const base = { datacenter: "dc-a", site: "ams1" };
    const alert = (alertname: string, severity: string, device: string) => ({
      labels: { alertname, severity, device, ...base },
      annotations: { summary: `${alertname} on ${device}` },
      startsAt: new Date().toISOString(),
    });
    const alerts = [
      alert("DeviceUnreachable", "critical", "ams1-leaf1"),
      alert("BGPSessionDown", "critical", "ams1-leaf1"),
      alert("InterfaceErrorRate", "warning", "ams1-leaf1"),
      alert("InterfaceErrorRate", "warning", "ams1-leaf2"),
      alert("FlowRateAnomaly", "info", "ams1-leaf2"),
    ];
    // The inhibiting alert first, so the others are evaluated against it.
    await post(`${amUrl}/api/v2/alerts`, [alerts[0]]);
    await new Promise((r) => setTimeout(r, 500));
    await post(`${amUrl}/api/v2/alerts`, alerts.slice(1));

    const deadline = Date.now() + 30_000;
    while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 2000)); // anything that should not arrive has had time to

    const state = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as any[];
    const inhibited = Object.fromEntries(state.map((a) => [`${a.labels.alertname}/${a.labels.device}`, a.status.inhibitedBy.length > 0]));
    expect(inhibited).toEqual({
      "DeviceUnreachable/ams1-leaf1": false,
      "BGPSessionDown/ams1-leaf1": true,
      "InterfaceErrorRate/ams1-leaf1": true,
      "InterfaceErrorRate/ams1-leaf2": false,
      "FlowRateAnomaly/ams1-leaf2": false,
    });
    const byReceiver = Object.fromEntries(
      ["helios-critical", "helios-warning", "helios-info"].map((r) => [r, received.filter((x) => x.receiver === r).flatMap((x) => x.alerts).sort()]),
    );
    expect(byReceiver).toEqual({
      "helios-critical": ["DeviceUnreachable/ams1-leaf1"],
      "helios-warning": ["InterfaceErrorRate/ams1-leaf2"],
      "helios-info": ["FlowRateAnomaly/ams1-leaf2"],
    });
  });
});

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
}
