/**
 * The Thanos objstore config (`objstore.yml`) for the chosen topology, and the Kubernetes
 * Secret that carries it. Credentials arrive as Pulumi secret outputs, so the rendered file
 * stays secret in state; it is only ever written into a Secret, never a ConfigMap.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { BUCKET_IDENTITY_ANNOTATION, commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { splitEndpoint } from "./topology";

/** Secret name and key the Prometheus sidecars and every Thanos component mount. */
export const OBJSTORE_SECRET = "helios-thanos-objstore";
export const OBJSTORE_KEY = "objstore.yml";

export interface S3ObjstoreSettings {
  bucket: string;
  /** Endpoint URL (http:// for in-cluster MinIO, https:// for AWS or a TLS MinIO). */
  endpoint: string;
  /** Signing region; MinIO accepts any, AWS needs the bucket's. */
  region?: string;
  accessKey: string;
  secretKey: string;
  /** Ask S3 to encrypt uploads (AWS: SSE-S3); MinIO buckets rely on their own settings. */
  serverSideEncryption?: boolean;
}

/** Renders objstore.yml (Thanos "S3" provider, which covers AWS S3 and MinIO). */
export function renderObjstoreConfig(s: S3ObjstoreSettings): string {
  const { hostPort, insecure } = splitEndpoint(s.endpoint);
  const config: Record<string, unknown> = {
    bucket: s.bucket,
    endpoint: hostPort,
    insecure,
    access_key: s.accessKey,
    secret_key: s.secretKey,
  };
  if (s.region) config.region = s.region;
  if (s.serverSideEncryption) config.sse_config = { type: "SSE-S3" };
  return YAML.stringify({ type: "S3", config });
}

export interface ObjstoreSecretArgs {
  /** Bucket Thanos writes blocks to. */
  readonly bucket: pulumi.Input<string>;
  /** S3 endpoint of the bucket (host:port, or a URL whose scheme sets `insecure`). */
  readonly endpoint: pulumi.Input<string>;
  /** S3 region (cloud-s3); absent for MinIO. */
  readonly region?: pulumi.Input<string>;
  /** Thanos' own (least-privilege) credentials, secret outputs. */
  readonly accessKey: pulumi.Input<string>;
  /** Secret key of Thanos' credentials, a secret output. */
  readonly secretKey: pulumi.Input<string>;
  /** Ask S3 for SSE-S3 encryption of the blocks (cloud-s3). */
  readonly serverSideEncryption?: boolean;
  /** What the bucket is across stacks (StoragePlan.bucketIdentity); annotated for the one-compactor policy. */
  readonly bucketIdentity: string;
  /** Namespace (helios-storage) resource to create the Secret after. */
  readonly namespace: pulumi.Resource;
}

/** The objstore Secret in helios-storage. */
export class ObjstoreSecret extends pulumi.ComponentResource {
  public readonly secretName = OBJSTORE_SECRET;
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: ObjstoreSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:ObjstoreSecret", name, {}, opts);
    const rendered = pulumi
      .all([args.bucket, args.endpoint, args.region, args.accessKey, args.secretKey])
      .apply(([bucket, endpoint, region, accessKey, secretKey]) =>
        renderObjstoreConfig({ bucket, endpoint, region, accessKey, secretKey, serverSideEncryption: args.serverSideEncryption }),
      );
    this.secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: {
          name: OBJSTORE_SECRET,
          namespace: NAMESPACES.storage.name,
          labels: commonLabels("thanos-objstore"),
          annotations: { [BUCKET_IDENTITY_ANNOTATION]: args.bucketIdentity },
        },
        type: "Opaque",
        stringData: { [OBJSTORE_KEY]: pulumi.secret(rendered) },
      },
      { parent: this, dependsOn: [args.namespace] },
    );
    this.registerOutputs({ secretName: OBJSTORE_SECRET });
  }
}
