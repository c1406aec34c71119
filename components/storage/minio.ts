/**
 * MinIO in this DC's cluster (single-dc-minio, multi-dc-minio, hybrid): our own StatefulSet
 * (minio-server.ts; the minio chart's repository is archived), erasure-coded where the tier has ≥ 4 drives, and — through @pulumi/minio — the
 * versioned metrics bucket, a least-privilege user for Thanos, and (multi-dc-minio) a
 * least-privilege user peers replicate into. Root credentials come from the secret
 * helios:minioRootPassword and only ever sit in a Kubernetes Secret.
 */
import * as k8s from "@pulumi/kubernetes";
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { replicationTargetPolicy, thanosBucketPolicy } from "./policies";
import { MinioServer } from "./minio-server";
import { splitEndpoint } from "./topology";

export const MINIO_ROOT_USER = "helios-root";
export const THANOS_MINIO_USER = "helios-thanos";
export const REPLICATION_MINIO_USER = "helios-replication";
const ROOT_SECRET = "helios-minio-root";

export interface MinioStoreArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Object storage bucket name. */
  readonly bucket: string;
  /** helios:minioRootPassword (secret output). */
  readonly rootPassword: pulumi.Input<string>;
  /**
   * Endpoint the Pulumi engine reaches MinIO's S3 API on to create bucket and users
   * (helios:objectStorage.publicEndpoint, or the in-cluster address when Pulumi runs inside).
   */
  readonly adminEndpoint: string;
  /** Create the user peers replicate into (multi-dc-minio). */
  readonly replicationTarget: boolean;
  /** Let mc-managed ILM own the lifecycle (hybrid) instead of an IlmPolicy resource. */
  readonly lifecycleManagedByMc: boolean;
  /** Days noncurrent versions are kept before MinIO deletes them. */
  readonly noncurrentExpiryDays: number;
  /** The helios-storage namespace resource to create after. */
  readonly namespace: pulumi.Resource;
}

/** Days of noncurrent versions kept: long enough to undo a bad compaction, short enough to bound cost. */
export const NONCURRENT_EXPIRY_DAYS = 7;


export class MinioStore extends pulumi.ComponentResource {
  public readonly server: MinioServer;
  /** What bucket, users and policies wait for: the server's StatefulSet. */
  public readonly release: pulumi.Resource;
  public readonly bucket: minio.S3Bucket;
  public readonly thanosAccessKey = THANOS_MINIO_USER;
  public readonly thanosSecretKey: pulumi.Output<string>;
  /** Credentials peers use to replicate into this DC (multi-dc-minio). */
  public readonly replicationAccessKey?: string;
  public readonly replicationSecretKey?: pulumi.Output<string>;

  constructor(name: string, args: MinioStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:MinioStore", name, {}, opts);
    const ns = NAMESPACES.storage.name;

    const rootSecret = new k8s.core.v1.Secret(
      `${name}-root`,
      {
        metadata: { name: ROOT_SECRET, namespace: ns, labels: commonLabels("minio") },
        type: "Opaque",
        stringData: { rootUser: MINIO_ROOT_USER, rootPassword: pulumi.secret(args.rootPassword) },
      },
      { parent: this, dependsOn: [args.namespace] },
    );

    this.server = new MinioServer(`${name}-server`, { sizing: args.tier.minio, rootSecretName: ROOT_SECRET, dependsOn: [rootSecret] }, { parent: this });
    this.release = this.server.statefulSet;

    const { hostPort, insecure } = splitEndpoint(args.adminEndpoint);
    const provider = new minio.Provider(
      `${name}-admin`,
      { minioServer: hostPort, minioUser: MINIO_ROOT_USER, minioPassword: pulumi.secret(args.rootPassword), minioSsl: !insecure },
      { parent: this },
    );
    const onMinio = { parent: this, provider, dependsOn: [this.release] };

    this.bucket = new minio.S3Bucket(`${name}-bucket`, { bucket: args.bucket, acl: "private", forceDestroy: false }, onMinio);
    // Versioning: replication requires it, and a bad compaction or deletion stays recoverable.
    const versioning = new minio.S3BucketVersioning(
      `${name}-bucket-versioning`,
      { bucket: this.bucket.bucket, versioningConfiguration: { status: "Enabled" } },
      { ...onMinio, dependsOn: [this.bucket] },
    );
    if (!args.lifecycleManagedByMc) {
      new minio.IlmPolicy(
        `${name}-bucket-lifecycle`,
        { bucket: this.bucket.bucket, rules: [{ id: "expire-noncurrent", status: "Enabled", noncurrentVersionExpirationDays: args.noncurrentExpiryDays }] },
        { ...onMinio, dependsOn: [versioning] },
      );
    }

    const thanosPassword = new random.RandomPassword(`${name}-thanos-secret`, { length: 40, special: false }, { parent: this });
    this.thanosSecretKey = deployTimeValue(thanosPassword.result, "thanos MinIO secret key");
    this.user(name, THANOS_MINIO_USER, this.thanosSecretKey, JSON.stringify(thanosBucketPolicy(args.bucket)), onMinio, this.bucket);

    if (args.replicationTarget) {
      // No special characters: mc takes the remote target as a URL with credentials in it.
      const replPassword = new random.RandomPassword(`${name}-replication-secret`, { length: 40, special: false }, { parent: this });
      this.replicationAccessKey = REPLICATION_MINIO_USER;
      this.replicationSecretKey = pulumi.secret(deployTimeValue(replPassword.result, "replication MinIO secret key"));
      this.user(name, REPLICATION_MINIO_USER, this.replicationSecretKey, JSON.stringify(replicationTargetPolicy(args.bucket)), onMinio, this.bucket);
    }

    this.registerOutputs({ bucket: args.bucket });
  }

  private user(
    name: string,
    userName: string,
    secret: pulumi.Input<string>,
    policy: string,
    onMinio: { parent: pulumi.Resource; provider: minio.Provider },
    bucket: minio.S3Bucket,
  ): void {
    const user = new minio.IamUser(`${name}-${userName}`, { name: userName, secret: pulumi.secret(secret) }, { ...onMinio, dependsOn: [this.release] });
    const policyResource = new minio.IamPolicy(`${name}-${userName}-policy`, { name: userName, policy }, { ...onMinio, dependsOn: [bucket] });
    new minio.IamUserPolicyAttachment(
      `${name}-${userName}-attach`,
      { userName: user.name, policyName: policyResource.name },
      { ...onMinio, dependsOn: [user, policyResource] },
    );
  }
}

/**
 * A provider-generated value (random password, IAM access key). Under the offline plan's
 * mocks providers compute nothing, so the plan shows a marker instead of `undefined`.
 */
export function deployTimeValue(value: pulumi.Output<string>, what: string): pulumi.Output<string> {
  return value.apply((v) => v ?? `GENERATED-AT-DEPLOY(${what})`);
}
