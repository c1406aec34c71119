/**
 * The runbook operator (services/runbook-operator) in helios-automation: its CRDs (the YAML in
 * services/runbook-operator/crds, exactly what the tests admit), the Deployment (two replicas,
 * one leader by Lease), least-privilege RBAC (rules shared with the tests in
 * services/runbook-operator/src/rbac.ts), the device-credential and NetBox-token Secrets the
 * runner Jobs reference, a PodMonitor, and NetworkPolicies.
 *
 * Egress of helios-automation is default-deny. The runner pods may reach the management CIDRs
 * on the gNMI ports only, and script-step pods on helios:runbookScripts.devicePorts only (and
 * nothing else but DNS); every other destination the operator and runners need (API server,
 * NetBox, webhooks) is allowed anywhere EXCEPT the management CIDRs, so no path reaches a device
 * but those ports. Ingress: the approval API (same port as /metrics) from wherever
 * `helios:ingressFrom` says people come from; the baseline already lets Prometheus scrape.
 */
import { credentialRef, deviceSecret, SecretStoreConfig } from "../secret-store";
import * as k8s from "@pulumi/kubernetes";
import { ConfigError } from "../errors";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { parseScriptImages, SCRIPT_COMPONENT } from "../../services/runbook-operator/src/script";
import { HELIOS_ADMIN_RULES, NAMES, OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, RUNNER_NAMESPACE_RULES } from "../../services/runbook-operator/src/rbac";
import { ACCESS_RULES } from "../access";
import { GNMI_PORTS } from "../collection/egress-policy";
import { HeliosServiceImage, SecretValue } from "../config";
import { serviceImageRef } from "../images";
import { commonLabels } from "../labels";
import { podMonitor, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { FIXED_RESOURCES } from "../tiers";
import { NAMESPACES } from "../namespaces";
import { PROMETHEUS_HTTP_PORT } from "../storage/prometheus";
import { THANOS_QUERY_HTTP_PORT } from "../storage/thanos";

export const RUNBOOK_OPERATOR_NAME = "helios-runbook-operator";
export const RUNBOOK_OPERATOR_PORT = 8080;
export const CRD_DIR = path.resolve(__dirname, "..", "..", "services", "runbook-operator", "crds");
/** The ValidatingAdmissionPolicy that makes requested-by the authenticated creator. */
export const ADMISSION_FILE = path.resolve(__dirname, "..", "..", "services", "runbook-operator", "admission", "requested-by.yaml");

export interface RunbookOperatorArgs {
  /** Registry of the Helios service images (helios:imageRegistry). */
  readonly imageRegistry: string;
  /** Tag of the Helios service images (helios:imageTag). */
  readonly imageTag: string;
  /** Digest per service image (helios:imageDigests): deploy by digest when set. */
  readonly imageDigests?: Partial<Record<HeliosServiceImage, string>>;
  /** NetBox base URL (helios:netboxUrl). */
  readonly netboxUrl: string;
  /** NetBox API token (helios:netboxToken), a Pulumi secret. */
  readonly netboxToken: SecretValue;
  /** gNMI username the runner Jobs log in to devices with (helios:gnmiUsername). */
  readonly gnmiUsername: string;
  /** gNMI password (helios:gnmiPassword), a Pulumi secret. */
  readonly gnmiPassword: SecretValue;
  /** helios:secretStore: device credentials from Pulumi config or from the external store. */
  readonly store: SecretStoreConfig;
  /** Verify device certificates (tls) or not (skip-verify, labs). */
  readonly gnmiTlsSkipVerify: boolean;
  /** Device management networks (helios:managementCidrs) the pods may reach. */
  readonly managementCidrs: string[];
  /** Where people reach the approval API from (empty: anywhere through the ingress). */
  readonly ingressFrom: { namespaces: string[]; cidrs: string[] };
  /** Thanos Query's HTTP API (the storage layer's ThanosStack.queryHttpUrl), for pre/post checks. */
  readonly thanosQueryUrl: string;
  /** Alertmanager's URL, passed to the operator as ALERTMANAGER_URL. */
  readonly alertmanagerUrl: string;
  /** Images script steps may run, each pinned by digest or exact tag (SCRIPT_IMAGES); none: script steps are refused. */
  readonly scriptImages?: readonly string[];
  /** TCP ports script pods may open to the management CIDRs (helios:runbookScripts.devicePorts); none unless given. */
  readonly scriptDevicePorts?: readonly number[];
  /** Operator replicas (one leader by Lease); 2 unless given. */
  readonly replicas?: number;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Resource[];
  /** The release installing the monitoring.coreos.com CRDs (the PodMonitor waits for it). */
  readonly crdsReady: pulumi.Resource[];
}

/** The CRD manifests as parsed objects, in file order. */
export function runbookCrds(): Record<string, any>[] {
  return fs
    .readdirSync(CRD_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => YAML.parse(fs.readFileSync(path.join(CRD_DIR, f), "utf8")));
}

/** The policy and its binding, as parsed objects. */
export function requestedByPolicy(): { policy: Record<string, any>; binding: Record<string, any> } {
  const docs = YAML.parseAllDocuments(fs.readFileSync(ADMISSION_FILE, "utf8")).map((d) => d.toJS());
  const policy = docs.find((d) => d.kind === "ValidatingAdmissionPolicy");
  const binding = docs.find((d) => d.kind === "ValidatingAdmissionPolicyBinding");
  if (!policy || !binding) throw new ConfigError(`${ADMISSION_FILE}: needs a ValidatingAdmissionPolicy and its binding`);
  return { policy, binding };
}

const v4 = (cidr: string) => !cidr.includes(":");

export class RunbookOperator extends pulumi.ComponentResource {
  public readonly crds: k8s.apiextensions.v1.CustomResourceDefinition[];
  public readonly deployment: k8s.apps.v1.Deployment;
  /** helios-admin: who may approve runbook executions (bound by components/access.ts). */
  public readonly adminClusterRole: k8s.rbac.v1.ClusterRole;
  public readonly policyNames: string[] = [];

  constructor(name: string, args: RunbookOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:automation:RunbookOperator", name, {}, opts);
    const ns = NAMESPACES.automation.name;
    const labels = { ...commonLabels(RUNBOOK_OPERATOR_NAME), "helios.io/job": RUNBOOK_OPERATOR_NAME };
    const selector = { "app.kubernetes.io/name": RUNBOOK_OPERATOR_NAME };
    // the operator and its Jobs (RUNNER_IMAGE) run the same reference, by digest when one is given
    const image = serviceImageRef(args, "runbook-operator");
    const child = { parent: this };

    this.crds = runbookCrds().map(
      (crd) => new k8s.apiextensions.v1.CustomResourceDefinition(crd.metadata.name, crd as k8s.apiextensions.v1.CustomResourceDefinitionArgs, { ...child }),
    );

    const { policy: vap, binding: vapBinding } = requestedByPolicy();
    const policyRes = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(vap.metadata.name, vap as k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs, { ...child, dependsOn: this.crds });
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(vapBinding.metadata.name, vapBinding as k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingArgs, { ...child, dependsOn: [policyRes] });

    const netbox = deviceSecret(
      `${name}-netbox`,
      {
        store: args.store,
        metadata: { name: `${RUNBOOK_OPERATOR_NAME}-netbox`, namespace: ns, labels },
        values: { token: args.netboxToken ?? pulumi.secret("") },
        template: { token: credentialRef("netbox", "token") },
      },
      { ...child, dependsOn: args.dependsOn },
    );
    const gnmi = deviceSecret(
      `${name}-gnmi`,
      {
        store: args.store,
        metadata: { name: `${RUNBOOK_OPERATOR_NAME}-gnmi`, namespace: ns, labels },
        values: { username: args.gnmiUsername, password: args.gnmiPassword ?? pulumi.secret("") },
        template: { username: args.gnmiUsername, password: credentialRef("gnmi", "password") },
      },
      { ...child, dependsOn: args.dependsOn },
    );

    const sa = (id: string, saName: string) => new k8s.core.v1.ServiceAccount(id, { metadata: { name: saName, namespace: ns, labels } }, { ...child, dependsOn: args.dependsOn });
    const operatorSa = sa("runbook-operator-sa", NAMES.operatorServiceAccount);
    const runnerSa = sa("runbook-runner-sa", NAMES.runnerServiceAccount);
    const subject = (saName: string) => [{ kind: "ServiceAccount", name: saName, namespace: ns }];
    const roleRef = (kind: string, roleName: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name: roleName });

    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-clusterrole`, { metadata: { name: RUNBOOK_OPERATOR_NAME, labels }, rules: OPERATOR_CLUSTER_RULES }, child);
    const bindings: pulumi.Resource[] = [
      new k8s.rbac.v1.ClusterRoleBinding(`${name}-clusterrolebinding`, { metadata: { name: RUNBOOK_OPERATOR_NAME, labels }, roleRef: roleRef("ClusterRole", RUNBOOK_OPERATOR_NAME), subjects: subject(NAMES.operatorServiceAccount) }, { ...child, dependsOn: [clusterRole, operatorSa] }),
    ];
    for (const [id, roleName, rules, saName, saRes] of [
      ["runbook-operator", RUNBOOK_OPERATOR_NAME, OPERATOR_NAMESPACE_RULES, NAMES.operatorServiceAccount, operatorSa],
      ["runbook-runner", "helios-runbook-runner", RUNNER_NAMESPACE_RULES, NAMES.runnerServiceAccount, runnerSa],
    ] as const) {
      const role = new k8s.rbac.v1.Role(`${id}-role`, { metadata: { name: roleName, namespace: ns, labels }, rules: rules.map((r) => ({ ...r })) }, { ...child, dependsOn: args.dependsOn });
      bindings.push(new k8s.rbac.v1.RoleBinding(`${id}-rolebinding`, { metadata: { name: roleName, namespace: ns, labels }, roleRef: roleRef("Role", roleName), subjects: subject(saName) }, { ...child, dependsOn: [role, saRes] }));
    }
    // Who may approve is whoever is bound to helios-admin: the admin access role (components/access.ts
    // adds its other rules and binds it to helios:accessGroups.admin in every Helios namespace).
    this.adminClusterRole = new k8s.rbac.v1.ClusterRole(
      `${name}-helios-admin-clusterrole`,
      { metadata: { name: NAMES.adminClusterRole, labels }, rules: [...HELIOS_ADMIN_RULES, ...ACCESS_RULES.admin].map((r) => ({ ...r })) },
      // Named "helios-admin-clusterrole" before children took the component's name: the alias keeps it.
      { ...child, aliases: [{ name: "helios-admin-clusterrole" }] },
    );

    const env: Record<string, pulumi.Input<string>> = {
      RUNNER_IMAGE: image,
      RUNNER_SERVICE_ACCOUNT: NAMES.runnerServiceAccount,
      GNMI_CREDENTIALS_SECRET: `${RUNBOOK_OPERATOR_NAME}-gnmi`,
      NETBOX_TOKEN_SECRET: `${RUNBOOK_OPERATOR_NAME}-netbox`,
      NETBOX_URL: args.netboxUrl,
      THANOS_QUERY_URL: args.thanosQueryUrl,
      ALERTMANAGER_URL: args.alertmanagerUrl,
      // Refused at plan time with the entry named, as the operator would refuse it at start.
      SCRIPT_IMAGES: parseScriptImages((args.scriptImages ?? []).join(",")).join(","),
      GNMI_TLS: args.gnmiTlsSkipVerify ? "skip-verify" : "tls",
      HTTP_PORT: String(RUNBOOK_OPERATOR_PORT),
    };
    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: RUNBOOK_OPERATOR_NAME, namespace: ns, labels },
        spec: {
          // Two replicas, one leader (Lease helios-runbook-operator): a node loss costs one lease period.
          replicas: args.replicas ?? 2,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: NAMES.operatorServiceAccount,
              securityContext: restrictedPod({ user: 65532, group: 65532 }),
              containers: [
                {
                  name: "operator",
                  image,
                  args: ["operator"],
                  env: [
                    ...Object.entries(env).map(([k, value]) => ({ name: k, value })),
                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "NETBOX_TOKEN", valueFrom: { secretKeyRef: { name: `${RUNBOOK_OPERATOR_NAME}-netbox`, key: "token" } } },
                  ],
                  ports: [{ name: "http", containerPort: RUNBOOK_OPERATOR_PORT }],
                  livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 20 },
                  readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
                  resources: FIXED_RESOURCES.runbookOperator,
                  securityContext: RESTRICTED_CONTAINER,
                },
              ],
            },
          },
        },
      },
      { ...child, dependsOn: [...this.crds, netbox, gnmi, ...bindings] },
    );
    new k8s.core.v1.Service(
      `${name}-svc`,
      { metadata: { name: RUNBOOK_OPERATOR_NAME, namespace: ns, labels }, spec: { selector, ports: [{ name: "http", port: RUNBOOK_OPERATOR_PORT, targetPort: "http" }] } },
      { ...child, dependsOn: args.dependsOn },
    );
    podMonitor(
      `${name}-podmonitor`,
      { name: RUNBOOK_OPERATOR_NAME, namespace: ns, labels, jobLabel: "helios.io/job", selector: { matchLabels: selector }, endpoints: [{ port: "http", interval: "30s" }] },
      { ...child, dependsOn: [...args.dependsOn, ...args.crdsReady] },
    );

    const policy = (policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
      this.policyNames.push(`${ns}/${policyName}`);
      return new k8s.networking.v1.NetworkPolicy(`${ns}-${policyName}`, { metadata: { name: policyName, namespace: ns, labels }, spec }, { ...child, dependsOn: args.dependsOn });
    };
    const mgmt4 = args.managementCidrs.filter(v4);
    const mgmt6 = args.managementCidrs.filter((c) => !v4(c));
    const notDevices = [
      { ipBlock: { cidr: "0.0.0.0/0", ...(mgmt4.length ? { except: mgmt4 } : {}) } },
      { ipBlock: { cidr: "::/0", ...(mgmt6.length ? { except: mgmt6 } : {}) } },
    ];
    const runner = { matchLabels: { "app.kubernetes.io/component": "runbook-runner" } };
    const script = { matchLabels: { "app.kubernetes.io/component": SCRIPT_COMPONENT } };
    // Script pods run images a runbook names: they get DNS and the devices on the script ports,
    // never the API server, NetBox, Thanos or webhooks (the runner records their output).
    const notScript = { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "NotIn", values: [SCRIPT_COMPONENT] }] };
    policy("default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
    policy("egress-dns", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] }] });
    policy("egress-gnmi", { podSelector: runner, policyTypes: ["Egress"], egress: [{ to: args.managementCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: GNMI_PORTS.map((port) => ({ port, protocol: "TCP" })) }] });
    const scriptPorts = args.scriptDevicePorts ?? [];
    if (scriptPorts.length > 0) {
      policy("egress-script-devices", { podSelector: script, policyTypes: ["Egress"], egress: [{ to: args.managementCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: scriptPorts.map((port) => ({ port, protocol: "TCP" })) }] });
    }
    policy("egress-services", {
      podSelector: notScript,
      policyTypes: ["Egress"],
      egress: [
        // Kubernetes API, NetBox, notify webhooks: cluster-specific addresses, never the devices.
        { to: notDevices, ports: [443, 6443, 80, 8000, 8080].map((port) => ({ port, protocol: "TCP" })) },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.storage.name } } }], ports: [{ port: THANOS_QUERY_HTTP_PORT, protocol: "TCP" }, { port: PROMETHEUS_HTTP_PORT, protocol: "TCP" }] },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.visualization.name } } }], ports: [{ port: 9093, protocol: "TCP" }] },
      ],
    });
    const { namespaces, cidrs } = args.ingressFrom;
    const approvers =
      namespaces.length === 0 && cidrs.length === 0
        ? [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }]
        : [...namespaces.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } })), ...cidrs.map((cidr) => ({ ipBlock: { cidr } }))];
    policy("approval-api", { podSelector: { matchLabels: selector }, policyTypes: ["Ingress"], ingress: [{ from: approvers, ports: [{ port: RUNBOOK_OPERATOR_PORT, protocol: "TCP" }] }] });

    this.registerOutputs({ deployment: RUNBOOK_OPERATOR_NAME, crds: this.crds.map((c) => c.metadata.name), approvalApi: `http://${RUNBOOK_OPERATOR_NAME}.${ns}.svc:${RUNBOOK_OPERATOR_PORT}` });
  }
}
