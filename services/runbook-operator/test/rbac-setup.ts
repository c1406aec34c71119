/** Namespace, service accounts and RBAC from src/rbac.ts, applied to a real API server. */
import { KubeCluster, kubeconfigText } from "../../../tests/helpers/kube";
import { HELIOS_ADMIN_RULES, NAMES, OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, RUNNER_NAMESPACE_RULES } from "../src/rbac";
import { NAMESPACE, writeTemp } from "./harness";

function apply(cluster: KubeCluster, objs: unknown[]): void {
  const r = cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objs }) });
  if (r.status !== 0) throw new Error(`apply: ${r.stderr}`);
}

/** Installs the operator's RBAC; helios-admin is bound to the group `helios-admins`. */
export function installRbac(cluster: KubeCluster): void {
  const sa = (name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NAMESPACE } });
  apply(cluster, [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
    sa(NAMES.operatorServiceAccount),
    sa(NAMES.runnerServiceAccount),
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "helios-runbook-operator" }, rules: OPERATOR_CLUSTER_RULES },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "helios-runbook-operator" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "helios-runbook-operator" }, subjects: [{ kind: "ServiceAccount", name: NAMES.operatorServiceAccount, namespace: NAMESPACE }] },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "helios-runbook-operator", namespace: NAMESPACE }, rules: OPERATOR_NAMESPACE_RULES },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "helios-runbook-operator", namespace: NAMESPACE }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "helios-runbook-operator" }, subjects: [{ kind: "ServiceAccount", name: NAMES.operatorServiceAccount, namespace: NAMESPACE }] },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "helios-runbook-runner", namespace: NAMESPACE }, rules: RUNNER_NAMESPACE_RULES },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "helios-runbook-runner", namespace: NAMESPACE }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "helios-runbook-runner" }, subjects: [{ kind: "ServiceAccount", name: NAMES.runnerServiceAccount, namespace: NAMESPACE }] },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: NAMES.adminClusterRole }, rules: HELIOS_ADMIN_RULES },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "helios-admins" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAMES.adminClusterRole }, subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "helios-admins" }] },
  ]);
}

/** A kubeconfig for a service account, with a token minted by the API server (TokenRequest). */
export function serviceAccountKubeconfig(cluster: KubeCluster, sa: string): string {
  const t = cluster.kubectl(["create", "token", sa, "-n", NAMESPACE, "--duration=2h"]);
  if (t.status !== 0) throw new Error(`token for ${sa}: ${t.stderr}`);
  return writeTemp(`${sa}.kubeconfig`, kubeconfigText([{ name: cluster.name, server: cluster.server, caFile: cluster.caFile, token: t.stdout.trim() }]));
}

export function userKubeconfig(cluster: KubeCluster, token: string): string {
  return writeTemp("user.kubeconfig", kubeconfigText([{ name: cluster.name, server: cluster.server, caFile: cluster.caFile, token }]));
}
