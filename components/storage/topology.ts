/**
 * What a storage topology means for one datacenter, decided once from the stack config:
 * which bucket Thanos writes, where it lives, whether this DC runs the compactor, and the
 * addresses peers use to reach it. Pure (no resources), so tests and the other storage
 * modules share one answer.
 */
import { HeliosConfig, StorageTopology } from "../config";
import { NAMESPACES } from "../namespaces";

/** Domain suffix of the default federation domain, `<datacenter>.helios.internal`. */
export const DEFAULT_FEDERATION_SUFFIX = "helios.internal";
/** Default AWS region when helios:objectStorage.region is unset (cloud-s3, hybrid cold tier). */
export const DEFAULT_AWS_REGION = "us-east-1";
/** In-cluster MinIO service (minio chart with fullnameOverride) and its S3 port. */
export const MINIO_SERVICE = "helios-minio";
export const MINIO_PORT = 9000;

export interface StoragePlan {
  topology: StorageTopology;
  /** Bucket Thanos sidecars, store gateway, ruler and compactor use. */
  bucket: string;
  /** Runs MinIO in this cluster (every topology except cloud-s3). */
  minio: boolean;
  /** Creates an AWS S3 bucket: the metrics bucket (cloud-s3) or the cold tier (hybrid). */
  s3: boolean;
  /** AWS region of the S3 bucket (cloud-s3 / hybrid cold tier). */
  region: string;
  /** hybrid: the S3 bucket MinIO transitions old objects to. */
  coldBucket?: string;
  /** multi-dc-minio: replicate the bucket to every peer's MinIO (active-active). */
  replicateToPeers: boolean;
  /**
   * True when only this DC writes the bucket: its in-cluster MinIO, or a cloud-s3 bucket
   * with the per-DC default name. Such a bucket is this DC's own, whatever helios:role says.
   */
  bucketIsDcLocal: boolean;
  /** Whether this DC runs the compactor for the bucket (see `compactorOwner`). */
  runsCompactor: boolean;
  /** Names the bucket across DCs: two stacks with one identity share one bucket. */
  bucketIdentity: string;
  /** S3 endpoint (URL) Thanos uses inside the cluster. */
  internalEndpoint: string;
  /** S3 endpoint (URL) peers use for this DC's object storage. */
  publicEndpoint: string;
}

/**
 * The compactor rule (FR-032): exactly one compactor per bucket. A DC-local bucket is
 * compacted by its own DC; a shared bucket (multi-dc-minio's replicated bucket, or an
 * explicitly named S3 bucket several DCs may point at) only by the `primary` DC. Two
 * primaries on one shared bucket are caught across stacks in federation.ts.
 */
export function compactorOwner(role: HeliosConfig["role"], bucketIsDcLocal: boolean): boolean {
  return bucketIsDcLocal || role === "primary";
}

export function planStorage(config: HeliosConfig): StoragePlan {
  const topology = config.storageTopology;
  const dc = config.datacenter;
  const region = config.objectStorage.region ?? DEFAULT_AWS_REGION;
  const explicitBucket = config.objectStorage.bucket;
  const minio = topology !== "cloud-s3";
  const s3 = topology === "cloud-s3" || topology === "hybrid";
  // MinIO buckets live in this DC's own MinIO, so one name fits every DC; multi-dc-minio
  // needs the same name on both sides of the replication. AWS bucket names are global.
  const bucket = explicitBucket ?? (topology === "cloud-s3" ? `helios-metrics-${dc}` : "helios-metrics");
  const bucketIsDcLocal = topology === "single-dc-minio" || topology === "hybrid" || (topology === "cloud-s3" && explicitBucket === undefined);
  const storageNs = NAMESPACES.storage.name;
  const internalEndpoint = minio ? `http://${MINIO_SERVICE}.${storageNs}.svc.cluster.local:${MINIO_PORT}` : `https://s3.${region}.amazonaws.com`;
  const publicEndpoint = minio ? config.objectStorage.publicEndpoint ?? `https://minio.${federationDomain(config)}` : internalEndpoint;
  // helios:objectStorage.publicEndpoint with cloud-s3 is refused by config.ts.
  const bucketIdentity =
    topology === "multi-dc-minio" ? `replicated-minio/${bucket}` : topology === "cloud-s3" ? `s3/${region}/${bucket}` : `minio/${publicEndpoint}/${bucket}`;
  return {
    topology,
    bucket,
    minio,
    s3,
    region,
    coldBucket: topology === "hybrid" ? `helios-metrics-cold-${dc}` : undefined,
    replicateToPeers: topology === "multi-dc-minio",
    bucketIsDcLocal,
    runsCompactor: compactorOwner(config.role, bucketIsDcLocal),
    bucketIdentity,
    internalEndpoint,
    publicEndpoint,
  };
}

/**
 * DNS domain under which peers reach this DC (Thanos gRPC, MinIO S3), through the cluster's
 * TLS ingress: helios:federationDomain, else `<datacenter>.helios.internal` (split-horizon DNS).
 */
export function federationDomain(config: HeliosConfig): string {
  return config.federationDomain ?? `${config.datacenter}.${DEFAULT_FEDERATION_SUFFIX}`;
}

/** host[:port] and TLS of an S3 endpoint URL, the form Thanos' and mc's S3 clients take. */
export function splitEndpoint(url: string): { hostPort: string; insecure: boolean } {
  const u = new URL(url);
  return { hostPort: u.port ? `${u.hostname}:${u.port}` : u.hostname, insecure: u.protocol === "http:" };
}
