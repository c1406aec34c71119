/**
 * MinIO settings @pulumi/minio 0.17.1 cannot express — bucket replication to peer DCs
 * (multi-dc-minio) and ILM tiering to S3 (hybrid) — applied by a Kubernetes Job running
 * `mc`. The scripts are pure functions of typed specs; every endpoint and credential
 * reaches them as environment variables (credentials from a Secret), so the same script
 * runs unchanged against the loopback MinIO servers in tests/engines/minio-replication.test.ts.
 * Each script is idempotent: re-running the Job converges to the same configuration.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { FIXED_RESOURCES } from "../tiers";
import { IMAGES, imageRef } from "../versions";

/** Tier name MinIO gives the hybrid cold storage (mc upper-cases tier names). */
export const COLD_TIER_NAME = "HELIOS-COLD";

/** One peer to replicate to: env var names are derived from `envPrefix`. */
export interface ReplicationPeer {
  /** Peer stack (datacenter) name, for logs. */
  stack: string;
  /** PEER_<n>: the script reads <prefix>_ENDPOINT, _ACCESS_KEY, _SECRET_KEY. */
  envPrefix: string;
}

export interface ReplicationSpec {
  bucket: string;
  peers: ReplicationPeer[];
  /** What to replicate: MinIO `mc replicate add --replicate` values. */
  replicate: string[];
}

/** Everything replicated, deletes included: the compactor's deletions must reach every copy. */
export const REPLICATE_FLAGS = ["delete", "delete-marker", "existing-objects", "metadata-sync"];

const PRELUDE = [
  "set -eu",
  // mc keeps its config under $HOME; the Job's root filesystem is read-only.
  'export MC_CONFIG_DIR="${MC_CONFIG_DIR:-/tmp/mc}"',
  'mc alias set local "$LOCAL_ENDPOINT" "$LOCAL_ACCESS_KEY" "$LOCAL_SECRET_KEY" >/dev/null',
];

/** Active-active bucket replication from this DC's MinIO to each peer's (one direction; each DC runs its own). */
export function replicationScript(spec: ReplicationSpec): string {
  const lines = [
    ...PRELUDE,
    // Replication needs versioning on both sides; the bucket resources enable it, this guards re-runs.
    `mc version enable "local/${spec.bucket}" >/dev/null`,
    // Replace, not append: a removed peer must stop receiving copies.
    `mc replicate rm --all --force "local/${spec.bucket}" >/dev/null 2>&1 || true`,
  ];
  spec.peers.forEach((peer, i) => {
    const p = peer.envPrefix;
    lines.push(
      `# peer ${peer.stack}: skipped while it has not exported its endpoint (not deployed yet)`,
      `if [ -n "\${${p}_ENDPOINT:-}" ]; then`,
      `  scheme="\${${p}_ENDPOINT%%://*}"; hostport="\${${p}_ENDPOINT#*://}"; hostport="\${hostport%/}"`,
      `  mc replicate add "local/${spec.bucket}" --remote-bucket "$scheme://\${${p}_ACCESS_KEY}:\${${p}_SECRET_KEY}@$hostport/${spec.bucket}" --replicate "${spec.replicate.join(",")}" --priority ${i + 1}`,
      "else",
      `  echo "peer ${peer.stack} not deployed yet; not replicating to it"`,
      "fi",
    );
  });
  lines.push(`mc replicate ls "local/${spec.bucket}"`);
  return lines.join("\n") + "\n";
}

export interface TieringSpec {
  bucket: string;
  /** Days objects stay on MinIO before moving to the cold tier. */
  transitionAfterDays: number;
  /** Days a noncurrent (deleted/overwritten) version is kept. */
  noncurrentExpiryDays: number;
  coldBucket: string;
  /** Prefix inside the cold bucket, one per DC. */
  coldPrefix: string;
  region: string;
}

/** The bucket's lifecycle (S3 lifecycle JSON, `mc ilm import`): transition + noncurrent expiry. */
export function tieringLifecycle(spec: TieringSpec): Record<string, unknown> {
  return {
    Rules: [
      {
        ID: "helios-cold-tier",
        Status: "Enabled",
        Filter: { Prefix: "" },
        Transition: { Days: spec.transitionAfterDays, StorageClass: COLD_TIER_NAME },
        NoncurrentVersionExpiration: { NoncurrentDays: spec.noncurrentExpiryDays },
      },
    ],
  };
}

/** ILM tier to S3 plus the lifecycle rule that moves old blocks there (hybrid). */
export function tieringScript(spec: TieringSpec): string {
  const lifecycle = JSON.stringify(tieringLifecycle(spec));
  return (
    [
      ...PRELUDE,
      // `tier info` exits 0 for an unknown tier; `tier check` fails for a missing (or unreachable) one.
      `if ! mc ilm tier check local ${COLD_TIER_NAME} >/dev/null 2>&1; then`,
      `  mc ilm tier add s3 local ${COLD_TIER_NAME} --endpoint "$COLD_ENDPOINT" --access-key "$COLD_ACCESS_KEY" --secret-key "$COLD_SECRET_KEY" --bucket "${spec.coldBucket}" --prefix "${spec.coldPrefix}" --region "${spec.region}"`,
      "fi",
      // import replaces the whole lifecycle, so re-runs never stack duplicate rules.
      `echo '${lifecycle}' | mc ilm import "local/${spec.bucket}"`,
      `mc ilm rule ls "local/${spec.bucket}"`,
    ].join("\n") + "\n"
  );
}

export interface McJobArgs {
  /** Shell script to run (from replicationScript / tieringScript). */
  readonly script: string;
  /** Plain environment (endpoints). */
  readonly env: Record<string, pulumi.Input<string>>;
  /** Secret environment (credentials): written to a Secret the Job reads. */
  readonly secretEnv: Record<string, pulumi.Input<string>>;
  /** Resources the Job must wait for (MinIO release, bucket). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** A one-shot `mc` Job plus the Secret holding its credentials. */
export class McJob extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: McJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:McJob", name, {}, opts);
    const ns = NAMESPACES.storage.name;
    const secret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { name: `${name}-env`, namespace: ns, labels: commonLabels(name) },
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(args.secretEnv).map(([k, v]) => [k, pulumi.secret(v)])),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.job = new k8s.batch.v1.Job(
      name,
      {
        metadata: { name, namespace: ns, labels: commonLabels(name) },
        spec: {
          backoffLimit: 6,
          template: {
            metadata: { labels: commonLabels(name) },
            spec: {
              restartPolicy: "OnFailure",
              securityContext: restrictedPod({ user: 1000, group: 1000 }),
              containers: [
                {
                  name: "mc",
                  image: imageRef(IMAGES.mc),
                  command: ["/bin/sh", "-c", args.script],
                  env: [
                    ...Object.entries(args.env).map(([k, value]) => ({ name: k, value })),
                    ...Object.keys(args.secretEnv).map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: `${name}-env`, key: k } } })),
                  ],
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                  resources: FIXED_RESOURCES.mcJob,
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
        },
      },
      // Replace on change: a Job's pod template is immutable, and a new spec must run again.
      { parent: this, dependsOn: [secret, ...(args.dependsOn as pulumi.Resource[])], replaceOnChanges: ["spec"], deleteBeforeReplace: true },
    );
    this.registerOutputs({ job: name });
  }
}
