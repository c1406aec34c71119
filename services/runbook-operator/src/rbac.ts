/**
 * Least-privilege RBAC, as data, shared by the Pulumi component (components/automation) and the
 * tests that run the operator and runner under exactly these rules.
 */
/** The API group of Runbook and RunbookExecution. */
export const GROUP = "automation.helios.io";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Cluster-wide: Runbooks are cluster-scoped; reviews authenticate and authorise approvers. */
export const OPERATOR_CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: [GROUP], resources: ["runbooks"], verbs: ["get", "list", "watch"] },
  { apiGroups: [GROUP], resources: ["runbooks/status"], verbs: ["patch"] },
  { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
  { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
];

/** In helios-automation only: its executions, their Jobs and audit ConfigMaps, its Lease. */
export const OPERATOR_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [GROUP], resources: ["runbookexecutions"], verbs: ["get", "list", "watch"] },
  { apiGroups: [GROUP], resources: ["runbookexecutions/status"], verbs: ["patch"] },
  // Owner references with blockOwnerDeletion need this where OwnerReferencesPermissionEnforcement runs.
  { apiGroups: [GROUP], resources: ["runbookexecutions/finalizers"], verbs: ["update"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "patch"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];

/** The Job's runner: read its execution and plan, write step records and audit events. */
export const RUNNER_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [GROUP], resources: ["runbookexecutions"], verbs: ["get"] },
  { apiGroups: [GROUP], resources: ["runbookexecutions/status"], verbs: ["patch"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "patch"] },
];

/** helios-admin: manages runbooks and executions and holds the custom verb `approve`. */
export const HELIOS_ADMIN_RULES: PolicyRule[] = [
  { apiGroups: [GROUP], resources: ["runbooks"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: [GROUP], resources: ["runbookexecutions"], verbs: ["get", "list", "watch", "create", "delete", "approve"] },
];

export const NAMES = {
  operatorServiceAccount: "helios-runbook-operator",
  runnerServiceAccount: "helios-runbook-runner",
  adminClusterRole: "helios-admin",
};
