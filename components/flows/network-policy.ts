/**
 * Pod-level ingress inside helios-flows: the complete allow-list of who reaches whom in the
 * namespace. The baseline (components/network-baseline.ts) gives helios-flows default-deny and
 * no namespace-wide same-namespace allow (POD_LEVEL_NAMESPACES), so these rules are what lets
 * pods of the namespace talk at all; cross-namespace clients (Prometheus scrapes, Grafana's
 * ClickHouse datasource, flow exporters) stay in the baseline's ALLOW_RULES.
 *
 * Ports and peers follow the operators we pin: Strimzi 1.2.0 (KRaft control plane 9090,
 * replication 9091 for the entity operator and Kafka Exporter too, the Kafka agent 8443 the
 * operator reads during rolls) and the Altinity operator 0.25.6 (ClickHouse 8123/9000,
 * interserver 9009, Keeper client 2181 and raft 9444, the operator's HTTP queries on 8123 and
 * its root-path check on Keeper). Kubelet probes need no rule. Strimzi also writes its own
 * policy for the Kafka nodes; its plain listener is narrowed to KAFKA_CLIENT_PODS through
 * `networkPolicyPeers` (components/flows/kafka-cluster.ts), since a listener without peers
 * is open to every pod.
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

/** Who may use Kafka's plain listener (9092): also the listener's `networkPolicyPeers`. */
export const KAFKA_CLIENT_PODS: readonly Selector[] = [POD_LABELS.goflow2, POD_LABELS.flowEnricher, POD_LABELS.clickhouse];

export const FLOWS_POD_RULES: readonly PodRule[] = [
  { name: "kafka-clients", to: POD_LABELS.kafka, from: [...KAFKA_CLIENT_PODS], ports: [9092], why: "goflow2 produces raw flows, flow-enricher consumes and produces, ClickHouse's Kafka engine consumes enriched flows" },
  { name: "kafka-control-plane", to: POD_LABELS.kafka, from: [POD_LABELS.kafka, POD_LABELS.strimziOperator], ports: [9090], why: "the KRaft controller quorum between Kafka nodes; the Strimzi operator" },
  { name: "kafka-replication", to: POD_LABELS.kafka, from: [POD_LABELS.kafkaClusterPods, POD_LABELS.strimziOperator], ports: [9091], why: "replication between brokers; the entity operator (topics), Kafka Exporter and Strimzi operator connect on this TLS listener" },
  { name: "kafka-agent", to: POD_LABELS.kafka, from: [POD_LABELS.strimziOperator], ports: [8443], why: "the Strimzi operator reads each node's state from its Kafka agent during rolling restarts" },
  { name: "clickhouse-clients", to: POD_LABELS.clickhouse, from: [POD_LABELS.migrator, POD_LABELS.clickhouse, POD_LABELS.clickhouseOperator], ports: [8123, 9000], why: "the migration Job, distributed queries between shards/replicas, the operator's and its metrics exporter's HTTP queries (Grafana: baseline rule from helios-visualization)" },
  { name: "clickhouse-interserver", to: POD_LABELS.clickhouse, from: [POD_LABELS.clickhouse], ports: [9009], why: "replicas fetch parts from each other" },
  { name: "keeper-clients", to: POD_LABELS.keeper, from: [POD_LABELS.clickhouse, POD_LABELS.clickhouseOperator], ports: [2181], why: "ClickHouse's replicated tables and ON CLUSTER DDL; the operator checks the cluster's root path" },
  { name: "keeper-raft", to: POD_LABELS.keeper, from: [POD_LABELS.keeper], ports: [9444], why: "the Keeper raft quorum (the Altinity operator's default raft port)" },
];

export interface FlowsNetworkPolicyArgs {
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Resource[];
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
