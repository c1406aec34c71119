/**
 * The label taxonomy every metric, target and flow carries (FR-018). Collection scrapes,
 * generated targets, alert routing and dashboards import it from here; it is spelled once, in the
 * target generator's contract module (the generator writes the labels onto every target).
 */
export { TAXONOMY_LABELS } from "../services/target-generator/src/contract";
export type { TaxonomyLabel } from "../services/target-generator/src/contract";

/** External labels every Prometheus/Thanos component adds; Thanos deduplicates on the replica labels. */
export const EXTERNAL_LABELS = { cluster: "cluster", datacenter: "datacenter" } as const;
export const REPLICA_LABELS = ["prometheus_replica", "rule_replica"] as const;

/** Recommended Kubernetes labels on everything Helios creates directly. */
export function commonLabels(component: string, partOf = "helios"): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Label on every Helios namespace naming the stack's scale tier; the policy pack reads it (policy/rules.ts). */
export const TIER_LABEL = "helios.io/tier";
/** Annotation on the Thanos objstore Secret naming the bucket it writes (plan.bucketIdentity); the compactor policy reads it. */
export const BUCKET_IDENTITY_ANNOTATION = "helios.io/bucket-identity";
