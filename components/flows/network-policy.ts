/**
 * Pod-level ingress inside helios-flows, on top of the namespace baseline
 * (components/network-baseline.ts): who may reach Kafka (9092) and ClickHouse (8123/9000).
 *
 * NetworkPolicies are additive: while the baseline's namespace-wide `allow-same-namespace`
 * policy also selects helios-flows, these rules do not narrow anything further. They are the
 * complete allow-list the namespace needs once that policy is dropped for helios-flows (a
 * baseline decision, see README "Flow pipeline"); FLOWS_POD_RULES is what tests check.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { FLOWS_NS, POD_LABELS } from "./names";

type Selector = Record<string, string>;
export interface PodRule {
  name: string;
  to: Selector;
  from: Selector[];
  ports: number[];
  why: string;
}

const strimziOperator = { "strimzi.io/kind": "cluster-operator" };
const strimziPods = { "strimzi.io/cluster": "helios-kafka" };
const chOperator = { "app.kubernetes.io/name": "altinity-clickhouse-operator" };

export const FLOWS_POD_RULES: readonly PodRule[] = [
  { name: "kafka-clients", to: POD_LABELS.kafka, from: [POD_LABELS.goflow2, POD_LABELS.flowEnricher, POD_LABELS.clickhouse, strimziPods], ports: [9092], why: "goflow2 produces raw flows, flow-enricher consumes/produces, ClickHouse consumes enriched flows, the entity operator manages topics" },
  { name: "kafka-internal", to: POD_LABELS.kafka, from: [strimziPods, strimziOperator], ports: [9090, 9091], why: "KRaft controller quorum and replication; the Strimzi operator's admin connection" },
  { name: "clickhouse-clients", to: POD_LABELS.clickhouse, from: [POD_LABELS.migrator, POD_LABELS.clickhouse, chOperator], ports: [8123, 9000], why: "the migration Job, distributed queries between shards/replicas, the operator's health queries (Grafana: baseline rule from helios-visualization)" },
  { name: "clickhouse-interserver", to: POD_LABELS.clickhouse, from: [POD_LABELS.clickhouse], ports: [9009], why: "replica fetches of parts" },
  { name: "keeper-clients", to: POD_LABELS.keeper, from: [POD_LABELS.clickhouse, POD_LABELS.keeper, chOperator], ports: [2181, 9234], why: "ClickHouse to Keeper (2181), Keeper raft (9234)" },
];

export interface FlowsNetworkPolicyArgs {
  dependsOn: pulumi.Resource[];
}

export class FlowsNetworkPolicy extends pulumi.ComponentResource {
  constructor(name: string, args: FlowsNetworkPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:NetworkPolicy", name, {}, opts);
    for (const rule of FLOWS_POD_RULES) {
      new k8s.networking.v1.NetworkPolicy(
        `flows-${rule.name}`,
        {
          metadata: { name: rule.name, namespace: FLOWS_NS, labels: commonLabels("flow-pipeline"), annotations: { "helios.io/why": rule.why } },
          spec: {
            podSelector: { matchLabels: rule.to },
            policyTypes: ["Ingress"],
            ingress: [{ from: rule.from.map((s) => ({ podSelector: { matchLabels: s } })), ports: rule.ports.map((port) => ({ port, protocol: "TCP" })) }],
          },
        },
        { parent: this, dependsOn: args.dependsOn },
      );
    }
    this.registerOutputs({ policies: FLOWS_POD_RULES.map((r) => r.name) });
  }
}
