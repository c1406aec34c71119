/**
 * The CRDs against a REAL kube-apiserver: they install (structural schemas, CEL within the cost
 * budget), the ten sample runbooks are admitted as written, and bad Runbooks and
 * RunbookExecutions are refused at admission with a message naming what is wrong.
 */
import * as path from "path";
import { KubeCluster } from "../../../tests/helpers/kube";
import { clusterWithCrds, create, readSample, sampleFiles } from "./cluster";
import { userKubeconfig } from "./rbac-setup";

const base = () => ({
  apiVersion: "automation.helios.io/v1alpha1",
  kind: "Runbook",
  metadata: { name: `bad-${Math.random().toString(36).slice(2, 8)}` },
  spec: {
    riskLevel: "low",
    parameters: [{ name: "interface", type: "string", required: true }],
    steps: [{ name: "disable", kind: "gnmiSet", gnmiSet: { update: [{ path: "/interfaces/interface[name={{ params.interface }}]/config/enabled", value: "false" }] } }],
  } as Record<string, any>,
});

describe("runbook CRDs on a real API server", () => {
  let cluster: KubeCluster;
  beforeAll(async () => {
    cluster = await clusterWithCrds("runbook-crds", [{ name: "carol", token: "carol-token-0123456789", groups: ["network-engineers"] }]);
  }, 300_000);
  afterAll(async () => cluster?.stop());

  test("ten sample runbooks, all admitted as written", () => {
    const files = sampleFiles();
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const r = create(cluster, readSample(file));
      if (r.status !== 0) throw new Error(`${file} refused: ${r.stderr}`);
      const stored = JSON.parse(r.stdout);
      expect(stored.spec.steps.length).toBeGreaterThan(0);
    }
    const names = cluster.kubectl(["get", "runbooks", "-o", "name"]).stdout.trim().split("\n");
    expect(names).toEqual(expect.arrayContaining(["runbook.automation.helios.io/interface-bounce", "runbook.automation.helios.io/bgp-session-reset", "runbook.automation.helios.io/collect-diagnostics"]));
  });

  test("defaults are applied by the API server", () => {
    const rb = base();
    const r = create(cluster, rb);
    expect(r.stderr).toBe("");
    const stored = JSON.parse(r.stdout);
    expect(stored.spec).toMatchObject({ approvalRequired: false, fourEyes: false, rollbackOnFailure: false, category: "remediation", timeoutSeconds: 1800 });
    expect(stored.spec.steps[0].gnmiSet).toMatchObject({ replace: [], delete: [] });
  });

  const refused: [string, (spec: Record<string, any>) => void, RegExp][] = [
    ["an unknown step kind", (s) => (s.steps = [{ name: "x", kind: "ssh", script: { image: "a", command: ["b"] } }]), /Unsupported value: "ssh"/],
    ["a step whose block does not match its kind", (s) => (s.steps = [{ name: "x", kind: "wait", gnmiGet: { paths: ["/"] } }]), /a wait step carries a wait block/],
    ["a script step asking to run privileged", (s) => s.steps.push({ name: "s", kind: "script", script: { image: "busybox:1.37", command: ["sh"], securityContext: { privileged: true } } }), /script steps cannot run privileged/],
    ["a script step asking for root", (s) => s.steps.push({ name: "s", kind: "script", script: { image: "busybox:1.37", command: ["sh"], securityContext: { runAsUser: 0 } } }), /cannot run as root/],
    ["a script step adding capabilities", (s) => s.steps.push({ name: "s", kind: "script", script: { image: "busybox:1.37", command: ["sh"], securityContext: { capabilities: { add: ["NET_ADMIN"] } } } }), /cannot add capabilities/],
    ["a script step with a field outside the allowed subset (hostNetwork)", (s) => s.steps.push({ name: "s", kind: "script", script: { image: "busybox:1.37", command: ["sh"], hostNetwork: true } }), /unknown field "spec.steps\[1\].script.hostNetwork"/],
    ["a rollback step that undoes nothing", (s) => { s.rollbackOnFailure = true; s.rollback = [{ name: "r", kind: "wait", undoes: "no-such-step", wait: { seconds: 1 } }]; }, /undoes must name a step in spec.steps/],
    ["a rollback step without undoes", (s) => (s.rollback = [{ name: "r", kind: "wait", wait: { seconds: 1 } }]), /undoes must name a step in spec.steps/],
    ["rollbackOnFailure with no rollback steps", (s) => (s.rollbackOnFailure = true), /rollbackOnFailure needs at least one spec.rollback step/],
    ["an integer parameter with a non-integer default", (s) => s.parameters.push({ name: "n", type: "integer", default: "five" }), /default is not an integer/],
    ["a boolean parameter with a non-boolean default", (s) => s.parameters.push({ name: "b", type: "boolean", default: "yes" }), /default is not a boolean/],
    ["an unknown parameter type", (s) => s.parameters.push({ name: "n", type: "int" }), /Unsupported value: "int"/],
    ["a pattern on an integer parameter", (s) => s.parameters.push({ name: "n", type: "integer", pattern: "^1$" }), /pattern applies to string parameters only/],
    ["a default outside enum", (s) => s.parameters.push({ name: "m", type: "string", enum: ["icmp"], default: "http" }), /default is not one of enum/],
    ["duplicate step names", (s) => s.steps.push({ ...s.steps[0] }), /Duplicate value/],
    ["a high-risk runbook without approval", (s) => (s.riskLevel = "high"), /approvalRequired must be true for a high or critical riskLevel/],
    ["fourEyes without approval", (s) => (s.fourEyes = true), /fourEyes needs spec.approvalRequired/],
    ["a condition on a step that does not exist", (s) => s.steps.push({ name: "c", kind: "condition", condition: { step: "nope", operator: "nonEmpty" } }), /condition.step must name a step/],
    ["a condition with both step and promql", (s) => s.steps.push({ name: "c", kind: "condition", condition: { step: "disable", promql: "up", operator: "nonEmpty" } }), /exactly one of step/],
    ["a webhook notify without a URL", (s) => s.steps.push({ name: "n", kind: "notify", notify: { channel: "webhook", message: "hi" } }), /webhook notify needs webhookUrl/],
    ["an empty gnmiSet", (s) => s.steps.push({ name: "e", kind: "gnmiSet", gnmiSet: {} }), /at least one update, replace or delete/],
    ["a gnmiSubscribe without a timeout", (s) => s.steps.push({ name: "w", kind: "gnmiSubscribe", gnmiSubscribe: { path: "/x", until: { equals: "1" } } }), /timeoutSeconds: Required value/],
  ];
  test.each(refused)("refuses %s", (_what, mutate, message) => {
    const rb = base();
    mutate(rb.spec);
    const r = create(cluster, rb);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  describe("RunbookExecution", () => {
    const exec = (spec: Record<string, unknown>, name = `x-${Math.random().toString(36).slice(2, 8)}`) => ({
      apiVersion: "automation.helios.io/v1alpha1",
      kind: "RunbookExecution",
      metadata: { name, namespace: "default" },
      spec,
    });
    test("an explicit device or a selector, not both, not neither", () => {
      expect(create(cluster, exec({ runbookRef: { name: "interface-bounce" }, target: { device: "leaf1" }, parameters: { interface: "Ethernet1" } })).status).toBe(0);
      const bySelector = create(cluster, exec({ runbookRef: { name: "collect-diagnostics" }, target: { selector: { matchLabels: { site: "dc-a" } } } }));
      expect(bySelector.stderr).toBe("");
      expect(JSON.parse(bySelector.stdout).spec.target.selector.maxDevices).toBe(10);
      for (const target of [{}, { device: "a", selector: { matchLabels: { site: "x" } } }]) {
        const r = create(cluster, exec({ runbookRef: { name: "interface-bounce" }, target }));
        expect(r.stderr).toMatch(/exactly one of target.device and target.selector/);
      }
    });
    test("the spec is immutable after creation", () => {
      expect(create(cluster, exec({ runbookRef: { name: "interface-bounce" }, target: { device: "leaf1" }, parameters: { interface: "Ethernet1" } }, "immutable")).status).toBe(0);
      const r = cluster.kubectl(["patch", "runbookexecution", "immutable", "-n", "default", "--type=merge", "-p", JSON.stringify({ spec: { parameters: { interface: "Ethernet2" } } })]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/spec is immutable/);
    });
    test("requested-by is the authenticated creator (ValidatingAdmissionPolicy), and cannot change", async () => {
      const applied = cluster.kubectl(["apply", "-f", path.resolve(__dirname, "..", "admission", "requested-by.yaml")]);
      expect(applied.stderr).toBe("");
      const rbac = cluster.kubectl(["create", "rolebinding", "carol-runs", "-n", "default", "--clusterrole=edit-rbx", "--user=carol"]);
      expect(rbac.status).toBe(0);
      expect(cluster.kubectl(["create", "clusterrole", "edit-rbx", "--verb=create,get,patch,update", "--resource=runbookexecutions.automation.helios.io"]).status).toBe(0);
      const asCarol = (obj: unknown) =>
        cluster.kubectl(["--kubeconfig", userKubeconfig(cluster, "carol-token-0123456789"), "create", "-o", "json", "-f", "-"], { input: JSON.stringify(obj) });
      const withAnn = (name: string, who?: string) => ({ ...exec({ runbookRef: { name: "interface-bounce" }, target: { device: "leaf1" } }, name), metadata: { name, namespace: "default", ...(who ? { annotations: { "automation.helios.io/requested-by": who } } : {}) } });
      // A new policy takes effect once the API server has loaded it: wait until a lie is refused.
      let lie = asCarol(withAnn("probe-0", "alice"));
      for (let i = 1; lie.status === 0 && i < 60; i++) {
        await new Promise((res) => setTimeout(res, 500));
        lie = asCarol(withAnn(`probe-${i}`, "alice"));
      }
      expect(lie.stderr).toMatch(/requested-by must be your user name carol, not alice/);
      const r = asCarol(withAnn("by-carol", "carol"));
      expect(r.stderr).toBe("");
      const name = JSON.parse(r.stdout).metadata.name;
      expect(asCarol(withAnn("by-nobody")).stderr).toMatch(/not \(missing\)/);
      const change = cluster.kubectl(["--kubeconfig", userKubeconfig(cluster, "carol-token-0123456789"), "annotate", "--overwrite", "runbookexecution", name, "-n", "default", "automation.helios.io/requested-by=bob"]);
      expect(change.stderr).toMatch(/requested-by cannot change/);
    });

    test("status is a subresource with a bounded schema", () => {
      // Created by the admin user, who must name itself now that the requested-by policy is on.
      const statusBounds = { ...exec({ runbookRef: { name: "interface-bounce" }, target: { device: "leaf1" } }, "status-bounds"), metadata: { name: "status-bounds", namespace: "default", annotations: { "automation.helios.io/requested-by": "helios-test-admin" } } };
      expect(create(cluster, statusBounds).stderr).toBe("");
      const tooLong = cluster.kubectl(["patch", "runbookexecution", "status-bounds", "-n", "default", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase: "Running", steps: [{ name: "a", device: "leaf1", state: "Running", output: "x".repeat(2000) }] } })]);
      expect(tooLong.stderr).toMatch(/Too long/);
      const badPhase = cluster.kubectl(["patch", "runbookexecution", "status-bounds", "-n", "default", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase: "Exploded" } })]);
      expect(badPhase.stderr).toMatch(/Unsupported value: "Exploded"/);
      const ok = cluster.kubectl(["patch", "runbookexecution", "status-bounds", "-n", "default", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase: "Running", currentStep: "disable" } })]);
      expect(ok.stderr).toBe("");
      const table = cluster.kubectl(["get", "runbookexecution", "status-bounds", "-n", "default"]).stdout;
      expect(table).toMatch(/RUNBOOK\s+DEVICE\s+PHASE\s+STEP/);
      expect(table).toMatch(/interface-bounce\s+leaf1\s+Running\s+disable/);
    });
  });
});
