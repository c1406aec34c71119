/**
 * Each rule of the policy pack (policy/rules.ts) against an object that violates it, with the
 * message the CLI and the offline plan print, and against the compliant form of the same object.
 */
import { evaluate, PolicyResource, RULES, unpinnedReason, WRITABLE_ROOT_ANNOTATION } from "../../policy/rules";
import { BUCKET_IDENTITY_ANNOTATION, TIER_LABEL } from "../../components/labels";

const SAFE_CONTAINER = {
  name: "app",
  image: "ghcr.io/helios-observability/flow-enricher:0.1.0",
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
  securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
};

function deployment(container: Record<string, unknown>, extra: { annotations?: Record<string, string>; replicas?: number; affinity?: unknown; namespace?: string } = {}): PolicyResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name: "app",
    props: {
      metadata: { name: "app", namespace: extra.namespace ?? "helios-flows", annotations: extra.annotations },
      spec: { replicas: extra.replicas ?? 1, template: { metadata: { labels: { app: "app" } }, spec: { containers: [container], affinity: extra.affinity } } },
    },
  };
}

function namespace(name: string, tier = "small"): PolicyResource {
  return { type: "kubernetes:core/v1:Namespace", name, props: { metadata: { name, labels: { [TIER_LABEL]: tier } } } };
}

function defaultDeny(ns: string): PolicyResource {
  return { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: `${ns}-deny`, props: { metadata: { name: "default-deny-ingress", namespace: ns }, spec: { podSelector: {}, policyTypes: ["Ingress"] } } };
}

const messages = (resources: PolicyResource[], policy: string) => evaluate(resources).filter((v) => v.policy === policy).map((v) => v.message);

describe("policy pack rules", () => {
  it("declares the mandatory and advisory rules the issue lists", () => {
    expect(RULES.map((r) => `${r.enforcementLevel}:${r.name}`)).toEqual([
      "mandatory:container-resources",
      "mandatory:container-security",
      "mandatory:pinned-images",
      "mandatory:no-plaintext-secrets",
      "mandatory:namespace-default-deny",
      "mandatory:one-compactor-per-bucket",
      "mandatory:load-balancer-services",
      "advisory:pdb-for-replicated-statefulsets",
      "advisory:anti-affinity-medium-and-above",
    ]);
  });

  it("a compliant workload violates nothing", () => {
    expect(evaluate([deployment(SAFE_CONTAINER)])).toEqual([]);
  });

  it("container-resources: names the container and each missing request/limit", () => {
    const r = deployment({ ...SAFE_CONTAINER, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } });
    expect(messages([r], "container-resources")).toEqual(["Deployment helios-flows/app: container app has no resources.limits.cpu"]);
    const none = deployment({ ...SAFE_CONTAINER, resources: undefined });
    expect(messages([none], "container-resources")[0]).toBe(
      "Deployment helios-flows/app: container app has no resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory",
    );
  });

  it("container-security: root, privilege escalation and a writable root filesystem are refused; a reasoned annotation exempts the last", () => {
    const r = deployment({ ...SAFE_CONTAINER, securityContext: {} });
    expect(messages([r], "container-security")).toEqual([
      `Deployment helios-flows/app: container app may run as root (set runAsNonRoot: true); allows privilege escalation (set allowPrivilegeEscalation: false); has a writable root filesystem (set readOnlyRootFilesystem: true, or annotate ${WRITABLE_ROOT_ANNOTATION}: "app: <why the image needs it>")`,
    ]);
    const writable = { ...SAFE_CONTAINER, securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false } };
    expect(messages([deployment(writable, { annotations: { [WRITABLE_ROOT_ANNOTATION]: "app: writes its GeoIP databases to /usr/share" } })], "container-security")).toEqual([]);
    // An exemption without a reason exempts nothing.
    expect(messages([deployment(writable, { annotations: { [WRITABLE_ROOT_ANNOTATION]: "app:" } })], "container-security")).toHaveLength(1);
    // runAsUser 0 in the container overrides a pod-level runAsNonRoot.
    const pod = deployment({ ...SAFE_CONTAINER, securityContext: { ...SAFE_CONTAINER.securityContext, runAsNonRoot: undefined, runAsUser: 0 } });
    pod.props.spec.template.spec.securityContext = { runAsNonRoot: true };
    expect(messages([pod], "container-security")[0]).toContain("may run as root");
  });

  it("pinned-images: a floating or missing tag is refused, in a workload and in Helm values", () => {
    expect(messages([deployment({ ...SAFE_CONTAINER, image: "nginx:latest" })], "pinned-images")).toEqual([
      'Deployment helios-flows/app: container app image nginx:latest tag "latest" is not an exact version (pin a version such as 1.2.3 or a digest)',
    ]);
    expect(messages([deployment({ ...SAFE_CONTAINER, image: "registry:5000/team/app" })], "pinned-images")).toEqual([
      "Deployment helios-flows/app: container app image registry:5000/team/app has no tag (pulls :latest)",
    ]);
    const release: PolicyResource = { type: "kubernetes:helm.sh/v3:Release", name: "grafana", props: { name: "grafana", chart: "grafana", values: { image: { repository: "grafana/grafana", tag: "11" } } } };
    expect(messages([release], "pinned-images")).toEqual(['Helm release grafana: values image grafana/grafana:11 tag "11" is not an exact version (pin a version such as 1.2.3 or a digest)']);
    for (const ok of ["quay.io/thanos/thanos:v0.42.4", "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", `a/b:1.0@sha256:${"0".repeat(64)}`, "clickhouse/clickhouse-server:24.8.14.39-alpine"]) {
      expect(unpinnedReason(ok)).toBeUndefined();
    }
  });

  it("no-plaintext-secrets: credentials in a ConfigMap or a plain env value are refused; naming a Secret is not", () => {
    const cm: PolicyResource = { type: "kubernetes:core/v1:ConfigMap", name: "cfg", props: { metadata: { name: "cfg", namespace: "helios-collection" }, data: { snmpCommunity: "public", "ca.pem": "-----BEGIN RSA PRIVATE KEY-----\nabc" } } };
    expect(messages([cm], "no-plaintext-secrets")).toEqual([
      "ConfigMap helios-collection/cfg: key snmpCommunity looks like a credential; put it in a Secret",
      "ConfigMap helios-collection/cfg: key ca.pem holds secret material; put it in a Secret",
    ]);
    const env = deployment({ ...SAFE_CONTAINER, env: [{ name: "NETBOX_TOKEN", value: "Token 0123456789abcdef0123456789abcdef01234567" }, { name: "NETBOX_TOKEN_SECRET", value: "helios-netbox" }] });
    expect(messages([env], "no-plaintext-secrets")).toEqual([
      "Deployment helios-flows/app: container app env NETBOX_TOKEN is a plain value; take it from a Secret (valueFrom.secretKeyRef)",
    ]);
    const fromSecret = deployment({ ...SAFE_CONTAINER, env: [{ name: "NETBOX_TOKEN", valueFrom: { secretKeyRef: { name: "helios-netbox", key: "token" } } }] });
    expect(messages([fromSecret], "no-plaintext-secrets")).toEqual([]);
  });

  it("namespace-default-deny: a namespace without a default-deny ingress policy is named", () => {
    const allowAll = { ...defaultDeny("helios-storage"), props: { ...defaultDeny("helios-storage").props, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } } };
    expect(messages([namespace("helios-flows"), defaultDeny("helios-flows"), namespace("helios-storage"), allowAll], "namespace-default-deny")).toEqual([
      "Namespace helios-storage has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules)",
    ]);
  });

  it("one-compactor-per-bucket: a compactor on a bucket a peer stack already compacts is refused", () => {
    const bucket = "replicated-minio/helios-metrics";
    const secret: PolicyResource = { type: "kubernetes:core/v1:Secret", name: "thanos-objstore", props: { metadata: { name: "thanos-objstore", namespace: "helios-storage", annotations: { [BUCKET_IDENTITY_ANNOTATION]: bucket } } } };
    const thanos: PolicyResource = { type: "kubernetes:helm.sh/v3:Release", name: "thanos", props: { name: "thanos", chart: "thanos", namespace: "helios-storage", values: { objstoreConfig: { name: "thanos-objstore" }, compact: { enabled: true } } } };
    const peer = (compactor: boolean, b = bucket): PolicyResource => ({
      type: "pulumi:pulumi:StackReference",
      name: "peer-dc-b",
      props: { name: "organization/helios/dc-b", outputs: { federation: { compactor, objectStorage: { bucketIdentity: b } } } },
    });
    expect(messages([secret, thanos, peer(true)], "one-compactor-per-bucket")).toEqual([
      `2 Thanos compactors would write bucket ${bucket}: this stack's release thanos, peer stack organization/helios/dc-b; exactly one stack may compact a bucket`,
    ]);
    expect(messages([secret, thanos, peer(false)], "one-compactor-per-bucket")).toEqual([]);
    expect(messages([secret, thanos, peer(true, "minio/https://s3.dc-b/helios-metrics")], "one-compactor-per-bucket")).toEqual([]);
  });

  it("load-balancer-services: only goflow2 may be a LoadBalancer, and only with externalTrafficPolicy Local", () => {
    const svc = (ns: string, name: string, etp?: string): PolicyResource => ({ type: "kubernetes:core/v1:Service", name, props: { metadata: { name, namespace: ns }, spec: { type: "LoadBalancer", externalTrafficPolicy: etp } } });
    expect(messages([svc("helios-visualization", "grafana", "Local")], "load-balancer-services")).toEqual([
      "Service helios-visualization/grafana: type LoadBalancer is allowed only for helios-flows/goflow2; use ClusterIP behind the ingress",
    ]);
    expect(messages([svc("helios-flows", "goflow2", "Cluster")], "load-balancer-services")).toEqual([
      "Service helios-flows/goflow2: a LoadBalancer needs externalTrafficPolicy: Local (keeps the device's source address)",
    ]);
    expect(messages([svc("helios-flows", "goflow2", "Local")], "load-balancer-services")).toEqual([]);
  });

  it("pdb-for-replicated-statefulsets (advisory): a replicated StatefulSet without a matching PDB is named", () => {
    const sts: PolicyResource = { type: "kubernetes:apps/v1:StatefulSet", name: "gnmic", props: { metadata: { name: "gnmic", namespace: "helios-collection" }, spec: { replicas: 2, template: { metadata: { labels: { app: "gnmic" } } } } } };
    const v = evaluate([sts]).filter((x) => x.policy === "pdb-for-replicated-statefulsets");
    expect(v).toEqual([
      { policy: "pdb-for-replicated-statefulsets", enforcementLevel: "advisory", resource: "kubernetes:apps/v1:StatefulSet::gnmic", message: "StatefulSet helios-collection/gnmic runs 2 replicas without a PodDisruptionBudget; a drain may take several down at once" },
    ]);
    const pdb: PolicyResource = { type: "kubernetes:policy/v1:PodDisruptionBudget", name: "gnmic", props: { metadata: { namespace: "helios-collection" }, spec: { selector: { matchLabels: { app: "gnmic" } } } } };
    expect(messages([sts, pdb], "pdb-for-replicated-statefulsets")).toEqual([]);
  });

  it("anti-affinity-medium-and-above (advisory): replicated workloads at medium and above spread their pods; small is left alone", () => {
    const twice = deployment(SAFE_CONTAINER, { replicas: 2 });
    expect(messages([namespace("helios-flows", "medium"), twice], "anti-affinity-medium-and-above")).toEqual([
      "Deployment helios-flows/app runs 2 replicas at tier medium without pod anti-affinity; one node loss may take all of them",
    ]);
    expect(messages([namespace("helios-flows", "small"), twice], "anti-affinity-medium-and-above")).toEqual([]);
    const spread = deployment(SAFE_CONTAINER, { replicas: 2, affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } } });
    expect(messages([namespace("helios-flows", "xl"), spread], "anti-affinity-medium-and-above")).toEqual([]);
    expect(evaluate([namespace("helios-flows", "large"), defaultDeny("helios-flows"), twice])).toEqual([
      expect.objectContaining({ policy: "anti-affinity-medium-and-above", enforcementLevel: "advisory", resource: "kubernetes:apps/v1:Deployment::app" }),
    ]);
  });
});
