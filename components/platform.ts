/**
 * The Helios platform for one datacenter: composes every layer. Each layer is its own
 * ComponentResource module; this file only wires them together.
 */
import { commonLabels } from "./labels";
import { SecretStores } from "./secret-store";
import * as pulumi from "@pulumi/pulumi";
import { AccessRoles } from "./access";
import { RunbookOperator } from "./automation/runbook-operator";
import { Collection } from "./collection";
import { HeliosConfig } from "./config";
import { TargetGenerator } from "./integration/target-generator";
import { FlowPipeline } from "./flows";
import { Namespaces } from "./namespaces";
import { NetworkBaseline } from "./network-baseline";
import { PeerStacks } from "./peers";
import { MetricsStorage } from "./storage";
import { TierSpec, tierSpec } from "./tiers";
import { Visualization } from "./visualization";
import { ALERTMANAGER_URL } from "./visualization/alertmanager";

export interface HeliosPlatformArgs {
  /** The validated stack config. */
  readonly config: HeliosConfig;
}

export class HeliosPlatform extends pulumi.ComponentResource {
  public readonly tier: TierSpec;
  public readonly namespaces: Namespaces;
  public readonly network: NetworkBaseline;
  public readonly peers: PeerStacks;
  public readonly storage: MetricsStorage;
  public readonly visualization: Visualization;
  public readonly collection: Collection;
  public readonly flows: FlowPipeline;
  public readonly targetGenerator: TargetGenerator;
  public readonly runbookOperator: RunbookOperator;

  constructor(name: string, args: HeliosPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:platform:Platform", name, {}, opts);
    const { config } = args;
    this.tier = tierSpec(config.tier);

    this.namespaces = new Namespaces("namespaces", { datacenter: config.datacenter, tier: config.tier }, { parent: this });
    // helios:secretStore with a store spec: Helios creates the External Secrets store(s) too.
    if (config.secretStore.type === "external-secrets") {
      new SecretStores("secret-store", { store: config.secretStore, namespaces: this.namespaces.namespaces, labels: commonLabels("secret-store") }, { parent: this });
    }
    this.network = new NetworkBaseline(
      "network",
      {
        managementCidrs: config.managementCidrs,
        ingressFrom: config.ingressFrom,
        conditions: { "has-peers": config.peers.length > 0, "multi-dc-minio": config.storageTopology === "multi-dc-minio" },
        namespaces: this.namespaces.namespaces,
      },
      { parent: this },
    );
    this.peers = new PeerStacks(
      "peers",
      { peers: config.peers, stackPrefix: config.peerStackPrefix ?? `${pulumi.getOrganization()}/${pulumi.getProject()}` },
      { parent: this },
    );

    this.storage = new MetricsStorage(
      "storage",
      { config, tier: this.tier, namespaces: this.namespaces.namespaces, peers: this.peers.peers },
      { parent: this },
    );

    this.collection = new Collection(
      "collection",
      { config, tier: this.tier, namespace: this.namespaces.namespaces.collection, crdsReady: [this.storage.prometheus.release] },
      { parent: this },
    );

    this.flows = new FlowPipeline(
      "flows",
      { config, tier: this.tier, namespace: this.namespaces.namespaces.flows, crdsReady: [this.storage.prometheus.release] },
      { parent: this },
    );
    this.visualization = new Visualization(
      "visualization",
      {
        config,
        tier: this.tier,
        namespace: this.namespaces.namespaces.visualization,
        crdsReady: [this.storage.prometheus.release],
        thanosQueryUrl: this.storage.thanos.queryHttpUrl,
        clickhouse: this.flows.clickhouse.readerEndpoint,
        clickhousePassword: this.flows.clickhouse.readerPassword,
      },
      { parent: this },
    );

    // What both NetBox-reading services take from the stack: their image and NetBox access.
    const serviceBasics = {
      imageRegistry: config.imageRegistry,
      imageTag: config.imageTag,
      imageDigests: config.imageDigests,
      netboxUrl: config.netboxUrl,
      netboxToken: config.secrets.netboxToken,
      store: config.secretStore,
    };
    this.targetGenerator = new TargetGenerator(
      "target-generator",
      {
        tier: this.tier,
        ...serviceBasics,
        netboxFilters: config.netboxFilters,
        dependsOn: [this.namespaces.namespaces.integration, this.namespaces.namespaces.collection],
        crdsReady: [this.storage.prometheus.release],
      },
      { parent: this },
    );

    this.runbookOperator = new RunbookOperator(
      "runbook-operator",
      {
        ...serviceBasics,
        gnmiUsername: config.gnmiUsername,
        gnmiPassword: config.secrets.gnmiPassword,
        gnmiTlsSkipVerify: config.gnmiTlsSkipVerify,
        managementCidrs: config.managementCidrs,
        ingressFrom: config.ingressFrom,
        scriptImages: config.runbookScripts.images,
        scriptDevicePorts: config.runbookScripts.devicePorts,
        thanosQueryUrl: this.storage.thanos.queryHttpUrl,
        alertmanagerUrl: ALERTMANAGER_URL,
        dependsOn: [this.namespaces.namespaces.automation],
        crdsReady: [this.storage.prometheus.release],
      },
      { parent: this },
    );

    new AccessRoles("access", { groups: config.accessGroups, namespaces: this.namespaces.namespaces, adminClusterRole: this.runbookOperator.adminClusterRole }, { parent: this });

    this.registerOutputs({ tier: this.tier.name });
  }
}
