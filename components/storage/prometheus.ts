/**
 * Prometheus through kube-prometheus-stack in helios-storage: the Prometheus Operator (and
 * its CRDs), Prometheus sharded per tier with HA replicas, and a Thanos sidecar shipping
 * blocks to object storage. Alertmanager and Grafana are NOT deployed here — they live in
 * helios-visualization (the visualization layer); Prometheus sends alerts there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EXTERNAL_LABELS, REPLICA_LABELS } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { CHARTS, IMAGES, imageRef, chartSource } from "../versions";
import { OBJSTORE_KEY } from "./objstore";

/** fullnameOverride of the release: names the Prometheus CR, its services and the sidecar discovery service. */
export const PROMETHEUS_FULLNAME = "helios-prometheus";
/** Headless service of the Thanos sidecars (kube-prometheus-stack `thanosService`). */
export const SIDECAR_SERVICE = `${PROMETHEUS_FULLNAME}-thanos-discovery`;
export const THANOS_GRPC_PORT = 10901;
/** HTTP port of Prometheus' own API (the one place it is spelled; network policies import it). */
export const PROMETHEUS_HTTP_PORT = 9090;
/** Alertmanager the visualization layer runs (operator-managed `Alertmanager` CR named helios). */
export const ALERTMANAGER = { namespace: NAMESPACES.visualization.name, service: "alertmanager-operated", port: "web", portNumber: 9093 } as const;

export interface PrometheusValuesArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** This stack's datacenter (helios:datacenter), for labels and names. */
  readonly datacenter: string;
  /** Value of the `cluster` external label. */
  readonly cluster: string;
  /** Name of the Secret holding Thanos' objstore.yml (storage/objstore.ts). */
  readonly objstoreSecret: string;
  /**
   * Install the operator's admission webhooks (default true). A cluster that runs no pods
   * (helios:awaitWorkloads false) cannot serve them, and a webhook nobody serves refuses every
   * PrometheusRule.
   */
  readonly operatorWebhooks?: boolean;
}

/** kube-prometheus-stack values (chart 88.5.3 paths). Pure, for tests. */
export function prometheusValues(a: PrometheusValuesArgs): Record<string, unknown> {
  const p = a.tier.prometheus;
  const anyNamespace = {};
  return {
    fullnameOverride: PROMETHEUS_FULLNAME,
    // Operator-managed Alertmanager and Grafana belong to the visualization layer.
    alertmanager: { enabled: false },
    grafana: { enabled: false },
    ...(a.operatorWebhooks === false ? { prometheusOperator: { admissionWebhooks: { enabled: false } } } : {}),
    // Node and object metrics are useful platform signals and cheap; kept on.
    nodeExporter: { enabled: true },
    kubeStateMetrics: { enabled: true },
    prometheus: {
      enabled: true,
      thanosService: { enabled: true },
      thanosServiceMonitor: { enabled: true },
      prometheusSpec: {
        image: { registry: IMAGES.prometheus.repository.split("/")[0], repository: IMAGES.prometheus.repository.split("/").slice(1).join("/"), tag: IMAGES.prometheus.tag },
        shards: p.shards,
        replicas: p.replicasPerShard,
        // Blocks go to object storage every 2h; local disk only bridges until the upload.
        retention: p.localRetention,
        resources: p.resources,
        storageSpec: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: p.storage } } } } },
        externalLabels: { [EXTERNAL_LABELS.cluster]: a.cluster, [EXTERNAL_LABELS.datacenter]: a.datacenter },
        replicaExternalLabelName: REPLICA_LABELS[0],
        // Other layers create monitors and rules in their own namespaces, unlabeled: select all.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: anyNamespace,
        serviceMonitorNamespaceSelector: anyNamespace,
        podMonitorSelector: anyNamespace,
        podMonitorNamespaceSelector: anyNamespace,
        ruleSelector: anyNamespace,
        ruleNamespaceSelector: anyNamespace,
        probeSelector: anyNamespace,
        probeNamespaceSelector: anyNamespace,
        scrapeConfigSelector: anyNamespace,
        scrapeConfigNamespaceSelector: anyNamespace,
        alertingEndpoints: [{ namespace: ALERTMANAGER.namespace, name: ALERTMANAGER.service, port: ALERTMANAGER.port, apiVersion: "v2" }],
        thanos: {
          image: imageRef(IMAGES.thanos),
          objectStorageConfig: { existingSecret: { name: a.objstoreSecret, key: OBJSTORE_KEY } },
        },
        // The sidecar uploads blocks; Prometheus must not compact them locally first.
        disableCompaction: true,
        podAntiAffinity: "soft",
      },
    },
  };
}

export interface PrometheusStackArgs extends PrometheusValuesArgs {
  /** helios:chartMirror: install the chart from this mirror instead of its upstream repository. */
  readonly chartMirror?: string;
  /** The objstore Secret: the sidecars mount it at start. */
  readonly objstore: pulumi.Resource;
  /** The helios-storage namespace resource to create after. */
  readonly namespace: pulumi.Resource;
}

export class PrometheusStack extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: PrometheusStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:PrometheusStack", name, {}, opts);
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: "kube-prometheus-stack",
        ...chartSource(CHARTS.kubePrometheusStack, args.chartMirror),
        namespace: NAMESPACES.storage.name,
        // The release installs the monitoring.coreos.com CRDs other layers' CRs depend on.
        skipCrds: false,
        values: prometheusValues(args),
      },
      { parent: this, dependsOn: [args.namespace, args.objstore] },
    );
    this.registerOutputs({ release: "kube-prometheus-stack" });
  }
}
