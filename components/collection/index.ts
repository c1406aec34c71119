/**
 * The collection layer (helios-collection): gnmic (gNMI streaming), snmp_exporter,
 * blackbox_exporter, the Prometheus-side scrape wiring, egress policy and static targets.
 */
import * as pulumi from "@pulumi/pulumi";
import { HeliosConfig } from "../config";
import { TierSpec } from "../tiers";
import { BlackboxExporter } from "./blackbox-exporter";
import { CollectionEgress } from "./egress-policy";
import { Gnmic } from "./gnmic";
import { CollectionScrape, GENERATED_TARGETS, TargetKind, targetSources } from "./scrape";
import { SnmpExporter } from "./snmp-exporter";
import { StaticTargets } from "./static-targets";

export interface CollectionArgs {
  /** The validated stack config (management CIDRs, credentials, target source). */
  readonly config: HeliosConfig;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The helios-collection Namespace; everything is created after it. */
  readonly namespace: pulumi.Resource;
  /** The Helm release(s) that install the monitoring.coreos.com CRDs (kube-prometheus-stack). */
  readonly crdsReady?: pulumi.Resource[];
}

export class Collection extends pulumi.ComponentResource {
  public readonly gnmic: Gnmic;
  public readonly scrape: CollectionScrape;
  /** Target ConfigMap per kind that collection reads. */
  public readonly targetConfigMaps: Record<TargetKind, string>;

  constructor(name: string, args: CollectionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:Collection", name, {}, opts);
    const { config, tier } = args;
    const dependsOn = [args.namespace];
    const crdsReady = args.crdsReady ?? [];
    const secrets = config.secrets;

    let targetsOptional = true;
    let targetConfigMaps = Object.fromEntries(Object.entries(GENERATED_TARGETS).map(([k, v]) => [k, v.configMap])) as Record<TargetKind, string>;
    if (config.collectionTargets === "static") {
      targetConfigMaps = new StaticTargets("static-targets", { dependsOn }, { parent: this }).configMaps;
      targetsOptional = false;
    }
    this.targetConfigMaps = targetConfigMaps;

    this.gnmic = new Gnmic(
      "gnmic",
      {
        tier,
        targetsConfigMaps: targetSources(targetConfigMaps.gnmic, targetsOptional),
        targetsOptional,
        username: config.gnmiUsername,
        password: secrets.gnmiPassword ?? pulumi.secret(""),
        store: config.secretStore,
        tlsCa: secrets.gnmiTlsCa,
        tlsSkipVerify: config.gnmiTlsSkipVerify,
        dependsOn,
        crdsReady,
      },
      { parent: this },
    );
    new SnmpExporter(
      "snmp-exporter",
      {
        tier,
        auth: pulumi.all([secrets.snmpCommunity ?? "public", secrets.snmpAuthPassword ?? "", secrets.snmpPrivPassword ?? ""]).apply(
          ([community, authPassword, privPassword]) => ({
            SNMP_COMMUNITY: community,
            SNMP_USERNAME: config.snmpUsername,
            SNMP_AUTH_PASSWORD: authPassword,
            SNMP_PRIV_PASSWORD: privPassword,
          }),
        ),
        username: config.snmpUsername,
        store: config.secretStore,
        dependsOn,
      },
      { parent: this },
    );
    new BlackboxExporter("blackbox-exporter", { tier, dependsOn }, { parent: this });
    this.scrape = new CollectionScrape("scrape", { targetConfigMaps, targetsOptional, dependsOn, crdsReady }, { parent: this });
    new CollectionEgress("egress", { managementCidrs: config.managementCidrs, dependsOn }, { parent: this });

    this.registerOutputs({ jobs: this.scrape.jobNames, targetConfigMaps });
  }
}
