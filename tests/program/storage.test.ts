// Metrics storage in the plan: the right object storage per topology, Prometheus sized from
// the tier, compactor rules, federation through the peers' outputs.json.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { STORAGE_TOPOLOGIES, parseHeliosConfig } from "../../components/config";
import { EXTERNAL_LABELS, REPLICA_LABELS } from "../../components/labels";
import { checkCompactorClash } from "../../components/storage/federation";
import { planStorage } from "../../components/storage/topology";
import { TIERS, TIER_NAMES } from "../../components/tiers";
import { CHARTS } from "../../components/versions";
import { synthesize, SynthResult } from "../../scripts/lib/synthesize";
import { revealSecrets } from "../helpers/minio";
import { baseConfig, ofType, synth, synthRepoStack } from "../helpers/stacks";
import { REPO_ROOT, tempDir } from "../helpers/tools";

const release = (r: SynthResult, name: string) => r.helmReleases.find((h) => h.name === name);
const thanos = (r: SynthResult) => release(r, "thanos")!.values as Record<string, any>;
const kps = (r: SynthResult) => release(r, "kube-prometheus-stack")!.values as Record<string, any>;
const topologyConfig = (topology: string, extra: Record<string, unknown> = {}) =>
  baseConfig({ "helios:storageTopology": topology, "helios:peers": topology === "multi-dc-minio" ? ["dc-peer"] : [], ...extra });

describe("storage per topology and tier", () => {
  const cases = TIER_NAMES.flatMap((tier) => STORAGE_TOPOLOGIES.map((topology) => [tier, topology] as const));
  it.each(cases)("%s / %s", async (tier, topology) => {
    const r = await synth(topologyConfig(topology, { "helios:tier": tier }));
    const spec = TIERS[tier];
    const minioServer = ofType(r, "kubernetes:apps/v1:StatefulSet").find((x) => x.kubernetesName === "helios-minio");
    const awsBuckets = ofType(r, "aws:s3/bucket:Bucket");
    const minioResources = r.resources.filter((x) => x.type.startsWith("minio:"));

    if (topology === "cloud-s3") {
      expect(minioServer).toBeUndefined();
      expect(minioResources).toEqual([]);
      expect(awsBuckets.map((b) => b.inputs.bucket)).toEqual(["helios-metrics-dc-t"]);
    } else {
      const server = minioServer!.inputs.spec;
      expect(server.replicas).toBe(spec.minio.servers);
      expect(server.volumeClaimTemplates).toHaveLength(spec.minio.drivesPerServer);
      // Every tier has ≥ 4 drives: erasure-coded, on one server or as one pool of all servers.
      const volumes = server.template.spec.containers[0].args[1];
      expect(volumes).toBe(
        spec.minio.servers === 1
          ? `/export{0...${spec.minio.drivesPerServer - 1}}`
          : `http://helios-minio-{0...${spec.minio.servers - 1}}.helios-minio-hl.helios-storage.svc.cluster.local/export{0...${spec.minio.drivesPerServer - 1}}`,
      );
      expect(ofType(r, "minio:index/s3Bucket:S3Bucket").map((b) => b.inputs.bucket)).toEqual(["helios-metrics"]);
      expect(ofType(r, "minio:index/s3BucketVersioning:S3BucketVersioning")[0].inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      expect(ofType(r, "minio:index/iamUser:IamUser").map((u) => u.inputs.name)).toContain("helios-thanos");
      expect(awsBuckets.map((b) => b.inputs.bucket)).toEqual(topology === "hybrid" ? ["helios-metrics-cold-dc-t"] : []);
    }
    const jobs = ofType(r, "kubernetes:batch/v1:Job").filter((j) => j.namespace === "helios-storage").map((j) => j.kubernetesName);
    expect(jobs).toEqual(topology === "multi-dc-minio" ? ["minio-replication"] : topology === "hybrid" ? ["minio-tiering"] : []);

    const prometheusSpec = kps(r).prometheus.prometheusSpec;
    expect(prometheusSpec.shards).toBe(spec.prometheus.shards);
    expect(prometheusSpec.replicas).toBe(spec.prometheus.replicasPerShard);
    expect(thanos(r).storeGateway.replicas).toBe(spec.thanos.storeGateway.replicas);
    expect(thanos(r).storeGateway.extraArgs.join(" ")).toContain(`max_size: ${spec.thanos.storeGateway.indexCacheSize}`);
    expect(thanos(r).query.replicas).toBe(spec.thanos.query.replicas);
  });

  it("cloud-s3: versioned, encrypted, lifecycle-bounded, private bucket; least-privilege IAM user", async () => {
    const r = await synth(topologyConfig("cloud-s3", { "helios:objectStorage": { region: "eu-west-1" } }));
    expect(ofType(r, "aws:s3/bucketVersioning:BucketVersioning")[0].inputs.versioningConfiguration.status).toBe("Enabled");
    expect(ofType(r, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0].inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    const pab = ofType(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs;
    expect([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets]).toEqual([true, true, true, true]);
    expect(ofType(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0].inputs.rules[0].noncurrentVersionExpiration.noncurrentDays).toBeGreaterThan(0);
    const policy = JSON.parse(ofType(r, "aws:iam/userPolicy:UserPolicy")[0].inputs.policy);
    const resources = policy.Statement.flatMap((s: { Resource: string[] }) => s.Resource);
    expect(resources.sort()).toEqual(["arn:aws:s3:::helios-metrics-dc-t", "arn:aws:s3:::helios-metrics-dc-t/*"]);
    expect(JSON.stringify(policy)).not.toContain("s3:*");
    expect(ofType(r, "pulumi:providers:aws")[0].inputs.region).toBe("eu-west-1");
  });

  it("writes the objstore config only into a Secret, and Prometheus/Thanos start after it", async () => {
    const r = await synth(topologyConfig("single-dc-minio"));
    const secret = ofType(r, "kubernetes:core/v1:Secret").find((s) => s.kubernetesName === "helios-thanos-objstore")!;
    const objstore = YAML.parse(revealSecrets(secret.inputs.stringData)["objstore.yml"]);
    expect(objstore).toMatchObject({ type: "S3", config: { bucket: "helios-metrics", endpoint: "helios-minio.helios-storage.svc.cluster.local:9000", insecure: true, access_key: "helios-thanos" } });
    for (const cm of ofType(r, "kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(cm.inputs)).not.toContain("secret_key");
    for (const name of ["prometheus", "thanos"]) {
      const rel = ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.name === name)!;
      expect(rel.dependsOn).toContain("kubernetes:core/v1:Secret::thanos-objstore");
      expect(rel.dependsOn).toContain("kubernetes:core/v1:Namespace::helios-storage");
    }
    // The Thanos chart's ServiceMonitors need the CRDs kube-prometheus-stack installs (SC-001).
    expect(ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.name === "thanos")!.dependsOn).toContain("kubernetes:helm.sh/v3:Release::prometheus");
    expect(kps(r).prometheus.prometheusSpec.thanos.objectStorageConfig.existingSecret).toEqual({ name: "helios-thanos-objstore", key: "objstore.yml" });
    expect(thanos(r).objstoreConfig).toEqual({ create: false, name: "helios-thanos-objstore", key: "objstore.yml" });
    // MinIO resources are created through their own provider, after the MinIO server.
    for (const m of r.resources.filter((x) => x.type.startsWith("minio:index/"))) {
      expect(m.provider).toBe("pulumi:providers:minio::minio-admin");
    }
    expect(ofType(r, "minio:index/s3Bucket:S3Bucket")[0].dependsOn).toContain("kubernetes:apps/v1:StatefulSet::minio-server");
  });

  it("Prometheus: Alertmanager/Grafana elsewhere, selects monitors and rules from every namespace, labels for Thanos", async () => {
    const r = await synth(topologyConfig("single-dc-minio"));
    const v = kps(r);
    expect(v.alertmanager.enabled).toBe(false);
    expect(v.grafana.enabled).toBe(false);
    const spec = v.prometheus.prometheusSpec;
    expect(spec.alertingEndpoints).toEqual([{ namespace: "helios-visualization", name: "alertmanager-operated", port: "web", apiVersion: "v2" }]);
    for (const kind of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
      expect(spec[`${kind}SelectorNilUsesHelmValues`]).toBe(false);
      expect(spec[`${kind}Selector`]).toEqual({});
      expect(spec[`${kind}NamespaceSelector`]).toEqual({});
    }
    expect(Object.keys(spec.externalLabels).sort()).toEqual([EXTERNAL_LABELS.cluster, EXTERNAL_LABELS.datacenter].sort());
    expect(spec.externalLabels.datacenter).toBe("dc-t");
    expect(spec.replicaExternalLabelName).toBe(REPLICA_LABELS[0]);
    expect(thanos(r).query.replicaLabels).toEqual([...REPLICA_LABELS]);
    expect(thanos(r).rule.alertmanagersConfig.value).toContain("alertmanager-operated.helios-visualization");
    expect(r.images).toEqual(expect.arrayContaining(["quay.io/thanos/thanos:v0.42.4", "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"]));
  });

  it("compactor retention flags: defaults raw 14d / 5m 30d / 1h 90d, and the configured ones", async () => {
    const defaults = await synth(topologyConfig("single-dc-minio"));
    expect(thanos(defaults).compact.enabled).toBe(true);
    expect(thanos(defaults).compact.extraArgs).toEqual(["--retention.resolution-raw=14d", "--retention.resolution-5m=30d", "--retention.resolution-1h=90d"]);
    const custom = await synth(topologyConfig("single-dc-minio", { "helios:thanosRetention": { raw: "7d", downsampled5m: "60d", downsampled1h: "1y" } }));
    expect(thanos(custom).compact.extraArgs).toEqual(["--retention.resolution-raw=7d", "--retention.resolution-5m=60d", "--retention.resolution-1h=1y"]);
  });

  it("a DC-local bucket is compacted by its own DC even when secondary; a shared one only by the primary", async () => {
    const local = await synth(topologyConfig("single-dc-minio", { "helios:role": "secondary" }));
    expect(thanos(local).compact.enabled).toBe(true);
    const shared = await synth(topologyConfig("multi-dc-minio", { "helios:role": "secondary" }));
    expect(thanos(shared).compact.enabled).toBe(false);
    const namedS3 = await synth(topologyConfig("cloud-s3", { "helios:role": "secondary", "helios:objectStorage": { bucket: "acme-thanos" } }));
    expect(thanos(namedS3).compact.enabled).toBe(false);
  });

  it("rejects bad storage input with a clear error", async () => {
    await expect(synth(topologyConfig("cloud-s3", { "helios:objectStorage": { publicEndpoint: "https://s3.example.net" } }))).rejects.toThrow(
      /helios:objectStorage.publicEndpoint: only applies to MinIO topologies/,
    );
    // Outside the offline plan a MinIO topology without its root password is refused with the rest of
    // the config, before any resource.
    const values = { ...flat(topologyConfig("single-dc-minio", { "helios:maxmindAccountId": "1" })), "helios:netboxToken": "t", "helios:maxmindLicenseKey": "k", "helios:grafanaAdminPassword": "g" };
    const secretKeys = new Set(["helios:netboxToken", "helios:maxmindLicenseKey", "helios:grafanaAdminPassword"]);
    expect(() => parseHeliosConfig({ values, secretKeys, stack: "dc-t", planMode: false })).toThrow(/helios:minioRootPassword: is required for storageTopology single-dc-minio/);
  });
});

describe("federation across the repo stacks (dc-a primary, dc-b secondary)", () => {
  const outRoot = tempDir("plan-storage");
  let aAlone: SynthResult;
  let b: SynthResult;
  let a: SynthResult;

  beforeAll(async () => {
    aAlone = await synthRepoStack("dc-a", outRoot);
    b = await synthRepoStack("dc-b", outRoot);
    a = await synthRepoStack("dc-a", outRoot);
  });

  it("without dc-b planned, dc-a plans with a warning and its local endpoints only", () => {
    expect(aAlone.warnings.join("\n")).toMatch(/peer stack dc-b has no outputs yet/);
    expect(thanos(aAlone).query.additionalStores).toEqual(["dnssrv+_grpc._tcp.helios-prometheus-thanos-discovery.helios-storage.svc.cluster.local"]);
    expect(thanos(aAlone).query.extraArgs).toEqual([]);
  });

  it("once dc-b is planned, dc-a's global query lists dc-b's endpoints read from dc-b's outputs.json", () => {
    const bOutputs = JSON.parse(fs.readFileSync(path.join(outRoot, "dc-b", "outputs.json"), "utf8"));
    expect(bOutputs.federation.thanos.query).toBe("thanos-query.dc-b.helios.internal:443");
    const sdArg = (thanos(a).query.extraArgs as string[]).find((x) => x.startsWith("--endpoint.sd-config="))!;
    const sd = YAML.parse(sdArg.slice("--endpoint.sd-config=".length));
    expect(sd.endpoints).toEqual([
      { address: bOutputs.federation.thanos.query, strict: false, client_config: { tls_config: { enabled: true }, server_name: "thanos-query.dc-b.helios.internal" } },
    ]);
    // dc-b is secondary: no global query there.
    expect(thanos(b).query.extraArgs).toEqual([]);
    expect(a.warnings).toEqual([]);
  });

  it("exactly one compactor across dc-a and dc-b, on the primary", () => {
    expect([thanos(a).compact.enabled, thanos(b).compact.enabled]).toEqual([true, false]);
    expect(a.outputs.federation).toMatchObject({ compactor: true, objectStorage: { bucketIdentity: "replicated-minio/helios-metrics" } });
    expect(b.outputs.federation).toMatchObject({ compactor: false, objectStorage: { bucketIdentity: "replicated-minio/helios-metrics" } });
  });

  it("dc-a replicates to the endpoint and user dc-b exported", () => {
    const bFed = b.outputs.federation as { replication: { endpoint: string; accessKey: string } };
    const job = ofType(a, "kubernetes:batch/v1:Job").find((j) => j.kubernetesName === "minio-replication")!;
    const env = job.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === "PEER_1_ENDPOINT")?.value).toBe(bFed.replication.endpoint);
    expect(bFed.replication.endpoint).toBe("https://s3.dc-b.example.net");
    const envSecret = ofType(a, "kubernetes:core/v1:Secret").find((s) => s.kubernetesName === "minio-replication-env")!;
    expect(revealSecrets(envSecret.inputs.stringData).PEER_1_ACCESS_KEY).toBe(bFed.replication.accessKey);
    expect(job.dependsOn).toContain("minio:index/s3Bucket:S3Bucket::minio-bucket");
  });

  it("refuses a second primary compacting the same replicated bucket (and renders no second compactor)", async () => {
    const dcB = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dc-b.yaml"), "utf8")).config;
    const clash = await synthesize({ stack: "dc-b", config: { ...dcB, "helios:role": "primary" }, outRoot: tempDir("plan-clash-unused") });
    // dc-b alone (no dc-a in this outRoot) is a primary with nobody to clash with.
    expect(thanos(clash).compact.enabled).toBe(true);
    const withA = await synthesize({ stack: "dc-b", config: { ...dcB, "helios:role": "primary" }, outRoot });
    expect(withA.warnings.join("\n")).toMatch(/error: [\s\S]*two Thanos compactors would write bucket replicated-minio\/helios-metrics: this stack and peer stack dc-a/);
    expect(thanos(withA).compact.enabled).toBe(false);
  });

  it("the compactor clash rule on its own", () => {
    const plan = planStorage(parseHeliosConfig({ values: { ...flat(topologyConfig("cloud-s3", { "helios:objectStorage": { bucket: "shared-bucket" } })) }, secretKeys: new Set(), stack: "x", planMode: true }));
    const peer = (compactor: boolean) => ({ stack: "y", federation: { compactor, role: "primary", objectStorage: { bucketIdentity: plan.bucketIdentity } } as never });
    expect(() => checkCompactorClash("x", plan, [peer(true)])).toThrow(/two Thanos compactors/);
    expect(() => checkCompactorClash("x", plan, [peer(false)])).not.toThrow();
  });
});

function flat(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}
