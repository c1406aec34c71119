/**
 * The full record of an execution lives in a ConfigMap `<execution>-audit` next to it (owned by
 * the execution, so it goes when the execution is deleted): plan.json (the runbook spec,
 * parameters and devices as resolved, i.e. what was approved) and one key per event — every
 * phase transition, approval, refusal and step result with its untruncated device response.
 * One key per event means writers merge-patch without read-modify-write races; key names sort
 * chronologically. A ConfigMap holds 1 MiB: device responses are capped at 64 KiB per step.
 */
import { Kube } from "./kube";
import { API_VERSION, RunbookExecution } from "./types";

export const MAX_EVENT_BYTES = 64 * 1024;

export type AuditEvent =
  | { type: "transition"; from?: string; to: string; reason?: string; message?: string; actor: string }
  | { type: "approval"; user: string; groups?: string[]; decision: "approved" | "rejected"; comment?: string }
  | { type: "approval-refused"; user: string; reason: string }
  | { type: "step"; device: string; step: string; kind: string; rollback: boolean; state: string; startedAt: string; finishedAt?: string; output?: unknown; response?: unknown; error?: string };

export function auditConfigMapName(execution: string): string {
  return `${execution}-audit`.slice(0, 253);
}

let seq = 0;
export function eventKey(type: string, at = new Date()): string {
  seq = (seq + 1) % 1000;
  return `${at.toISOString().replace(/[:]/g, "")}-${String(seq).padStart(3, "0")}-${Math.random().toString(36).slice(2, 6)}-${type}.json`;
}

export function capped(value: unknown): unknown {
  const text = JSON.stringify(value ?? null);
  if (text.length <= MAX_EVENT_BYTES) return value;
  return { truncated: true, bytes: text.length, head: text.slice(0, MAX_EVENT_BYTES) };
}

export class AuditLog {
  constructor(private readonly kube: Kube) {}

  /** Creates the ConfigMap with the plan if it does not exist (idempotent across restarts). */
  async ensure(ex: RunbookExecution, plan: unknown): Promise<string> {
    const name = auditConfigMapName(ex.metadata.name);
    const namespace = ex.metadata.namespace!;
    try {
      await this.kube.core.createNamespacedConfigMap({
        namespace,
        body: {
          metadata: {
            name,
            labels: { "app.kubernetes.io/part-of": "helios", "automation.helios.io/execution": ex.metadata.name },
            ownerReferences: [{ apiVersion: API_VERSION, kind: "RunbookExecution", name: ex.metadata.name, uid: ex.metadata.uid!, controller: false }],
          },
          data: { "plan.json": JSON.stringify(plan, null, 1) },
        },
      });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
    return name;
  }

  async record(ex: RunbookExecution, event: AuditEvent, at = new Date()): Promise<void> {
    await this.recordAll(ex, [event], at);
  }

  /** Several events in one write, in order (keys sort as given). */
  async recordAll(ex: RunbookExecution, events: AuditEvent[], at = new Date()): Promise<void> {
    const data: Record<string, string> = {};
    for (const event of events) data[eventKey(event.type, at)] = JSON.stringify({ at: at.toISOString(), execution: `${ex.metadata.namespace}/${ex.metadata.name}`, ...event });
    await this.kube.patchConfigMapData(ex.metadata.namespace!, auditConfigMapName(ex.metadata.name), data);
  }

  async read(namespace: string, execution: string): Promise<{ plan: any; events: any[] }> {
    const cm = await this.kube.core.readNamespacedConfigMap({ namespace, name: auditConfigMapName(execution) });
    const data = cm.data ?? {};
    const events = Object.keys(data)
      .filter((k) => k !== "plan.json")
      .sort()
      .map((k) => JSON.parse(data[k]));
    return { plan: data["plan.json"] ? JSON.parse(data["plan.json"]) : undefined, events };
  }
}
