/**
 * Warnings the program raises for the person deploying (e.g. a peer stack not deployed
 * yet). Under `pulumi up` they go to Pulumi's log; under the offline plan they are kept
 * and the plan prints and records them.
 */
import * as pulumi from "@pulumi/pulumi";

const recorded: string[] = [];

/** True when the program runs under the offline plan (scripts/lib/synthesize.ts sets it). */
export function isOfflinePlan(): boolean {
  return process.env.HELIOS_OFFLINE_PLAN === "1";
}

export function heliosWarn(message: string, resource?: pulumi.Resource): void {
  recorded.push(message);
  if (!isOfflinePlan()) pulumi.log.warn(message, resource);
}

/** Returns and forgets the warnings raised so far (one plan run reads them once). */
export function drainWarnings(): string[] {
  return recorded.splice(0, recorded.length);
}
