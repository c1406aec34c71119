/**
 * Decides whether Kubernetes NetworkPolicies let a connection in, following the
 * networking.k8s.io/v1 rules: a pod selected by no Ingress policy accepts everything; a
 * selected pod accepts a connection when any rule of any policy selecting it matches both the
 * port and the source; peers are additive (OR). No cluster runs here, so this reads the
 * policies the program renders (and, where a test adds it, the policy an operator generates).
 */
import { isIP } from "net";

type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}

export interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface Policy {
  /** metadata.name, for messages and for picking policies out */
  name?: string;
  namespace: string;
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: Array<{ from?: Peer[]; ports?: Array<{ port?: number | string; protocol?: string }> }>;
  };
}

/** A pod: its namespace (with the namespace's labels) and its own labels. */
export interface PodRef {
  namespace: string;
  namespaceLabels?: Labels;
  labels: Labels;
}

/** A connection's source: a pod, or an address outside the cluster. */
export type Source = PodRef | { ip: string };

export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
    if (e.operator === "In" && !(has && (e.values ?? []).includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && (e.values ?? []).includes(labels[e.key])) return false;
  }
  return true;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

/** IPv4 CIDR membership (the tests only use IPv4 sources; an IPv6 CIDR never matches one). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  if (isIP(ip) !== 4 || isIP(base) !== 4) return false;
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

function namespaceLabels(pod: PodRef): Labels {
  // the API server labels every namespace with its name
  return { ...pod.namespaceLabels, "kubernetes.io/metadata.name": pod.namespace };
}

function peerMatches(peer: Peer, policyNamespace: string, source: Source): boolean {
  if (peer.ipBlock) {
    // pod IPs are left out: whether an ipBlock matches pod traffic depends on the CNI
    if (!("ip" in source)) return false;
    return inCidr(source.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(source.ip, c));
  }
  if ("ip" in source) return false;
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, namespaceLabels(source))) return false;
  } else if (source.namespace !== policyNamespace) {
    return false; // a podSelector alone means the policy's own namespace
  }
  return selects(peer.podSelector, source.labels);
}

/** Whether `to` accepts a connection from `from` on `port`/`protocol` under `policies`. */
export function ingressAllowed(policies: Policy[], from: Source, to: PodRef, port: number, protocol: "TCP" | "UDP" = "TCP"): boolean {
  const selecting = policies.filter(
    (p) => p.namespace === to.namespace && selects(p.spec.podSelector, to.labels) && (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress"),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.ingress ?? []).some((rule) => {
      const portOk = !rule.ports?.length || rule.ports.some((r) => (r.protocol ?? "TCP") === protocol && (r.port === undefined || r.port === port));
      const fromOk = !rule.from?.length || rule.from.some((peer) => peerMatches(peer, p.namespace, from));
      return portOk && fromOk;
    }),
  );
}
