/**
 * Network baseline: default-deny ingress in every Helios namespace, plus the explicit
 * allow matrix below for the traffic the platform needs. The README's allow-matrix table
 * mirrors ALLOW_RULES (tests/program/network.test.ts keeps them in step).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "./labels";
import { NAMESPACES, NAMESPACE_KEYS, NamespaceKey } from "./namespaces";

export interface PortSpec {
  port: number;
  protocol: "TCP" | "UDP";
}

/** Where allowed traffic comes from. */
export type PeerSpec =
  | { namespace: NamespaceKey }
  /** The device management networks from `helios:managementCidrs` (flow exporters). */
  | { managementCidrs: true }
  /** Any source, inside or outside the cluster (user-facing UIs behind an ingress). */
  | { anywhere: true };

export interface AllowRule {
  name: string;
  to: NamespaceKey;
  from: PeerSpec[];
  ports: PortSpec[];
  why: string;
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
  { name: "flow-export-from-devices", to: "flows", from: [{ managementCidrs: true }], ports: udp(2055, 4739, 6343), why: "devices export NetFlow (2055), IPFIX (4739), sFlow (6343) to goflow2" },
  { name: "grafana-ui", to: "visualization", from: [{ anywhere: true }], ports: tcp(3000), why: "people reach Grafana through the cluster ingress" },
];

export interface NetworkBaselineArgs {
  /** `helios:managementCidrs`: sources allowed to export flows. */
  managementCidrs: string[];
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
      const id = `${rule.to}/${rule.name}`;
      byTarget.set(id, [...(byTarget.get(id) ?? []), rule]);
    }
    for (const rules of byTarget.values()) {
      const { to, name: policyName } = rules[0];
      policy(to, policyName, {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: rules.map((rule) => ({
          from: rule.from.flatMap((peer) => peerSelectors(peer, args.managementCidrs)),
          ports: rule.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
        })),
      });
    }
    this.registerOutputs({ policies: this.policyNames });
  }
}

function peerSelectors(peer: PeerSpec, managementCidrs: string[]): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
  if ("namespace" in peer) {
    return [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES[peer.namespace].name } } }];
  }
  if ("managementCidrs" in peer) {
    return managementCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  }
  return [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];
}
