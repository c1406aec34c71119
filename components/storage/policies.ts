/**
 * Least-privilege S3 policy documents (IAM JSON, understood by AWS IAM and MinIO alike).
 * tests/engines/minio*.test.ts loads them into a real MinIO and proves they are enough.
 */

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: { Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

const arn = (resource: string) => `arn:aws:s3:::${resource}`;

/** What Thanos (sidecar, store, ruler, compactor) needs on its bucket and nothing else. */
export function thanosBucketPolicy(bucket: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: [arn(bucket)] },
      {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: [arn(`${bucket}/*`)],
      },
    ],
  };
}

/**
 * What a peer's MinIO needs on this DC's bucket to replicate into it (MinIO bucket
 * replication's remote-target permissions), for multi-dc-minio.
 */
export function replicationTargetPolicy(bucket: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "s3:GetReplicationConfiguration",
          "s3:ListBucket",
          "s3:ListBucketMultipartUploads",
          "s3:GetBucketLocation",
          "s3:GetBucketVersioning",
          "s3:GetBucketObjectLockConfiguration",
          "s3:GetEncryptionConfiguration",
        ],
        Resource: [arn(bucket)],
      },
      {
        Effect: "Allow",
        Action: [
          "s3:GetReplicationConfiguration",
          "s3:ReplicateTags",
          "s3:AbortMultipartUpload",
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:GetObjectVersionTagging",
          "s3:PutObject",
          "s3:PutObjectRetention",
          "s3:PutBucketObjectLockConfiguration",
          "s3:PutObjectLegalHold",
          "s3:DeleteObject",
          "s3:ReplicateObject",
          "s3:ReplicateDelete",
        ],
        Resource: [arn(`${bucket}/*`)],
      },
    ],
  };
}

/** What MinIO's ILM tier needs on the cold S3 bucket (hybrid): objects under its prefix. */
export function coldTierPolicy(bucket: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: [arn(bucket)] },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], Resource: [arn(`${bucket}/*`)] },
    ],
  };
}
