/**
 * An AWS S3 bucket for Thanos (cloud-s3) or for MinIO's cold tier (hybrid): versioned,
 * encrypted at rest, lifecycle-bounded, public access blocked, and written by its own
 * least-privilege IAM user whose access key becomes a Pulumi secret.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deployTimeValue } from "./minio";
import { PolicyDocument } from "./policies";

export interface S3StoreArgs {
  /** Bucket name (created in `region`). */
  readonly bucket: string;
  /** AWS region of the bucket. */
  readonly region: string;
  /** Policy of the IAM user that writes the bucket (Thanos, or MinIO's tiering). */
  readonly policy: PolicyDocument;
  /** IAM user name, e.g. helios-thanos-dc-a. */
  readonly userName: string;
  /** Days noncurrent object versions are kept. */
  readonly noncurrentExpiryDays: number;
  /** AWS tags on the bucket and the IAM user. */
  readonly tags: Record<string, string>;
}

export class S3Store extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly accessKeyId: pulumi.Output<string>;
  public readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: S3StoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:S3Store", name, {}, opts);
    // Its own provider: the bucket's region is stack config, not the ambient AWS_REGION.
    const provider = new aws.Provider(`${name}-aws`, { region: args.region as aws.Region }, { parent: this });
    const on = { parent: this, provider };

    this.bucket = new aws.s3.Bucket(name, { bucket: args.bucket, forceDestroy: false, tags: args.tags }, on);
    const dependent = { ...on, dependsOn: [this.bucket] };
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      dependent,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } }, dependent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
      dependent,
    );
    // Thanos' compactor applies retention by deleting blocks; versioning keeps what it deletes
    // as noncurrent versions, so those must expire, and abandoned multipart uploads too.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: [
          {
            id: "expire-noncurrent-and-abort-multipart",
            status: "Enabled",
            filter: { prefix: "" },
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentExpiryDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { ...on, dependsOn: [versioning] },
    );

    const user = new aws.iam.User(`${name}-writer`, { name: args.userName, tags: args.tags }, on);
    new aws.iam.UserPolicy(`${name}-writer-policy`, { user: user.name, policy: JSON.stringify(args.policy) }, { ...on, dependsOn: [user] });
    const key = new aws.iam.AccessKey(`${name}-writer-key`, { user: user.name }, { ...on, dependsOn: [user], additionalSecretOutputs: ["secret"] });
    this.accessKeyId = deployTimeValue(key.id, "IAM access key id");
    this.secretAccessKey = pulumi.secret(deployTimeValue(key.secret, "IAM secret access key"));
    this.registerOutputs({ bucket: args.bucket });
  }
}
