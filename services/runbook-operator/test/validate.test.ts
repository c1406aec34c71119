/**
 * The operator's own checks (what CEL cannot see) and the state machine's rules, without a
 * cluster: every sample passes; each kind of cross-reference mistake is named by field.
 */
import { approvalOutcome, approvalsNeeded, canMove } from "../src/machine";
import { buildScriptJob, parseScriptImages, scriptJobName } from "../src/script";
import { compare, getValues } from "../src/steps";
import { references, render } from "../src/template";
import { Runbook } from "../src/types";
import { resolveParameters, validateRunbook } from "../src/validate";
import { readSample, sampleFiles } from "./cluster";

const rb = (spec: Partial<Runbook["spec"]>): Runbook => ({
  apiVersion: "automation.helios.io/v1alpha1",
  kind: "Runbook",
  metadata: { name: "t", generation: 1 },
  spec: { riskLevel: "low", steps: [{ name: "a", kind: "wait", wait: { seconds: 1 } }], ...spec },
});

describe("runbook validation by the operator", () => {
  test.each(sampleFiles())("sample %s is valid", (file) => {
    expect(validateRunbook(readSample(file))).toBeUndefined();
  });

  test("a template naming an undeclared parameter is refused, with the field", () => {
    const problem = validateRunbook(rb({ steps: [{ name: "s", kind: "gnmiSet", gnmiSet: { update: [{ path: "/interfaces/interface[name={{ params.ifname }}]/config/enabled", value: "false" }] } }] }));
    expect(problem).toEqual({ field: "spec.steps[0].gnmiSet.update[0].path", message: "references undeclared parameter ifname" });
  });
  test("unknown target fields and scopes, and stray braces", () => {
    expect(validateRunbook(rb({ steps: [{ name: "n", kind: "notify", notify: { channel: "alertmanager", message: "{{ target.serial }}" } }] }))?.message).toMatch(/unknown target field serial/);
    expect(validateRunbook(rb({ steps: [{ name: "n", kind: "notify", notify: { channel: "alertmanager", message: "{{ env.HOME }}" } }] }))?.message).toMatch(/unknown reference scope env/);
    expect(validateRunbook(rb({ steps: [{ name: "n", kind: "notify", notify: { channel: "alertmanager", message: "{{ params.x | upper }}" } }] }))?.field).toBe("spec.steps[0].notify.message");
  });
  test("a condition reading a step that runs after it", () => {
    const p = validateRunbook(rb({ steps: [{ name: "c", kind: "condition", condition: { step: "g", operator: "nonEmpty" } }, { name: "g", kind: "gnmiGet", gnmiGet: { paths: ["/"] } }] }));
    expect(p).toEqual({ field: "spec.steps[0].condition.step", message: "condition reads step g, which does not run before it" });
  });
  test("a rollback step undoing nothing, and rollbackOnFailure without rollback", () => {
    expect(validateRunbook(rb({ rollback: [{ name: "r", kind: "wait", undoes: "zz", wait: { seconds: 1 } }] }))?.field).toBe("spec.rollback[0].undoes");
    expect(validateRunbook(rb({ rollbackOnFailure: true }))?.field).toBe("spec.rollback");
  });
  test("a pattern that does not compile, a default that breaks its pattern or range", () => {
    expect(validateRunbook(rb({ parameters: [{ name: "p", type: "string", pattern: "([" }] }))?.field).toBe("spec.parameters[0].pattern");
    expect(validateRunbook(rb({ parameters: [{ name: "p", type: "string", pattern: "^Eth", default: "ge-0/0/0" }] }))?.message).toMatch(/does not match pattern/);
    expect(validateRunbook(rb({ parameters: [{ name: "n", type: "integer", maximum: 10, default: "11" }] }))?.message).toMatch(/above maximum 10/);
  });
});

describe("execution parameters", () => {
  const r = rb({ parameters: [{ name: "interface", type: "string", required: true }, { name: "count", type: "integer", default: "3", minimum: 1 }, { name: "force", type: "boolean" }] });
  test("defaults fill in, given values are kept", () => {
    expect(resolveParameters(r, { interface: "Ethernet1" })).toEqual({ values: { interface: "Ethernet1", count: "3" } });
  });
  test("missing, unknown and ill-typed parameters are refused by name", () => {
    expect(resolveParameters(r, {})).toEqual({ problem: { field: "spec.parameters.interface", message: "missing required parameter interface (string)" } });
    expect(resolveParameters(r, { interface: "e1", colour: "red" })).toMatchObject({ problem: { field: "spec.parameters.colour" } });
    expect(resolveParameters(r, { interface: "e1", count: "many" })).toMatchObject({ problem: { message: 'parameter count="many" is not an integer' } });
    expect(resolveParameters(r, { interface: "e1", count: "0" })).toMatchObject({ problem: { message: expect.stringMatching(/below minimum 1/) } });
    expect(resolveParameters(r, { interface: "e1", force: "yes" })).toMatchObject({ problem: { message: expect.stringMatching(/not a boolean/) } });
  });
});

describe("templates", () => {
  test("render substitutes and refuses a reference without a value", () => {
    const ctx = { params: { interface: "Ethernet1" }, target: { device: "leaf1" }, execution: { name: "x" } };
    expect(render("/interfaces/interface[name={{ params.interface }}] on {{target.device}}", ctx)).toBe("/interfaces/interface[name=Ethernet1] on leaf1");
    expect(() => render("{{ params.missing }}", ctx)).toThrow(/has no value/);
    expect(references("{{ params.a }} and {{ target.device }}").refs).toEqual([{ scope: "params", name: "a" }, { scope: "target", name: "device" }]);
  });
});

describe("state machine", () => {
  test("the documented transitions, and no shortcuts", () => {
    expect(canMove("Pending", "PendingApproval")).toBe(true);
    expect(canMove("PendingApproval", "Approved")).toBe(true);
    expect(canMove("Approved", "Running")).toBe(true);
    expect(canMove("Running", "Failed")).toBe(true);
    expect(canMove("Failed", "RollingBack")).toBe(true);
    expect(canMove("RollingBack", "RolledBack")).toBe(true);
    expect(canMove("PendingApproval", "Running")).toBe(false);
    expect(canMove("Pending", "Running")).toBe(false);
    expect(canMove("Completed", "Running")).toBe(false);
    expect(canMove("Rejected", "Approved")).toBe(false);
  });
  test("approvals: one, or two distinct users with four-eyes; any rejection ends it", () => {
    expect(approvalsNeeded(rb({}))).toBe(0);
    expect(approvalsNeeded(rb({ approvalRequired: true }))).toBe(1);
    expect(approvalsNeeded(rb({ approvalRequired: true, fourEyes: true }))).toBe(2);
    const a = (user: string, decision: "approved" | "rejected" = "approved") => ({ user, decision, at: "2026-01-01T00:00:00Z" });
    expect(approvalOutcome([a("alice")], 2)).toBe("PendingApproval");
    expect(approvalOutcome([a("alice"), a("alice")], 2)).toBe("PendingApproval");
    expect(approvalOutcome([a("alice"), a("bob")], 2)).toBe("Approved");
    expect(approvalOutcome([a("alice"), a("bob", "rejected")], 1)).toBe("Rejected");
  });
});

describe("condition comparison", () => {
  test("operators on gNMI and PromQL values", () => {
    expect(compare("UP", "equals", "UP")).toBe(true);
    expect(compare("12.5", "lessThan", "100")).toBe(true);
    expect(compare(undefined, "nonEmpty")).toBe(false);
    expect(compare([], "empty")).toBe(true);
    expect(compare({ a: 1 }, "nonEmpty")).toBe(true);
  });
  test("gnmic get output unwraps to the leaf value", () => {
    const out = [{ source: "leaf1:57400", timestamp: 1, time: "t", updates: [{ Path: "interfaces/interface[name=Ethernet1]/state/oper-status", values: { "interfaces/interface/state/oper-status": "UP" } }] }];
    expect(getValues(out)).toBe("UP");
  });

  test("the script image allow-list accepts only pinned images and names the entry it refuses", () => {
    const digest = `ghcr.io/acme/cli@sha256:${"a".repeat(64)}`;
    expect(parseScriptImages(` ghcr.io/openconfig/gnmic:0.42.0, ${digest}\n`)).toEqual(["ghcr.io/openconfig/gnmic:0.42.0", digest]);
    expect(parseScriptImages(undefined)).toEqual([]);
    expect(() => parseScriptImages("busybox")).toThrow('SCRIPT_IMAGES entry "busybox" has no tag or digest');
    expect(() => parseScriptImages("registry:5000/busybox")).toThrow("has no tag or digest");
    expect(() => parseScriptImages("busybox:latest")).toThrow("uses the moving tag latest");
    expect(() => parseScriptImages("busybox@sha256:abc")).toThrow("has a digest that is not sha256:<64 hex digits>");
  });

  test("a script step on an image off the allow-list is not Ready, naming the field", () => {
    const steps = [{ name: "s", kind: "script" as const, script: { image: "busybox:1.37", command: ["sh"] } }];
    expect(validateRunbook(rb({ steps }), { scriptImages: ["ghcr.io/openconfig/gnmic:0.42.0"] })).toEqual({
      field: "spec.steps[0].script.image",
      message: "script image busybox:1.37 is not on the operator's script image allow-list (SCRIPT_IMAGES: ghcr.io/openconfig/gnmic:0.42.0)",
    });
    expect(validateRunbook(rb({ steps }), { scriptImages: [] })?.message).toMatch(/allow-list \(SCRIPT_IMAGES\) is empty/);
    expect(validateRunbook(rb({ steps }), { scriptImages: ["busybox:1.37"] })).toBeUndefined();
  });

  test("a script Job keeps the constraints whatever the step asks, and its name is deterministic and valid", () => {
    const ex = { apiVersion: "automation.helios.io/v1alpha1", kind: "RunbookExecution" as const, metadata: { name: "x".repeat(70), namespace: "helios-automation", uid: "u1" }, spec: { runbookRef: { name: "r" }, target: { device: "d" } } };
    const step = { name: "s", kind: "script" as const, script: { image: "busybox:1.37", command: ["sh"], securityContext: { runAsUser: 1000, runAsNonRoot: true } } };
    const job = buildScriptJob({ execution: ex, device: "d", step, rollback: false, command: ["sh"], args: [], timeoutSeconds: 30 });
    expect(job.metadata!.name).toBe(scriptJobName(ex.metadata.name, "d", "s", false));
    expect(job.metadata!.name!.length).toBeLessThanOrEqual(63);
    expect(job.metadata!.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(scriptJobName(ex.metadata.name, "d", "s", true)).not.toBe(job.metadata!.name);
    expect(job.spec!.template.spec!.containers[0].securityContext).toEqual({ runAsUser: 1000, runAsNonRoot: true, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  });
});
