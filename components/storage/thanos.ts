/**
 * Thanos in helios-storage (stevehipwell/thanos chart, upstream quay.io images): query
 * (deduplicating on the replica labels; on the primary also the global query over the
 * peers), store gateway (anti-affinity, tier-sized caches), ruler (alerts to the
 * visualization layer's Alertmanager) and — only where this DC owns the bucket — the
 * compactor with downsampling and per-resolution retention.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { HeliosConfig } from "../config";
import { EXTERNAL_LABELS, REPLICA_LABELS } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { CHARTS, IMAGES, chartSource } from "../versions";
import { OBJSTORE_KEY } from "./objstore";
import { ALERTMANAGER, SIDECAR_SERVICE } from "./prometheus";

/** fullnameOverride: services are helios-thanos-query, helios-thanos-store-gateway, … */
export const THANOS_FULLNAME = "helios-thanos";
/** Thanos Query's HTTP port (Thanos' default --http-address port; the one place it is spelled). */
export const THANOS_QUERY_HTTP_PORT = 10902;
/** Thanos Query's HTTP API inside the cluster (Grafana's datasource, runbook-operator). */
export const THANOS_QUERY_HTTP_URL = `http://${THANOS_FULLNAME}-query.${NAMESPACES.storage.name}.svc:${THANOS_QUERY_HTTP_PORT}`;

/** A peer DC's Thanos StoreAPI endpoint the global query fans out to. */
export interface PeerEndpoint {
  datacenter: string;
  /** host:port of the peer's Thanos query gRPC. */
  address: string;
  /** Dial with TLS (peer exposes gRPC through a TLS ingress under helios:federationDomain). */
  tls: boolean;
}

/** `--endpoint.sd-config` content: per-endpoint TLS, which the global --grpc-client-tls flags cannot do. */
export function endpointSdConfig(peers: PeerEndpoint[]): string {
  return YAML.stringify({
    endpoints: peers.map((p) => ({
      address: p.address,
      // The global view stays up when one DC is unreachable: non-strict endpoints.
      strict: false,
      client_config: p.tls ? { tls_config: { enabled: true }, server_name: p.address.split(":")[0] } : { tls_config: { enabled: false } },
    })),
  });
}

/** Compactor retention flags from helios:thanosRetention (raw / 5m / 1h resolutions). */
export function retentionFlags(r: HeliosConfig["thanosRetention"]): string[] {
  return [`--retention.resolution-raw=${r.raw}`, `--retention.resolution-5m=${r.downsampled5m}`, `--retention.resolution-1h=${r.downsampled1h}`];
}

/** Parses a Go-style size such as 512MB / 4GB into the form Thanos' cache configs take. */
function cacheConfig(maxSize: string): string {
  return YAML.stringify({ type: "IN-MEMORY", config: { max_size: maxSize } });
}

export interface ThanosValuesArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** This stack's datacenter (helios:datacenter), for labels and names. */
  readonly datacenter: string;
  /** Value of the `cluster` external label. */
  readonly cluster: string;
  /** Name of the Secret holding Thanos' objstore.yml (storage/objstore.ts). */
  readonly objstoreSecret: string;
  /** Whether this stack runs the bucket's one compactor (FR-032). */
  readonly runsCompactor: boolean;
  /** Compactor retention per resolution: raw, 5m, 1h (helios:thanosRetention). */
  readonly retention: HeliosConfig["thanosRetention"];
  /** Peers' query endpoints for the global query (primary only); empty elsewhere. */
  readonly peers: PeerEndpoint[];
}

/** Chart values (thanos chart 1.24.1 paths). Pure, for tests. */
export function thanosValues(a: ThanosValuesArgs): Record<string, unknown> {
  const t = a.tier.thanos;
  const ns = NAMESPACES.storage.name;
  const antiAffinity = (component: string) => ({
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: { "app.kubernetes.io/instance": "thanos", "app.kubernetes.io/component": component } },
          },
        },
      ],
    },
  });
  const alertmanagers = YAML.stringify({
    alertmanagers: [
      {
        static_configs: [`dnssrv+_${ALERTMANAGER.port}._tcp.${ALERTMANAGER.service}.${ALERTMANAGER.namespace}.svc.cluster.local`],
        scheme: "http",
        api_version: "v2",
      },
    ],
  });
  return {
    fullnameOverride: THANOS_FULLNAME,
    image: { repository: IMAGES.thanos.repository, tag: IMAGES.thanos.tag },
    objstoreConfig: { create: false, name: a.objstoreSecret, key: OBJSTORE_KEY },
    serviceMonitor: { enabled: true },
    // rule_replica is added by the chart whenever the ruler is on.
    additionalReplicaLabels: [...REPLICA_LABELS],
    query: {
      enabled: true,
      replicas: t.query.replicas,
      resources: t.query.resources,
      replicaLabels: [...REPLICA_LABELS],
      // This DC's Prometheus sidecars (store gateway and ruler are discovered by the chart).
      additionalStores: [`dnssrv+_grpc._tcp.${SIDECAR_SERVICE}.${ns}.svc.cluster.local`],
      extraArgs: a.peers.length ? [`--endpoint.sd-config=${endpointSdConfig(a.peers)}`] : [],
      podDisruptionBudget: { enabled: t.query.replicas > 1, maxUnavailable: 1 },
      affinity: antiAffinity("query"),
    },
    // persistence.storageClass null: the cluster's default class (the chart defaults to "standard").
    storeGateway: {
      enabled: true,
      replicas: t.storeGateway.replicas,
      resources: t.storeGateway.resources,
      persistence: { enabled: true, size: t.storeGateway.storage, storageClass: null },
      extraArgs: [`--index-cache.config=${cacheConfig(t.storeGateway.indexCacheSize)}`, `--store.caching-bucket.config=${cacheConfig(t.storeGateway.chunkCacheSize)}`],
      podDisruptionBudget: { enabled: t.storeGateway.replicas > 1, maxUnavailable: 1 },
      affinity: antiAffinity("store-gateway"),
    },
    rule: {
      enabled: true,
      replicas: t.ruler.replicas,
      resources: t.ruler.resources,
      alertmanagersConfig: { create: true, value: alertmanagers },
      extraArgs: [`--label=${EXTERNAL_LABELS.cluster}="${a.cluster}"`, `--label=${EXTERNAL_LABELS.datacenter}="${a.datacenter}"`],
      persistence: { enabled: true, size: "10Gi", storageClass: null },
    },
    compact: {
      enabled: a.runsCompactor,
      // Offline dedup of the HA pairs (penalty algorithm, made for replica series).
      replicaDeduplication: true,
      resources: t.compactor.resources,
      persistence: { enabled: true, size: t.compactor.storage, storageClass: null },
      // Downsampling (5m, 1h) is on by default; retention per resolution from the stack.
      extraArgs: retentionFlags(a.retention),
    },
  };
}

export interface ThanosStackArgs extends Omit<ThanosValuesArgs, "peers" | "runsCompactor"> {
  /** helios:chartMirror: install the chart from this mirror instead of its upstream repository. */
  readonly chartMirror?: string;
  /** Peers' query endpoints for the global query (primary only); empty elsewhere. */
  readonly peers: pulumi.Input<PeerEndpoint[]>;
  /** Known only once the peers' outputs are read (federation.ts compactorGuard). */
  readonly runsCompactor: pulumi.Input<boolean>;
  /** The objstore Secret resource the components mount. */
  readonly objstore: pulumi.Resource;
  /** The helios-storage namespace resource to create after. */
  readonly namespace: pulumi.Resource;
  /** kube-prometheus-stack release: installs the ServiceMonitor CRD the chart's monitors need. */
  readonly crdsReady: pulumi.Resource[];
}

export class ThanosStack extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  /** Thanos Query's HTTP API inside the cluster: what Grafana and the runbooks' PromQL read. */
  public readonly queryHttpUrl = THANOS_QUERY_HTTP_URL;

  constructor(name: string, args: ThanosStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:ThanosStack", name, {}, opts);
    const { peers, runsCompactor, objstore, namespace, crdsReady, ...rest } = args;
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: "thanos",
        ...chartSource(CHARTS.thanos, args.chartMirror),
        namespace: NAMESPACES.storage.name,
        values: pulumi.all([peers, runsCompactor]).apply(([p, compactor]) => thanosValues({ ...rest, peers: p, runsCompactor: compactor })),
      },
      { parent: this, dependsOn: [namespace, objstore, ...crdsReady] },
    );
    this.registerOutputs({ compactor: runsCompactor });
  }
}
