/**
 * The visualization and alerting layer of one datacenter: Grafana with its datasources and
 * 14 dashboards, the `helios` Alertmanager with tiered receivers, and the alert rules.
 */
import * as pulumi from "@pulumi/pulumi";
import { HeliosConfig } from "../config";
import { TierSpec } from "../tiers";
import { AlertRules } from "./rules";
import { HeliosAlertmanager } from "./alertmanager";
import { Dashboards } from "./dashboards";
import { Grafana } from "./grafana";

export interface VisualizationArgs {
  /** The validated stack config (datacenter, oidc, alertEmail and the receiver secrets). */
  readonly config: HeliosConfig;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The helios-visualization Namespace; everything here is created after it. */
  readonly namespace?: pulumi.Resource;
  /** The kube-prometheus-stack release (CRDs + operator); every CR here depends on it. */
  readonly crdsReady?: pulumi.Resource[];
  /** Thanos Query's HTTP API (the storage layer's ThanosStack.queryHttpUrl). */
  readonly thanosQueryUrl: string;
  /** ClickHouse's native endpoint and read-only user (the flow layer's ClickHouse.readerEndpoint). */
  readonly clickhouse: { host: string; port: number; username: string };
  /** Password of the read-only ClickHouse user (flow layer's generated secret). */
  readonly clickhousePassword?: pulumi.Input<string>;
}

export class Visualization extends pulumi.ComponentResource {
  public readonly grafana: Grafana;
  public readonly alertmanager: HeliosAlertmanager;
  public readonly rules: AlertRules;
  public readonly dashboards: Dashboards;

  constructor(name: string, args: VisualizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:visualization:Visualization", name, {}, opts);
    const { config } = args;
    this.dashboards = new Dashboards("dashboards", { namespace: args.namespace }, { parent: this });
    this.alertmanager = new HeliosAlertmanager(
      "alertmanager",
      {
        datacenter: config.datacenter,
        pagerdutyRoutingKey: config.secrets.pagerdutyRoutingKey,
        slackWebhookUrl: config.secrets.slackWebhookUrl,
        smtpPassword: config.secrets.smtpPassword,
        email: config.alertEmail,
        crdsReady: args.crdsReady,
        namespace: args.namespace,
      },
      { parent: this },
    );
    this.rules = new AlertRules("alert-rules", { crdsReady: args.crdsReady }, { parent: this });
    this.grafana = new Grafana(
      "grafana",
      {
        datacenter: config.datacenter,
        tier: args.tier,
        chartMirror: config.chartMirror,
        oidc: config.oidc,
        oidcClientSecret: config.secrets.oidcClientSecret,
        accessGroups: config.accessGroups,
        adminPassword: config.secrets.grafanaAdminPassword,
        databaseUrl: config.secrets.grafanaDatabaseUrl,
        thanosQueryUrl: args.thanosQueryUrl,
        clickhouse: args.clickhouse,
        clickhousePassword: args.clickhousePassword,
        namespace: args.namespace,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
