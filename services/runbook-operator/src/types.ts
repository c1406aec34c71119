/** The CRD shapes (crds/*.yaml) as TypeScript; the YAML is the source of truth. */
export const GROUP = "automation.helios.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const RUNBOOKS = "runbooks";
export const EXECUTIONS = "runbookexecutions";

export type StepKind = "gnmiSet" | "gnmiGet" | "gnmiSubscribe" | "wait" | "notify" | "condition" | "script";
export const STEP_KINDS: readonly StepKind[] = ["gnmiSet", "gnmiGet", "gnmiSubscribe", "wait", "notify", "condition", "script"];

export interface PathValue {
  path: string;
  value: string;
}

export interface Step {
  name: string;
  kind: StepKind;
  description?: string;
  undoes?: string;
  timeoutSeconds?: number;
  gnmiSet?: { update?: PathValue[]; replace?: PathValue[]; delete?: string[] };
  gnmiGet?: { paths: string[]; dataType?: string; encoding?: string };
  gnmiSubscribe?: { path: string; mode?: string; sampleIntervalSeconds?: number; until: { equals: string }; timeoutSeconds: number };
  wait?: { seconds: number };
  notify?: { channel: "alertmanager" | "webhook"; webhookUrl?: string; severity?: string; message: string };
  condition?: { step?: string; field?: string; promql?: string; operator: ConditionOperator; value?: string; onFalse?: "fail" | "stop" };
  script?: { image: string; command: string[]; args?: string[]; securityContext?: Record<string, unknown> };
}

export type ConditionOperator = "equals" | "notEquals" | "greaterThan" | "lessThan" | "nonEmpty" | "empty";
export type ParamType = "string" | "integer" | "number" | "boolean";

export interface Parameter {
  name: string;
  type: ParamType;
  description?: string;
  required?: boolean;
  default?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface RunbookSpec {
  description?: string;
  category?: string;
  riskLevel: "low" | "medium" | "high" | "critical";
  approvalRequired?: boolean;
  fourEyes?: boolean;
  rollbackOnFailure?: boolean;
  timeoutSeconds?: number;
  parameters?: Parameter[];
  steps: Step[];
  rollback?: Step[];
}

export interface Runbook {
  apiVersion: string;
  kind: "Runbook";
  metadata: ObjectMeta;
  spec: RunbookSpec;
  status?: { observedGeneration?: number; stepCount?: number; conditions?: Condition[] };
}

export type Phase = "Pending" | "PendingApproval" | "Approved" | "Running" | "Completed" | "Failed" | "RollingBack" | "RolledBack" | "Rejected";
export const TERMINAL_PHASES: readonly Phase[] = ["Completed", "Failed", "RolledBack", "Rejected"];

export interface Approval {
  user: string;
  groups?: string[];
  decision: "approved" | "rejected";
  comment?: string;
  at: string;
}

export interface StepRecord {
  name: string;
  device: string;
  kind?: string;
  rollback?: boolean;
  state: "Running" | "Succeeded" | "Failed" | "Stopped";
  startedAt?: string;
  finishedAt?: string;
  output?: string;
  error?: string;
  truncated?: boolean;
}

export interface ExecutionStatus {
  observedGeneration?: number;
  phase?: Phase;
  reason?: string;
  message?: string;
  runbookGeneration?: number;
  requestedBy?: string;
  devices?: string[];
  jobName?: string;
  auditConfigMap?: string;
  currentStep?: string;
  createdAt?: string;
  pendingApprovalSince?: string;
  startedAt?: string;
  finishedAt?: string;
  approvals?: Approval[];
  steps?: StepRecord[];
  conditions?: Condition[];
}

export interface RunbookExecution {
  apiVersion: string;
  kind: "RunbookExecution";
  metadata: ObjectMeta;
  spec: {
    runbookRef: { name: string };
    target: { device?: string; selector?: { matchLabels: Record<string, string>; maxDevices?: number } };
    parameters?: Record<string, string>;
    dryRun?: boolean;
  };
  status?: ExecutionStatus;
}

/** Annotation the approval CLI / creator sets; see docs/runbooks.md (requested-by is audited as given). */
export const ANN_REQUESTED_BY = `${GROUP}/requested-by`;
