/**
 * The controller: informers on Runbooks, RunbookExecutions and runner Jobs feed one serial work
 * queue. Every decision is re-derived from the stored objects, so a restart (or a new leader)
 * simply carries on: Jobs have deterministic names (create is idempotent), the plan ConfigMap is
 * created once, and status writes carry resourceVersion.
 */
import * as k8s from "@kubernetes/client-node";
import { AuditEvent, AuditLog } from "./audit";
import { buildJob, JobSettings, jobName } from "./job";
import { Inventory, InventoryError, resolveTarget } from "./inventory";
import { Kube, statusCode } from "./kube";
import { approvalsNeeded, isTerminal, MAX_STEP_RECORDS, outcome, stepRecordsNeeded } from "./machine";
import { OperatorMetrics } from "./metrics";
import { ANN_REQUESTED_BY, Condition, EXECUTIONS, ExecutionStatus, GROUP, Phase, Runbook, RunbookExecution, RUNBOOKS, VERSION } from "./types";
import { resolveParameters, validateRunbook } from "./validate";

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const jsonLogger: Logger = {
  info: (msg, fields) => process.stderr.write(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...fields }) + "\n"),
  error: (msg, fields) => process.stderr.write(JSON.stringify({ level: "error", time: new Date().toISOString(), msg, ...fields }) + "\n"),
};

export interface OperatorOptions {
  namespace: string;
  kube: Kube;
  inventory: Inventory;
  job: Omit<JobSettings, "activeDeadlineSeconds">;
  metrics: OperatorMetrics;
  log?: Logger;
  resyncMs?: number;
  /** The script image allow-list (SCRIPT_IMAGES): a Runbook with a script step on another image is not Ready. */
  scriptImages?: readonly string[];
}

const RECORDED = "MetricsRecorded";
/** Concurrent reconciles; each is mostly waiting on the API server and NetBox. */
const WORKERS = 8;

export function readyCondition(rb: Runbook, scriptImages: readonly string[] = []): Condition {
  const problem = validateRunbook(rb, { scriptImages });
  const base = { type: "Ready", observedGeneration: rb.metadata.generation, lastTransitionTime: new Date().toISOString() };
  if (!problem) return { ...base, status: "True", reason: "Valid", message: `${rb.spec.steps.length} steps, ${(rb.spec.rollback ?? []).length} rollback steps` };
  return { ...base, status: "False", reason: "InvalidField", message: `${problem.field}: ${problem.message}` };
}

function runbookReady(rb: Runbook): Condition | undefined {
  const c = rb.status?.conditions?.find((x) => x.type === "Ready");
  return c && c.observedGeneration === rb.metadata.generation ? c : undefined;
}

export class Operator {
  private readonly log: Logger;
  private readonly audit: AuditLog;
  private readonly queue = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly auditWrites = new Set<Promise<void>>();
  /** When each queued key was first enqueued: the queue wait is logged with the dispatch timings. */
  private readonly enqueuedAt = new Map<string, number>();
  private informers: { stop(): Promise<void> }[] = [];
  private resync?: NodeJS.Timeout;
  // Custom objects arrive as plain JSON (timestamps are strings), which client-node's
  // KubernetesObject type (Date timestamps) does not describe; the caches are typed on read.
  private runbookCache?: k8s.ObjectCache<any>;
  private executionCache?: k8s.ObjectCache<any>;
  private jobCache?: k8s.ObjectCache<k8s.V1Job>;

  constructor(private readonly o: OperatorOptions) {
    this.log = o.log ?? jsonLogger;
    this.audit = new AuditLog(o.kube);
  }

  async start(): Promise<void> {
    const { kube, namespace } = this.o;
    const rbInf = k8s.makeInformer<any>(kube.kc, `/apis/${GROUP}/${VERSION}/${RUNBOOKS}`, () => kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: RUNBOOKS }) as never);
    const exInf = k8s.makeInformer<any>(kube.kc, `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${EXECUTIONS}`, () =>
      kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: EXECUTIONS }) as never,
    );
    const jobInf = k8s.makeInformer<k8s.V1Job>(
      kube.kc,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      () => kube.batch.listNamespacedJob({ namespace, labelSelector: "app.kubernetes.io/component=runbook-runner" }) as never,
      "app.kubernetes.io/component=runbook-runner",
    );
    this.runbookCache = rbInf;
    this.executionCache = exInf;
    this.jobCache = jobInf;
    const onRunbook = (rb: Runbook) => {
      this.enqueue(`runbook/${rb.metadata.name}`);
      for (const ex of exInf.list() as RunbookExecution[]) if (ex.spec.runbookRef.name === rb.metadata.name && !isTerminal(ex)) this.enqueue(`execution/${ex.metadata.name}`);
    };
    rbInf.on("add", onRunbook);
    rbInf.on("update", onRunbook);
    exInf.on("add", (ex: RunbookExecution) => this.enqueue(`execution/${ex.metadata.name}`));
    exInf.on("update", (ex: RunbookExecution) => this.enqueue(`execution/${ex.metadata.name}`));
    exInf.on("delete", () => this.updateGauges());
    const onJob = (job: k8s.V1Job) => {
      const ex = job.metadata?.labels?.["automation.helios.io/execution"];
      if (ex) this.enqueue(`execution/${ex}`);
    };
    jobInf.on("add", onJob);
    jobInf.on("update", onJob);
    for (const inf of [rbInf, exInf, jobInf] as k8s.Informer<any>[]) {
      // A dropped watch is restarted after a pause; the cache is rebuilt by a fresh list.
      inf.on("error", () => setTimeout(() => inf.start().catch(() => undefined), 2000));
    }
    await rbInf.start();
    await exInf.start();
    await jobInf.start();
    this.informers = [rbInf, exInf, jobInf];
    this.o.metrics.onCollect = () => this.updateGauges();
    this.resync = setInterval(() => {
      for (const rb of rbInf.list() as Runbook[]) this.enqueue(`runbook/${rb.metadata.name}`);
      for (const ex of exInf.list() as RunbookExecution[]) this.enqueue(`execution/${ex.metadata.name}`);
    }, this.o.resyncMs ?? 30_000);
    this.resync.unref();
    this.log.info("operator started", { namespace });
  }

  async stop(): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    for (const i of this.informers) await i.stop();
    await Promise.all([...this.auditWrites]);
  }

  /**
   * A work queue with WORKERS concurrent reconciles and never two for the same key: a key
   * enqueued while in flight is re-run once that run ends (client-go's workqueue semantics).
   */
  enqueue(key: string): void {
    if (!this.enqueuedAt.has(key)) this.enqueuedAt.set(key, Date.now());
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.queue.add(key);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < WORKERS && this.queue.size > 0) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      this.inFlight.add(key);
      void this.work(key).finally(() => {
        this.inFlight.delete(key);
        if (this.dirty.delete(key)) this.queue.add(key);
        if (this.inFlight.size === 0 && this.queue.size === 0) this.updateGauges();
        this.pump();
      });
    }
  }

  private async work(key: string): Promise<void> {
    const [kind, name] = key.split("/");
    const queuedMs = Date.now() - (this.enqueuedAt.get(key) ?? Date.now());
    this.enqueuedAt.delete(key);
    try {
      if (kind === "runbook") await this.reconcileRunbook(name);
      else await this.reconcileExecution(name, queuedMs);
    } catch (e) {
      if (statusCode(e) === 409) this.dirty.add(key); // lost a race: re-read and decide again
      else {
        this.log.error("reconcile failed", { key, error: (e as Error).message });
        setTimeout(() => this.enqueue(key), 2000).unref();
      }
    }
  }

  private updateGauges(): void {
    const { pendingApprovals, oldestPendingApproval } = this.o.metrics;
    pendingApprovals.reset();
    oldestPendingApproval.reset();
    const oldest = new Map<string, number>();
    for (const ex of (this.executionCache?.list() ?? []) as RunbookExecution[]) {
      if (ex.status?.phase !== "PendingApproval") continue;
      const rb = ex.spec.runbookRef.name;
      pendingApprovals.inc({ runbook: rb });
      const since = Date.parse(ex.status.pendingApprovalSince ?? ex.metadata.creationTimestamp ?? "") / 1000;
      if (Number.isFinite(since)) oldest.set(rb, Math.min(oldest.get(rb) ?? Infinity, since));
    }
    for (const [rb, t] of oldest) oldestPendingApproval.set({ runbook: rb }, t);
  }

  async reconcileRunbook(name: string): Promise<void> {
    const rb = await this.o.kube.getRunbook(name);
    if (!rb) return;
    const want = readyCondition(rb, this.o.scriptImages);
    const have = rb.status?.conditions?.find((c) => c.type === "Ready");
    if (have && have.status === want.status && have.message === want.message && have.observedGeneration === want.observedGeneration) return;
    if (have && have.status === want.status) want.lastTransitionTime = have.lastTransitionTime;
    await this.o.kube.patchRunbookStatus(name, rb.metadata.resourceVersion, { observedGeneration: rb.metadata.generation, stepCount: rb.spec.steps.length, conditions: [want] });
    this.log.info("runbook validated", { runbook: name, ready: want.status, message: want.message });
  }

  /**
   * One status write for one or more phase moves (Pending → Approved → Running is one write when no
   * approval is needed); the audit record gets every move.
   */
  private async transition(ex: RunbookExecution, to: Phase, patch: Partial<ExecutionStatus>, why: { reason?: string; message?: string } = {}, via: { phase: Phase; reason: string }[] = []): Promise<RunbookExecution> {
    const from = ex.status?.phase ?? "Pending";
    const moves: AuditEvent[] = [];
    let prev: Phase = from;
    for (const v of via) {
      moves.push({ type: "transition", from: prev, to: v.phase, reason: v.reason, actor: "runbook-operator" });
      prev = v.phase;
    }
    moves.push({ type: "transition", from: prev, to, reason: why.reason, message: why.message, actor: "runbook-operator" });
    const updated = await this.o.kube.patchExecutionStatus(ex, { ...patch, phase: to, reason: why.reason ?? null, message: why.message ?? null, observedGeneration: ex.metadata.generation });
    // The audit ConfigMap exists from Pending on; before that a failure is recorded in status only.
    // Written once the move is stored, but not waited for on the way to the Job: the event keys
    // carry the time of the move, so the record stays in order; stop() waits for what is in flight.
    if (updated.status?.auditConfigMap) {
      const write = this.audit.recordAll(updated, moves).catch((e) => this.log.error("audit write failed", { error: (e as Error).message }));
      this.auditWrites.add(write);
      void write.finally(() => this.auditWrites.delete(write));
    }
    this.log.info("execution transition", { execution: ex.metadata.name, from, to, ...why });
    return updated;
  }

  async reconcileExecution(name: string, queuedMs = 0): Promise<void> {
    // Where a dispatch's time goes (logged with the Running transition): queue wait, NetBox, plan, Job, status.
    const t0 = Date.now();
    const timings: Record<string, number> = { queuedMs };
    let mark = t0;
    const lap = (what: string) => {
      const now = Date.now();
      timings[what] = now - mark;
      mark = now;
    };
    const { kube, namespace } = this.o;
    // The informer's copy is at least as new as the event that queued this key; a copy older than
    // the stored object only costs a refused (409) status write and a re-run.
    const ex = (this.executionCache?.get(name, namespace) as RunbookExecution | undefined) ?? (await kube.getExecution(namespace, name));
    if (!ex) return;
    if (isTerminal(ex)) return this.recordOutcome(ex);
    const now = new Date().toISOString();

    const phase = ex.status?.phase;
    let plan: { runbook?: { spec?: { timeoutSeconds?: number } } } | undefined;

    if (phase === undefined || phase === "Pending") {
      // Written with the first transition; Pending itself is stored only while the operator
      // has to wait (runbook not yet validated, NetBox unreachable), to save round trips.
      const first = phase === undefined ? { createdAt: ex.metadata.creationTimestamp ?? now, requestedBy: ex.metadata.annotations?.[ANN_REQUESTED_BY] ?? "unknown" } : {};
      const wait = async () => {
        if (phase === undefined) await kube.patchExecutionStatus(ex!, { phase: "Pending", ...first });
      };
      const fail = (reason: string, message: string) => this.transition(ex!, "Failed", { ...first, finishedAt: now }, { reason, message });
      const rb = (this.runbookCache?.get(ex.spec.runbookRef.name) as Runbook | undefined) ?? (await kube.getRunbook(ex.spec.runbookRef.name));
      if (!rb) return void (await fail("RunbookNotFound", `runbook ${ex.spec.runbookRef.name} does not exist`));
      const ready = runbookReady(rb) ?? (await this.reconcileRunbook(rb.metadata.name).then(() => kube.getRunbook(rb.metadata.name)).then((r) => (r ? runbookReady(r) : undefined)));
      if (!ready) return wait(); // Validated on the next event.
      if (ready.status !== "True") return void (await fail("RunbookNotReady", `runbook ${rb.metadata.name} is not Ready: ${ready.message}`));
      const params = resolveParameters(rb, ex.spec.parameters);
      if ("problem" in params) return void (await fail("InvalidParameters", `${params.problem.field}: ${params.problem.message}`));
      let devices;
      try {
        devices = await resolveTarget(this.o.inventory, ex.spec.target);
        lap("netboxMs");
      } catch (e) {
        if (e instanceof InventoryError && e.reason !== "InventoryUnavailable") return void (await fail(e.reason, e.message));
        await wait();
        throw e; // NetBox down: retry later, the execution stays Pending.
      }
      if (stepRecordsNeeded(rb, devices.length) > MAX_STEP_RECORDS) {
        return void (await fail("TooLarge", `${devices.length} devices × ${rb.spec.steps.length + (rb.spec.rollback ?? []).length} steps exceed ${MAX_STEP_RECORDS} step records; narrow the target`));
      }
      // The plan is what gets approved and what the runner executes, even if the Runbook changes later.
      plan = { runbook: { name: rb.metadata.name, generation: rb.metadata.generation, spec: rb.spec }, parameters: params.values, devices, dryRun: ex.spec.dryRun ?? false } as never;
      const cm = await this.audit.ensure(ex, plan);
      lap("planMs");
      const needed = approvalsNeeded(rb);
      const resolved = { ...first, auditConfigMap: cm, devices: devices.map((d) => d.name), runbookGeneration: rb.metadata.generation };
      if (needed > 0) {
        await this.transition(ex, "PendingApproval", { ...resolved, pendingApprovalSince: now }, { reason: "AwaitingApproval", message: `needs ${needed} approval${needed > 1 ? "s from distinct helios-admin users" : " from a helios-admin user"}` });
        return;
      }
      // No approval needed: the Job is created now and Pending → Approved → Running is one status
      // write (both moves audited). The runner waits while the phase is not yet Running.
      return this.startJob(ex, plan, resolved, [{ phase: "Approved", reason: "NoApprovalRequired" }], { timings, lap });
    }

    if (phase === "Approved") {
      plan ??= (await this.audit.read(namespace, name)).plan;
      lap("planMs");
      return this.startJob(ex, plan, {}, [], { timings, lap });
    }

    if (phase === "Running" || phase === "RollingBack" || phase === "Failed") {
      const job = this.jobCache?.get(jobName(name), namespace) ?? (await kube.batch.readNamespacedJob({ name: jobName(name), namespace }).catch(() => undefined));
      const failed = job?.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
      if (failed) {
        // The runner could not finish (pod lost past backoffLimit, deadline): the execution ends here.
        await this.transition(ex, "Failed", { finishedAt: now }, { reason: "JobFailed", message: `job ${jobName(name)} failed (${failed.reason ?? "unknown"}): ${failed.message ?? ""}`.slice(0, 2000) });
      }
    }
  }

  /** Creates the execution's Job (idempotent: a deterministic name) and records Running. */
  private async startJob(
    ex: RunbookExecution,
    plan: { runbook?: { spec?: { timeoutSeconds?: number } } } | undefined,
    extra: Partial<ExecutionStatus>,
    via: { phase: Phase; reason: string }[],
    t: { timings: Record<string, number>; lap: (what: string) => void },
  ): Promise<void> {
    const { kube, namespace } = this.o;
    const job = buildJob(ex, { ...this.o.job, activeDeadlineSeconds: plan?.runbook?.spec?.timeoutSeconds ?? 1800 });
    try {
      await kube.batch.createNamespacedJob({ namespace, body: job });
    } catch (e) {
      if (statusCode(e) !== 409) throw e; // Created before a restart: same name, same Job.
    }
    t.lap("jobMs");
    const created = Date.parse(ex.metadata.creationTimestamp ?? "");
    // Approval wait is the humans' time, not the operator's.
    const approvedAt = ex.status?.approvals?.length ? Math.max(...ex.status.approvals.map((a) => Date.parse(a.at))) : created;
    if (Number.isFinite(approvedAt)) this.o.metrics.overhead.observe(Math.max(0, (Date.now() - approvedAt) / 1000));
    await this.transition(ex, "Running", { ...extra, jobName: job.metadata!.name, startedAt: new Date().toISOString() }, { reason: "JobCreated" }, via);
    t.lap("statusMs");
    this.log.info("dispatch timings", { execution: ex.metadata.name, ...t.timings });
  }

  private async recordOutcome(ex: RunbookExecution): Promise<void> {
    if (ex.status?.conditions?.some((c) => c.type === RECORDED)) return;
    const phase = ex.status!.phase!;
    const labels = { runbook: ex.spec.runbookRef.name, outcome: outcome(phase) };
    const conditions = [...(ex.status?.conditions ?? []).filter((c) => c.type !== RECORDED), { type: RECORDED, status: "True" as const, reason: labels.outcome, lastTransitionTime: new Date().toISOString() }];
    // The marker is written first, with the copy's resourceVersion: of two reconciles holding the
    // same copy (the informer's can lag a write), only the one whose write lands counts.
    await this.o.kube.patchExecutionStatus(ex, { conditions });
    this.o.metrics.executions.inc(labels);
    const start = Date.parse(ex.metadata.creationTimestamp ?? "");
    const end = Date.parse(ex.status?.finishedAt ?? new Date().toISOString());
    if (Number.isFinite(start) && Number.isFinite(end)) this.o.metrics.duration.observe(labels, Math.max(0, (end - start) / 1000));
  }

}
