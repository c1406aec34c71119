/**
 * Runs services/clickhouse-migrator on install and upgrade: a Job whose name carries a hash of
 * migrations/ and the image tag, so a changed migration set (or a new release) makes a new Job
 * and an unchanged one leaves the finished Job alone. It waits for ClickHouse itself (ping), and
 * is created after the ClickHouseInstallation and the enriched topic the Kafka engine reads.
 */
import { HeliosServiceImage } from "../config";
import { serviceImageRef } from "../images";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { cpuCores, FIXED_RESOURCES, TierSpec } from "../tiers";
import { clickhouseShape } from "./clickhouse";
import { CLICKHOUSE_HTTP_URL, CLICKHOUSE_SECRET, FLOWS_NS, KAFKA_BOOTSTRAP, POD_LABELS, TOPICS } from "./names";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";

export const MIGRATIONS_DIR = path.resolve(__dirname, "..", "..", "migrations");

/** sha256 over every migration file's name and text, in order. */
export function migrationsHash(dir = MIGRATIONS_DIR): string {
  const h = createHash("sha256");
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".sql")).sort()) {
    h.update(f).update("\0").update(fs.readFileSync(path.join(dir, f))).update("\0");
  }
  return h.digest("hex");
}

/**
 * Kafka consumers per ClickHouse node: one per partition the node would otherwise leave idle,
 * at most half the pod's CPU limit (ClickHouse refuses more consumers than physical cores, and
 * half leaves room for merges and queries).
 */
export function kafkaConsumersPerNode(tier: TierSpec): number {
  const nodes = tier.clickhouse.shards * tier.clickhouse.replicas;
  const halfCpu = Math.max(1, Math.floor(cpuCores(tier.clickhouse.resources.limits.cpu) / 2));
  return Math.max(1, Math.min(Math.ceil(tier.kafka.enrichedPartitions / nodes), halfCpu));
}

export interface MigrationsJobArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Registry of the Helios service images (helios:imageRegistry). */
  readonly imageRegistry: string;
  /** Tag of the Helios service images (helios:imageTag). */
  readonly imageTag: string;
  /** Digest per service image (helios:imageDigests): deploy by digest when set. */
  readonly imageDigests?: Partial<Record<HeliosServiceImage, string>>;
  /** ClickHouseInstallation, credentials Secret, enriched topic. */
  readonly dependsOn: pulumi.Resource[];
}

export class MigrationsJob extends pulumi.ComponentResource {
  public readonly jobName: string;

  constructor(name: string, args: MigrationsJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:MigrationsJob", name, {}, opts);
    const shape = clickhouseShape(args.tier);
    const hash = createHash("sha256").update(migrationsHash()).update(args.imageTag + (args.imageDigests?.["clickhouse-migrator"] ?? "")).digest("hex").slice(0, 10);
    this.jobName = `clickhouse-migrate-${hash}`;
    const labels = { ...commonLabels("clickhouse-migrator"), ...POD_LABELS.migrator };
    new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: { name: this.jobName, namespace: FLOWS_NS, labels },
        spec: {
          backoffLimit: 10,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "OnFailure",
              securityContext: restrictedPod({ user: 65532, group: 65532 }),
              containers: [
                {
                  name: "migrate",
                  image: serviceImageRef(args, "clickhouse-migrator"),
                  env: [
                    { name: "CLICKHOUSE_URL", value: CLICKHOUSE_HTTP_URL },
                    { name: "CLICKHOUSE_USER", valueFrom: { secretKeyRef: { name: CLICKHOUSE_SECRET, key: "admin-user" } } },
                    { name: "CLICKHOUSE_PASSWORD", valueFrom: { secretKeyRef: { name: CLICKHOUSE_SECRET, key: "admin-password" } } },
                    { name: "CLICKHOUSE_WAIT_SECONDS", value: "900" },
                    { name: "MIGRATIONS_DIR", value: "/migrations" },
                    { name: "HELIOS_CH_REPLICATED", value: String(shape.replicated) },
                    { name: "HELIOS_CH_SHARDED", value: String(shape.sharded) },
                    { name: "KAFKA_BROKERS", value: KAFKA_BOOTSTRAP },
                    { name: "KAFKA_TOPIC", value: TOPICS.enriched },
                    { name: "KAFKA_GROUP", value: "helios-clickhouse" },
                    { name: "KAFKA_CONSUMERS", value: String(kafkaConsumersPerNode(args.tier)) },
                  ],
                  resources: FIXED_RESOURCES.migrationsJob,
                  securityContext: RESTRICTED_CONTAINER,
                },
              ],
            },
          },
        },
      },
      // Named "clickhouse-migrate" before children took the component's name: the alias keeps
      // the existing stacks' Job (no replacement, no re-run) under its new name.
      { parent: this, dependsOn: args.dependsOn, aliases: [{ name: "clickhouse-migrate" }] },
    );
    this.registerOutputs({ job: this.jobName });
  }
}
