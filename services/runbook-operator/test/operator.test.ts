/**
 * The operator end to end on a REAL kube-apiserver and a REAL NetBox: the built CLI runs as the
 * operator under its least-privilege service account, runner Jobs are executed from their
 * stored specs (no kubelet here; see harness.ts) under the runner's service account, approvals
 * go through the approval API and CLI with static-token users checked by real TokenReviews and
 * SubjectAccessReviews. gNMI steps are covered in gnmi.test.ts; here steps are wait, notify
 * (to a webhook this test serves) and condition.
 */
import * as http from "http";
import { KubeCluster } from "../../../tests/helpers/kube";
import { freePort } from "../../../tests/helpers/net";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { SeededDevice, seedNetBox } from "../../target-generator/test/seed";
import { spawnSync } from "child_process";
import { tool } from "../../../tests/helpers/tools";
import { clusterWithCrds, create, readSample } from "./cluster";
import { GnmiTarget, startGnmiTarget } from "./gnmi-harness";
import { IMAGES } from "../../../components/versions";
import { buildCli, JobRunner, NAMESPACE, OperatorProc, ScriptKubelet, spawnCli, startOperator, until } from "./harness";
import { installRbac, serviceAccountKubeconfig, userKubeconfig } from "./rbac-setup";

/** A script image the pod runner can run here (tests/helpers/images.ts: its sh and gnmic), pinned as deployed. */
const SCRIPT_IMAGE = `${IMAGES.gnmic.repository}:${IMAGES.gnmic.tag}`;

const USERS = [
  { name: "alice", token: "alice-token-0123456789", groups: ["helios-admins"] },
  { name: "bob", token: "bob-token-0123456789", groups: ["helios-admins"] },
  { name: "mallory", token: "mallory-token-0123456789", groups: ["network-engineers"] },
];

const runbook = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "automation.helios.io/v1alpha1", kind: "Runbook", metadata: { name }, spec });
const execution = (name: string, runbookName: string, target: Record<string, unknown>, parameters?: Record<string, string>, requestedBy?: string) => ({
  apiVersion: "automation.helios.io/v1alpha1",
  kind: "RunbookExecution",
  metadata: { name, namespace: NAMESPACE, ...(requestedBy ? { annotations: { "automation.helios.io/requested-by": requestedBy } } : {}) },
  spec: { runbookRef: { name: runbookName }, target, ...(parameters ? { parameters } : {}) },
});

describe("runbook operator on a real API server and NetBox", () => {
  let cluster: KubeCluster;
  let nb: NetBox;
  let devices: SeededDevice[];
  let op: OperatorProc;
  let jobs: JobRunner;
  let hooks: http.Server;
  let hookUrl: string;
  const received: { path: string; body: any }[] = [];
  let operatorEnv: Record<string, string>;
  let gnmi: GnmiTarget;
  let scripts: ScriptKubelet;

  const get = (kind: string, name: string): any => {
    const r = cluster.kubectl(["get", kind, name, "-n", NAMESPACE, "-o", "json"]);
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const phaseOf = (name: string) => get("runbookexecution", name).status?.phase;
  const waitPhase = (name: string, phase: string, ms = 90_000) => until(`${name} to reach ${phase}`, () => { const ex = get("runbookexecution", name); if (ex.status?.phase === phase) return ex; }, ms);
  const audit = (name: string) => {
    const cm = get("configmap", `${name}-audit`);
    const keys = Object.keys(cm.data).filter((k) => k !== "plan.json").sort();
    return { plan: JSON.parse(cm.data["plan.json"]), events: keys.map((k) => JSON.parse(cm.data[k])) };
  };
  const apply = (obj: unknown) => {
    const r = create(cluster, obj);
    if (r.status !== 0) throw new Error(r.stderr);
  };
  const approveCli = (user: (typeof USERS)[number], name: string, verb = "approve", comment = "ok") =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const p = spawnCli([verb, name, "--namespace", NAMESPACE, "--server", op.url, "--comment", comment], { KUBECONFIG: userKubeconfig(cluster, user.token) });
      p.child.on("exit", (code) => resolve({ code, output: p.output() }));
    });

  beforeAll(async () => {
    buildCli();
    [cluster, nb, gnmi] = await Promise.all([clusterWithCrds("runbook-operator", USERS), startNetBox(), startGnmiTarget({ username: "netops", password: "gnmi-pw" })]);
    devices = await seedNetBox(nb, 6);
    // The gNMI test target as a NetBox device: primary IP on loopback, gnmi_port custom field.
    const [site] = await nb.api.list("dcim/sites", { slug: "lab1" });
    const [role] = await nb.api.list("dcim/device-roles");
    const [type] = await nb.api.list("dcim/device-types");
    const leaf = await nb.api.device({ name: "leaf-gnmi", site: site.id, role: role.id, deviceType: type.id, customFields: { gnmi_port: gnmi.port } });
    await nb.api.primaryIp(leaf.id, "127.0.0.1/32");
    installRbac(cluster);
    hooks = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body: body ? JSON.parse(body) : undefined });
        res.writeHead(req.url?.startsWith("/fail") ? 500 : 200).end("{}");
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => hooks.listen(port, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${port}`;
    const netboxToken = nb.tokens.v1.replace(/^Token /, "");
    const secret = cluster.kubectl(["create", "secret", "generic", "netbox-token", "-n", NAMESPACE, `--from-literal=token=${netboxToken}`]);
    if (secret.status !== 0) throw new Error(secret.stderr);
    const creds = cluster.kubectl(["create", "secret", "generic", "gnmi-credentials", "-n", NAMESPACE, "--from-literal=username=netops", "--from-literal=password=gnmi-pw"]);
    if (creds.status !== 0) throw new Error(creds.stderr);
    operatorEnv = {
      KUBECONFIG: serviceAccountKubeconfig(cluster, "helios-runbook-operator"),
      NETBOX_URL: nb.url,
      NETBOX_TOKEN: netboxToken,
      NETBOX_TOKEN_SECRET: "netbox-token",
      GNMI_CREDENTIALS_SECRET: "gnmi-credentials",
      GNMI_TLS: "insecure",
      SCRIPT_IMAGES: SCRIPT_IMAGE,
    };
    op = await startOperator(cluster, operatorEnv);
    // The runner gets NETBOX_URL and NETBOX_TOKEN from its stored Job spec (env and secretKeyRef).
    // GNMIC_BIN: the image ships gnmic on PATH; here it is the tools cache's real gnmic.
    jobs = new JobRunner(cluster, { KUBECONFIG: serviceAccountKubeconfig(cluster, "helios-runbook-runner"), GNMIC_BIN: tool("gnmic") });
    jobs.auto((job) => !job.metadata.name.includes("manual"));
    scripts = new ScriptKubelet(cluster);
    await scripts.start();
  }, 600_000);

  afterAll(async () => {
    await scripts?.stop();
    await jobs?.stop();
    await op?.stop();
    hooks?.close();
    await cluster?.stop();
    await nb?.stop();
    await gnmi?.stop();
  });

  test("a Runbook is marked Ready, or not Ready with the field at fault", async () => {
    apply(runbook("notify-ok", { riskLevel: "low", steps: [{ name: "tell", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok`, message: "hello {{ target.device }} from {{ execution.name }}" } }] }));
    apply(runbook("bad-template", { riskLevel: "low", steps: [{ name: "tell", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok`, message: "{{ params.nope }}" } }] }));
    const ok = await until("notify-ok Ready", () => { const rb = JSON.parse(cluster.kubectl(["get", "runbook", "notify-ok", "-o", "json"]).stdout); return rb.status?.conditions?.[0]?.status === "True" && rb; });
    expect(ok.status).toMatchObject({ observedGeneration: 1, stepCount: 1 });
    const bad = await until("bad-template evaluated", () => { const rb = JSON.parse(cluster.kubectl(["get", "runbook", "bad-template", "-o", "json"]).stdout); return rb.status?.conditions?.[0] && rb; });
    expect(bad.status.conditions[0]).toMatchObject({ type: "Ready", status: "False", reason: "InvalidField", message: "spec.steps[0].notify.message: references undeclared parameter nope" });
    expect(cluster.kubectl(["get", "runbook", "bad-template", "-o", "wide"]).stdout).toMatch(/False\s+InvalidField/);
  });

  test("a low-risk execution runs in one Job from its stored spec and completes, with status and audit", async () => {
    const dev = devices[0].name;
    apply(execution("hello", "notify-ok", { device: dev }, undefined, "alice"));
    const ex = await waitPhase("hello", "Completed");
    const job = get("job", "rbx-hello");
    expect(job.spec.template.spec.containers[0].args).toEqual(["run", "--namespace", NAMESPACE, "--execution", "hello"]);
    expect(job.metadata.ownerReferences[0]).toMatchObject({ kind: "RunbookExecution", name: "hello", controller: true });
    expect(job.spec.template.spec.serviceAccountName).toBe("helios-runbook-runner");
    expect(ex.status).toMatchObject({ requestedBy: "alice", devices: [dev], jobName: "rbx-hello", reason: "AllStepsSucceeded", auditConfigMap: "hello-audit" });
    expect(ex.status.steps).toEqual([expect.objectContaining({ name: "tell", device: dev, kind: "notify", state: "Succeeded", startedAt: expect.any(String), finishedAt: expect.any(String) })]);
    expect(received.find((r) => r.path === "/ok" && r.body.message === `hello ${dev} from hello`)).toBeDefined();
    const a = audit("hello");
    expect(a.plan.devices[0]).toMatchObject({ name: dev, address: devices[0].address, port: devices[0].gnmiPort });
    expect(a.events.filter((e) => e.type === "transition").map((e) => e.to)).toEqual(["Approved", "Running", "Completed"]);
    expect(a.events.find((e) => e.type === "step")).toMatchObject({ step: "tell", state: "Succeeded", response: { status: 200 } });
    expect(jobs.runs.size).toBeGreaterThanOrEqual(1);
  });

  test("a script step runs its command in its own constrained Job; output and exit code go to status and audit", async () => {
    const dev = devices[0].name;
    apply(runbook("scripted", {
      riskLevel: "low",
      steps: [
        { name: "probe", kind: "script", timeoutSeconds: 60, script: { image: SCRIPT_IMAGE, command: ["sh", "-c"], args: ["echo hello from {{ target.device }}; id -u; test ! -w /etc"] } },
        { name: "said-hello", kind: "condition", condition: { step: "probe", operator: "notEquals", value: "" } },
      ],
    }));
    await until("scripted Ready", () => JSON.parse(cluster.kubectl(["get", "runbook", "scripted", "-o", "json"]).stdout).status?.conditions?.[0]?.status === "True");
    apply(execution("script-ok", "scripted", { device: dev }));
    const ex = await waitPhase("script-ok", "Completed", 120_000);
    const step = ex.status.steps.find((s: any) => s.name === "probe");
    // The command really ran: its output, with the device rendered in, and as the non-root user of the Job spec.
    expect(step).toMatchObject({ state: "Succeeded", kind: "script" });
    expect(step.output).toBe(`hello from ${dev}\n65532`);
    const event = audit("script-ok").events.find((e) => e.step === "probe");
    expect(event.response).toMatchObject({ exitCode: 0, log: `hello from ${dev}\n65532\n` });
    // The stored Job: the constrained spec, whatever the runbook asked for.
    const job = get("job", event.response.job);
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 60 });
    expect(job.metadata.ownerReferences[0]).toMatchObject({ kind: "RunbookExecution", name: "script-ok", controller: true });
    expect(pod).toMatchObject({ restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false, securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } } });
    expect(c).toMatchObject({ image: SCRIPT_IMAGE, command: ["sh", "-c"], args: [`echo hello from {{ target.device }}; id -u; test ! -w /etc`.replace("{{ target.device }}", dev)] });
    expect(c.securityContext).toEqual({ runAsNonRoot: true, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "128Mi", "ephemeral-storage": "64Mi" });
    expect(scripts.pods.find((p) => p.job.metadata.name === job.metadata.name)).toMatchObject({ exitCode: 0 });
    expect(scripts.errors).toEqual([]);
  });

  test("a failing script fails its step with exit code and output; bad script images are refused before anything runs", async () => {
    apply(runbook("script-fails", { riskLevel: "low", steps: [{ name: "boom", kind: "script", script: { image: SCRIPT_IMAGE, command: ["sh", "-c", "echo partial; echo broken >&2; exit 3"] } }] }));
    apply(runbook("script-unlisted", { riskLevel: "low", steps: [{ name: "x", kind: "script", script: { image: "docker.io/library/busybox:1.37", command: ["sh"] } }] }));
    await until("script-fails Ready", () => JSON.parse(cluster.kubectl(["get", "runbook", "script-fails", "-o", "json"]).stdout).status?.conditions?.[0]?.status === "True");
    apply(execution("script-bad", "script-fails", { device: devices[0].name }));
    const ex = await waitPhase("script-bad", "Failed", 120_000);
    expect(ex.status.steps[0]).toMatchObject({ name: "boom", state: "Failed", error: "script exited 3 (Error)" });
    // stdout and stderr, both in the log (their interleaving is the pipes', not fixed).
    expect(ex.status.steps[0].output.split("\n").sort()).toEqual(["broken", "partial"]);
    expect(ex.status.message).toMatch(/step boom on .* failed: script exited 3/);
    const unlisted = await until("script-unlisted evaluated", () => JSON.parse(cluster.kubectl(["get", "runbook", "script-unlisted", "-o", "json"]).stdout).status?.conditions?.[0]);
    expect(unlisted).toMatchObject({ status: "False", reason: "InvalidField", message: `spec.steps[0].script.image: script image docker.io/library/busybox:1.37 is not on the operator's script image allow-list (SCRIPT_IMAGES: ${SCRIPT_IMAGE})` });
    apply(execution("script-unlisted-ex", "script-unlisted", { device: devices[0].name }));
    const refused = await waitPhase("script-unlisted-ex", "Failed");
    expect(refused.status.reason).toBe("RunbookNotReady");
    const scriptJobs = JSON.parse(cluster.kubectl(["get", "jobs", "-n", NAMESPACE, "-l", "automation.helios.io/execution=script-unlisted-ex", "-o", "json"]).stdout).items;
    expect(scriptJobs).toEqual([]);
  });

  test("interface bounce end to end: the sample runbook takes Ethernet1 down and up over gNMI", async () => {
    apply(readSample("interface-bounce.yaml"));
    apply(execution("bounce", "interface-bounce", { device: "leaf-gnmi" }, { interface: "Ethernet1" }, "alice"));
    const ex = await waitPhase("bounce", "Completed", 120_000);
    expect(ex.status.steps.map((s: any) => `${s.name}=${s.state}`)).toEqual(["disable=Succeeded", "hold-down=Succeeded", "enable=Succeeded", "verify-up=Succeeded"]);
    // The device saw the two Sets, in order, with the credentials from the stored Secret.
    expect(gnmi.sets().map((s) => s.update)).toEqual([[["/interfaces/interface[name=Ethernet1]/config/enabled", false]], [["/interfaces/interface[name=Ethernet1]/config/enabled", true]]]);
    const get = spawnSync(tool("gnmic"), ["-a", `127.0.0.1:${gnmi.port}`, "--insecure", "-u", "netops", "-p", "gnmi-pw", "get", "--path", "/interfaces/interface[name=Ethernet1]/state/oper-status", "--format", "json"], { encoding: "utf8" });
    expect(Object.values(JSON.parse(get.stdout)[0].updates[0].values)).toEqual(["UP"]);
    // The audit record holds both device responses.
    const sets = audit("bounce").events.filter((e) => e.type === "step" && e.kind === "gnmiSet");
    expect(sets.map((e) => [e.step, e.response.results[0]])).toEqual([
      ["disable", { operation: "UPDATE", path: "interfaces/interface[name=Ethernet1]/config/enabled" }],
      ["enable", { operation: "UPDATE", path: "interfaces/interface[name=Ethernet1]/config/enabled" }],
    ]);
    expect(audit("bounce").events.find((e) => e.step === "verify-up")).toMatchObject({ state: "Succeeded", response: { matched: true } });
  });

  test("a selector resolves devices in NetBox; steps run device by device", async () => {
    // fra1 holds dev-0001 and dev-0005 only (seedNetBox puts its excluded devices in ams1).
    const site = devices[1].labels.site;
    const expected = devices.filter((d) => d.labels.site === site).map((d) => d.name).sort();
    apply(execution("by-site", "notify-ok", { selector: { matchLabels: { site } } }));
    const ex = await waitPhase("by-site", "Completed");
    expect(ex.status.devices).toEqual(expected);
    expect(ex.status.steps.map((s: any) => s.device)).toEqual(expected);
  });

  test("refused before anything runs: not-Ready runbook, missing runbook, bad parameters, device not in NetBox", async () => {
    apply(runbook("typed", { riskLevel: "low", parameters: [{ name: "count", type: "integer", required: true }], steps: [{ name: "w", kind: "wait", wait: { seconds: 1 } }] }));
    apply(execution("not-ready", "bad-template", { device: devices[0].name }));
    apply(execution("no-runbook", "does-not-exist", { device: devices[0].name }));
    apply(execution("missing-param", "typed", { device: devices[0].name }));
    apply(execution("wrong-type", "typed", { device: devices[0].name }, { count: "three" }));
    apply(execution("ghost", "notify-ok", { device: "no-such-device" }));
    const cases: [string, string, RegExp][] = [
      ["not-ready", "RunbookNotReady", /runbook bad-template is not Ready: spec.steps\[0\].notify.message/],
      ["no-runbook", "RunbookNotFound", /does-not-exist does not exist/],
      ["missing-param", "InvalidParameters", /missing required parameter count \(integer\)/],
      ["wrong-type", "InvalidParameters", /parameter count="three" is not an integer/],
      ["ghost", "DeviceNotFound", /device no-such-device is not in NetBox/],
    ];
    for (const [name, reason, message] of cases) {
      const ex = await waitPhase(name, "Failed");
      expect(ex.status.reason).toBe(reason);
      expect(ex.status.message).toMatch(message);
      expect(ex.status.jobName).toBeUndefined();
      expect(cluster.kubectl(["get", "job", `rbx-${name}`, "-n", NAMESPACE]).status).not.toBe(0);
    }
  });

  test("a device removed from NetBox after approval fails the run before any step", async () => {
    apply(runbook("gated", { riskLevel: "high", approvalRequired: true, steps: [{ name: "tell", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok`, message: "gated" } }] }));
    const victim = devices[2];
    apply(execution("removed", "gated", { device: victim.name }));
    await waitPhase("removed", "PendingApproval");
    await nb.api.delete("dcim/devices", victim.id);
    expect((await approveCli(USERS[0], "removed")).code).toBe(0);
    const ex = await waitPhase("removed", "Failed");
    expect(ex.status).toMatchObject({ reason: "DeviceNotFound", message: expect.stringMatching(`device ${victim.name} is no longer in NetBox`) });
    expect(ex.status.steps ?? []).toEqual([]);
  });

  test("a failed step with rollbackOnFailure rolls back in reverse and ends RolledBack", async () => {
    apply(
      runbook("roll", {
        riskLevel: "medium",
        rollbackOnFailure: true,
        steps: [
          { name: "one", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/one`, message: "one" } },
          { name: "two", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/two`, message: "two" } },
          { name: "three", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/fail/three`, message: "three" } },
          { name: "four", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/four`, message: "four" } },
        ],
        rollback: [
          { name: "undo-one", kind: "notify", undoes: "one", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/undo-one`, message: "undo one" } },
          { name: "undo-two", kind: "notify", undoes: "two", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/undo-two`, message: "undo two" } },
          { name: "undo-four", kind: "notify", undoes: "four", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/undo-four`, message: "undo four" } },
        ],
      }),
    );
    apply(execution("rolls", "roll", { device: devices[1].name }));
    const ex = await waitPhase("rolls", "RolledBack");
    expect(ex.status.steps.map((s: any) => `${s.rollback ? "rollback:" : ""}${s.name}=${s.state}`)).toEqual(["one=Succeeded", "two=Succeeded", "three=Failed", "rollback:undo-two=Succeeded", "rollback:undo-one=Succeeded"]);
    expect(ex.status.steps[2].error).toMatch(/answered 500/);
    expect(received.filter((r) => r.path.includes("four"))).toEqual([]);
    expect(audit("rolls").events.filter((e) => e.type === "transition").map((e) => e.to)).toEqual(["Approved", "Running", "Failed", "RollingBack", "RolledBack"]);
  });

  test("approval: forbidden users refused and audited, helios-admin approves via the CLI, finished executions refuse", async () => {
    apply(execution("needs-ok", "gated", { device: devices[4].name }, undefined, "mallory"));
    const pending = await waitPhase("needs-ok", "PendingApproval");
    expect(pending.status.reason).toBe("AwaitingApproval");
    expect(cluster.kubectl(["get", "job", "rbx-needs-ok", "-n", NAMESPACE]).status).not.toBe(0);
    // The operator's cache follows the stored object by a watch event: polled, not read once.
    await until("pending approvals gauge", async () => /helios_runbook_pending_approvals\{runbook="gated"\} 1/.test(await (await fetch(`${op.url}/metrics`)).text()), 10_000);

    const denied = await approveCli(USERS[2], "needs-ok");
    expect(denied.code).toBe(1);
    expect(denied.output).toMatch(/mallory may not approve/);
    const unauth = await fetch(`${op.url}/v1/namespaces/${NAMESPACE}/runbookexecutions/needs-ok/approve`, { method: "POST", headers: { Authorization: "Bearer not-a-token" }, body: "{}" });
    expect(unauth.status).toBe(401);
    expect(phaseOf("needs-ok")).toBe("PendingApproval");

    const ok = await approveCli(USERS[0], "needs-ok", "approve", "change 1234");
    expect(ok.output).toMatch(/execution Approved/);
    const done = await waitPhase("needs-ok", "Completed");
    expect(done.status.approvals).toEqual([expect.objectContaining({ user: "alice", decision: "approved", comment: "change 1234", groups: expect.arrayContaining(["helios-admins"]) })]);

    const late = await approveCli(USERS[1], "needs-ok");
    expect(late.code).toBe(1);
    expect(late.output).toMatch(/execution is Completed; only a PendingApproval execution can be approved/);

    const events = audit("needs-ok").events;
    const refusals = events.filter((e) => e.type === "approval-refused");
    expect(refusals.map((e) => e.user)).toEqual(["mallory", "(unauthenticated)", "bob"]);
    expect(events.find((e) => e.type === "approval")).toMatchObject({ user: "alice", decision: "approved" });
    expect(events.filter((e) => e.type === "transition").map((e) => `${e.to}:${e.actor}`)).toEqual(["PendingApproval:runbook-operator", "Approved:alice", "Running:runbook-operator", expect.stringMatching(/^Completed:runner\//)]);
  });

  test("four-eyes: two distinct admins, not the requester; a rejection ends the execution", async () => {
    apply(runbook("critical", { riskLevel: "critical", approvalRequired: true, fourEyes: true, steps: [{ name: "w", kind: "wait", wait: { seconds: 1 } }] }));
    apply(execution("two-keys", "critical", { device: devices[3].name }, undefined, "alice"));
    await waitPhase("two-keys", "PendingApproval");
    expect((await approveCli(USERS[0], "two-keys")).output).toMatch(/four-eyes: alice requested this execution/);
    expect((await approveCli(USERS[1], "two-keys")).output).toMatch(/waiting for another approver/);
    expect(phaseOf("two-keys")).toBe("PendingApproval");
    expect((await approveCli(USERS[1], "two-keys")).output).toMatch(/bob has already approved/);

    apply(execution("no-go", "critical", { device: devices[3].name }, undefined, "bob"));
    await waitPhase("no-go", "PendingApproval");
    const rejected = await approveCli(USERS[0], "no-go", "reject", "not during business hours");
    expect(rejected.output).toMatch(/execution Rejected/);
    const ex = await waitPhase("no-go", "Rejected");
    expect(ex.status).toMatchObject({ reason: "RejectedByApprover", finishedAt: expect.any(String) });
    expect(cluster.kubectl(["get", "job", "rbx-no-go", "-n", NAMESPACE]).status).not.toBe(0);
  });

  test("a runner killed mid-step resumes without repeating a step; an operator restart loses nothing", async () => {
    apply(
      runbook("slow", {
        riskLevel: "high",
        approvalRequired: true,
        rollbackOnFailure: true,
        steps: [
          { name: "first", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/first`, message: "first" } },
          { name: "long", kind: "wait", wait: { seconds: 30 } },
          { name: "after", kind: "notify", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/after`, message: "after" } },
        ],
        rollback: [{ name: "undo-first", kind: "notify", undoes: "first", notify: { channel: "webhook", webhookUrl: `${hookUrl}/ok/undo-first`, message: "undo" } }],
      }),
    );
    apply(execution("manual-restart", "slow", { device: devices[4].name }));
    await waitPhase("manual-restart", "PendingApproval");
    // The operator dies while the execution waits; a new one carries on from the stored state.
    await op.stop();
    op = await startOperator(cluster, operatorEnv);
    expect((await approveCli(USERS[1], "manual-restart")).code).toBe(0);
    await waitPhase("manual-restart", "Running");
    const job = get("job", "rbx-manual-restart");
    const first = jobs.start(job);
    await until("step long to be Running", () => get("runbookexecution", "manual-restart").status?.steps?.find((s: any) => s.name === "long" && s.state === "Running"));
    await first.stop(); // the pod is lost mid-step
    const second = jobs.start(job); // the Job controller's replacement pod
    await new Promise<void>((r) => second.child.on("exit", () => r()));
    const ex = await waitPhase("manual-restart", "RolledBack");
    expect(ex.status.steps.map((s: any) => `${s.rollback ? "rollback:" : ""}${s.name}=${s.state}`)).toEqual(["first=Succeeded", "long=Failed", "rollback:undo-first=Succeeded"]);
    expect(ex.status.steps[1].error).toMatch(/interrupted: .*not re-run/);
    expect(received.filter((r) => r.path === "/ok/first")).toHaveLength(1);
    expect(received.filter((r) => r.path === "/ok/after")).toHaveLength(0);
  });

  test("metrics count outcomes and durations; the lease elects one leader among replicas", async () => {
    const metrics = await (await fetch(`${op.url}/metrics`)).text();
    // This operator replica was restarted in the previous test, so it counts what it saw finish since.
    expect(metrics).toMatch(/helios_runbook_executions_total\{runbook="slow",outcome="rolled_back"\} 1/);
    expect(metrics).toMatch(/helios_runbook_execution_duration_seconds_count\{runbook="slow",outcome="rolled_back"\} 1/);
    expect(metrics).toMatch(/helios_runbook_pending_approvals/);
    const lease = get("lease", "helios-runbook-operator");
    expect(lease.spec.holderIdentity).toBeTruthy();
    const standby = await startOperator(cluster, operatorEnv);
    try {
      expect((await fetch(`${standby.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${op.url}/readyz`)).status).toBe(200);
      await op.stop();
      await until("standby to take the lease", async () => (await fetch(`${standby.url}/readyz`)).status === 200 || undefined, 30_000);
      const after = get("lease", "helios-runbook-operator");
      expect(after.spec.holderIdentity).not.toBe(lease.spec.holderIdentity);
      expect(after.spec.leaseTransitions).toBeGreaterThan(lease.spec.leaseTransitions ?? 0);
    } finally {
      op = standby;
    }
  });
});
