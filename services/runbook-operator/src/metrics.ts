/** The operator's Prometheus metrics (prom-client), served on /metrics by the HTTP server. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class OperatorMetrics {
  readonly registry = new Registry();
  /** Set by the operator: recomputes the approval gauges from its cache when /metrics is scraped. */
  onCollect?: () => void;
  readonly executions = new Counter({
    name: "helios_runbook_executions_total",
    help: "Runbook executions that reached a terminal phase, by runbook and outcome (completed, failed, rolled_back, rejected).",
    labelNames: ["runbook", "outcome"],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "helios_runbook_execution_duration_seconds",
    help: "Seconds from an execution's creation to its terminal phase, by runbook and outcome.",
    labelNames: ["runbook", "outcome"],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [this.registry],
  });
  readonly pendingApprovals = new Gauge({
    name: "helios_runbook_pending_approvals",
    help: "Executions waiting in PendingApproval, by runbook.",
    labelNames: ["runbook"],
    registers: [this.registry],
    // Fresh at every scrape: a busy work queue (it recomputes them when idle) does not leave them stale.
    collect: () => this.onCollect?.(),
  });
  readonly oldestPendingApproval = new Gauge({
    name: "helios_runbook_oldest_pending_approval_timestamp_seconds",
    help: "Unix time the oldest execution still in PendingApproval entered it, by runbook (absent when none wait).",
    labelNames: ["runbook"],
    registers: [this.registry],
  });
  readonly approvalsRefused = new Counter({
    name: "helios_runbook_approvals_refused_total",
    help: "Approval requests refused, by reason (unauthenticated, forbidden, not_pending, self_approval, duplicate).",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: "helios_runbook_operator_overhead_seconds",
    help: "Operator processing from an execution's creation to its Job's creation (excludes device round trips).",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
}
