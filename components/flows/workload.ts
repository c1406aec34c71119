/** Small builders the flow workloads share: an HPA on CPU and a PodMonitor on a named port. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { HpaRange } from "../tiers";
import { FLOWS_NS } from "./names";

export function cpuHpa(name: string, target: string, hpa: HpaRange, parent: pulumi.Resource, dependsOn: pulumi.Resource[]) {
  return new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    name,
    {
      metadata: { name: target, namespace: FLOWS_NS, labels: commonLabels(target) },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
        minReplicas: hpa.min,
        maxReplicas: hpa.max,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: hpa.targetCpuPercent } } }],
      },
    },
    { parent, dependsOn },
  );
}

export function podMonitor(name: string, app: string, port: string, parent: pulumi.Resource, dependsOn: pulumi.Resource[]) {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: app, namespace: FLOWS_NS, labels: commonLabels(app) },
      spec: { selector: { matchLabels: { "app.kubernetes.io/name": app } }, podMetricsEndpoints: [{ port, path: "/metrics" }] },
    },
    { parent, dependsOn },
  );
}

export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
