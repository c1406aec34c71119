/**
 * The policy pack over the offline plan (scripts/lib/policy-check.ts), the same rule functions the
 * CLI runs: both stacks as committed pass every mandatory rule, dc-a (tier medium) shows its
 * advisories (a mandatory violation's line names the rule and the resource), and `npm run plan`
 * prints the summary. No stack config can produce a mandatory violation of the committed program,
 * so the failing path of `npm run plan` is shown through checkPlanPolicies on a planned resource.
 */
import * as path from "path";
import { checkPlanPolicies, formatViolation } from "../../scripts/lib/policy-check";
import { PlannedResource, synthesize } from "../../scripts/lib/synthesize";
import { REPO_ROOT, run, tempDir } from "../helpers/tools";

jest.setTimeout(300_000);

describe("the policy pack in the offline plan", () => {
  it("dc-b (small) passes every rule; dc-a (medium) passes the mandatory ones and only warns", async () => {
    const out = tempDir("policy-plan");
    const dcb = checkPlanPolicies((await synthesize({ stack: "dc-b", outRoot: out })).resources);
    expect(dcb.mandatory.map(formatViolation)).toEqual([]);
    expect(dcb.advisory.map(formatViolation)).toEqual([]);
    const dca = checkPlanPolicies((await synthesize({ stack: "dc-a", outRoot: out })).resources);
    expect(dca.mandatory.map(formatViolation)).toEqual([]);
    expect(new Set(dca.advisory.map((v) => v.policy))).toEqual(new Set(["pdb-for-replicated-statefulsets", "anti-affinity-medium-and-above"]));
    expect(dca.advisory.map(formatViolation)).toContain(
      "[advisory] pdb-for-replicated-statefulsets: kubernetes:apps/v1:StatefulSet::gnmic-statefulset: StatefulSet helios-collection/gnmic runs 2 replicas without a PodDisruptionBudget; a drain may take several down at once",
    );
  });

  it("reads planned resources as the API server receives them: a secret input is its plan marker, never the wire wrapper", () => {
    const wrapped = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "PLAN-PLACEHOLDER(helios:snmpCommunity)" };
    const cm: PlannedResource = {
      type: "kubernetes:core/v1:ConfigMap",
      name: "snmp",
      custom: true,
      dependsOn: [],
      inputs: { metadata: { name: "snmp", namespace: "helios-collection" }, data: { "snmp.yml": wrapped } },
    };
    expect(checkPlanPolicies([cm]).mandatory.map(formatViolation)).toEqual([
      "[mandatory] no-plaintext-secrets: kubernetes:core/v1:ConfigMap::snmp: ConfigMap helios-collection/snmp: key snmp.yml holds secret material; put it in a Secret",
    ]);
  });

  it("`npm run plan` prints the policy summary and exits 0 for dc-b", () => {
    const r = run(process.execPath, [path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", "dc-b", "--out", tempDir("policy-plan-cli")], { cwd: REPO_ROOT, timeoutMs: 240_000 });
    expect(r.stderr).not.toContain("plan failed");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Policies: 0 mandatory violations, 0 advisories");
  });
});
