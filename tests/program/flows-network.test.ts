// helios-flows without a namespace-wide same-namespace allow: every connection the flow
// pipeline needs is let in by a rendered NetworkPolicy, and the ones it does not need are not —
// also once Strimzi's own generated policy for the Kafka nodes is added (policies add up).
import { FLOWS_NS, KAFKA_CLUSTER } from "../../components/flows/names";
import { FLOWS_POD_RULES, KAFKA_CLIENT_PODS } from "../../components/flows/network-policy";
import { NAMESPACES } from "../../components/namespaces";
import { POD_LEVEL_NAMESPACES } from "../../components/network-baseline";
import { PlannedResource, SynthResult } from "../../scripts/lib/synthesize";
import { Peer, PodRef, Policy, Source, ingressAllowed } from "../helpers/netpol";
import { baseConfig, ofType, synth } from "../helpers/stacks";

const MGMT = "10.10.0.0/16";

function renderedPolicies(r: SynthResult): Policy[] {
  return ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => ({ name: p.kubernetesName, namespace: p.namespace!, spec: p.inputs.spec }));
}

function only(r: SynthResult, type: string, name: string): PlannedResource {
  const found = ofType(r, type).filter((x) => x.namespace === FLOWS_NS && x.kubernetesName === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}

/**
 * The policy Strimzi 1.2.0 writes for the Kafka nodes (KafkaCluster.generateNetworkPolicy,
 * generation on by default): control plane 9090 from Kafka nodes and the operator; replication
 * 9091 from the operator, Kafka nodes, entity operator, Kafka Exporter, Cruise Control; the
 * Kafka agent 8443 from the operator; each listener from its networkPolicyPeers, from every pod
 * when it has none; metrics 9404 from everyone.
 */
function strimziKafkaPolicy(kafkaSpec: { listeners: Array<{ port: number; networkPolicyPeers?: Peer[] }> }): Policy {
  const name = (n: string): Peer => ({ podSelector: { matchLabels: { "strimzi.io/name": `${KAFKA_CLUSTER}-${n}` } } });
  const operator: Peer = { podSelector: { matchLabels: { "strimzi.io/kind": "cluster-operator" } } };
  const kafkaNodes = name("kafka");
  return {
    namespace: FLOWS_NS,
    spec: {
      podSelector: { matchLabels: { "strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/name": `${KAFKA_CLUSTER}-kafka`, "strimzi.io/kind": "Kafka" } },
      ingress: [
        { ports: [{ port: 9090, protocol: "TCP" }], from: [kafkaNodes, operator] },
        { ports: [{ port: 9091, protocol: "TCP" }], from: [operator, kafkaNodes, name("entity-operator"), name("kafka-exporter"), name("cruise-control")] },
        { ports: [{ port: 8443, protocol: "TCP" }], from: [operator] },
        ...kafkaSpec.listeners.map((l) => ({ ports: [{ port: l.port, protocol: "TCP" }], from: l.networkPolicyPeers ?? [] })),
        { ports: [{ port: 9404, protocol: "TCP" }] },
      ],
    },
  };
}

describe("helios-flows pod-level network policy", () => {
  const resultP = synth(baseConfig({ "helios:tier": "large", "helios:managementCidrs": [MGMT] }));
  let ours: Policy[];
  let withStrimzi: Policy[];
  let kafkaSpec: { listeners: Array<{ port: number; networkPolicyPeers?: Peer[] }> };
  const pods: Record<string, PodRef> = {};

  beforeAll(async () => {
    const r = await resultP;
    ours = renderedPolicies(r);
    kafkaSpec = r.resources.find((x) => x.custom && x.inputs?.kind === "Kafka" && x.namespace === FLOWS_NS)!.inputs.spec.kafka;
    withStrimzi = [...ours, strimziKafkaPolicy(kafkaSpec)];
    const nsLabels = (key: keyof typeof NAMESPACES) =>
      ofType(r, "kubernetes:core/v1:Namespace").find((n) => n.kubernetesName === NAMESPACES[key].name)!.inputs.metadata.labels;
    const flows = (labels: Record<string, string>): PodRef => ({ namespace: FLOWS_NS, namespaceLabels: nsLabels("flows"), labels });
    // our workloads: the labels their pod templates really carry
    pods.goflow2 = flows(only(r, "kubernetes:apps/v1:Deployment", "goflow2").inputs.spec.template.metadata.labels);
    pods.enricher = flows(only(r, "kubernetes:apps/v1:Deployment", "flow-enricher").inputs.spec.template.metadata.labels);
    const job = ofType(r, "kubernetes:batch/v1:Job").find((j) => j.namespace === FLOWS_NS)!;
    pods.migrator = flows(job.inputs.spec.template.metadata.labels);
    // operator-made pods: the labels Strimzi 1.2.0 and the Altinity operator 0.25.6 put on them
    const strimzi = (name: string, extra: Record<string, string> = {}) =>
      flows({ "strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/kind": "Kafka", "strimzi.io/name": `${KAFKA_CLUSTER}-${name}`, ...extra });
    pods.broker = strimzi("kafka", { "strimzi.io/pool-name": "brokers", "strimzi.io/broker-role": "true", "strimzi.io/controller-role": "false" });
    pods.controller = strimzi("kafka", { "strimzi.io/pool-name": "controllers", "strimzi.io/broker-role": "false", "strimzi.io/controller-role": "true" });
    pods.entityOperator = strimzi("entity-operator");
    pods.kafkaExporter = strimzi("kafka-exporter");
    pods.strimziOperator = flows({ name: "strimzi-cluster-operator", "strimzi.io/kind": "cluster-operator" });
    pods.clickhouse = flows({ "clickhouse.altinity.com/app": "chop", "clickhouse.altinity.com/chi": "helios", "clickhouse.altinity.com/cluster": "flows", "clickhouse.altinity.com/shard": "0" });
    pods.keeper = flows({ "clickhouse-keeper.altinity.com/app": "chop", "clickhouse-keeper.altinity.com/chk": "helios-keeper" });
    pods.chOperator = flows({ "app.kubernetes.io/name": "altinity-clickhouse-operator", "app.kubernetes.io/instance": "clickhouse-operator" });
    // clients in other namespaces
    pods.prometheus = { namespace: NAMESPACES.storage.name, namespaceLabels: nsLabels("storage"), labels: { "app.kubernetes.io/name": "prometheus" } };
    pods.grafana = { namespace: NAMESPACES.visualization.name, namespaceLabels: nsLabels("visualization"), labels: { "app.kubernetes.io/name": "grafana" } };
    pods.gnmic = { namespace: NAMESPACES.collection.name, namespaceLabels: nsLabels("collection"), labels: { "app.kubernetes.io/name": "gnmic" } };
  });

  const src = (name: string): Source => (name.startsWith("ip:") ? { ip: name.slice(3) } : pods[name]);

  // [from, to, port, protocol]: what the pipeline needs
  const needed: Array<[string, string, number, "TCP" | "UDP"]> = [
    ["goflow2", "broker", 9092, "TCP"],
    ["enricher", "broker", 9092, "TCP"],
    ["clickhouse", "broker", 9092, "TCP"],
    ["controller", "controller", 9090, "TCP"],
    ["broker", "controller", 9090, "TCP"],
    ["broker", "broker", 9091, "TCP"],
    ["entityOperator", "broker", 9091, "TCP"],
    ["kafkaExporter", "broker", 9091, "TCP"],
    ["strimziOperator", "broker", 9091, "TCP"],
    ["strimziOperator", "controller", 8443, "TCP"],
    ["migrator", "clickhouse", 8123, "TCP"],
    ["clickhouse", "clickhouse", 9000, "TCP"],
    ["clickhouse", "clickhouse", 9009, "TCP"],
    ["chOperator", "clickhouse", 8123, "TCP"],
    ["clickhouse", "keeper", 2181, "TCP"],
    ["chOperator", "keeper", 2181, "TCP"],
    ["keeper", "keeper", 9444, "TCP"],
    ["grafana", "clickhouse", 8123, "TCP"],
    ["prometheus", "broker", 9404, "TCP"],
    ["prometheus", "kafkaExporter", 9404, "TCP"],
    ["prometheus", "clickhouse", 9363, "TCP"],
    ["prometheus", "enricher", 8080, "TCP"],
    ["prometheus", "goflow2", 8080, "TCP"],
    // NetFlow and IPFIX (Service port 4739, sent on to 2055) reach goflow2's one netflow listener
    ["ip:10.10.4.2", "goflow2", 2055, "UDP"],
    ["ip:10.10.4.2", "goflow2", 6343, "UDP"],
  ];
  // what nobody needs: a compromised goflow2 or enricher gets no further than Kafka
  const refused: Array<[string, string, number, "TCP" | "UDP"]> = [
    ["goflow2", "clickhouse", 8123, "TCP"],
    ["goflow2", "clickhouse", 9000, "TCP"],
    ["goflow2", "keeper", 2181, "TCP"],
    ["goflow2", "broker", 9090, "TCP"],
    ["goflow2", "enricher", 8080, "TCP"],
    ["enricher", "clickhouse", 8123, "TCP"],
    ["enricher", "broker", 9091, "TCP"],
    ["enricher", "keeper", 2181, "TCP"],
    ["migrator", "broker", 9092, "TCP"],
    ["entityOperator", "clickhouse", 8123, "TCP"],
    ["clickhouse", "keeper", 9444, "TCP"],
    ["clickhouse", "goflow2", 2055, "UDP"],
    // no pod port 4739 any more: IPFIX arrives on 2055 through the Service
    ["ip:10.10.4.2", "goflow2", 4739, "UDP"],
    ["gnmic", "broker", 9092, "TCP"],
    ["grafana", "broker", 9092, "TCP"],
    ["grafana", "keeper", 2181, "TCP"],
    ["ip:10.10.4.2", "broker", 9092, "TCP"],
    ["ip:203.0.113.5", "goflow2", 2055, "UDP"],
  ];

  it("has default-deny and no namespace-wide same-namespace allow in helios-flows", () => {
    expect(POD_LEVEL_NAMESPACES).toContain("flows");
    const inFlows = ours.filter((p) => p.namespace === FLOWS_NS).map((p) => p.name);
    expect(inFlows).toContain("default-deny-ingress");
    expect(inFlows).not.toContain("allow-same-namespace");
    // the other namespaces keep theirs
    expect(ours.filter((p) => p.name === "allow-same-namespace").map((p) => p.namespace).sort()).toEqual(
      Object.values(NAMESPACES).map((n) => n.name).filter((n) => n !== FLOWS_NS).sort(),
    );
  });

  it.each(needed)("lets %s reach %s on %i/%s", (from, to, port, protocol) => {
    expect(ingressAllowed(ours, src(from), pods[to], port, protocol)).toBe(true);
    expect(ingressAllowed(withStrimzi, src(from), pods[to], port, protocol)).toBe(true);
  });

  it.each(refused)("keeps %s from %s on %i/%s", (from, to, port, protocol) => {
    expect(ingressAllowed(ours, src(from), pods[to], port, protocol)).toBe(false);
    expect(ingressAllowed(withStrimzi, src(from), pods[to], port, protocol)).toBe(false);
  });

  it("narrows Strimzi's plain listener to the Kafka clients (without peers its own policy would open 9092 to every pod)", () => {
    const plain = kafkaSpec.listeners.find((l) => l.port === 9092)!;
    expect(plain.networkPolicyPeers).toEqual(KAFKA_CLIENT_PODS.map((matchLabels) => ({ podSelector: { matchLabels } })));
    const open = [...ours, strimziKafkaPolicy({ listeners: [{ port: 9092 }] })];
    expect(ingressAllowed(open, pods.migrator, pods.broker, 9092)).toBe(true);
    expect(ingressAllowed(open, pods.gnmic, pods.broker, 9092)).toBe(true);
  });

  it("gives every pod-level rule a reason and a use among the needed connections", () => {
    for (const rule of FLOWS_POD_RULES) {
      expect(rule.why.length).toBeGreaterThan(20);
      const alone = ours.filter((p) => p.namespace === FLOWS_NS && (p.name === "default-deny-ingress" || p.name === rule.name));
      const used = needed.some(([from, to, port, protocol]) => ingressAllowed(alone, src(from), pods[to], port, protocol));
      expect({ rule: rule.name, used }).toEqual({ rule: rule.name, used: true });
    }
  });
});
