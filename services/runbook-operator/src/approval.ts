/**
 * The approval API. The caller's bearer token is authenticated by the API server (TokenReview)
 * and authorised by it (SubjectAccessReview for the custom verb `approve` on
 * runbookexecutions, which the helios-admin ClusterRole grants), so who may approve is plain
 * Kubernetes RBAC. Every decision and every refusal goes to the execution's audit record.
 *   POST /v1/namespaces/{ns}/runbookexecutions/{name}/approve   {"comment": "..."}
 *   POST /v1/namespaces/{ns}/runbookexecutions/{name}/reject    {"comment": "..."}
 */
import { AuditLog } from "./audit";
import { Kube, statusCode } from "./kube";
import { approvalOutcome } from "./machine";
import { OperatorMetrics } from "./metrics";
import { Approval, GROUP, RunbookExecution } from "./types";

export interface ApprovalResult {
  status: number;
  body: { ok: boolean; message: string; phase?: string; approvals?: Approval[] };
}

export class ApprovalService {
  private readonly audit: AuditLog;
  constructor(
    private readonly kube: Kube,
    private readonly metrics: OperatorMetrics,
  ) {
    this.audit = new AuditLog(kube);
  }

  private async identify(token: string): Promise<{ user: string; groups: string[]; uid?: string; extra?: Record<string, string[]> } | undefined> {
    const review = await this.kube.authn.createTokenReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } } });
    if (!review.status?.authenticated || !review.status.user?.username) return undefined;
    const u = review.status.user;
    return { user: u.username!, groups: u.groups ?? [], uid: u.uid, extra: u.extra };
  }

  private async allowed(who: { user: string; groups: string[]; uid?: string; extra?: Record<string, string[]> }, namespace: string, name: string): Promise<{ allowed: boolean; reason?: string }> {
    const sar = await this.kube.authz.createSubjectAccessReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: { user: who.user, groups: who.groups, uid: who.uid, extra: who.extra, resourceAttributes: { group: GROUP, resource: "runbookexecutions", verb: "approve", namespace, name } },
      },
    });
    return { allowed: sar.status?.allowed === true, reason: sar.status?.reason || sar.status?.evaluationError };
  }

  private async refuse(ex: RunbookExecution | undefined, user: string, reason: string, metric: string, status: number, message: string): Promise<ApprovalResult> {
    this.metrics.approvalsRefused.inc({ reason: metric });
    if (ex?.status?.auditConfigMap) await this.audit.record(ex, { type: "approval-refused", user, reason: message });
    return { status, body: { ok: false, message, phase: ex?.status?.phase } };
  }

  async decide(token: string | undefined, namespace: string, name: string, decision: "approved" | "rejected", comment?: string): Promise<ApprovalResult> {
    let ex = await this.kube.getExecution(namespace, name);
    const who = token ? await this.identify(token) : undefined;
    if (!who) return this.refuse(ex, "(unauthenticated)", "unauthenticated", "unauthenticated", 401, "the bearer token was not accepted by the API server");
    if (!ex) return { status: 404, body: { ok: false, message: `RunbookExecution ${namespace}/${name} not found` } };
    const authz = await this.allowed(who, namespace, name);
    if (!authz.allowed) return this.refuse(ex, who.user, "forbidden", "forbidden", 403, `${who.user} may not approve runbook executions in ${namespace} (needs verb approve on runbookexecutions.${GROUP}, e.g. ClusterRole helios-admin)`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const phase = ex.status?.phase;
      if (phase !== "PendingApproval") return this.refuse(ex, who.user, "not_pending", "not_pending", 409, `execution is ${phase ?? "not yet evaluated"}; only a PendingApproval execution can be approved or rejected`);
      const rb = await this.kube.getRunbook(ex.spec.runbookRef.name);
      const fourEyes = rb?.spec.fourEyes === true;
      const approvals = ex.status?.approvals ?? [];
      if (fourEyes && decision === "approved" && who.user === ex.status?.requestedBy) {
        return this.refuse(ex, who.user, "self_approval", "self_approval", 409, `four-eyes: ${who.user} requested this execution and cannot approve it`);
      }
      if (decision === "approved" && approvals.some((a) => a.user === who.user && a.decision === "approved")) {
        return this.refuse(ex, who.user, "duplicate", "duplicate", 409, `${who.user} has already approved; four-eyes needs a different approver`);
      }
      const entry: Approval = { user: who.user, groups: who.groups.slice(0, 16), decision, at: new Date().toISOString(), ...(comment ? { comment: comment.slice(0, 512) } : {}) };
      const chain = [...approvals, entry];
      const next = approvalOutcome(chain, fourEyes ? 2 : 1);
      const patch: Record<string, unknown> = { approvals: chain };
      if (next !== "PendingApproval") Object.assign(patch, { phase: next, reason: next === "Rejected" ? "RejectedByApprover" : "ApprovalComplete", message: `${decision} by ${who.user}${comment ? `: ${comment}` : ""}`.slice(0, 2000), ...(next === "Rejected" ? { finishedAt: entry.at } : {}) });
      try {
        const updated = await this.kube.patchExecutionStatus(ex, patch);
        await this.audit.record(updated, { type: "approval", user: who.user, groups: who.groups, decision, comment });
        if (next !== "PendingApproval") await this.audit.record(updated, { type: "transition", from: "PendingApproval", to: next, reason: patch.reason as string, message: patch.message as string, actor: who.user });
        return { status: 200, body: { ok: true, message: next === "PendingApproval" ? `recorded; waiting for another approver` : `execution ${next}`, phase: updated.status?.phase, approvals: updated.status?.approvals } };
      } catch (e) {
        if (statusCode(e) !== 409) throw e;
        ex = (await this.kube.getExecution(namespace, name))!; // Lost a race with another writer: decide again on fresh state.
      }
    }
    return { status: 409, body: { ok: false, message: "the execution kept changing; try again" } };
  }
}
