/**
 * The execution state machine, as data: which phase may follow which, and who moves it.
 *   Pending → PendingApproval → Approved → Running → Completed | Failed → RollingBack → RolledBack
 * plus Pending → Failed (bad runbook, parameters or target), PendingApproval → Rejected, and
 * any running phase → Failed when the Job dies without the runner finishing.
 * The operator owns Pending/PendingApproval(entry)/Approved/Running(entry); the approval API
 * owns PendingApproval → Approved | Rejected; the runner (in the Job) owns the rest.
 */
import { Approval, Phase, Runbook, RunbookExecution, TERMINAL_PHASES } from "./types";

const NEXT: Record<Phase, readonly Phase[]> = {
  Pending: ["PendingApproval", "Approved", "Failed"],
  PendingApproval: ["Approved", "Rejected", "Failed"],
  Approved: ["Running", "Failed"],
  Running: ["Completed", "Failed", "RollingBack"],
  Failed: ["RollingBack"],
  RollingBack: ["RolledBack", "Failed"],
  Completed: [],
  RolledBack: [],
  Rejected: [],
};

export function canMove(from: Phase | undefined, to: Phase): boolean {
  return (NEXT[from ?? "Pending"] ?? []).includes(to) || (from === undefined && to === "Pending");
}

/** Reason the runner gives a Failed that it will immediately follow with RollingBack. */
export const ROLLBACK_PENDING = "RollbackPending";

export function isTerminal(ex: RunbookExecution): boolean {
  const p = ex.status?.phase;
  if (p === "Failed" && ex.status?.reason === ROLLBACK_PENDING) return false;
  return p !== undefined && TERMINAL_PHASES.includes(p);
}

export function outcome(phase: Phase): string {
  return { Completed: "completed", Failed: "failed", RolledBack: "rolled_back", Rejected: "rejected" }[phase as string] ?? "unknown";
}

/** Approvals needed: none, one, or two distinct users (four-eyes). */
export function approvalsNeeded(rb: Pick<Runbook, "spec">): number {
  if (!rb.spec.approvalRequired) return 0;
  return rb.spec.fourEyes ? 2 : 1;
}

/** The phase an approval chain leads to. */
export function approvalOutcome(approvals: Approval[], needed: number): "Approved" | "Rejected" | "PendingApproval" {
  if (approvals.some((a) => a.decision === "rejected")) return "Rejected";
  const distinct = new Set(approvals.filter((a) => a.decision === "approved").map((a) => a.user));
  return distinct.size >= needed ? "Approved" : "PendingApproval";
}

/** Status arrays are bounded by the CRD; refuse plans that could not be recorded there. */
export const MAX_STEP_RECORDS = 220;
export function stepRecordsNeeded(rb: Runbook, devices: number): number {
  return devices * ((rb.spec.steps?.length ?? 0) + (rb.spec.rollback?.length ?? 0));
}
