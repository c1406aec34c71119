// multi-dc-minio with real MinIO servers: two loopback MinIOs configured with exactly what
// the dc-a and dc-b plans emit (bucket, versioning, the replication user's policy, and the
// mc replication Job's script and environment) replicate in both directions, deletes too.
import * as fs from "fs";
import * as path from "path";
import { SynthResult } from "../../scripts/lib/synthesize";
import { MinioServer, applyPlannedMinio, plannedJob, runPlannedScript, startMinio } from "../helpers/minio";
import { synthRepoStack } from "../helpers/stacks";
import { tempDir } from "../helpers/tools";

async function eventually(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("multi-dc-minio replication between two real MinIO servers", () => {
  const outRoot = tempDir("plan-repl");
  let a: SynthResult;
  let b: SynthResult;
  let dcA: MinioServer;
  let dcB: MinioServer;

  beforeAll(async () => {
    // a, b, a: after this each stack has read the other's outputs.json.
    await synthRepoStack("dc-a", outRoot);
    b = await synthRepoStack("dc-b", outRoot);
    a = await synthRepoStack("dc-a", outRoot);
    dcA = await startMinio({ alias: "dca" });
    dcB = await startMinio({ alias: "dcb" });
  });

  afterAll(async () => {
    await Promise.all([dcA?.stop(), dcB?.stop()]);
  });

  it("replicates objects written in dc-a to dc-b and back, deletions included", async () => {
    const onA = applyPlannedMinio(a, dcA);
    const onB = applyPlannedMinio(b, dcB);
    expect(onA.bucket).toBe(onB.bucket);

    const jobA = plannedJob(a, "minio-replication");
    const jobB = plannedJob(b, "minio-replication");
    // What dc-a's Job targets is exactly what dc-b exported (outputs.json), and vice versa.
    const bExport = JSON.parse(fs.readFileSync(path.join(outRoot, "dc-b", "outputs.json"), "utf8")).federation.replication;
    expect(jobA.env.PEER_1_ENDPOINT).toBe(bExport.endpoint);
    expect(jobA.env.PEER_1_ACCESS_KEY).toBe(bExport.accessKey);
    expect(jobB.env.PEER_1_ENDPOINT).toBe((a.outputs.federation as { replication: { endpoint: string } }).replication.endpoint);

    const local = (s: MinioServer) => ({ LOCAL_ENDPOINT: s.url, LOCAL_ACCESS_KEY: s.rootUser, LOCAL_SECRET_KEY: s.rootPassword });
    const peer = (s: MinioServer, secret: string) => ({ PEER_1_ENDPOINT: s.url, PEER_1_SECRET_KEY: secret });
    for (let i = 0; i < 2; i++) {
      // Twice: the Job must be safe to re-run (pulumi up replaces it on every change).
      const ra = runPlannedScript(jobA, { ...local(dcA), ...peer(dcB, onB.replicationSecret) });
      expect({ status: ra.status, stderr: ra.stderr }).toEqual({ status: 0, stderr: "" });
      expect(ra.stdout).toContain(dcB.url.replace("http://", ""));
    }
    const rb = runPlannedScript(jobB, { ...local(dcB), ...peer(dcA, onA.replicationSecret) });
    expect({ status: rb.status, stderr: rb.stderr }).toEqual({ status: 0, stderr: "" });

    const dir = tempDir("repl-objects");
    const fromA = path.join(dir, "meta-a.json");
    fs.writeFileSync(fromA, JSON.stringify({ ulid: "01HELIOSDCA", written: "dc-a" }));
    dcA.mc(["cp", fromA, `dca/${onA.bucket}/01HELIOSDCA/meta.json`]);
    await eventually("dc-a's object in dc-b", () => dcB.mc(["stat", `dcb/${onB.bucket}/01HELIOSDCA/meta.json`], { allowFail: true }).status === 0);
    expect(dcB.mc(["cat", `dcb/${onB.bucket}/01HELIOSDCA/meta.json`]).stdout).toBe(fs.readFileSync(fromA, "utf8"));

    const fromB = path.join(dir, "meta-b.json");
    fs.writeFileSync(fromB, JSON.stringify({ ulid: "01HELIOSDCB", written: "dc-b" }));
    dcB.mc(["cp", fromB, `dcb/${onB.bucket}/01HELIOSDCB/meta.json`]);
    await eventually("dc-b's object in dc-a", () => dcA.mc(["stat", `dca/${onA.bucket}/01HELIOSDCB/meta.json`], { allowFail: true }).status === 0);

    // The compactor (dc-a) deletes blocks it replaced; the deletion must reach dc-b's copy.
    dcA.mc(["rm", `dca/${onA.bucket}/01HELIOSDCA/meta.json`]);
    await eventually("the deletion in dc-b", () => dcB.mc(["stat", `dcb/${onB.bucket}/01HELIOSDCA/meta.json`], { allowFail: true }).status !== 0);
  });

  it("the replication user cannot touch other buckets", () => {
    dcB.mc(["mb", "dcb/unrelated"]);
    const dir = tempDir("repl-deny");
    const probe = path.join(dir, "x");
    fs.writeFileSync(probe, "x");
    dcB.mc(["alias", "set", "dcb-repl", dcB.url, "helios-replication", "repl-dc-b-0123456789abcdef"]);
    const denied = dcB.mc(["cp", probe, "dcb-repl/unrelated/x"], { allowFail: true });
    expect(denied.status).not.toBe(0);
    expect(denied.stderr + denied.stdout).toMatch(/Access Denied|Insufficient permissions/i);
  });
});
