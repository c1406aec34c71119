/**
 * One Job per execution: the operator's own image with the `run` subcommand. backoffLimit lets a
 * lost pod be replaced; the runner then resumes from status and never repeats a step.
 */
import type { V1Job } from "@kubernetes/client-node";
import { API_VERSION, RunbookExecution } from "./types";

export interface JobSettings {
  image: string;
  serviceAccountName: string;
  /** Secret with gNMI `username` and `password` keys. */
  credentialsSecret?: string;
  /** Env passed through to the runner (Thanos Query, Alertmanager, NetBox URLs, gNMI TLS mode). */
  env: Record<string, string>;
  /** Secret with the NetBox `token` key. */
  netboxTokenSecret?: string;
  activeDeadlineSeconds: number;
}

export function jobName(execution: string): string {
  const base = `rbx-${execution}`;
  return base.length <= 63 ? base : base.slice(0, 63).replace(/-+$/, "");
}

export function buildJob(ex: RunbookExecution, s: JobSettings): V1Job {
  const env = Object.entries(s.env).map(([name, value]) => ({ name, value }));
  if (s.credentialsSecret) {
    env.push(
      { name: "GNMI_USERNAME", valueFrom: { secretKeyRef: { name: s.credentialsSecret, key: "username" } } } as never,
      { name: "GNMI_PASSWORD", valueFrom: { secretKeyRef: { name: s.credentialsSecret, key: "password" } } } as never,
    );
  }
  if (s.netboxTokenSecret) env.push({ name: "NETBOX_TOKEN", valueFrom: { secretKeyRef: { name: s.netboxTokenSecret, key: "token" } } } as never);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(ex.metadata.name),
      namespace: ex.metadata.namespace,
      labels: { "app.kubernetes.io/part-of": "helios", "app.kubernetes.io/component": "runbook-runner", "automation.helios.io/execution": ex.metadata.name },
      ownerReferences: [{ apiVersion: API_VERSION, kind: "RunbookExecution", name: ex.metadata.name, uid: ex.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: s.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels: { "app.kubernetes.io/part-of": "helios", "app.kubernetes.io/component": "runbook-runner", "automation.helios.io/execution": ex.metadata.name } },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: s.serviceAccountName,
          automountServiceAccountToken: true,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "runner",
              image: s.image,
              args: ["run", "--namespace", ex.metadata.namespace!, "--execution", ex.metadata.name],
              env,
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}
