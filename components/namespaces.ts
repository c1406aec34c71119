/**
 * The six Helios namespaces, their Pod Security levels, and the ComponentResource that
 * creates them. Other components import NAMESPACES for names; nothing spells them twice.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TIER_LABEL, commonLabels } from "./labels";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface NamespaceSpec {
  name: string;
  purpose: string;
  /** Enforced Pod Security Standard; `warn`/`audit` are always `restricted` so drift shows. */
  podSecurity: PodSecurityLevel;
  /** Why the namespace cannot enforce `restricted`, where it does not. */
  why?: string;
}

export const NAMESPACES = {
  integration: { name: "helios-integration", purpose: "target-generator (NetBox sync)", podSecurity: "restricted" },
  collection: {
    name: "helios-collection",
    purpose: "gnmic, snmp_exporter, blackbox_exporter",
    podSecurity: "baseline",
    why: "blackbox ICMP probes need the ping_group_range sysctl / NET_RAW, which restricted forbids",
  },
  storage: {
    name: "helios-storage",
    purpose: "Prometheus (operator, shards), Thanos, MinIO",
    podSecurity: "baseline",
    why: "chart-managed init containers (MinIO, Prometheus config reloaders) are not all restricted-compliant",
  },
  visualization: { name: "helios-visualization", purpose: "Grafana, Alertmanager", podSecurity: "restricted" },
  automation: { name: "helios-automation", purpose: "runbook-operator", podSecurity: "restricted" },
  flows: {
    name: "helios-flows",
    purpose: "goflow2, Kafka (Strimzi), flow-enricher, ClickHouse",
    podSecurity: "baseline",
    why: "the Strimzi and ClickHouse operators' default pod templates are not restricted-compliant",
  },
} as const satisfies Record<string, NamespaceSpec>;

export type NamespaceKey = keyof typeof NAMESPACES;
export const NAMESPACE_KEYS = Object.keys(NAMESPACES) as NamespaceKey[];

export interface NamespacesArgs {
  /** Datacenter name, stamped as a label so cross-DC views can tell namespaces apart. */
  readonly datacenter: string;
  /** Scale tier, stamped as a label so policies (anti-affinity at medium and above) know it. */
  readonly tier: string;
}

/** Creates the six namespaces with Pod Security labels. */
export class Namespaces extends pulumi.ComponentResource {
  /** Created namespaces by key; depend on these before creating anything inside them. */
  public readonly namespaces: Record<NamespaceKey, k8s.core.v1.Namespace>;

  constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:foundation:Namespaces", name, {}, opts);
    const created = {} as Record<NamespaceKey, k8s.core.v1.Namespace>;
    for (const key of NAMESPACE_KEYS) {
      const spec: NamespaceSpec = NAMESPACES[key];
      created[key] = new k8s.core.v1.Namespace(
        spec.name,
        {
          metadata: {
            name: spec.name,
            labels: {
              ...commonLabels("helios"),
              "kubernetes.io/metadata.name": spec.name,
              "helios.io/datacenter": args.datacenter,
              "helios.io/layer": key,
              [TIER_LABEL]: args.tier,
              "pod-security.kubernetes.io/enforce": spec.podSecurity,
              "pod-security.kubernetes.io/warn": "restricted",
              "pod-security.kubernetes.io/audit": "restricted",
            },
            annotations: { "helios.io/purpose": spec.purpose },
          },
        },
        { parent: this },
      );
    }
    this.namespaces = created;
    this.registerOutputs({ namespaces: Object.fromEntries(NAMESPACE_KEYS.map((k) => [k, NAMESPACES[k].name])) });
  }
}
