/**
 * Script steps: "a constrained container command". Each script step runs as its own Job (one pod,
 * never retried: backoffLimit 0, so a script never runs twice) created by the runner, with a spec
 * the Runbook cannot widen: an image from the operator's allow-list (pinned by digest or exact
 * tag), non-root, read-only root filesystem, no privilege escalation, every capability dropped,
 * RuntimeDefault seccomp, resource limits, the step's timeout as activeDeadlineSeconds, no service
 * account token and no service links. The only writable place is an emptyDir at /tmp.
 *
 * The runner waits for the pod to terminate, takes its exit code from the pod status and its
 * output from the pod log (pods/log, bounded by limitBytes), and records both in the step.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { createHash } from "crypto";
// Type-only: the CLI loads @kubernetes/client-node lazily (see cli.ts), and steps.ts imports this module.
import type { Kube } from "./kube";
import { API_VERSION, RunbookExecution, Step } from "./types";

/** Labels that select script Jobs and their pods. */
export const SCRIPT_COMPONENT = "runbook-script";
/** Bytes of a script's log kept in the step's output (the audit record gets the same bound). */
export const SCRIPT_LOG_BYTES = 16 * 1024;
/** Seconds the runner waits beyond a script's own deadline for its pod to be reported. */
const SCRIPT_GRACE_SECONDS = 60;
const POLL_MS = 250;

/**
 * Parses SCRIPT_IMAGES (comma or whitespace separated). Each entry must be pinned: `repo@sha256:<64 hex>`
 * or `repo:<tag>` with a tag other than `latest`; anything else is refused with the entry named.
 */
export function parseScriptImages(text: string | undefined): string[] {
  const images = (text ?? "").split(/[\s,]+/).filter((s) => s !== "");
  for (const image of images) {
    const problem = unpinned(image);
    if (problem) throw new Error(`SCRIPT_IMAGES entry ${JSON.stringify(image)} ${problem}`);
  }
  return images;
}

function unpinned(image: string): string | undefined {
  const at = image.indexOf("@");
  if (at >= 0) return /^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1)) ? undefined : "has a digest that is not sha256:<64 hex digits>";
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon <= slash) return "has no tag or digest (pin it as repo:tag or repo@sha256:...)";
  const tag = image.slice(colon + 1);
  if (tag === "latest") return "uses the moving tag latest (pin an exact tag or a digest)";
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) ? undefined : `has an invalid tag ${JSON.stringify(tag)}`;
}

/** Why a script step's image may not run, or undefined when it is on the allow-list. */
export function scriptImageProblem(image: string, allowed: readonly string[]): string | undefined {
  if (allowed.includes(image)) return undefined;
  if (allowed.length === 0) return `script image ${image} is not allowed: the operator's script image allow-list (SCRIPT_IMAGES) is empty`;
  return `script image ${image} is not on the operator's script image allow-list (SCRIPT_IMAGES: ${allowed.join(", ")})`;
}

/** Deterministic per execution, device, step and direction, so a restarted runner finds the same Job. */
export function scriptJobName(execution: string, device: string, step: string, rollback: boolean): string {
  const hash = createHash("sha256").update(`${execution}\n${device}\n${step}\n${rollback}`).digest("hex").slice(0, 10);
  const base = `rbs-${execution}`.slice(0, 63 - hash.length - 1).replace(/-+$/, "");
  return `${base}-${hash}`;
}

export interface ScriptJobInput {
  execution: RunbookExecution;
  device: string;
  step: Step;
  rollback: boolean;
  /** The step's command and args with templates rendered. */
  command: string[];
  args: string[];
  timeoutSeconds: number;
}

export function buildScriptJob(i: ScriptJobInput): V1Job {
  const ex = i.execution;
  const labels = {
    "app.kubernetes.io/part-of": "helios",
    "app.kubernetes.io/component": SCRIPT_COMPONENT,
    "automation.helios.io/execution": ex.metadata.name,
  };
  const requested = i.step.script!.securityContext ?? {};
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: scriptJobName(ex.metadata.name, i.device, i.step.name, i.rollback),
      namespace: ex.metadata.namespace,
      labels,
      annotations: { "automation.helios.io/step": i.step.name, "automation.helios.io/device": i.device, "automation.helios.io/rollback": String(i.rollback) },
      ownerReferences: [{ apiVersion: API_VERSION, kind: "RunbookExecution", name: ex.metadata.name, uid: ex.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      // A script may have reached a device: it is never retried.
      backoffLimit: 0,
      activeDeadlineSeconds: i.timeoutSeconds,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "script",
              image: i.step.script!.image,
              command: i.command,
              args: i.args,
              // The log tail becomes the termination message when the script fails without writing one.
              terminationMessagePolicy: "FallbackToLogsOnError",
              resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi", "ephemeral-storage": "64Mi" } },
              securityContext: {
                // A runbook may only narrow these (admission refuses the rest); the runAsUser it asks for is kept.
                ...(typeof requested.runAsUser === "number" && requested.runAsUser !== 0 ? { runAsUser: requested.runAsUser } : {}),
                runAsNonRoot: true,
                privileged: false,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
        },
      },
    },
  };
}

export interface ScriptOutcome {
  ok: boolean;
  exitCode?: number;
  log: string;
  truncated: boolean;
  job: string;
  pod?: string;
  error?: string;
}

/** Creates the script's Job, waits for its pod to end, and collects exit code and log. */
export async function runScriptJob(kube: Kube, input: ScriptJobInput, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<ScriptOutcome> {
  const job = buildScriptJob(input);
  const namespace = job.metadata!.namespace!;
  const name = job.metadata!.name!;
  try {
    await kube.batch.createNamespacedJob({ namespace, body: job });
  } catch (e) {
    // The runner records a step as Running before this call and never re-runs a Running step,
    // so an existing Job here is one this very attempt created (a retried request).
    if ((e as { code?: number }).code !== 409) throw new Error(`script Job ${name} could not be created: ${(e as Error).message}`);
  }
  const deadline = Date.now() + (input.timeoutSeconds + SCRIPT_GRACE_SECONDS) * 1000;
  for (;;) {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` });
    const pod = pods.items.find((p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed");
    if (pod) return collect(kube, name, pod);
    const current = await kube.batch.readNamespacedJob({ namespace, name });
    const failed = current.status?.conditions?.find((c) => (c.type === "Failed" || c.type === "FailureTarget") && c.status === "True");
    if (failed) return { ok: false, log: "", truncated: false, job: name, error: `script Job ${name} failed (${failed.reason ?? "unknown"}): ${failed.message ?? ""}`.trim() };
    if (Date.now() > deadline) return { ok: false, log: "", truncated: false, job: name, error: `script Job ${name} did not finish within ${input.timeoutSeconds}s (+${SCRIPT_GRACE_SECONDS}s grace): no terminated pod` };
    await sleep(POLL_MS);
  }
}

async function collect(kube: Kube, job: string, pod: V1Pod): Promise<ScriptOutcome> {
  const namespace = pod.metadata!.namespace!;
  const podName = pod.metadata!.name!;
  const status = pod.status?.containerStatuses?.find((c) => c.name === "script");
  const terminated = status?.state?.terminated;
  let log = "";
  let logError: string | undefined;
  try {
    log = await kube.core.readNamespacedPodLog({ namespace, name: podName, container: "script", limitBytes: SCRIPT_LOG_BYTES + 1 });
  } catch (e) {
    logError = `log unavailable: ${(e as Error).message}`;
    log = terminated?.message ?? "";
  }
  const truncated = log.length > SCRIPT_LOG_BYTES;
  if (truncated) log = log.slice(0, SCRIPT_LOG_BYTES);
  const exitCode = terminated?.exitCode;
  const ok = pod.status?.phase === "Succeeded" && exitCode === 0;
  const error = ok ? undefined : `script exited ${exitCode ?? "without an exit code"}${terminated?.reason ? ` (${terminated.reason})` : ""}${logError ? `; ${logError}` : ""}`;
  return { ok, exitCode, log, truncated, job, pod: podName, error };
}
