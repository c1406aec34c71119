/**
 * The flow pipeline (helios-flows): goflow2 -> Kafka helios-flows-raw -> flow-enricher ->
 * helios-flows-enriched -> ClickHouse (Kafka engine -> flows_raw -> flows_1m / flows_1h).
 * Operators (Strimzi, Altinity) first; every custom resource depends on its operator release.
 */
import * as pulumi from "@pulumi/pulumi";
import { HeliosConfig } from "../config";
import { TierSpec } from "../tiers";
import { ClickHouse } from "./clickhouse";
import { FlowEnricher } from "./flow-enricher";
import { Goflow2 } from "./goflow2";
import { KafkaCluster } from "./kafka-cluster";
import { MigrationsJob } from "./migrations-job";
import { CLICKHOUSE_HTTP_URL, KAFKA_BOOTSTRAP } from "./names";
import { FlowsNetworkPolicy } from "./network-policy";
import { StrimziOperator } from "./strimzi";

export interface FlowPipelineArgs {
  /** The validated stack config (image registry/tag, NetBox, MaxMind, secrets). */
  readonly config: HeliosConfig;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The helios-flows Namespace; everything is created after it. */
  readonly namespace: pulumi.Resource;
  /** Releases installing the monitoring.coreos.com CRDs (kube-prometheus-stack), for PodMonitors. */
  readonly crdsReady?: pulumi.Resource[];
}

export class FlowPipeline extends pulumi.ComponentResource {
  public readonly clickhouse: ClickHouse;
  public readonly kafka: KafkaCluster;
  /** ClickHouse HTTP endpoint inside the cluster (Grafana's datasource). */
  public readonly clickhouseUrl = CLICKHOUSE_HTTP_URL;
  public readonly kafkaBootstrap = KAFKA_BOOTSTRAP;

  constructor(name: string, args: FlowPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:FlowPipeline", name, {}, opts);
    const { config, tier } = args;
    const ns = [args.namespace];
    const crdsReady = args.crdsReady ?? [];

    const strimzi = new StrimziOperator("strimzi", { dependsOn: ns, chartMirror: config.chartMirror }, { parent: this });
    this.kafka = new KafkaCluster("kafka", { tier, dependsOn: [...ns, strimzi.release], crdsReady }, { parent: this });
    this.clickhouse = new ClickHouse("clickhouse", { tier, dependsOn: ns, chartMirror: config.chartMirror, crdsReady, planMode: config.planMode }, { parent: this });
    new Goflow2("goflow2", { tier, dependsOn: [...ns, this.kafka.topics.raw], crdsReady }, { parent: this });
    new FlowEnricher(
      "flow-enricher",
      {
        tier,
        imageRegistry: config.imageRegistry,
        imageTag: config.imageTag,
        imageDigests: config.imageDigests,
        netboxUrl: config.netboxUrl,
        samplingRates: config.flowSamplingRates,
        netboxToken: config.secrets.netboxToken,
        maxmindAccountId: config.maxmindAccountId,
        maxmindLicenseKey: config.secrets.maxmindLicenseKey,
        store: config.secretStore,
        dependsOn: [...ns, this.kafka.topics.raw, this.kafka.topics.enriched, this.kafka.topics.deadLetter],
        crdsReady,
      },
      { parent: this },
    );
    new MigrationsJob(
      "clickhouse-migrations",
      {
        tier,
        imageRegistry: config.imageRegistry,
        imageTag: config.imageTag,
        imageDigests: config.imageDigests,
        dependsOn: [...ns, this.clickhouse.installation, this.clickhouse.credentials, this.kafka.topics.enriched],
      },
      { parent: this },
    );
    new FlowsNetworkPolicy("flows-network", { dependsOn: ns }, { parent: this });
    this.registerOutputs({ clickhouseUrl: this.clickhouseUrl, kafkaBootstrap: this.kafkaBootstrap });
  }
}
