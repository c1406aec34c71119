/**
 * The Helios policy rules, as plain functions over resources. One source for both runners:
 * policy/index.ts wraps them in a @pulumi/policy PolicyPack (run by the Pulumi CLI on every
 * preview and update), and scripts/lib/policy-check.ts runs them over the offline plan.
 *
 * What they can see: the objects the program declares (Deployments, StatefulSets, Services, ...)
 * and the values it passes to Helm releases. Pods a chart or an operator renders later (Strimzi's
 * Kafka, the ClickHouse operator, the charts' own workloads) are not visible to a policy pack; the
 * image rule still checks the images named in Helm values.
 */
import { GOFLOW2_SERVICE, FLOWS_NS } from "../components/flows/names";
import { BUCKET_IDENTITY_ANNOTATION, TIER_LABEL } from "../components/labels";
import { TIER_NAMES } from "../components/tiers";

/** A resource as a policy sees it: Pulumi type token, logical name, and its (input) properties. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
}

export type EnforcementLevel = "mandatory" | "advisory";

/** One violation: which resource and why. */
export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  /** `type::name` of the offending resource (or of the stack, for stack-wide rules). */
  readonly resource: string;
  readonly message: string;
}

export interface ResourceRule {
  readonly kind: "resource";
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** Messages for one resource; empty when it complies. */
  check(r: PolicyResource): string[];
}

export interface StackRule {
  readonly kind: "stack";
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** Violations over all the stack's resources, each naming the resource it is about. */
  check(resources: readonly PolicyResource[]): { resource: PolicyResource; message: string }[];
}

export type Rule = ResourceRule | StackRule;

/**
 * Annotation on a workload naming containers whose image cannot run with a read-only root
 * filesystem, and why: `"<container>[,<container>]: <reason>"`. The reason is required.
 */
export const WRITABLE_ROOT_ANNOTATION = "policy.helios.io/writable-root-filesystem";

/** LoadBalancer Services the design needs (namespace/name): goflow2 receives flows from devices. */
export const LOAD_BALANCER_ALLOWED: readonly string[] = [`${FLOWS_NS}/${GOFLOW2_SERVICE}`];

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];

/** "kubernetes:apps/v1:Deployment" -> "Deployment"; undefined for non-Kubernetes types. */
export function kubeKind(type: string): string | undefined {
  const m = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(type);
  return m ? m[1] : undefined;
}

function podSpec(r: PolicyResource): Record<string, any> | undefined {
  const kind = kubeKind(r.type);
  if (!kind || !WORKLOAD_KINDS.includes(kind)) return undefined;
  if (kind === "Pod") return r.props.spec;
  if (kind === "CronJob") return r.props.spec?.jobTemplate?.spec?.template?.spec;
  return r.props.spec?.template?.spec;
}

function containers(spec: Record<string, any>): Record<string, any>[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter((c) => c && typeof c === "object");
}

function where(r: PolicyResource): string {
  const md = r.props.metadata ?? {};
  return md.namespace ? `${md.namespace}/${md.name ?? r.name}` : String(md.name ?? r.name);
}

function writableRootContainers(r: PolicyResource): Set<string> {
  const raw = r.props.metadata?.annotations?.[WRITABLE_ROOT_ANNOTATION];
  if (typeof raw !== "string") return new Set();
  const colon = raw.indexOf(":");
  if (colon < 0 || raw.slice(colon + 1).trim() === "") return new Set(); // no reason given: no exemption
  return new Set(raw.slice(0, colon).split(",").map((s) => s.trim()).filter(Boolean));
}

const containerResources: ResourceRule = {
  kind: "resource",
  name: "container-resources",
  description: "Every container sets CPU and memory requests and limits.",
  enforcementLevel: "mandatory",
  check(r) {
    const spec = podSpec(r);
    if (!spec) return [];
    const out: string[] = [];
    for (const c of containers(spec)) {
      const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((p) => {
        const [a, b] = p.split(".");
        return c.resources?.[a]?.[b] === undefined || c.resources?.[a]?.[b] === null || c.resources?.[a]?.[b] === "";
      });
      if (missing.length) out.push(`${kubeKind(r.type)} ${where(r)}: container ${c.name} has no resources.${missing.join(", resources.")}`);
    }
    return out;
  },
};

const containerSecurity: ResourceRule = {
  kind: "resource",
  name: "container-security",
  description: `Every container runs as non-root, without privilege escalation, with a read-only root filesystem unless ${WRITABLE_ROOT_ANNOTATION} names it with a reason.`,
  enforcementLevel: "mandatory",
  check(r) {
    const spec = podSpec(r);
    if (!spec) return [];
    const out: string[] = [];
    const writable = writableRootContainers(r);
    const podNonRoot = spec.securityContext?.runAsNonRoot === true || (typeof spec.securityContext?.runAsUser === "number" && spec.securityContext.runAsUser > 0);
    for (const c of containers(spec)) {
      const sc = c.securityContext ?? {};
      const problems: string[] = [];
      const nonRoot = sc.runAsNonRoot === true || (typeof sc.runAsUser === "number" && sc.runAsUser > 0) || (podNonRoot && sc.runAsNonRoot !== false && sc.runAsUser !== 0);
      if (!nonRoot) problems.push("may run as root (set runAsNonRoot: true)");
      if (sc.privileged === true) problems.push("is privileged");
      if (sc.allowPrivilegeEscalation !== false) problems.push("allows privilege escalation (set allowPrivilegeEscalation: false)");
      if (sc.readOnlyRootFilesystem !== true && !writable.has(c.name)) {
        problems.push(`has a writable root filesystem (set readOnlyRootFilesystem: true, or annotate ${WRITABLE_ROOT_ANNOTATION}: "${c.name}: <why the image needs it>")`);
      }
      if (problems.length) out.push(`${kubeKind(r.type)} ${where(r)}: container ${c.name} ${problems.join("; ")}`);
    }
    return out;
  },
};

/**
 * An exact version tag: 1.2.3, v0.42.4, 24.8.14.39-alpine, or MinIO's release stamps
 * (RELEASE.2025-09-07T16-13-09Z) — not latest/stable/main or a bare major.
 */
const EXACT_VERSION_TAG = /^(v?[0-9]+\.[0-9]+(\.[0-9]+)*([-+_.][A-Za-z0-9._-]+)?|RELEASE\.[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z)$/;

/** Why an image reference is not pinned, or undefined when it is (digest, or exact version tag). */
export function unpinnedReason(image: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return "has no tag (pulls :latest)";
  const tag = image.slice(colon + 1);
  return EXACT_VERSION_TAG.test(tag) ? undefined : `tag "${tag}" is not an exact version (pin a version such as 1.2.3 or a digest)`;
}

/** Images named in manifests and Helm values: `image: "repo:tag"` or `{registry?, repository, tag|digest}`. */
export function imagesIn(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x));
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.repository === "string" && /image/i.test(key ?? "")) {
        const repo = typeof o.registry === "string" && o.registry ? `${o.registry}/${o.repository}` : o.repository;
        if (typeof o.digest === "string" && o.digest) found.push(`${repo}@${o.digest}`);
        else if (typeof o.tag === "string" || typeof o.tag === "number") found.push(`${repo}:${o.tag}`);
        else found.push(repo);
      }
      for (const [k, child] of Object.entries(o)) walk(child, k);
      return;
    }
    if (typeof v === "string" && key !== undefined && /^image$/i.test(key)) found.push(v);
  };
  walk(value);
  return found;
}

const pinnedImages: ResourceRule = {
  kind: "resource",
  name: "pinned-images",
  description: "Images are pinned by digest or an exact version tag.",
  enforcementLevel: "mandatory",
  check(r) {
    const spec = podSpec(r);
    const isRelease = r.type === "kubernetes:helm.sh/v3:Release";
    if (!spec && !isRelease) return [];
    const images = spec ? containers(spec).map((c) => ({ image: c.image, owner: `container ${c.name}` })) : imagesIn(r.props.values).map((image) => ({ image, owner: "values" }));
    const out: string[] = [];
    for (const { image, owner } of images) {
      if (typeof image !== "string") continue; // unknown during preview
      const why = unpinnedReason(image);
      if (why) out.push(`${isRelease ? `Helm release ${r.props.name ?? r.name}` : `${kubeKind(r.type)} ${where(r)}`}: ${owner} image ${image} ${why}`);
    }
    return out;
  },
};

/**
 * Key names that hold credentials. A bare `_SECRET` suffix is left out: such keys name a Secret
 * (NETBOX_TOKEN_SECRET=helios-netbox) rather than hold one.
 */
const SECRET_KEY_NAME = /(^secret|pass(word|wd)?|token|api[-_]?key|credentials?|private[-_]?key|community|client[-_]?secret|secret[-_]?(access[-_]?)?key)$/i;
/** Values that are credentials whatever their key. */
const SECRET_VALUE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|PLAN-PLACEHOLDER\(helios:|GENERATED-AT-DEPLOY\(|^Token [0-9a-f]{40}$|^nbt_[A-Za-z0-9]/;

const noSecretsInPlainConfig: ResourceRule = {
  kind: "resource",
  name: "no-plaintext-secrets",
  description: "No Secret data in ConfigMaps or in plain container environment values; credentials come from Secrets.",
  enforcementLevel: "mandatory",
  check(r) {
    const out: string[] = [];
    const kind = kubeKind(r.type);
    if (kind === "ConfigMap") {
      for (const [k, v] of Object.entries({ ...(r.props.data ?? {}), ...(r.props.binaryData ?? {}) })) {
        if (SECRET_KEY_NAME.test(k)) out.push(`ConfigMap ${where(r)}: key ${k} looks like a credential; put it in a Secret`);
        else if (typeof v === "string" && SECRET_VALUE.test(v)) out.push(`ConfigMap ${where(r)}: key ${k} holds secret material; put it in a Secret`);
      }
    }
    const spec = podSpec(r);
    if (spec) {
      for (const c of containers(spec)) {
        for (const e of c.env ?? []) {
          if (e && typeof e.value === "string" && e.value !== "" && (SECRET_KEY_NAME.test(e.name) || SECRET_VALUE.test(e.value))) {
            out.push(`${kind} ${where(r)}: container ${c.name} env ${e.name} is a plain value; take it from a Secret (valueFrom.secretKeyRef)`);
          }
        }
      }
    }
    return out;
  },
};

const loadBalancers: ResourceRule = {
  kind: "resource",
  name: "load-balancer-services",
  description: `Services of type LoadBalancer only where the design needs them (${LOAD_BALANCER_ALLOWED.join(", ")}), with externalTrafficPolicy: Local.`,
  enforcementLevel: "mandatory",
  check(r) {
    if (kubeKind(r.type) !== "Service" || r.props.spec?.type !== "LoadBalancer") return [];
    const id = where(r);
    if (!LOAD_BALANCER_ALLOWED.includes(id)) return [`Service ${id}: type LoadBalancer is allowed only for ${LOAD_BALANCER_ALLOWED.join(", ")}; use ClusterIP behind the ingress`];
    if (r.props.spec?.externalTrafficPolicy !== "Local") return [`Service ${id}: a LoadBalancer needs externalTrafficPolicy: Local (keeps the device's source address)`];
    return [];
  },
};

function isDefaultDenyIngress(np: PolicyResource): boolean {
  const spec = np.props.spec ?? {};
  const selectsAll = spec.podSelector && Object.keys(spec.podSelector.matchLabels ?? {}).length === 0 && (spec.podSelector.matchExpressions ?? []).length === 0;
  return !!selectsAll && Array.isArray(spec.policyTypes) && spec.policyTypes.includes("Ingress") && (spec.ingress ?? []).length === 0;
}

const namespaceDefaultDeny: StackRule = {
  kind: "stack",
  name: "namespace-default-deny",
  description: "Every namespace the stack creates has a default-deny ingress NetworkPolicy.",
  enforcementLevel: "mandatory",
  check(resources) {
    const denied = new Set(resources.filter((r) => kubeKind(r.type) === "NetworkPolicy" && isDefaultDenyIngress(r)).map((r) => r.props.metadata?.namespace));
    return resources
      .filter((r) => kubeKind(r.type) === "Namespace" && typeof r.props.metadata?.name === "string" && !denied.has(r.props.metadata.name))
      .map((r) => ({ resource: r, message: `Namespace ${r.props.metadata.name} has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules)` }));
  },
};

const oneCompactorPerBucket: StackRule = {
  kind: "stack",
  name: "one-compactor-per-bucket",
  description: "At most one Thanos compactor per bucket across the stacks that share it.",
  enforcementLevel: "mandatory",
  check(resources) {
    const secrets = resources.filter((r) => kubeKind(r.type) === "Secret");
    const owners = new Map<string, string[]>();
    let first: PolicyResource | undefined;
    for (const r of resources) {
      if (r.type !== "kubernetes:helm.sh/v3:Release" || r.props.chart !== "thanos" || r.props.values?.compact?.enabled !== true) continue;
      const secretName = r.props.values?.objstoreConfig?.name;
      const secret = secrets.find((s) => s.props.metadata?.name === secretName && s.props.metadata?.namespace === r.props.namespace);
      const bucket = secret?.props.metadata?.annotations?.[BUCKET_IDENTITY_ANNOTATION] ?? `unknown bucket (Secret ${r.props.namespace}/${secretName})`;
      owners.set(bucket, [...(owners.get(bucket) ?? []), `this stack's release ${r.props.name ?? r.name}`]);
      first ??= r;
    }
    for (const ref of resources.filter((r) => r.type === "pulumi:pulumi:StackReference")) {
      const fed = ref.props.outputs?.federation;
      if (fed?.compactor === true && typeof fed.objectStorage?.bucketIdentity === "string" && owners.has(fed.objectStorage.bucketIdentity)) {
        owners.get(fed.objectStorage.bucketIdentity)!.push(`peer stack ${ref.props.name ?? ref.name}`);
      }
    }
    return [...owners]
      .filter(([, who]) => who.length > 1)
      .map(([bucket, who]) => ({ resource: first!, message: `${who.length} Thanos compactors would write bucket ${bucket}: ${who.join(", ")}; exactly one stack may compact a bucket` }));
  },
};

function selects(selector: Record<string, any> | undefined, labels: Record<string, string>): boolean {
  const ml = selector?.matchLabels ?? {};
  return Object.keys(ml).length > 0 && Object.entries(ml).every(([k, v]) => labels[k] === v);
}

const pdbForReplicatedStatefulSets: StackRule = {
  kind: "stack",
  name: "pdb-for-replicated-statefulsets",
  description: "A StatefulSet with more than one replica has a PodDisruptionBudget.",
  enforcementLevel: "advisory",
  check(resources) {
    const pdbs = resources.filter((r) => kubeKind(r.type) === "PodDisruptionBudget");
    return resources
      .filter((r) => kubeKind(r.type) === "StatefulSet" && typeof r.props.spec?.replicas === "number" && r.props.spec.replicas > 1)
      .filter((r) => !pdbs.some((p) => p.props.metadata?.namespace === r.props.metadata?.namespace && selects(p.props.spec?.selector, r.props.spec?.template?.metadata?.labels ?? {})))
      .map((r) => ({ resource: r, message: `StatefulSet ${where(r)} runs ${r.props.spec.replicas} replicas without a PodDisruptionBudget; a drain may take several down at once` }));
  },
};

const antiAffinity: StackRule = {
  kind: "stack",
  name: "anti-affinity-medium-and-above",
  description: "At tier medium and above, replicated Deployments and StatefulSets spread their pods with pod anti-affinity.",
  enforcementLevel: "advisory",
  check(resources) {
    const tierOf = new Map<string, string>();
    for (const ns of resources.filter((r) => kubeKind(r.type) === "Namespace")) tierOf.set(ns.props.metadata?.name, ns.props.metadata?.labels?.[TIER_LABEL]);
    const atLeastMedium = (tier: string | undefined) => tier !== undefined && TIER_NAMES.indexOf(tier as (typeof TIER_NAMES)[number]) >= TIER_NAMES.indexOf("medium");
    return resources
      .filter((r) => ["Deployment", "StatefulSet"].includes(kubeKind(r.type) ?? "") && typeof r.props.spec?.replicas === "number" && r.props.spec.replicas > 1)
      .filter((r) => atLeastMedium(tierOf.get(r.props.metadata?.namespace)))
      .filter((r) => !r.props.spec?.template?.spec?.affinity?.podAntiAffinity && !(r.props.spec?.template?.spec?.topologySpreadConstraints ?? []).length)
      .map((r) => ({
        resource: r,
        message: `${kubeKind(r.type)} ${where(r)} runs ${r.props.spec.replicas} replicas at tier ${tierOf.get(r.props.metadata?.namespace)} without pod anti-affinity; one node loss may take all of them`,
      }));
  },
};

/** Every rule, mandatory first. */
export const RULES: readonly Rule[] = [
  containerResources,
  containerSecurity,
  pinnedImages,
  noSecretsInPlainConfig,
  namespaceDefaultDeny,
  oneCompactorPerBucket,
  loadBalancers,
  pdbForReplicatedStatefulSets,
  antiAffinity,
];

/** Runs every rule over a stack's resources (the offline plan's runner; the CLI runs them through index.ts). */
export function evaluate(resources: readonly PolicyResource[], rules: readonly Rule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const rule of rules) {
    if (rule.kind === "resource") {
      for (const r of resources) for (const message of rule.check(r)) out.push({ policy: rule.name, enforcementLevel: rule.enforcementLevel, resource: `${r.type}::${r.name}`, message });
    } else {
      for (const v of rule.check(resources)) out.push({ policy: rule.name, enforcementLevel: rule.enforcementLevel, resource: `${v.resource.type}::${v.resource.name}`, message: v.message });
    }
  }
  return out;
}
