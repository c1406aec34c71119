/**
 * The flow bus: a KRaft Kafka cluster (Strimzi kafka.strimzi.io/v1) with KafkaNodePools sized by
 * the tier (separate controller and broker pools, or one dual-role pool where the tier's quorum is
 * "dual-role"), the three flow topics, JMX metrics on 9404 and
 * Strimzi's Kafka Exporter for consumer lag. Every custom resource depends on the operator
 * release that installs its CRDs (SC-001).
 */
import * as fs from "fs";
import { ConfigError } from "../errors";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DIR, isObject, readYamlObject } from "../collection/content";
import { podMonitor } from "../k8s/workload";
import { commonLabels } from "../labels";
import { cpuCores, gibibytes, Resources, TierSpec } from "../tiers";
import { FLOWS_NS, KAFKA_CLUSTER, TOPICS } from "./names";
import { KAFKA_CLIENT_PODS } from "./network-policy";

/** Kafka release the Strimzi 1.2.0 operator supports (its release notes list 4.2.x and 4.3.x). */
export const KAFKA_VERSION = "4.3.1";
export const KAFKA_METADATA_VERSION = "4.3-IV0";
const DEAD_LETTER_RETENTION_HOURS = 168;

/**
 * Durability settings every tier renders, one source for the broker config, the topics and the
 * tests. min.insync.replicas is RF−1 (2 at RF 3): an acks=all write (the enricher's producer)
 * survives one replica being rolled and never succeeds on a lone replica. Unclean leader election
 * stays off (Kafka's default, stated so no edit turns it on): an out-of-sync replica never becomes
 * leader and truncates what the others acknowledged.
 * goflow2 v2.2.6 writes with sarama's default acks=1 (WaitForLocal) and has no flag to change it
 * (transport/kafka/kafka.go), so min ISR does not gate its writes; what keeps a roll lossless for it
 * is that the rolled broker's leaderships move to in-sync replicas first (controlled shutdown),
 * measured in services/flow-enricher/test/goflow2-kafka-roll.test.ts.
 */
export function kafkaDurability(k: Pick<TierSpec["kafka"], "replicationFactor">): { minInsyncReplicas: number; uncleanLeaderElection: false } {
  return { minInsyncReplicas: Math.max(1, k.replicationFactor - 1), uncleanLeaderElection: false };
}

/**
 * Why a tier's Kafka could lose acknowledged writes or stop taking them while one node restarts
 * (empty when roll-safe): replication factor at least 3, at least that many brokers so every
 * replica sits on its own broker, min ISR RF−1 (so it is ≥ 2 and one replica may be down), and a
 * controller quorum of an odd 3 or more voters, which keeps its majority with one voter down.
 */
export function kafkaRollSafetyProblems(k: TierSpec["kafka"]): string[] {
  const problems: string[] = [];
  const rf = k.replicationFactor;
  if (!Number.isInteger(rf) || rf < 3) problems.push(`kafka.replicationFactor is ${rf}: at least 3, so one replica can restart while two stay in sync`);
  if (!Number.isInteger(k.brokers) || k.brokers < rf) problems.push(`kafka.brokers is ${k.brokers}: at least kafka.replicationFactor (${rf}), one replica per broker`);
  const { minInsyncReplicas } = kafkaDurability(k);
  if (minInsyncReplicas !== rf - 1 || minInsyncReplicas < 2) problems.push(`min.insync.replicas would be ${minInsyncReplicas}: RF−1 and at least 2`);
  const voters = k.quorum === "dual-role" ? k.brokers : k.quorum.controllers;
  if (!Number.isInteger(voters) || voters < 3 || voters % 2 === 0) problems.push(`the KRaft quorum has ${voters} voters (${k.quorum === "dual-role" ? "kafka.brokers, dual-role" : "kafka.quorum.controllers"}): an odd number of at least 3`);
  return problems;
}

/** What a tier's Kafka nodes request in total (brokers plus dedicated controllers): the cost column of docs/flows.md. */
export function kafkaFootprint(k: TierSpec["kafka"]): { nodes: number; cores: number; memoryGi: number; diskGi: number } {
  const groups = [{ n: k.brokers, resources: k.resources, storage: k.storage }];
  if (k.quorum !== "dual-role") groups.push({ n: k.quorum.controllers, resources: k.quorum.resources, storage: k.quorum.storage });
  const sum = (f: (g: (typeof groups)[number]) => number) => groups.reduce((t, g) => t + g.n * f(g), 0);
  return {
    nodes: sum(() => 1),
    cores: sum((g) => cpuCores(g.resources.requests.cpu)),
    memoryGi: sum((g) => gibibytes(g.resources.requests.memory)),
    diskGi: sum((g) => gibibytes(g.storage)),
  };
}

/** Throws, naming the tier and the fields, when its Kafka is not roll-safe (see kafkaRollSafetyProblems). */
export function assertKafkaRollSafe(tier: Pick<TierSpec, "name" | "kafka">): void {
  const problems = kafkaRollSafetyProblems(tier.kafka);
  if (problems.length > 0) throw new Error(`tier ${tier.name}: its Kafka is not roll-safe: ${problems.join("; ")}`);
}

export interface KafkaClusterArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The Strimzi operator release (CRDs) plus the namespace. */
  readonly dependsOn: pulumi.Resource[];
  /** Releases installing monitoring.coreos.com CRDs (PodMonitor). */
  readonly crdsReady?: pulumi.Resource[];
}

/** The JMX exporter rules (data, not code): broker, request, log and controller MBeans as gauges/counters. */
export const JMX_RULES_FILE = path.join(CONFIG_DIR, "kafka", "jmx-exporter.yml");
/** ConfigMap and key Strimzi's metricsConfig reads the rules from. */
export const KAFKA_METRICS_CONFIGMAP = "kafka-metrics";
export const KAFKA_METRICS_KEY = "kafka-metrics-config.yml";

const JMX_RULE_TYPES = new Set(["GAUGE", "COUNTER", "UNTYPED"]);

/**
 * The rules text the kafka-metrics ConfigMap carries: the file without its leading comment block
 * (written for the reader of config/; leaving it out keeps the deployed text, and so the
 * ConfigMap, unchanged by the move out of code). Checked first: a mapping with a non-empty
 * `rules` list whose every rule has a `pattern` (a valid regular expression; the exporter's
 * are Java's, checked here with JavaScript's, which agree on the constructs the rules use), a
 * metric `name` and a known `type`. Bad content throws a ContentError naming the file and rule.
 */
export function loadJmxRules(file = JMX_RULES_FILE): string {
  const doc = readYamlObject(file);
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) throw new ConfigError(`${file}: rules: must be a non-empty list`);
  doc.rules.forEach((rule: unknown, i: number) => {
    const where = `${file}: rules[${i}]`;
    if (!isObject(rule)) throw new ConfigError(`${where}: must be a mapping`);
    if (typeof rule.pattern !== "string" || !rule.pattern) throw new ConfigError(`${where}.pattern: must be a non-empty string`);
    try {
      new RegExp(rule.pattern);
    } catch (e) {
      throw new ConfigError(`${where}.pattern: not a regular expression: ${(e as Error).message}`);
    }
    if (typeof rule.name !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_$]*$/.test(rule.name)) throw new ConfigError(`${where}.name: must be a metric name (letters, digits, '_', $n groups)`);
    if (rule.type !== undefined && !JMX_RULE_TYPES.has(String(rule.type))) throw new ConfigError(`${where}.type: must be one of ${[...JMX_RULE_TYPES].join(", ")}`);
  });
  const text = fs.readFileSync(file, "utf8");
  return text.replace(/^(#.*\n)+/, "");
}

export class KafkaCluster extends pulumi.ComponentResource {
  public readonly kafka: k8s.apiextensions.CustomResource;
  public readonly topics: Record<keyof typeof TOPICS, k8s.apiextensions.CustomResource>;

  constructor(name: string, args: KafkaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:KafkaCluster", name, {}, opts);
    const k = args.tier.kafka;
    assertKafkaRollSafe(args.tier);
    const dependsOn = args.dependsOn;
    const clusterLabel = { "strimzi.io/cluster": KAFKA_CLUSTER };
    const durability = kafkaDurability(k);
    const minIsr = durability.minInsyncReplicas;

    const metrics = new k8s.core.v1.ConfigMap(
      `${name}-metrics`,
      { metadata: { name: KAFKA_METRICS_CONFIGMAP, namespace: FLOWS_NS, labels: commonLabels("kafka") }, data: { [KAFKA_METRICS_KEY]: loadJmxRules() } },
      { parent: this, dependsOn },
    );

    const pool = (poolName: string, roles: Array<"controller" | "broker">, replicas: number, size: string, resources: Resources) =>
      new k8s.apiextensions.CustomResource(
        `${name}-pool-${poolName}`,
        {
          apiVersion: "kafka.strimzi.io/v1",
          kind: "KafkaNodePool",
          metadata: { name: poolName, namespace: FLOWS_NS, labels: { ...commonLabels("kafka"), ...clusterLabel } },
          spec: {
            replicas,
            roles,
            storage: { type: "jbod", volumes: [{ id: 0, type: "persistent-claim", size, deleteClaim: false, kraftMetadata: "shared" }] },
            resources,
          },
        },
        { parent: this, dependsOn },
      );
    // dual-role: one pool whose nodes are brokers and KRaft voters (Strimzi's examples name it so)
    const pools =
      k.quorum === "dual-role"
        ? [pool("dual-role", ["controller", "broker"], k.brokers, k.storage, k.resources)]
        : [pool("controllers", ["controller"], k.quorum.controllers, k.quorum.storage, k.quorum.resources), pool("brokers", ["broker"], k.brokers, k.storage, k.resources)];

    this.kafka = new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "kafka.strimzi.io/v1",
        kind: "Kafka",
        metadata: { name: KAFKA_CLUSTER, namespace: FLOWS_NS, labels: commonLabels("kafka") },
        spec: {
          kafka: {
            version: KAFKA_VERSION,
            metadataVersion: KAFKA_METADATA_VERSION,
            // without networkPolicyPeers, Strimzi's generated policy opens the listener to every pod
            listeners: [{ name: "plain", port: 9092, type: "internal", tls: false, networkPolicyPeers: KAFKA_CLIENT_PODS.map((matchLabels) => ({ podSelector: { matchLabels } })) }],
            config: {
              "offsets.topic.replication.factor": k.replicationFactor,
              "transaction.state.log.replication.factor": k.replicationFactor,
              "transaction.state.log.min.isr": minIsr,
              "default.replication.factor": k.replicationFactor,
              "min.insync.replicas": minIsr,
              "unclean.leader.election.enable": durability.uncleanLeaderElection,
              "auto.create.topics.enable": false,
            },
            metricsConfig: { type: "jmxPrometheusExporter", valueFrom: { configMapKeyRef: { name: KAFKA_METRICS_CONFIGMAP, key: KAFKA_METRICS_KEY } } },
          },
          entityOperator: { topicOperator: {}, userOperator: {} },
          kafkaExporter: { topicRegex: "helios-.*", groupRegex: ".*" },
        },
      },
      { parent: this, dependsOn: [...dependsOn, metrics, ...pools] },
    );

    const retentionMs = (hours: number) => String(hours * 3_600_000);
    const topic = (key: keyof typeof TOPICS, partitions: number, retentionHours: number) =>
      new k8s.apiextensions.CustomResource(
        `${name}-topic-${key}`,
        {
          apiVersion: "kafka.strimzi.io/v1",
          kind: "KafkaTopic",
          metadata: { name: TOPICS[key], namespace: FLOWS_NS, labels: { ...commonLabels("kafka"), ...clusterLabel } },
          spec: {
            partitions,
            replicas: k.replicationFactor,
            config: { "retention.ms": retentionMs(retentionHours), "cleanup.policy": "delete", "compression.type": "producer", "min.insync.replicas": minIsr },
          },
        },
        { parent: this, dependsOn: [...dependsOn, this.kafka] },
      );
    this.topics = {
      raw: topic("raw", k.rawPartitions, k.retentionHours),
      enriched: topic("enriched", k.enrichedPartitions, k.retentionHours),
      // dead letters are few and kept a week so someone can look at them
      deadLetter: topic("deadLetter", Math.max(1, Math.ceil(k.enrichedPartitions / 6)), DEAD_LETTER_RETENTION_HOURS),
    };

    // Brokers' JMX exporter and the Kafka Exporter both serve /metrics on 9404 (tcp-prometheus).
    podMonitor(
      `${name}-podmonitor`,
      {
        name: "kafka",
        namespace: FLOWS_NS,
        labels: commonLabels("kafka"),
        selector: { matchExpressions: [{ key: "strimzi.io/kind", operator: "In", values: ["Kafka"] }, { key: "strimzi.io/cluster", operator: "In", values: [KAFKA_CLUSTER] }] },
        endpoints: [{ port: "tcp-prometheus" }],
      },
      { parent: this, dependsOn: [...dependsOn, ...(args.crdsReady ?? [])] },
    );
    this.registerOutputs({ kafka: KAFKA_CLUSTER, topics: Object.values(TOPICS) });
  }
}
