/**
 * Kafka as the plan renders it: the Strimzi KafkaNodePools, the Kafka resource's broker config and
 * the KafkaTopics of a synthesized stack, so engine tests start the nodes, roles and settings the
 * operator would be given instead of values typed in the test.
 */
import type { SynthResult } from "../../scripts/lib/synthesize";
import { FLOWS_NS } from "../../components/flows/names";
import { baseConfig, synth } from "./stacks";

export type KafkaRole = "controller" | "broker";

export interface RenderedKafka {
  /** KafkaNodePool name → replicas and roles. */
  pools: Array<{ name: string; replicas: number; roles: KafkaRole[] }>;
  /** spec.kafka.config of the Kafka resource (Strimzi writes it into every node's server.properties). */
  brokerConfig: Record<string, string | number | boolean>;
  /** KafkaTopic name → partitions, replicas and topic config. */
  topics: Record<string, { partitions: number; replicas: number; config: Record<string, string | number | boolean> }>;
}

const cache = new Map<string, Promise<RenderedKafka>>();

/** The Kafka custom resources the stack of `tier` renders (synthesized once per tier). */
export function renderedKafka(tier: string): Promise<RenderedKafka> {
  let p = cache.get(tier);
  if (!p) {
    p = synth(baseConfig({ "helios:tier": tier })).then(kafkaFromPlan);
    cache.set(tier, p);
  }
  return p;
}

export function kafkaFromPlan(plan: SynthResult): RenderedKafka {
  const cr = (kind: string) => plan.resources.filter((r) => r.custom && r.inputs?.kind === kind && r.namespace === FLOWS_NS);
  const kafkas = cr("Kafka");
  if (kafkas.length !== 1) throw new Error(`the plan renders ${kafkas.length} Kafka resources in ${FLOWS_NS}, expected 1`);
  const pools = cr("KafkaNodePool").map((p) => ({ name: p.kubernetesName as string, replicas: p.inputs.spec.replicas as number, roles: [...p.inputs.spec.roles] as KafkaRole[] }));
  if (pools.length === 0) throw new Error("the plan renders no KafkaNodePool");
  const topics: RenderedKafka["topics"] = {};
  for (const t of cr("KafkaTopic")) {
    topics[t.inputs.spec.topicName ?? t.kubernetesName] = { partitions: t.inputs.spec.partitions, replicas: t.inputs.spec.replicas, config: { ...(t.inputs.spec.config ?? {}) } };
  }
  return { pools, brokerConfig: { ...kafkas[0].inputs.spec.kafka.config }, topics };
}
