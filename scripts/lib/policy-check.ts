/**
 * The policy pack (policy/rules.ts) over an offline plan: the same rule functions the Pulumi CLI
 * runs through policy/index.ts, applied to the synthesized resources as the API server would
 * receive them. `npm run plan` fails on a mandatory violation and prints advisory ones.
 */
import { evaluate, PolicyResource, Violation } from "../../policy/rules";
import { manifestValue, PlannedResource } from "./synthesize";

/** Planned resources as a policy sees them (custom resources only; secrets as their plan markers). */
export function policyResources(resources: readonly PlannedResource[]): PolicyResource[] {
  return resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: manifestValue(r.inputs) as Record<string, any> }));
}

export interface PolicyReport {
  mandatory: Violation[];
  advisory: Violation[];
}

export function checkPlanPolicies(resources: readonly PlannedResource[]): PolicyReport {
  const all = evaluate(policyResources(resources));
  return { mandatory: all.filter((v) => v.enforcementLevel === "mandatory"), advisory: all.filter((v) => v.enforcementLevel === "advisory") };
}

/** One line per violation, naming the rule, the level and the resource, as the CLI does. */
export function formatViolation(v: Violation): string {
  return `[${v.enforcementLevel}] ${v.policy}: ${v.resource}: ${v.message}`;
}
