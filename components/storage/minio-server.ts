/**
 * The MinIO server of one DC as our own StatefulSet, not the minio chart: the minio/minio repository
 * (and with it the chart) is archived, its license (AGPL-3.0) keeps it out of chart mirrors such as
 * ../shared/charts, and the few objects MinIO needs are easier to read here than through chart values.
 *
 * One pod per server, `drivesPerServer` volumes each. One server with ≥ 4 drives runs erasure-coded
 * on one node; several servers form one distributed pool addressed through the headless Service.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pdb, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { MINIO_PORT, MINIO_SERVICE } from "./topology";

export const MINIO_CONSOLE_PORT = 9001;
const MINIO_APP = "minio";
/** MinIO's own uid in its image. */
const MINIO_UID = 1000;

export interface MinioServerArgs {
  /** Servers, drives and resources (components/tiers.ts). */
  readonly sizing: TierSpec["minio"];
  /** Secret with keys rootUser and rootPassword. */
  readonly rootSecretName: string;
  /** Resources to create the server after (the root Secret). */
  readonly dependsOn: pulumi.Resource[];
}

/** The volumes `minio server` is started with: local paths, or every pod's paths in a pool. */
export function minioServerVolumes(servers: number, drivesPerServer: number, namespace: string): string {
  const drives = drivesPerServer > 1 ? `/export{0...${drivesPerServer - 1}}` : "/export0";
  if (servers === 1) return drives;
  return `http://${MINIO_SERVICE}-{0...${servers - 1}}.${MINIO_SERVICE}-hl.${namespace}.svc.cluster.local${drives}`;
}

export class MinioServer extends pulumi.ComponentResource {
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: MinioServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:storage:MinioServer", name, {}, opts);
    const ns = NAMESPACES.storage.name;
    const { servers, drivesPerServer, driveSize, resources } = args.sizing;
    const labels = commonLabels(MINIO_APP);
    const selector = { "app.kubernetes.io/name": MINIO_APP };
    const on = { parent: this, dependsOn: args.dependsOn };
    const ports = [
      { name: "s3", port: MINIO_PORT, targetPort: "s3" },
      { name: "console", port: MINIO_CONSOLE_PORT, targetPort: "console" },
    ];

    new k8s.core.v1.Service(`${name}-api`, { metadata: { name: MINIO_SERVICE, namespace: ns, labels }, spec: { type: "ClusterIP", selector, ports } }, on);
    // Stable per-pod names for the distributed pool.
    const headless = new k8s.core.v1.Service(
      `${name}-headless`,
      { metadata: { name: `${MINIO_SERVICE}-hl`, namespace: ns, labels }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector, ports } },
      on,
    );

    const drives = Array.from({ length: drivesPerServer }, (_, i) => `export${i}`);
    const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: args.rootSecretName, key } } });
    this.statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name: MINIO_SERVICE, namespace: ns, labels },
        spec: {
          serviceName: headless.metadata.name,
          replicas: servers,
          // A pool starts only when all its servers are up: start them together.
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              securityContext: restrictedPod({ user: MINIO_UID, group: MINIO_UID, fsGroup: MINIO_UID }),
              containers: [
                {
                  name: "minio",
                  image: imageRef(IMAGES.minio),
                  command: ["minio"],
                  args: ["server", minioServerVolumes(servers, drivesPerServer, ns), "--address", `:${MINIO_PORT}`, "--console-address", `:${MINIO_CONSOLE_PORT}`],
                  env: [
                    secretEnv("MINIO_ROOT_USER", "rootUser"),
                    secretEnv("MINIO_ROOT_PASSWORD", "rootPassword"),
                    // Prometheus scrapes /minio/v2/metrics/cluster without a bearer token.
                    { name: "MINIO_PROMETHEUS_AUTH_TYPE", value: "public" },
                    // MinIO writes its config under $HOME when it is not in a drive.
                    { name: "HOME", value: "/tmp" },
                  ],
                  ports: [
                    { name: "s3", containerPort: MINIO_PORT },
                    { name: "console", containerPort: MINIO_CONSOLE_PORT },
                  ],
                  readinessProbe: { httpGet: { path: "/minio/health/ready", port: "s3" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 6 },
                  livenessProbe: { httpGet: { path: "/minio/health/live", port: "s3" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 6 },
                  resources,
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [...drives.map((d) => ({ name: d, mountPath: `/${d}` })), { name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
          volumeClaimTemplates: drives.map((d) => ({
            metadata: { name: d, labels },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: driveSize } } },
          })),
        },
      },
      on,
    );

    if (servers > 1) {
      pdb(`${name}-pdb`, { name: MINIO_SERVICE, namespace: ns, labels, selector, maxUnavailable: 1 }, on);
    }
    this.registerOutputs({ statefulSet: this.statefulSet.metadata.name });
  }
}
