/**
 * notify and PromQL condition steps against the real engines, step by step (executeStep, as the
 * runner calls it): a real Alertmanager (tool("alertmanager"), the release components/versions.ts
 * pins) that the alert is read back from, a real HTTP receiver for webhooks (and as
 * Alertmanager's own webhook receiver, so the alert is seen leaving Alertmanager too), and PromQL
 * through a real Thanos Query (tool("thanos"), the pinned release) in front of the planned HA pair:
 * two real Prometheus servers whose TSDBs hold the same known series written by promtool, each with
 * the planned external labels and its own replica label, each behind a real Thanos sidecar. The
 * same steps through the operator and its Jobs are in operator.test.ts.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { IMAGES } from "../../../components/versions";
import { PrometheusServer, startPrometheusWithSeries } from "../../../tests/content/prometheus-harness";
import { freePort, waitForPort } from "../../../tests/helpers/net";
import { baseConfig, synth } from "../../../tests/helpers/stacks";
import { helmValues, startThanos, ThanosProcess } from "../../../tests/helpers/thanos";
import { run, tempDir, tool } from "../../../tests/helpers/tools";
import { executeStep, Outputs, StepEnv } from "../src/steps";
import { TemplateContext } from "../src/template";
import { Step } from "../src/types";

const device = { name: "leaf-7", address: "192.0.2.7", port: 57400, site: "lab1", platform: "eos" };
const ctx: TemplateContext = {
  params: { threshold: "10" },
  target: { device: device.name, address: device.address, port: String(device.port), site: device.site, platform: device.platform },
  execution: { name: "ex-engines", namespace: "helios-automation", runbook: "engines" },
};
const NOW = Math.floor(Date.now() / 1000);

describe("notify and PromQL condition steps against real engines", () => {
  let am: ChildProcess;
  let amUrl: string;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: { path: string; body: any }[] = [];
  const proms: PrometheusServer[] = [];
  const sidecars: ThanosProcess[] = [];
  let query: ThanosProcess;
  let queryUrl: string;
  /** The labels every series carries through Thanos Query: the planned external labels, not the replica label. */
  let sourceLabels: Record<string, string>;
  let replicaLabel: string;
  let env: StepEnv;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        let parsed: unknown = body;
        try {
          parsed = body ? JSON.parse(body) : undefined;
        } catch {
          // a form-encoded query sent to it by mistake: kept as text
        }
        received.push({ path: req.url ?? "", body: parsed });
        res.writeHead(req.url?.startsWith("/fail") ? 503 : 200).end("{}");
      });
    });
    const rport = await freePort();
    await new Promise<void>((r) => receiver.listen(rport, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${rport}`;

    // Alertmanager routes everything to the test receiver at once (group_wait 0s).
    const dir = tempDir("rbo-am");
    const config = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(config, `route:\n  receiver: test\n  group_wait: 0s\n  group_interval: 1s\nreceivers:\n  - name: test\n    webhook_configs:\n      - url: ${receiverUrl}/am\n        send_resolved: false\n`);
    const check = run(tool("amtool"), ["check-config", config]);
    if (check.status !== 0) throw new Error(`amtool: ${check.stdout}${check.stderr}`);
    const port = await freePort();
    const log = fs.openSync(path.join(dir, "am.log"), "a");
    am = spawn(tool("alertmanager"), [`--config.file=${config}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], { stdio: ["ignore", log, log] });
    await waitForPort(port, 60_000, () => am.exitCode === null);
    amUrl = `http://127.0.0.1:${port}`;

    // Known series: interface error rates on two devices, the last minutes up to now.
    const lines = ["# TYPE helios_test_if_errors gauge"];
    for (let t = NOW - 600; t <= NOW - 30; t += 30) {
      lines.push(`helios_test_if_errors{device="leaf-7",interface="Ethernet1"} 42 ${t}`);
      lines.push(`helios_test_if_errors{device="leaf-8",interface="Ethernet1"} 3 ${t}`);
    }
    lines.push("# EOF", "");

    // The planned storage layer (a small single-DC stack): Prometheus' external labels, its replica
    // label, and Thanos Query's flags.
    const plan = await synth(baseConfig());
    const spec = helmValues(plan, "kube-prometheus-stack").prometheus.prometheusSpec;
    const thanos = helmValues(plan, "thanos");
    replicaLabel = spec.replicaExternalLabelName;
    // The Prometheus Operator adds `prometheus` (namespace/name) to the planned external labels.
    sourceLabels = { ...spec.externalLabels, prometheus: "helios-storage/helios-prometheus" };
    // The HA pair (replicasPerShard): the same series in both, told apart only by the replica label
    // the operator sets (the pod name), each Prometheus with its sidecar as in the pod.
    for (const replica of [0, 1]) {
      const prom = await startPrometheusWithSeries(lines.join("\n"), { ...sourceLabels, [replicaLabel]: `prometheus-helios-prometheus-${replica}` });
      proms.push(prom);
      sidecars.push(await startThanos(["sidecar", `--prometheus.url=${prom.url}`]));
    }
    // Thanos Query as the chart renders its args: the replica labels (additionalReplicaLabels,
    // query.replicaLabels, rule_replica for the ruler) and query.extraArgs; the sidecars as
    // static endpoints instead of the sidecar service's DNS SRV record.
    const replicaLabels = [...new Set([...thanos.additionalReplicaLabels, ...thanos.query.replicaLabels, ...(thanos.rule.enabled ? ["rule_replica"] : [])])];
    query = await startThanos(["query", ...replicaLabels.map((l) => `--query.replica-label=${l}`), ...thanos.query.extraArgs, ...sidecars.map((s) => `--endpoint=127.0.0.1:${s.grpc}`)]);
    queryUrl = `http://127.0.0.1:${query.http}`;
    // Thanos Query dials its endpoints in the background: wait until both sidecars are healthy stores.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stores = (await (await fetch(`${queryUrl}/api/v1/stores`)).json()) as { data: { sidecar?: { lastError: string | null }[] } };
      if ((stores.data.sidecar ?? []).filter((s) => s.lastError === null).length === 2) break;
      if (Date.now() > deadline) throw new Error(`Thanos Query does not see both sidecars: ${JSON.stringify(stores.data)}\n${query.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    env = { gnmicBin: tool("gnmic"), gnmiTls: "insecure", alertmanagerUrl: amUrl, thanosQueryUrl: queryUrl };
  }, 300_000);

  afterAll(async () => {
    am?.kill("SIGTERM");
    receiver?.close();
    await query?.stop();
    for (const s of sidecars) await s.stop();
    for (const p of proms) await p.stop();
  });

  const step = (s: Partial<Step> & { name: string; kind: Step["kind"] }) => s as Step;
  const exec = (s: Step, e: StepEnv = env, outputs: Outputs = new Map()) => executeStep(s, device, ctx, outputs, e);

  test("the Alertmanager version run is the one the program deploys", () => {
    const v = run(tool("alertmanager"), ["--version"]);
    expect(`${v.stdout}${v.stderr}`).toContain(`version ${IMAGES.alertmanager.tag.replace(/^v/, "")}`);
  });

  test("the Thanos version run is the one the program deploys; Thanos Query sees both replicas' sidecars with their labels", async () => {
    const v = run(tool("thanos"), ["--version"]);
    expect(`${v.stdout}${v.stderr}`).toContain(`version ${IMAGES.thanos.tag.replace(/^v/, "")}`);
    const stores = (await (await fetch(`${queryUrl}/api/v1/stores`)).json()) as { data: { sidecar: { labelSets: Record<string, string>[] }[] } };
    const labelSets = stores.data.sidecar.flatMap((s) => s.labelSets).sort((a, b) => a[replicaLabel].localeCompare(b[replicaLabel]));
    expect(labelSets).toEqual([0, 1].map((i) => ({ ...sourceLabels, [replicaLabel]: `prometheus-helios-prometheus-${i}` })));
  });

  test("notify to Alertmanager: the alert is read back from its API and reaches its receiver", async () => {
    const r = await exec(step({ name: "tell", kind: "notify", notify: { channel: "alertmanager", severity: "warning", message: "draining {{ target.device }}" } }));
    expect(r).toMatchObject({ ok: true, response: { status: 200 } });
    const alerts = (await (await fetch(`${amUrl}/api/v2/alerts?filter=${encodeURIComponent('alertname="HeliosRunbookNotification"')}`)).json()) as any[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0].labels).toEqual({ alertname: "HeliosRunbookNotification", runbook: "engines", device: "leaf-7", severity: "warning" });
    expect(alerts[0].annotations).toEqual({ summary: "draining leaf-7", execution: "ex-engines" });
    const deadline = Date.now() + 30_000;
    while (!received.some((x) => x.path === "/am") && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    const sent = received.find((x) => x.path === "/am")!;
    expect(sent.body.alerts[0].labels).toMatchObject({ alertname: "HeliosRunbookNotification", device: "leaf-7" });
  });

  test("notify to a webhook: the receiver gets the message; a non-2xx answer fails the step", async () => {
    const ok = await exec(step({ name: "hook", kind: "notify", notify: { channel: "webhook", webhookUrl: `${receiverUrl}/hook/{{ target.device }}`, message: "done on {{ target.device }}" } }));
    expect(ok.ok).toBe(true);
    expect(received.find((x) => x.path === "/hook/leaf-7")!.body).toEqual({ execution: "ex-engines", runbook: "engines", device: "leaf-7", severity: "info", message: "done on leaf-7" });
    const bad = await exec(step({ name: "hook", kind: "notify", notify: { channel: "webhook", webhookUrl: `${receiverUrl}/fail`, message: "x" } }));
    expect(bad).toMatchObject({ ok: false, error: `notify ${receiverUrl}/fail answered 503: {}` });
  });

  test("bad input: an unreachable Alertmanager fails the step with the URL and the cause", async () => {
    const closed = await freePort();
    const r = await exec(step({ name: "tell", kind: "notify", notify: { channel: "alertmanager", message: "x" } }), { ...env, alertmanagerUrl: `http://127.0.0.1:${closed}` }).catch((e) => ({ ok: false, error: (e as Error).message }));
    expect(r.ok).toBe(false);
    expect(r.error).toBe(`notify: Alertmanager http://127.0.0.1:${closed}/api/v2/alerts unreachable: ECONNREFUSED`);
    const none = await exec(step({ name: "tell", kind: "notify", notify: { channel: "alertmanager", message: "x" } }), { ...env, alertmanagerUrl: undefined });
    expect(none).toMatchObject({ ok: false, error: "notify to alertmanager but ALERTMANAGER_URL is not set" });
  });

  test("PromQL condition through Thanos Query true and false on a known series", async () => {
    const cond = (promql: string, operator: string, value?: string, onFalse?: string) => step({ name: "c", kind: "condition", condition: { promql, operator, value, onFalse } as never });
    const yes = await exec(cond('helios_test_if_errors{device="{{ target.device }}"}', "greaterThan", "{{ params.threshold }}"));
    expect(yes.ok).toBe(true);
    // One series, not one per replica: Thanos Query deduplicates the HA pair on the replica label
    // (its default when the request names no dedup), and adds the source's external labels.
    expect(yes.response).toEqual({ query: 'helios_test_if_errors{device="leaf-7"}', result: [{ metric: { __name__: "helios_test_if_errors", ...sourceLabels, device: "leaf-7", interface: "Ethernet1" }, value: [expect.any(Number), "42"] }] });
    const no = await exec(cond('helios_test_if_errors{device="leaf-8"}', "greaterThan", "10"));
    expect(no).toMatchObject({ ok: false, error: 'condition greaterThan 10 is false (actual "3")' });
    const stop = await exec(cond('helios_test_if_errors{device="leaf-8"}', "greaterThan", "10", "stop"));
    expect(stop).toMatchObject({ ok: true, stop: true });
    const empty = await exec(cond('helios_test_if_errors{device="nope"}', "empty"));
    expect(empty.ok).toBe(true);
    // 42 + 3, counted once although both replicas hold both series
    const scalar = await exec(cond("scalar(sum(helios_test_if_errors))", "equals", "45"));
    expect(scalar.ok).toBe(true);
  });

  test("bad input: a PromQL syntax error, a range result (from Thanos Query), an unreachable engine fail the step with the cause", async () => {
    const cond = (promql: string) => step({ name: "c", kind: "condition", condition: { promql, operator: "nonEmpty" } });
    const syntax = await exec(cond("sum(helios_test_if_errors"));
    expect(syntax.ok).toBe(false);
    expect(syntax.error).toMatch(/^PromQL sum\(helios_test_if_errors failed \(bad_data\): .*parse error/);
    const matrix = await exec(cond("helios_test_if_errors[5m]"));
    expect(matrix).toMatchObject({ ok: false, error: "PromQL helios_test_if_errors[5m] returned a matrix; a condition needs an instant vector or a scalar" });
    const closed = await freePort();
    const down = await exec(cond("up"), { ...env, thanosQueryUrl: `http://127.0.0.1:${closed}` }).catch((e) => ({ ok: false, error: (e as Error).message }));
    expect(down.error).toBe(`condition: PromQL endpoint http://127.0.0.1:${closed}/api/v1/query unreachable: ECONNREFUSED`);
    const notApi = await exec(cond("up"), { ...env, thanosQueryUrl: `${receiverUrl}/fail` });
    expect(notApi.error).toBe("PromQL up failed (HTTP 503): {}");
  });
});
