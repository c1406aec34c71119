/**
 * The NetBox target generator (services/target-generator) in helios-integration.
 *
 * Runs as a one-replica Deployment in long-running mode (`--interval 5m`), not a CronJob: a
 * CronJob pod lives seconds, so Prometheus could never scrape helios_target_sync_* reliably
 * without a Pushgateway; a long-running process keeps the counters and the last-success
 * timestamp scrapeable (PodMonitor, job `helios-target-generator`) and TargetSyncStale in
 * config/alerts/target-sync.rules.yaml works on them. Strategy Recreate: never two writers.
 *
 * RBAC: a Role in helios-collection that can get/update/delete only the generator's ConfigMaps
 * by name (helios-targets-<kind> and its overflow ones, services/target-generator/src/contract.ts); `create` cannot be limited by name
 * in Kubernetes RBAC, so it is granted on configmaps in that namespace only. No list/watch.
 */
import { credentialRef, deviceSecret, SecretStoreConfig } from "../secret-store";
import { HeliosServiceImage } from "../config";
import { ConfigError } from "../errors";
import { serviceImageRef } from "../images";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SecretValue } from "../config";
import { podMonitor, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { allConfigMapNames } from "../../services/target-generator/src/contract";

/** The ConfigMaps the generator may write: the service's own list (its contract module), so the Role follows the service. */
export const targetConfigMapNames = allConfigMapNames;

export const TARGET_GENERATOR_NAME = "helios-target-generator";
export const TARGET_GENERATOR_METRICS_PORT = 8080;
export const TOKEN_MOUNT = "/var/run/secrets/helios/netbox";

export interface TargetGeneratorArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Registry and tag of the Helios service images. */
  readonly imageRegistry: string;
  /** Tag of the Helios service images (helios:imageTag). */
  readonly imageTag: string;
  /** Digest per service image (helios:imageDigests): deploy by digest when set. */
  readonly imageDigests?: Partial<Record<HeliosServiceImage, string>>;
  /** NetBox base URL. */
  readonly netboxUrl: string;
  /** NetBox API token (v1 `Token …` or v2 `nbt_…`), a Pulumi secret. */
  readonly netboxToken: SecretValue;
  /** helios:secretStore: device credentials from Pulumi config or from the external store. */
  readonly store: SecretStoreConfig;
  /** Extra NetBox device filters (name -> values), e.g. { site: ["dc-a"] }. */
  readonly netboxFilters: Record<string, string | string[]>;
  /** Sync interval (default 5m, FR-016). */
  readonly interval?: string;
  /** Namespace resources wait for. */
  readonly dependsOn: pulumi.Resource[];
  /** The release installing the monitoring.coreos.com CRDs (the PodMonitor waits for it). */
  readonly crdsReady: pulumi.Resource[];
}

export class TargetGenerator extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly role: k8s.rbac.v1.Role;
  public readonly podMonitor: k8s.apiextensions.CustomResource;

  constructor(name: string, args: TargetGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:integration:TargetGenerator", name, {}, opts);
    const ns = NAMESPACES.integration.name;
    const targetsNs = NAMESPACES.collection.name;
    const selector = { "app.kubernetes.io/name": TARGET_GENERATOR_NAME };
    const labels = { ...commonLabels(TARGET_GENERATOR_NAME), "helios.io/job": TARGET_GENERATOR_NAME };
    const interval = args.interval ?? "5m";
    if (!/^[0-9]+(s|m|h)$/.test(interval)) throw new ConfigError(`target generator interval ${JSON.stringify(interval)} must be a duration such as 5m`);

    const secret = deviceSecret(
      `${name}-netbox`,
      {
        store: args.store,
        metadata: { name: `${TARGET_GENERATOR_NAME}-netbox`, namespace: ns, labels },
        values: { token: args.netboxToken ?? pulumi.secret("") },
        template: { token: credentialRef("netbox", "token") },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: TARGET_GENERATOR_NAME, namespace: ns, labels }, automountServiceAccountToken: true },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.role = new k8s.rbac.v1.Role(
      `${name}-role`,
      {
        metadata: { name: TARGET_GENERATOR_NAME, namespace: targetsNs, labels },
        rules: [
          { apiGroups: [""], resources: ["configmaps"], resourceNames: targetConfigMapNames(), verbs: ["get", "update", "delete"] },
          { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
        ],
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata: { name: TARGET_GENERATOR_NAME, namespace: targetsNs, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: TARGET_GENERATOR_NAME },
        subjects: [{ kind: "ServiceAccount", name: TARGET_GENERATOR_NAME, namespace: ns }],
      },
      { parent: this, dependsOn: [this.role, sa] },
    );

    const filterArgs = Object.keys(args.netboxFilters)
      .sort()
      .flatMap((k) => {
        const v = args.netboxFilters[k];
        return (Array.isArray(v) ? v : [v]).flatMap((x) => ["--filter", `${k}=${x}`]);
      });
    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: TARGET_GENERATOR_NAME, namespace: ns, labels },
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: TARGET_GENERATOR_NAME,
              securityContext: restrictedPod({ user: 65532, group: 65532 }),
              volumes: [{ name: "netbox-token", secret: { secretName: `${TARGET_GENERATOR_NAME}-netbox`, defaultMode: 0o400 } }],
              containers: [
                {
                  name: "target-generator",
                  image: serviceImageRef(args, "target-generator"),
                  args: [
                    "--netbox-url",
                    args.netboxUrl,
                    "--token-file",
                    `${TOKEN_MOUNT}/token`,
                    "--namespace",
                    targetsNs,
                    "--interval",
                    interval,
                    "--metrics-port",
                    String(TARGET_GENERATOR_METRICS_PORT),
                    ...filterArgs,
                  ],
                  ports: [{ name: "metrics", containerPort: TARGET_GENERATOR_METRICS_PORT }],
                  livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 30 },
                  readinessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 10 },
                  resources: args.tier.targetGenerator.resources,
                  volumeMounts: [{ name: "netbox-token", mountPath: TOKEN_MOUNT, readOnly: true }],
                  securityContext: RESTRICTED_CONTAINER,
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [secret, sa, binding] },
    );
    this.podMonitor = podMonitor(
      `${name}-podmonitor`,
      { name: TARGET_GENERATOR_NAME, namespace: ns, labels, jobLabel: "helios.io/job", selector: { matchLabels: selector }, endpoints: [{ port: "metrics", interval: "30s" }] },
      { parent: this, dependsOn: [...args.dependsOn, ...args.crdsReady] },
    );
    this.registerOutputs({ deployment: TARGET_GENERATOR_NAME });
  }
}
