/**
 * `run`: the Job's entry point. Executes the approved plan (from the audit ConfigMap) step by
 * step, device by device. Before a step touches anything its record goes into status as
 * Running; after, the device response goes to the audit ConfigMap and then the record becomes
 * Succeeded/Failed. A restarted runner therefore skips what Succeeded and refuses to repeat a
 * step it finds Running (it may have reached the device): that step counts as failed, which
 * triggers rollback if the runbook asks for it. No step runs twice; none is silently lost.
 */
import { AuditLog, capped } from "./audit";
import { Device, Inventory, InventoryError } from "./inventory";
import { Kube } from "./kube";
import { ROLLBACK_PENDING } from "./machine";
import { runScriptJob } from "./script";
import { executeStep, getValues, Outputs, StepEnv } from "./steps";
import { TemplateContext } from "./template";
import { ExecutionStatus, Phase, RunbookExecution, RunbookSpec, Step, StepRecord } from "./types";

const STATUS_TEXT = 1000;

interface Plan {
  runbook: { name: string; generation: number; spec: RunbookSpec };
  parameters: Record<string, string>;
  devices: Device[];
  dryRun: boolean;
}

function clip(value: unknown): { text?: string; truncated: boolean } {
  if (value === undefined) return { truncated: false };
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > STATUS_TEXT ? { text: text.slice(0, STATUS_TEXT), truncated: true } : { text, truncated: false };
}

export interface RunnerOptions {
  kube: Kube;
  namespace: string;
  execution: string;
  env: StepEnv;
  /** Re-checked before the first step: a device removed from NetBox since approval fails the run. */
  inventory?: Inventory;
  waitForRunningMs?: number;
  log?: (msg: string) => void;
}

export class Runner {
  private ex!: RunbookExecution;
  private plan!: Plan;
  private readonly audit: AuditLog;
  private readonly outputs = new Map<string, Outputs>();
  private readonly log: (msg: string) => void;

  constructor(private readonly o: RunnerOptions) {
    this.audit = new AuditLog(o.kube);
    this.log = o.log ?? ((m) => process.stderr.write(`${m}\n`));
  }

  private records(): StepRecord[] {
    return this.ex.status?.steps ?? [];
  }

  private async patch(status: Record<string, unknown>): Promise<void> {
    this.ex = await this.o.kube.patchExecutionStatus(this.ex, status);
  }

  private async move(to: Phase, reason: string | null, message: string | null, extra: Partial<ExecutionStatus> = {}): Promise<void> {
    const from = this.ex.status?.phase;
    await this.patch({ ...extra, phase: to, reason, message });
    await this.audit.record(this.ex, { type: "transition", from, to, ...(reason ? { reason } : {}), ...(message ? { message } : {}), actor: `runner/${process.env.HOSTNAME ?? "local"}` });
    this.log(`${this.ex.metadata.name}: ${from} -> ${to}${reason ? ` (${reason})` : ""}`);
  }

  private ctx(device: Device): TemplateContext {
    return {
      params: this.plan.parameters,
      target: { device: device.name, address: device.address, port: String(device.port), site: device.site, platform: device.platform },
      execution: { name: this.ex.metadata.name, namespace: this.ex.metadata.namespace, runbook: this.plan.runbook.name },
    };
  }

  private deviceOutputs(device: string): Outputs {
    let m = this.outputs.get(device);
    if (!m) this.outputs.set(device, (m = new Map()));
    return m;
  }

  /** Runs one step with the record-before/record-after protocol; returns the record's final state. */
  private async runStep(step: Step, device: Device, rollback: boolean): Promise<{ state: StepRecord["state"]; error?: string }> {
    const startedAt = new Date().toISOString();
    const label = this.plan.devices.length > 1 ? `${device.name}/${step.name}` : step.name;
    await this.patch({ currentStep: label.slice(0, 128), steps: [...this.records(), { name: step.name, device: device.name, kind: step.kind, rollback, state: "Running", startedAt }] });
    let result;
    if (this.plan.dryRun && (step.kind === "gnmiSet" || step.kind === "script" || step.kind === "notify")) result = { ok: true, response: { dryRun: true } };
    else {
      try {
        const env: StepEnv = {
          ...this.o.env,
          runScript: (s, command, args, timeoutSeconds) => runScriptJob(this.o.kube, { execution: this.ex, device: device.name, step: s, rollback, command, args, timeoutSeconds }),
        };
        result = await executeStep(step, device, this.ctx(device), this.deviceOutputs(device.name), env);
      } catch (e) {
        result = { ok: false, error: (e as Error).message };
      }
    }
    const finishedAt = new Date().toISOString();
    const state: StepRecord["state"] = !result.ok ? "Failed" : result.stop ? "Stopped" : "Succeeded";
    const output = this.deviceOutputs(device.name).get(step.name) ?? result.response;
    await this.audit.record(this.ex, { type: "step", device: device.name, step: step.name, kind: step.kind, rollback, state, startedAt, finishedAt, output: capped(output), response: capped(result.response), error: result.error });
    const out = clip(output);
    const err = clip(result.error);
    const recs = this.records().map((r) =>
      r.name === step.name && r.device === device.name && !!r.rollback === rollback && r.state === "Running"
        ? { ...r, state, finishedAt, ...(out.text !== undefined ? { output: out.text } : {}), ...(err.text ? { error: err.text } : {}), ...(out.truncated || err.truncated ? { truncated: true } : {}) }
        : r,
    );
    await this.patch({ steps: recs });
    return { state, error: result.error };
  }

  private find(device: string, step: string, rollback: boolean): StepRecord | undefined {
    return this.records().find((r) => r.device === device && r.name === step && !!r.rollback === rollback);
  }

  private async markInterrupted(rec: StepRecord): Promise<void> {
    const error = "interrupted: the runner stopped during this step; not re-run because it may have reached the device";
    await this.patch({ steps: this.records().map((r) => (r === rec ? { ...r, state: "Failed", finishedAt: new Date().toISOString(), error } : r)) });
    await this.audit.record(this.ex, { type: "step", device: rec.device, step: rec.name, kind: rec.kind ?? "", rollback: !!rec.rollback, state: "Failed", startedAt: rec.startedAt ?? "", error });
  }

  /**
   * The device as NetBox has it now. NetBox being slow or down is retried (three tries, 1 s then
   * 3 s apart) before the runner gives up and exits non-zero, leaving the retry to the Job's
   * backoffLimit; nothing has run at this point.
   */
  private async lookUp(name: string): Promise<Device | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.o.inventory!.byName(name);
      } catch (e) {
        if (!(e instanceof InventoryError && e.reason === "InventoryUnavailable") || attempt >= 3) throw e;
        this.log(`${this.o.execution}: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, attempt === 1 ? 1000 : 3000));
      }
    }
  }

  /** Outputs of steps that succeeded before a restart, from the audit record (conditions read them). */
  private async restoreOutputs(): Promise<void> {
    const { events } = await this.audit.read(this.o.namespace, this.o.execution);
    for (const e of events) if (e.type === "step" && e.state === "Succeeded" && !e.rollback) this.deviceOutputs(e.device).set(e.step, e.output ?? getValues(e.response));
  }

  async run(): Promise<Phase> {
    const { kube, namespace, execution } = this.o;
    const deadline = Date.now() + (this.o.waitForRunningMs ?? 30_000);
    for (;;) {
      const ex = await kube.getExecution(namespace, execution);
      if (!ex) throw new Error(`RunbookExecution ${namespace}/${execution} not found`);
      this.ex = ex;
      // The operator creates the Job, then records Running (from Approved, or straight from
      // Pending when no approval is needed): the pod may start in between.
      const before = ex.status?.phase === undefined || ex.status.phase === "Pending" || ex.status.phase === "Approved";
      if (!before || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const phase = this.ex.status?.phase;
    if (phase !== "Running" && phase !== "RollingBack" && !(phase === "Failed" && this.ex.status?.reason === ROLLBACK_PENDING)) {
      this.log(`${execution}: phase ${phase}; nothing to run`);
      return phase ?? "Pending";
    }
    this.plan = (await this.audit.read(namespace, execution)).plan as Plan;
    await this.restoreOutputs();
    if (phase === "Running") {
      if (this.records().length === 0 && this.o.inventory) {
        for (const d of this.plan.devices) {
          if (!(await this.lookUp(d.name))) {
            await this.move("Failed", "DeviceNotFound", `device ${d.name} is no longer in NetBox; nothing was run`, { finishedAt: new Date().toISOString(), currentStep: null as never });
            return "Failed";
          }
        }
      }
      const failure = await this.forward();
      if (failure === "stopped") {
        await this.move("Completed", "StoppedByCondition", "a condition with onFalse=stop ended the run early", { finishedAt: new Date().toISOString() });
        return "Completed";
      }
      if (!failure) {
        await this.move("Completed", "AllStepsSucceeded", null, { finishedAt: new Date().toISOString() });
        return "Completed";
      }
      if (!this.plan.runbook.spec.rollbackOnFailure) {
        await this.move("Failed", "StepFailed", failure, { finishedAt: new Date().toISOString() });
        return "Failed";
      }
      await this.move("Failed", ROLLBACK_PENDING, failure);
    }
    if (this.ex.status?.phase === "Failed") await this.move("RollingBack", "StepFailed", this.ex.status.message ?? null);
    const incomplete = await this.rollback();
    if (incomplete) {
      await this.move("Failed", "RollbackIncomplete", incomplete, { finishedAt: new Date().toISOString() });
      return "Failed";
    }
    await this.move("RolledBack", "RollbackSucceeded", this.ex.status?.message ?? null, { finishedAt: new Date().toISOString() });
    return "RolledBack";
  }

  /** Forward steps; returns a failure message, "stopped", or undefined when all succeeded. */
  private async forward(): Promise<string | undefined | "stopped"> {
    for (const device of this.plan.devices) {
      for (const step of this.plan.runbook.spec.steps) {
        const rec = this.find(device.name, step.name, false);
        if (rec?.state === "Succeeded") continue;
        if (rec?.state === "Stopped") return "stopped";
        if (rec?.state === "Failed") return `step ${step.name} on ${device.name} failed: ${rec.error ?? ""}`;
        if (rec?.state === "Running") {
          await this.markInterrupted(rec);
          return `step ${step.name} on ${device.name} was interrupted`;
        }
        const r = await this.runStep(step, device, false);
        if (r.state === "Stopped") return "stopped";
        if (r.state === "Failed") return `step ${step.name} on ${device.name} failed: ${r.error ?? ""}`;
      }
    }
    return undefined;
  }

  /** Rollback steps in reverse, for each device in reverse, only where the undone step started. */
  private async rollback(): Promise<string | undefined> {
    const problems: string[] = [];
    const rollback = [...(this.plan.runbook.spec.rollback ?? [])].reverse();
    for (const device of [...this.plan.devices].reverse()) {
      for (const step of rollback) {
        if (!this.find(device.name, step.undoes!, false)) continue; // never started: nothing to undo
        const rec = this.find(device.name, step.name, true);
        if (rec?.state === "Succeeded") continue;
        if (rec?.state === "Failed") {
          problems.push(`rollback ${step.name} on ${device.name} failed: ${rec.error ?? ""}`);
          continue;
        }
        if (rec?.state === "Running") {
          await this.markInterrupted(rec);
          problems.push(`rollback ${step.name} on ${device.name} was interrupted`);
          continue;
        }
        const r = await this.runStep(step, device, true);
        if (r.state === "Failed") problems.push(`rollback ${step.name} on ${device.name} failed: ${r.error ?? ""}`);
      }
    }
    return problems.length ? problems.join("; ").slice(0, 2000) : undefined;
  }
}
