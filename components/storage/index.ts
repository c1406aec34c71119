/**
 * Metrics storage for one DC (`helios:storage:MetricsStorage`): object storage for the
 * chosen topology, the Thanos objstore Secret, Prometheus (kube-prometheus-stack), Thanos,
 * cross-DC replication/tiering Jobs, and the `federation` output peers read.
 *
 *   single-dc-minio  MinIO + versioned bucket + Thanos user/policy
 *   multi-dc-minio   the above in every DC + bucket replication to each peer (active-active)
 *   cloud-s3         AWS S3 bucket + IAM user; no MinIO
 *   hybrid           MinIO hot tier + ILM transition to an AWS S3 cold bucket
 */
import * as pulumi from "@pulumi/pulumi";
import { HeliosConfig } from "../config";
import { ConfigError, stackConfigError } from "../errors";
import { NamespaceKey } from "../namespaces";
import { PeerView } from "../peers";
import { TierSpec } from "../tiers";
import { FederationExport, PeerFederation, compactorGuard, federationExport, peerQueryEndpoints, readPeerFederation } from "./federation";
import { McJob, REPLICATE_FLAGS, replicationScript, tieringScript } from "./mc-jobs";
import { MINIO_ROOT_USER, MinioStore, NONCURRENT_EXPIRY_DAYS } from "./minio";
import { ObjstoreSecret } from "./objstore";
import { coldTierPolicy, thanosBucketPolicy } from "./policies";
import { PrometheusStack } from "./prometheus";
import { S3Store } from "./s3";
import { ThanosStack } from "./thanos";
import { StoragePlan, planStorage } from "./topology";

export interface MetricsStorageArgs {
  /** The validated stack config (config.ts). */
  readonly config: HeliosConfig;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** The Helios namespaces (storage resources are created after helios-storage). */
  readonly namespaces: Record<NamespaceKey, pulumi.Resource>;
  /** Peer stacks (helios:peers) with their outputs. */
  readonly peers: PeerView[];
}

export class MetricsStorage extends pulumi.ComponentResource {
  public readonly plan: StoragePlan;
  public readonly prometheus: PrometheusStack;
  public readonly thanos: ThanosStack;
  /** The `federation` stack output (program.ts exports it). */
  public readonly federation: FederationExport;

  constructor(name: string, args: MetricsStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:MetricsStorage", name, {}, opts);
    const { config, tier } = args;
    const plan = (this.plan = planStorage(config));
    const namespace = args.namespaces.storage;
    const child = { parent: this };
    const tags = { "helios.io/datacenter": config.datacenter, "app.kubernetes.io/part-of": "helios" };

    const peers = readPeerFederation(args.peers);
    // Two compactors on one bucket: refused (see compactorGuard), and never rendered.
    const runsCompactor = peers.apply((found) => compactorGuard(config, plan, found));

    let objstore: ObjstoreSecret;
    let minioStore: MinioStore | undefined;
    if (plan.minio) {
      const rootPassword = requireMinioRootPassword(config);
      minioStore = new MinioStore(
        "minio",
        {
          tier,
          bucket: plan.bucket,
          rootPassword,
          adminEndpoint: plan.publicEndpoint,
          replicationTarget: plan.replicateToPeers,
          lifecycleManagedByMc: plan.topology === "hybrid",
          noncurrentExpiryDays: NONCURRENT_EXPIRY_DAYS,
          namespace,
        },
        child,
      );
      objstore = new ObjstoreSecret(
        "thanos-objstore",
        { bucket: plan.bucket, bucketIdentity: plan.bucketIdentity, endpoint: plan.internalEndpoint, accessKey: minioStore.thanosAccessKey, secretKey: minioStore.thanosSecretKey, namespace },
        child,
      );
      const mcBase = {
        env: { LOCAL_ENDPOINT: plan.internalEndpoint },
        secretEnv: { LOCAL_ACCESS_KEY: MINIO_ROOT_USER, LOCAL_SECRET_KEY: rootPassword } as Record<string, pulumi.Input<string>>,
      };

      if (plan.replicateToPeers) {
        // One env prefix per configured peer; a peer not deployed yet has an empty endpoint
        // and the script skips it until the next update.
        const env: Record<string, pulumi.Input<string>> = { ...mcBase.env };
        const secretEnv = { ...mcBase.secretEnv };
        config.peers.forEach((stack, i) => {
          const p = `PEER_${i + 1}`;
          const repl = peers.apply((found) => found.find((f) => f.stack === stack)?.federation.replication);
          env[`${p}_ENDPOINT`] = repl.apply((r) => r?.endpoint ?? "");
          secretEnv[`${p}_ACCESS_KEY`] = repl.apply((r) => r?.accessKey ?? "");
          secretEnv[`${p}_SECRET_KEY`] = repl.apply((r) => r?.secretKey ?? "");
        });
        new McJob(
          "minio-replication",
          {
            script: replicationScript({ bucket: plan.bucket, peers: config.peers.map((stack, i) => ({ stack, envPrefix: `PEER_${i + 1}` })), replicate: REPLICATE_FLAGS }),
            env,
            secretEnv,
            dependsOn: [minioStore.bucket],
          },
          child,
        );
      }

      if (plan.topology === "hybrid") {
        const cold = new S3Store(
          "cold-tier",
          {
            bucket: plan.coldBucket as string,
            region: plan.region,
            policy: coldTierPolicy(plan.coldBucket as string),
            userName: `helios-minio-tier-${config.datacenter}`,
            noncurrentExpiryDays: NONCURRENT_EXPIRY_DAYS,
            tags,
          },
          child,
        );
        new McJob(
          "minio-tiering",
          {
            script: tieringScript({
              bucket: plan.bucket,
              // Blocks stay hot while they are raw (most queried), then move to S3.
              transitionAfterDays: durationDays(config.thanosRetention.raw),
              noncurrentExpiryDays: NONCURRENT_EXPIRY_DAYS,
              coldBucket: plan.coldBucket as string,
              coldPrefix: `${config.datacenter}/`,
              region: plan.region,
            }),
            env: { ...mcBase.env, COLD_ENDPOINT: `https://s3.${plan.region}.amazonaws.com` },
            secretEnv: { ...mcBase.secretEnv, COLD_ACCESS_KEY: cold.accessKeyId, COLD_SECRET_KEY: cold.secretAccessKey },
            dependsOn: [minioStore.bucket, cold.bucket],
          },
          child,
        );
      }
    } else {
      const s3 = new S3Store(
        "metrics-bucket",
        {
          bucket: plan.bucket,
          region: plan.region,
          policy: thanosBucketPolicy(plan.bucket),
          userName: `helios-thanos-${config.datacenter}`,
          noncurrentExpiryDays: NONCURRENT_EXPIRY_DAYS,
          tags,
        },
        child,
      );
      objstore = new ObjstoreSecret(
        "thanos-objstore",
        { bucket: plan.bucket, bucketIdentity: plan.bucketIdentity, endpoint: plan.internalEndpoint, region: plan.region, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey, serverSideEncryption: true, namespace },
        { parent: this, dependsOn: [s3] },
      );
    }

    const cluster = config.kubeContext ?? config.datacenter;
    this.prometheus = new PrometheusStack(
      "prometheus",
      { tier, datacenter: config.datacenter, cluster, objstoreSecret: objstore.secretName, objstore: objstore.secret, namespace, chartMirror: config.chartMirror, operatorWebhooks: config.awaitWorkloads },
      child,
    );
    this.thanos = new ThanosStack(
      "thanos",
      {
        tier,
        datacenter: config.datacenter,
        cluster,
        objstoreSecret: objstore.secretName,
        runsCompactor,
        chartMirror: config.chartMirror,
        retention: config.thanosRetention,
        // Only the primary runs the global query over every DC.
        peers: peers.apply((found: PeerFederation[]) => (config.role === "primary" ? peerQueryEndpoints(found) : [])),
        objstore: objstore.secret,
        namespace,
        crdsReady: [this.prometheus.release],
      },
      child,
    );

    // A plain object with a nested secret: endpoints stay readable in `pulumi stack output`,
    // only the replication secret key is encrypted.
    this.federation = {
      ...federationExport(config, plan),
      ...(minioStore?.replicationSecretKey
        ? { replication: { endpoint: plan.publicEndpoint, accessKey: minioStore.replicationAccessKey as string, secretKey: minioStore.replicationSecretKey } }
        : {}),
    };
    this.registerOutputs({ federation: this.federation });
  }
}

/**
 * helios:minioRootPassword, required by every MinIO topology. Only `pulumi up` can lack it
 * (the offline plan substitutes placeholders), and there a thrown error fails cleanly.
 */
export function requireMinioRootPassword(config: HeliosConfig): pulumi.Output<string> {
  const value = config.secrets.minioRootPassword;
  if (value === undefined) {
    throw stackConfigError(config.stack, [`helios:minioRootPassword: is required for storageTopology ${config.storageTopology}; set it with \`pulumi config set --secret helios:minioRootPassword <value>\``]);
  }
  return value;
}

/** Whole days in a Prometheus-style duration (at least 1). */
export function durationDays(d: string): number {
  const m = /^([0-9]+)(s|m|h|d|w|y)$/.exec(d);
  if (!m) throw new ConfigError(`invalid duration ${JSON.stringify(d)}`);
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }[m[2] as "s"];
  return Math.max(1, Math.ceil(seconds / 86400));
}
