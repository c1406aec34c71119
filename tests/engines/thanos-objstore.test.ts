// The objstore.yml the program generates is accepted by a real Thanos against a real MinIO:
// for single-dc-minio (in-cluster MinIO, least-privilege MinIO user) and for cloud-s3 (AWS
// S3 settings: region, SSE-S3, least-privilege IAM policy; MinIO stands in for S3 here, as
// no AWS account is reachable — same S3 API, same IAM policy language). Only the endpoint
// and the generated credentials are swapped for the loopback server's; everything else is
// the plan's. A real TSDB block (promtool) is uploaded, listed and inspected by Thanos.
import * as fs from "fs";
import * as path from "path";
import { SynthResult } from "../../scripts/lib/synthesize";
import { MinioServer, createUserWithPolicy, startMinio } from "../helpers/minio";
import { baseConfig, ofType, synth, synthRepoStack } from "../helpers/stacks";
import { helmValues, makeBlocks, onLoopback, plannedObjstore, startThanos, thanosTool } from "../helpers/thanos";
import { pinnedVersion, run, tempDir, tool } from "../helpers/tools";

function uploadListInspect(objstoreFile: string, datacenter: string) {
  // one series, 60 samples over an hour, three hours ago
  const start = Math.floor(Date.now() / 1000) - 3 * 3600;
  const blocks = makeBlocks(`helios_test_metric{device="r1",site="s1"}`, Array.from({ length: 60 }, (_, i) => [i, start + i * 60]));
  const up = thanosTool(["upload-blocks", `--objstore.config-file=${objstoreFile}`, `--path=${blocks}`, `--label=datacenter="${datacenter}"`, "--shipper.upload-compacted"]);
  expect({ status: up.status, err: up.status === 0 ? "" : up.stderr }).toEqual({ status: 0, err: "" });
  const ls = thanosTool(["ls", `--objstore.config-file=${objstoreFile}`, "--output=json"]);
  expect(ls.status).toBe(0);
  // One (pretty-printed) JSON document per block; each starts with "{" at column 0.
  const metas = ls.stdout.trim().split(/\n(?=\{)/).filter(Boolean).map((doc) => JSON.parse(doc));
  // promtool cuts 2h-aligned blocks: every local block is in the bucket, with all 60 samples.
  const localBlocks = fs.readdirSync(blocks).filter((d) => fs.existsSync(path.join(blocks, d, "meta.json")));
  expect(metas.map((m) => m.ulid).sort()).toEqual(localBlocks.sort());
  expect(metas.reduce((n, m) => n + m.stats.numSamples, 0)).toBe(60);
  for (const m of metas) expect(m.thanos.labels).toEqual({ datacenter });
  const inspect = thanosTool(["inspect", `--objstore.config-file=${objstoreFile}`]);
  expect(inspect.status).toBe(0);
  expect(inspect.stdout).toContain(metas[0].ulid);
  expect(inspect.stdout).toContain(`datacenter=${datacenter}`);
}

describe("generated objstore config with a real Thanos", () => {
  const servers: MinioServer[] = [];
  let minioPlan: SynthResult;
  let minioObjstore: string;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("runs the pinned Thanos release", () => {
    const v = run(tool("thanos"), ["--version"]);
    expect(v.stdout + v.stderr).toContain(`version ${pinnedVersion("HELIOS_THANOS_VERSION").replace(/^v/, "")}`);
  });

  it("single-dc-minio: Thanos uploads, lists and inspects blocks as the least-privilege MinIO user", async () => {
    const plan = (minioPlan = await synth(baseConfig({ "helios:storageTopology": "single-dc-minio" })));
    const planned = plannedObjstore(plan);
    expect(planned.type).toBe("S3");
    const bucket = ofType(plan, "minio:index/s3Bucket:S3Bucket")[0].inputs.bucket;
    expect(planned.config.bucket).toBe(bucket);
    const policy = ofType(plan, "minio:index/iamPolicy:IamPolicy").find((p) => p.inputs.name === "helios-thanos")!;

    const server = await startMinio({ alias: "hot" });
    servers.push(server);
    server.mc(["mb", `hot/${bucket}`]);
    server.mc(["version", "enable", `hot/${bucket}`]);
    createUserWithPolicy(server, planned.config.access_key as string, "thanos-test-secret-0123456789", policy.inputs.name, policy.inputs.policy);
    const file = (minioObjstore = onLoopback(planned, server, planned.config.access_key as string, "thanos-test-secret-0123456789"));

    const empty = thanosTool(["ls", `--objstore.config-file=${file}`]);
    expect({ status: empty.status, out: empty.stdout.trim() }).toEqual({ status: 0, out: "" });
    uploadListInspect(file, "dc-t");

    // Least privilege: the same credentials are refused on any other bucket.
    server.mc(["mb", "hot/other"]);
    const other = path.join(tempDir("objstore-other"), "objstore.yml");
    fs.writeFileSync(other, fs.readFileSync(file, "utf8").replace(`bucket: ${bucket}`, "bucket: other"));
    const refused = thanosTool(["ls", `--objstore.config-file=${other}`]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Access Denied/i);
  });

  it("cloud-s3: region, SSE-S3 and the IAM policy the plan emits work against an S3 API", async () => {
    const plan = await synth(baseConfig({ "helios:storageTopology": "cloud-s3", "helios:objectStorage": { region: "eu-west-1" } }));
    const planned = plannedObjstore(plan);
    expect(planned.config).toMatchObject({ endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1", insecure: false, sse_config: { type: "SSE-S3" } });
    const bucket = ofType(plan, "aws:s3/bucket:Bucket")[0].inputs.bucket;
    const iamPolicy = ofType(plan, "aws:iam/userPolicy:UserPolicy")[0].inputs.policy;

    const server = await startMinio({ alias: "s3", region: "eu-west-1", kms: true });
    servers.push(server);
    server.mc(["mb", "--region", "eu-west-1", `s3/${bucket}`]);
    server.mc(["version", "enable", `s3/${bucket}`]);
    createUserWithPolicy(server, "helios-thanos-dc-t", "iam-test-secret-0123456789", "helios-thanos-dc-t", iamPolicy);
    const file = onLoopback(planned, server, "helios-thanos-dc-t", "iam-test-secret-0123456789");
    uploadListInspect(file, "dc-t");
    // The uploaded objects were encrypted at rest (SSE-S3 requested by the config).
    const stat = server.mc(["stat", "--recursive", `s3/${bucket}/`]);
    expect(stat.stdout).toMatch(/Encryption\s*:\s*SSE-S3/i);
  });

  it("the compactor runs a real pass with the plan's retention and downsampling flags", () => {
    const compact = helmValues(minioPlan, "thanos").compact;
    expect(compact.enabled).toBe(true);
    const r = run(tool("thanos"), ["compact", `--objstore.config-file=${minioObjstore}`, `--data-dir=${tempDir("compact")}`, "--http-address=127.0.0.1:0", ...compact.extraArgs], { timeoutMs: 120_000 });
    expect({ status: r.status, err: r.status === 0 ? "" : r.stderr.slice(-2000) }).toEqual({ status: 0, err: "" });
  });

  it("the store gateway starts with the plan's tier-sized cache configs", async () => {
    const store = helmValues(minioPlan, "thanos").storeGateway;
    const ready = await runUntilReady(["store", `--objstore.config-file=${minioObjstore}`, `--data-dir=${tempDir("store")}`, ...store.extraArgs]);
    expect(ready).toBe(true);
  });

  it("dc-a's global query starts with the endpoint config naming dc-b (per-endpoint TLS)", async () => {
    const outRoot = tempDir("plan-query");
    await synthRepoStack("dc-b", outRoot);
    const a = await synthRepoStack("dc-a", outRoot);
    const query = helmValues(a, "thanos").query;
    const sd = (query.extraArgs as string[]).filter((x) => x.startsWith("--endpoint.sd-config="));
    expect(sd).toHaveLength(1);
    expect(sd[0]).toContain("thanos-query.dc-b.helios.internal:443");
    const replicaFlags = (query.replicaLabels as string[]).map((l) => `--query.replica-label=${l}`);
    expect(await runUntilReady(["query", ...replicaFlags, ...query.extraArgs])).toBe(true);
  });
});

/** Starts a Thanos component; true once its /-/ready answers 200 (then stops it). */
async function runUntilReady(args: string[]): Promise<boolean> {
  const t = await startThanos(args);
  await t.stop();
  return true;
}
