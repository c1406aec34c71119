/**
 * Workload builders every Helios component uses (issue 18): the restricted container and pod
 * security contexts, a PodMonitor, a CPU HorizontalPodAutoscaler and a PodDisruptionBudget.
 * One shape each, so a hardening or a monitoring change is made once. Sizes are not here: they
 * come from components/tiers.ts (the tier's table, or FIXED_RESOURCES for the ones that do not
 * grow with the tier).
 *
 * Helm-chart workloads (Prometheus, Thanos, Grafana, the operators) get their security contexts
 * from their charts' values, not from these builders.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HpaRange } from "../tiers";

/**
 * The Pod Security Standards "restricted" container: no privilege escalation, read-only root,
 * non-root, no capabilities, the runtime's default seccomp profile. Set on every container, so a
 * container is restricted on its own and not only through its pod's securityContext.
 */
export const RESTRICTED_CONTAINER = Object.freeze({
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: Object.freeze({ drop: Object.freeze(["ALL"]) }),
  seccompProfile: Object.freeze({ type: "RuntimeDefault" }),
}) as k8s.types.input.core.v1.SecurityContext;

/** User, group and volume group a pod runs as. */
export interface PodIdentity {
  /** UID of every container (the image's non-root user). */
  readonly user: number;
  /** Primary GID; left out when the image's own group is right. */
  readonly group?: number;
  /** GID that owns mounted volumes (for workloads that write to a volume). */
  readonly fsGroup?: number;
}

/** The restricted pod securityContext: non-root as `id`, the runtime's default seccomp profile. */
export function restrictedPod(id: PodIdentity): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: id.user,
    ...(id.group !== undefined ? { runAsGroup: id.group } : {}),
    ...(id.fsGroup !== undefined ? { fsGroup: id.fsGroup } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** One scrape endpoint of a PodMonitor. */
export interface MetricsEndpoint {
  /** Named container port. */
  readonly port: string;
  /** Path; /metrics unless given. */
  readonly path?: string;
  /** Scrape interval; Prometheus' default unless given. */
  readonly interval?: string;
}

export interface PodMonitorArgs {
  /** Kubernetes name of the PodMonitor. */
  readonly name: string;
  /** Namespace of the PodMonitor and of the pods it selects. */
  readonly namespace: pulumi.Input<string>;
  /** Labels of the PodMonitor itself. */
  readonly labels: Record<string, string>;
  /** Pods to scrape. */
  readonly selector: k8s.types.input.meta.v1.LabelSelector;
  /** Endpoints on each selected pod. */
  readonly endpoints: readonly MetricsEndpoint[];
  /** Pod label whose value becomes the `job` label (Prometheus operator's jobLabel). */
  readonly jobLabel?: string;
}

/** A monitoring.coreos.com/v1 PodMonitor; `opts.dependsOn` must include the release installing its CRD. */
export function podMonitor(resourceName: string, args: PodMonitorArgs, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      spec: {
        ...(args.jobLabel !== undefined ? { jobLabel: args.jobLabel } : {}),
        selector: args.selector,
        podMetricsEndpoints: args.endpoints.map((e) => ({ port: e.port, path: e.path ?? "/metrics", ...(e.interval !== undefined ? { interval: e.interval } : {}) })),
      },
    },
    opts,
  );
}

export interface CpuHpaArgs {
  /** Kubernetes name of the HPA (the workload's name). */
  readonly name: string;
  /** Namespace of the HPA and its workload. */
  readonly namespace: pulumi.Input<string>;
  /** Labels of the HPA itself. */
  readonly labels: Record<string, string>;
  /** Kind of the scaled workload. */
  readonly kind: "Deployment" | "StatefulSet";
  /** Name of the scaled workload. */
  readonly target: pulumi.Input<string>;
  /** Replica bounds and CPU target, from the tier. */
  readonly range: HpaRange;
}

/** An autoscaling/v2 HPA on average CPU utilisation; the workload should ignore `spec.replicas` changes. */
export function cpuHpa(resourceName: string, args: CpuHpaArgs, opts: pulumi.CustomResourceOptions): k8s.autoscaling.v2.HorizontalPodAutoscaler {
  return new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    resourceName,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: args.kind, name: args.target },
        minReplicas: args.range.min,
        maxReplicas: args.range.max,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.range.targetCpuPercent } } }],
      },
    },
    opts,
  );
}

export interface PdbArgs {
  /** Kubernetes name of the PDB (the workload's name). */
  readonly name: string;
  /** Namespace of the PDB and its pods. */
  readonly namespace: pulumi.Input<string>;
  /** Labels of the PDB itself. */
  readonly labels: Record<string, string>;
  /** The workload's pod labels. */
  readonly selector: Record<string, string>;
  /** Pods that may be down at once during voluntary disruptions. */
  readonly maxUnavailable: number;
}

/** A policy/v1 PodDisruptionBudget by maxUnavailable. */
export function pdb(resourceName: string, args: PdbArgs, opts: pulumi.CustomResourceOptions): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    resourceName,
    { metadata: { name: args.name, namespace: args.namespace, labels: args.labels }, spec: { maxUnavailable: args.maxUnavailable, selector: { matchLabels: args.selector } } },
    opts,
  );
}
