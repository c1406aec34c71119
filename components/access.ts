/**
 * Who may do what: the three Helios access roles, the same in Kubernetes (ClusterRoles bound in
 * every Helios namespace) and in Grafana (OIDC role mapping, components/visualization/grafana.ts).
 * The IdP group of each role comes from `helios:accessGroups`.
 *
 * - viewer: reads the platform's objects (workloads, targets ConfigMaps, runbook executions), never Secrets.
 * - operator: a viewer who may restart collectors (rollout restart, delete a pod) and request runbook runs.
 * - admin: an operator who may read Secrets and approve runbook executions; helios-admin is the
 *   ClusterRole the runbook operator's approval check looks for (components/automation/runbook-operator.ts
 *   creates it from HELIOS_ADMIN_RULES plus ACCESS_RULES.admin).
 *
 * Bindings are RoleBindings in the Helios namespaces only: nothing here grants anything elsewhere.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GROUP as AUTOMATION_GROUP, NAMES as RUNBOOK_NAMES, PolicyRule } from "../services/runbook-operator/src/rbac";
import { commonLabels } from "./labels";
import { NAMESPACES, NAMESPACE_KEYS, NamespaceKey } from "./namespaces";

export const ACCESS_ROLES = ["admin", "operator", "viewer"] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** IdP groups of each role when `helios:accessGroups` does not say otherwise (Grafana's long-standing names). */
export const DEFAULT_ACCESS_GROUPS: Record<AccessRole, string> = { admin: "helios-admin", operator: "helios-engineer", viewer: "helios-viewer" };

/** The Grafana role each access role maps to. */
export const GRAFANA_ROLES: Record<AccessRole, "Admin" | "Editor" | "Viewer"> = { admin: "Admin", operator: "Editor", viewer: "Viewer" };

/** The Kubernetes ClusterRole of each access role. */
export const CLUSTER_ROLES: Record<AccessRole, string> = { admin: RUNBOOK_NAMES.adminClusterRole, operator: "helios-operator", viewer: "helios-viewer" };

const READ = ["get", "list", "watch"];

/** What a viewer reads: the platform's objects, never Secrets. */
const VIEW_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "pods/log", "services", "endpoints", "configmaps", "events", "persistentvolumeclaims", "serviceaccounts"], verbs: READ },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"], verbs: READ },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: READ },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: READ },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
  { apiGroups: ["monitoring.coreos.com"], resources: ["prometheuses", "alertmanagers", "servicemonitors", "podmonitors", "probes", "prometheusrules"], verbs: READ },
  { apiGroups: [AUTOMATION_GROUP], resources: ["runbookexecutions"], verbs: READ },
];

/** What an operator adds: restart collectors (`kubectl rollout restart` patches the template) and request runbook runs. */
const OPERATE_RULES: PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"], verbs: ["patch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
  { apiGroups: [AUTOMATION_GROUP], resources: ["runbookexecutions"], verbs: ["create"] },
];

/** What an admin adds to an operator's (approve comes with HELIOS_ADMIN_RULES). */
const ADMIN_RULES: PolicyRule[] = [{ apiGroups: [""], resources: ["secrets"], verbs: READ }];

/** Each role's rules (admin: besides HELIOS_ADMIN_RULES, which the runbook operator component adds). */
export const ACCESS_RULES: Record<AccessRole, PolicyRule[]> = {
  viewer: VIEW_RULES,
  operator: [...VIEW_RULES, ...OPERATE_RULES],
  admin: [...VIEW_RULES, ...OPERATE_RULES, ...ADMIN_RULES],
};

/** `helios:accessGroups` as parsed by config.ts. */
export interface AccessGroups {
  readonly admin: string;
  readonly operator: string;
  readonly viewer: string;
  /** Prefix the API server's OIDC authenticator puts on group names (--oidc-groups-prefix), e.g. "oidc:". */
  readonly kubernetesGroupPrefix: string;
}

export interface AccessRolesArgs {
  /** IdP groups of each role (helios:accessGroups). */
  readonly groups: AccessGroups;
  /** The namespaces, to bind in after they exist. */
  readonly namespaces: Record<NamespaceKey, pulumi.Resource>;
  /** The runbook operator's helios-admin ClusterRole, bound here like the other two. */
  readonly adminClusterRole: pulumi.Resource;
}

/** ClusterRoles helios-viewer and helios-operator, and the three roles' RoleBindings in every Helios namespace. */
export class AccessRoles extends pulumi.ComponentResource {
  constructor(name: string, args: AccessRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:foundation:AccessRoles", name, {}, opts);
    const labels = commonLabels("access");
    const roles: Record<AccessRole, pulumi.Resource> = {
      admin: args.adminClusterRole,
      operator: this.clusterRole(name, "operator", labels),
      viewer: this.clusterRole(name, "viewer", labels),
    };
    for (const key of NAMESPACE_KEYS) {
      const ns = NAMESPACES[key].name;
      for (const role of ACCESS_ROLES) {
        new k8s.rbac.v1.RoleBinding(
          `${name}-${ns}-${role}`,
          {
            metadata: { name: CLUSTER_ROLES[role], namespace: ns, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLUSTER_ROLES[role] },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `${args.groups.kubernetesGroupPrefix}${args.groups[role]}` }],
          },
          { parent: this, dependsOn: [args.namespaces[key], roles[role]] },
        );
      }
    }
    this.registerOutputs({});
  }

  private clusterRole(name: string, role: "operator" | "viewer", labels: Record<string, string>): k8s.rbac.v1.ClusterRole {
    return new k8s.rbac.v1.ClusterRole(`${name}-${role}`, { metadata: { name: CLUSTER_ROLES[role], labels }, rules: ACCESS_RULES[role].map((r) => ({ ...r })) }, { parent: this });
  }
}
