/**
 * Network baseline: default-deny ingress in every Helios namespace, plus the explicit
 * allow matrix below for the traffic the platform needs. docs/architecture.md's allow-matrix table
 * mirrors ALLOW_RULES (tests/program/network.test.ts keeps them in step).
 */
import { FLOW_PORTS } from "./flows/goflow2";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "./labels";
import { NAMESPACES, NAMESPACE_KEYS, NamespaceKey } from "./namespaces";
import { THANOS_GRPC_PORT } from "./storage/prometheus";
import { MINIO_PORT } from "./storage/topology";

export interface PortSpec {
  port: number;
  protocol: "TCP" | "UDP";
}

/** Where allowed traffic comes from. */
export type PeerSpec =
  | { namespace: NamespaceKey }
  /** The device management networks from `helios:managementCidrs` (flow exporters). */
  | { managementCidrs: true }
  /** Traffic through the cluster's ingress/gateway: `helios:ingressFrom` (namespaces and/or CIDRs), anywhere when unset. */
  | { ingress: true };

/** When a rule applies; rules without one always do. */
export type RuleCondition =
  /** the stack federates (`helios:peers` is not empty) */
  | "has-peers"
  /** `helios:storageTopology` is multi-dc-minio (peers replicate into this DC's MinIO) */
  | "multi-dc-minio";

export interface AllowRule {
  name: string;
  to: NamespaceKey;
  from: PeerSpec[];
  ports: PortSpec[];
  why: string;
  when?: RuleCondition;
}

const tcp = (...ports: number[]): PortSpec[] => ports.map((port) => ({ port, protocol: "TCP" }));
const udp = (...ports: number[]): PortSpec[] => ports.map((port) => ({ port, protocol: "UDP" }));

/**
 * Namespaces without a namespace-wide `allow-same-namespace`: their pods reach each other only
 * through pod-level rules (helios-flows: components/flows/network-policy.ts), so a compromised
 * goflow2 cannot reach ClickHouse or Keeper.
 */
export const POD_LEVEL_NAMESPACES: readonly NamespaceKey[] = ["flows"];

/**
 * Cross-namespace flows. Traffic inside one namespace is allowed by `allow-same-namespace`,
 * except in POD_LEVEL_NAMESPACES.
 */
export const ALLOW_RULES: readonly AllowRule[] = [
  { name: "scrape-from-storage", to: "collection", from: [{ namespace: "storage" }], ports: tcp(9804, 9116, 9115), why: "Prometheus scrapes gnmic (9804), snmp_exporter (9116), blackbox_exporter (9115)" },
  { name: "scrape-from-storage", to: "integration", from: [{ namespace: "storage" }], ports: tcp(8080, 9091), why: "Prometheus scrapes target-generator metrics (8080) / Pushgateway (9091)" },
  { name: "scrape-from-storage", to: "automation", from: [{ namespace: "storage" }], ports: tcp(8080), why: "Prometheus scrapes runbook-operator metrics" },
  { name: "scrape-from-storage", to: "flows", from: [{ namespace: "storage" }], ports: tcp(8080, 9404, 9363), why: "Prometheus scrapes goflow2/flow-enricher (8080), Kafka JMX exporter (9404), ClickHouse (9363)" },
  { name: "scrape-from-storage", to: "visualization", from: [{ namespace: "storage" }], ports: tcp(3000, 9093), why: "Prometheus scrapes Grafana and Alertmanager" },
  { name: "alerts-from-storage", to: "visualization", from: [{ namespace: "storage" }], ports: tcp(9093), why: "Prometheus and Thanos ruler send alerts to Alertmanager" },
  { name: "query-from-visualization", to: "storage", from: [{ namespace: "visualization" }, { namespace: "automation" }], ports: tcp(9090, 10902), why: "Grafana and runbook-operator query Thanos Query / Prometheus over HTTP" },
  { name: "clickhouse-from-visualization", to: "flows", from: [{ namespace: "visualization" }], ports: tcp(8123, 9000), why: "Grafana's ClickHouse datasource" },
  { name: "webhook-from-alertmanager", to: "automation", from: [{ namespace: "visualization" }], ports: tcp(8443), why: "Alertmanager triggers runbooks through the operator's webhook" },
  { name: "flow-export-from-devices", to: "flows", from: [{ managementCidrs: true }], ports: udp(FLOW_PORTS.netflow, FLOW_PORTS.sflow), why: `devices export NetFlow and IPFIX (Service ports ${FLOW_PORTS.netflow} and ${FLOW_PORTS.ipfix}, both to goflow2's one netflow listener on ${FLOW_PORTS.netflow}) and sFlow (${FLOW_PORTS.sflow}) to goflow2` },
  { name: "grafana-ui", to: "visualization", from: [{ ingress: true }], ports: tcp(3000), why: "people reach Grafana through the cluster ingress" },
  { name: "federation-from-peers", to: "storage", from: [{ ingress: true }], ports: tcp(THANOS_GRPC_PORT), why: "peer DCs' Thanos Query reaches this DC's Thanos gRPC (query, store gateway, sidecars) through the ingress", when: "has-peers" },
  { name: "replication-from-peers", to: "storage", from: [{ ingress: true }], ports: tcp(MINIO_PORT), why: "peer DCs' MinIO replicates into this DC's MinIO through the ingress", when: "multi-dc-minio" },
];

export interface NetworkBaselineArgs {
  /** `helios:managementCidrs`: sources allowed to export flows. */
  managementCidrs: string[];
  /** `helios:ingressFrom`: where ingress/gateway traffic comes from (empty: anywhere). */
  ingressFrom: { namespaces: string[]; cidrs: string[] };
  /** Which conditional rules apply to this stack. */
  conditions: Record<RuleCondition, boolean>;
  /** The namespaces, so policies are created after them. */
  namespaces: Record<NamespaceKey, pulumi.Resource>;
}

/** Default-deny ingress, same-namespace allow (not in POD_LEVEL_NAMESPACES), and ALLOW_RULES as NetworkPolicies. */
export class NetworkBaseline extends pulumi.ComponentResource {
  public readonly policyNames: string[] = [];

  constructor(name: string, args: NetworkBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:foundation:NetworkBaseline", name, {}, opts);
    const policy = (key: NamespaceKey, policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
      const ns = NAMESPACES[key].name;
      this.policyNames.push(`${ns}/${policyName}`);
      return new k8s.networking.v1.NetworkPolicy(
        `${ns}-${policyName}`,
        { metadata: { name: policyName, namespace: ns, labels: commonLabels("network-baseline") }, spec },
        { parent: this, dependsOn: [args.namespaces[key]] },
      );
    };

    for (const key of NAMESPACE_KEYS) {
      policy(key, "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
      if (POD_LEVEL_NAMESPACES.includes(key)) continue;
      policy(key, "allow-same-namespace", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }] }],
      });
    }

    const byTarget = new Map<string, AllowRule[]>();
    for (const rule of ALLOW_RULES) {
      if (rule.when && !args.conditions[rule.when]) continue;
      const id = `${rule.to}/${rule.name}`;
      byTarget.set(id, [...(byTarget.get(id) ?? []), rule]);
    }
    for (const rules of byTarget.values()) {
      const { to, name: policyName } = rules[0];
      policy(to, policyName, {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: rules.map((rule) => ({
          from: rule.from.flatMap((peer) => peerSelectors(peer, args)),
          ports: rule.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
        })),
      });
    }
    this.registerOutputs({ policies: this.policyNames });
  }
}

function peerSelectors(peer: PeerSpec, args: Pick<NetworkBaselineArgs, "managementCidrs" | "ingressFrom">): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
  if ("namespace" in peer) return [namespacePeer(NAMESPACES[peer.namespace].name)];
  if ("managementCidrs" in peer) return args.managementCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  const { namespaces, cidrs } = args.ingressFrom;
  if (namespaces.length === 0 && cidrs.length === 0) return [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];
  return [...namespaces.map(namespacePeer), ...cidrs.map((cidr) => ({ ipBlock: { cidr } }))];
}

function namespacePeer(name: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } };
}
