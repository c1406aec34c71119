/**
 * The access roles (components/access.ts) in a real kube-apiserver: the Namespaces, ClusterRoles and
 * RoleBindings the plan renders are applied as they are, then SubjectAccessReviews ask what a member
 * of each IdP group may do: read targets, restart a collector, approve a runbook execution, read
 * Secrets. The groups come from helios:accessGroups, with the API server's OIDC group prefix.
 */
import { CLUSTER_ROLES } from "../../components/access";
import { NAMESPACES } from "../../components/namespaces";
import { manifestValue, SynthResult } from "../../scripts/lib/synthesize";
import { KubeCluster, startCluster } from "../helpers/kube";
import { baseConfig, synth } from "../helpers/stacks";

jest.setTimeout(300_000);

const GROUPS = { admin: "noc-admins", operator: "noc-engineers", viewer: "noc-staff", kubernetesGroupPrefix: "oidc:" };

let cluster: KubeCluster;
let plan: SynthResult;

const collection = NAMESPACES.collection.name;
const automation = NAMESPACES.automation.name;

/** The question each column of the matrix asks, as a SubjectAccessReview resourceAttributes. */
const ACTIONS: Record<string, Record<string, string>> = {
  "read targets": { namespace: collection, verb: "get", resource: "configmaps", name: "helios-targets-gnmi" },
  "list targets": { namespace: collection, verb: "list", resource: "configmaps" },
  "restart a collector": { namespace: collection, verb: "patch", group: "apps", resource: "statefulsets", name: "gnmic" },
  "delete a collector pod": { namespace: collection, verb: "delete", resource: "pods", name: "gnmic-0" },
  "request a runbook run": { namespace: automation, verb: "create", group: "automation.helios.io", resource: "runbookexecutions" },
  "approve a runbook": { namespace: automation, verb: "approve", group: "automation.helios.io", resource: "runbookexecutions", name: "restart-bgp-1" },
  "read Secrets": { namespace: collection, verb: "get", resource: "secrets", name: "gnmic-credentials" },
  "read Secrets outside Helios": { namespace: "default", verb: "get", resource: "secrets" },
  "read pods outside Helios": { namespace: "default", verb: "list", resource: "pods" },
};

function allowed(groups: string[], action: Record<string, string>): boolean {
  const review = { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user: "someone@example.net", groups, resourceAttributes: action } };
  const r = cluster.kubectl(["create", "-o", "json", "-f", "-"], { input: JSON.stringify(review) });
  if (r.status !== 0) throw new Error(`SubjectAccessReview failed: ${r.stderr}`);
  return JSON.parse(r.stdout).status.allowed === true;
}

beforeAll(async () => {
  [cluster, plan] = await Promise.all([startCluster("rbac"), synth(baseConfig({ "helios:accessGroups": GROUPS }))]);
  const objects = plan.resources
    .filter((r) => r.custom && /:(Namespace|ClusterRole|RoleBinding)$/.test(r.type))
    .map((r) => manifestValue(r.inputs) as Record<string, any>);
  const apply = cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
  if (apply.status !== 0) throw new Error(`applying the planned RBAC objects failed: ${apply.stderr}`);
});

afterAll(async () => {
  await cluster?.stop();
});

describe("access roles in a real API server (SubjectAccessReview)", () => {
  it("the plan binds each ClusterRole to its group in every Helios namespace, and nothing cluster-wide", () => {
    const bindings = plan.resources.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" && Object.values(CLUSTER_ROLES).includes(r.inputs.roleRef?.name));
    expect(bindings).toHaveLength(Object.keys(NAMESPACES).length * 3);
    expect(new Set(bindings.map((b) => `${b.inputs.roleRef.name}=${b.inputs.subjects[0].name}`))).toEqual(
      new Set(["helios-admin=oidc:noc-admins", "helios-operator=oidc:noc-engineers", "helios-viewer=oidc:noc-staff"]),
    );
    const clusterBindings = plan.resources.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" && Object.values(CLUSTER_ROLES).includes(r.inputs.roleRef?.name));
    expect(clusterBindings).toEqual([]);
  });

  it("answers the role matrix", () => {
    const who: Record<string, string[]> = {
      viewer: ["oidc:noc-staff"],
      operator: ["oidc:noc-engineers"],
      admin: ["oidc:noc-admins"],
      "unmapped group": ["oidc:everyone"],
      "group without the OIDC prefix": ["noc-admins"],
    };
    const matrix = Object.fromEntries(Object.entries(who).map(([role, groups]) => [role, Object.fromEntries(Object.entries(ACTIONS).map(([name, a]) => [name, allowed(groups, a)]))]));
    console.log(
      ["role | " + Object.keys(ACTIONS).join(" | "), ...Object.entries(matrix).map(([role, row]) => `${role} | ${Object.values(row).map((x) => (x ? "yes" : "no")).join(" | ")}`)].join("\n"),
    );
    const row = (...yes: string[]) => Object.fromEntries(Object.keys(ACTIONS).map((a) => [a, yes.includes(a)]));
    expect(matrix).toEqual({
      viewer: row("read targets", "list targets"),
      operator: row("read targets", "list targets", "restart a collector", "delete a collector pod", "request a runbook run"),
      admin: row("read targets", "list targets", "restart a collector", "delete a collector pod", "request a runbook run", "approve a runbook", "read Secrets"),
      "unmapped group": row(),
      "group without the OIDC prefix": row(),
    });
  });
});
