/**
 * Flow storage: the Altinity clickhouse-operator (Helm), ClickHouse Keeper when the install is
 * clustered, and the ClickHouseInstallation with shards/replicas/storage from the tier.
 * proto/flow.proto is mounted at the server's format_schema_path so the Kafka engine's
 * kafka_schema 'flow.proto:EnrichedFlow' resolves; user passwords are generated into a Secret
 * the operator reads (k8s_secret_password). ClickHouse's Prometheus endpoint is on 9363
 * (asynchronous metrics included: disk space for the ClickHouse-disk alert).
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { podMonitor } from "../k8s/workload";
import { commonLabels } from "../labels";
import { FIXED_RESOURCES, TierSpec } from "../tiers";
import { CHARTS, IMAGES, imageRef, chartSource } from "../versions";
import { CH_CLUSTER, CHI_NAME, CLICKHOUSE_SECRET, CLICKHOUSE_SERVICE, CLICKHOUSE_USERS, FLOWS_NS, FORMAT_SCHEMA_PATH, KEEPER_NAME, KEEPER_SERVICE } from "./names";

export const FLOW_PROTO_FILE = path.resolve(__dirname, "..", "..", "proto", "flow.proto");

/** Where ClickHouse is reached with the native protocol, and as whom. */
export interface ClickHouseEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
}

/** ClickHouse's native-protocol port (the operator's default Service port). */
export const CLICKHOUSE_NATIVE_PORT = 9000;

export interface ClickHouseArgs {
  /** helios:chartMirror: install the chart from this mirror instead of its upstream repository. */
  readonly chartMirror?: string;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The namespace. */
  readonly dependsOn: pulumi.Resource[];
  /** Releases installing monitoring.coreos.com CRDs (PodMonitor). */
  readonly crdsReady?: pulumi.Resource[];
  /** Offline plan: generated passwords have no value under the mocks, so a placeholder stands in. */
  readonly planMode?: boolean;
}

/** The install's shape, from the tier: what the migrator renders the SQL for. */
export function clickhouseShape(tier: TierSpec): { replicated: boolean; sharded: boolean; clustered: boolean } {
  const replicated = tier.clickhouse.replicas > 1;
  const sharded = tier.clickhouse.shards > 1;
  return { replicated, sharded, clustered: replicated || sharded };
}

const UNITS: Record<string, number> = { Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/**
 * Space ClickHouse keeps free on its data disk: 5% of the volume (1 GiB..100 GiB). Below it the
 * server refuses new parts (inserts fail with NOT_ENOUGH_SPACE and the Kafka consumer retries
 * from its uncommitted offset) instead of filling the disk, and dropping expired parts (TTL)
 * still works because it needs no space.
 */
export function keepFreeSpaceBytes(storage: string): number {
  const m = /^([0-9]+)(Mi|Gi|Ti)$/.exec(storage);
  if (!m) throw new Error(`clickhouse storage ${storage} must be a size in Mi, Gi or Ti`);
  const bytes = Number(m[1]) * UNITS[m[2]];
  return Math.min(Math.max(Math.floor(bytes * 0.05), UNITS.Gi), 100 * UNITS.Gi);
}

export class ClickHouse extends pulumi.ComponentResource {
  public readonly operator: k8s.helm.v3.Release;
  public readonly installation: k8s.apiextensions.CustomResource;
  public readonly keeper?: k8s.apiextensions.CustomResource;
  public readonly credentials: k8s.core.v1.Secret;
  /** Password of the read-only `grafana` user (for the visualization layer's datasource). */
  public readonly readerPassword: pulumi.Output<string>;
  /** The native-protocol endpoint and read-only user dashboards query through. */
  public readonly readerEndpoint: ClickHouseEndpoint = { host: `${CLICKHOUSE_SERVICE}.${FLOWS_NS}.svc`, port: CLICKHOUSE_NATIVE_PORT, username: CLICKHOUSE_USERS.reader };

  constructor(name: string, args: ClickHouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:ClickHouse", name, {}, opts);
    const c = args.tier.clickhouse;
    const shape = clickhouseShape(args.tier);
    const pin = CHARTS.clickhouseOperator;

    this.operator = new k8s.helm.v3.Release(
      `${name}-operator`,
      {
        name: "clickhouse-operator",
        ...chartSource(pin, args.chartMirror),
        namespace: FLOWS_NS,
        values: { operator: { resources: FIXED_RESOURCES.clickhouseOperator } },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const crDeps = [...args.dependsOn, this.operator];

    const admin = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this });
    const reader = new random.RandomPassword(`${name}-reader-password`, { length: 32, special: false }, { parent: this });
    const value = (p: random.RandomPassword) => (args.planMode ? pulumi.secret("<generated at deploy>") : p.result);
    this.readerPassword = pulumi.secret(value(reader));
    this.credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: CLICKHOUSE_SECRET, namespace: FLOWS_NS, labels: commonLabels("clickhouse") },
        type: "Opaque",
        stringData: { "admin-user": CLICKHOUSE_USERS.admin, "admin-password": value(admin), "reader-user": CLICKHOUSE_USERS.reader, "reader-password": value(reader) },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    const schemas = new k8s.core.v1.ConfigMap(
      `${name}-format-schemas`,
      {
        metadata: { name: "clickhouse-format-schemas", namespace: FLOWS_NS, labels: commonLabels("clickhouse") },
        data: { "flow.proto": fs.readFileSync(FLOW_PROTO_FILE, "utf8") },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    if (shape.clustered) {
      this.keeper = new k8s.apiextensions.CustomResource(
        `${name}-keeper`,
        {
          apiVersion: "clickhouse-keeper.altinity.com/v1",
          kind: "ClickHouseKeeperInstallation",
          metadata: { name: KEEPER_NAME, namespace: FLOWS_NS, labels: commonLabels("clickhouse-keeper") },
          spec: {
            defaults: { templates: { podTemplate: "keeper", dataVolumeClaimTemplate: "keeper-data" } },
            configuration: { clusters: [{ name: "keeper", layout: { replicasCount: c.keeperReplicas } }] },
            templates: {
              podTemplates: [
                {
                  name: "keeper",
                  spec: {
                    containers: [
                      {
                        name: "clickhouse-keeper",
                        image: imageRef(IMAGES.clickhouseKeeper),
                        resources: c.keeperResources,
                      },
                    ],
                  },
                },
              ],
              volumeClaimTemplates: [{ name: "keeper-data", spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: c.keeperStorage } } } }],
            },
          },
        },
        { parent: this, dependsOn: crDeps },
      );
    }

    const secretRef = (key: string) => `${FLOWS_NS}/${CLICKHOUSE_SECRET}/${key}`;
    this.installation = new k8s.apiextensions.CustomResource(
      `${name}-installation`,
      {
        apiVersion: "clickhouse.altinity.com/v1",
        kind: "ClickHouseInstallation",
        metadata: { name: CHI_NAME, namespace: FLOWS_NS, labels: commonLabels("clickhouse") },
        spec: {
          defaults: { templates: { podTemplate: "clickhouse", dataVolumeClaimTemplate: "data" } },
          configuration: {
            ...(shape.clustered ? { zookeeper: { nodes: [{ host: KEEPER_SERVICE, port: 2181 }] } } : {}),
            users: {
              [`${CLICKHOUSE_USERS.admin}/k8s_secret_password`]: secretRef("admin-password"),
              [`${CLICKHOUSE_USERS.admin}/networks/ip`]: ["::/0"],
              [`${CLICKHOUSE_USERS.admin}/profile`]: "default",
              [`${CLICKHOUSE_USERS.reader}/k8s_secret_password`]: secretRef("reader-password"),
              [`${CLICKHOUSE_USERS.reader}/networks/ip`]: ["::/0"],
              [`${CLICKHOUSE_USERS.reader}/profile`]: "readonly",
            },
            profiles: { "readonly/readonly": 1 },
            settings: {
              format_schema_path: FORMAT_SCHEMA_PATH,
              "storage_configuration/disks/default/keep_free_space_bytes": keepFreeSpaceBytes(c.storage),
              "prometheus/endpoint": "/metrics",
              "prometheus/port": 9363,
              "prometheus/metrics": true,
              "prometheus/events": true,
              "prometheus/asynchronous_metrics": true,
            },
            clusters: [{ name: CH_CLUSTER, layout: { shardsCount: c.shards, replicasCount: c.replicas } }],
          },
          templates: {
            podTemplates: [
              {
                name: "clickhouse",
                metadata: { labels: commonLabels("clickhouse") },
                spec: {
                  containers: [
                    {
                      name: "clickhouse",
                      image: imageRef(IMAGES.clickhouse),
                      resources: c.resources,
                      ports: [{ name: "metrics", containerPort: 9363 }],
                      volumeMounts: [{ name: "format-schemas", mountPath: FORMAT_SCHEMA_PATH, readOnly: true }],
                    },
                  ],
                  volumes: [{ name: "format-schemas", configMap: { name: "clickhouse-format-schemas" } }],
                },
              },
            ],
            volumeClaimTemplates: [{ name: "data", spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: c.storage } } } }],
          },
        },
      },
      { parent: this, dependsOn: [...crDeps, this.credentials, schemas, ...(this.keeper ? [this.keeper] : [])] },
    );

    podMonitor(
      `${name}-podmonitor`,
      { name: "clickhouse", namespace: FLOWS_NS, labels: commonLabels("clickhouse"), selector: { matchLabels: { "clickhouse.altinity.com/chi": CHI_NAME } }, endpoints: [{ port: "metrics" }] },
      { parent: this, dependsOn: [...args.dependsOn, ...(args.crdsReady ?? [])] },
    );
    this.registerOutputs({ installation: CHI_NAME, shards: c.shards, replicas: c.replicas });
  }
}
