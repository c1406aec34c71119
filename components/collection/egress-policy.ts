/**
 * Egress of helios-collection: default-deny, then only what collection needs (EGRESS_RULES):
 * DNS, the device management networks on the gNMI / SNMP / probe paths, gnmic's cluster API
 * between its own pods and its Kubernetes API access (Lease locker). Ingress is the network
 * baseline's job (Prometheus in helios-storage scrapes in; replies need no egress rule).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { BLACKBOX_NAME } from "./blackbox-exporter";
import { GNMIC_API_PORT, GNMIC_NAME } from "./gnmic";
import { SNMP_EXPORTER_NAME } from "./snmp-exporter";

export interface EgressPort {
  port: number;
  protocol: "TCP" | "UDP";
}

export type EgressPeer =
  | { managementCidrs: true }
  | { kubeDns: true }
  | { sameNamespacePods: string }
  | { anyAddress: true };

export interface EgressRule {
  /** NetworkPolicy name. */
  name: string;
  /** app.kubernetes.io/name of the pods it applies to; undefined = every pod in the namespace. */
  app?: string;
  to: EgressPeer;
  /** Empty = every port and protocol (needed for ICMP, which NetworkPolicy cannot name). */
  ports: EgressPort[];
  why: string;
}

const tcp = (...ports: number[]): EgressPort[] => ports.map((port) => ({ port, protocol: "TCP" }));
const udp = (...ports: number[]): EgressPort[] => ports.map((port) => ({ port, protocol: "UDP" }));

/** gNMI ports: Arista (6030), Cisco/Juniper default (57400), IANA gNMI (9339). */
export const GNMI_PORTS = [6030, 57400, 9339];

export const EGRESS_RULES: readonly EgressRule[] = [
  { name: "egress-dns", to: { kubeDns: true }, ports: [...udp(53), ...tcp(53)], why: "cluster DNS for every collection pod" },
  { name: "egress-gnmi", app: GNMIC_NAME, to: { managementCidrs: true }, ports: tcp(...GNMI_PORTS), why: "gnmic dials devices' gNMI servers" },
  { name: "egress-gnmic-cluster", app: GNMIC_NAME, to: { sameNamespacePods: GNMIC_NAME }, ports: tcp(GNMIC_API_PORT), why: "the gnmic leader assigns targets to members over their REST API" },
  {
    name: "egress-gnmic-kube-api",
    app: GNMIC_NAME,
    to: { anyAddress: true },
    ports: tcp(443, 6443),
    why: "gnmic's Lease locker talks to the Kubernetes API, whose address is cluster-specific",
  },
  { name: "egress-snmp", app: SNMP_EXPORTER_NAME, to: { managementCidrs: true }, ports: udp(161), why: "snmp_exporter polls devices" },
  {
    name: "egress-probes",
    app: BLACKBOX_NAME,
    to: { managementCidrs: true },
    ports: [],
    why: "blackbox ICMP, TCP, HTTP and DNS probes; ICMP has no port, so the rule cannot be narrower than the CIDRs",
  },
];

export interface CollectionEgressArgs {
  /** Device management networks (helios:managementCidrs) the pods may reach. */
  readonly managementCidrs: string[];
  /** Resources to create after (the collection namespace). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class CollectionEgress extends pulumi.ComponentResource {
  public readonly policyNames: string[] = [];

  constructor(name: string, args: CollectionEgressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:Egress", name, {}, opts);
    const ns = NAMESPACES.collection.name;
    const policy = (policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
      this.policyNames.push(policyName);
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policyName}`,
        { metadata: { name: policyName, namespace: ns, labels: commonLabels("collection-egress") }, spec },
        { parent: this, dependsOn: args.dependsOn },
      );
    };
    policy("default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
    for (const rule of EGRESS_RULES) {
      policy(rule.name, {
        podSelector: rule.app ? { matchLabels: { "app.kubernetes.io/name": rule.app } } : {},
        policyTypes: ["Egress"],
        egress: [{ to: egressPeers(rule.to, args.managementCidrs), ...(rule.ports.length ? { ports: rule.ports } : {}) }],
      });
    }
    this.registerOutputs({ policies: this.policyNames });
  }
}

function egressPeers(peer: EgressPeer, managementCidrs: string[]): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
  if ("managementCidrs" in peer) return managementCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  if ("kubeDns" in peer) {
    return [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }];
  }
  if ("sameNamespacePods" in peer) return [{ podSelector: { matchLabels: { "app.kubernetes.io/name": peer.sameNamespacePods } } }];
  return [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];
}
