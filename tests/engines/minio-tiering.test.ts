// hybrid with real MinIO servers: the planned `minio-tiering` Job adds an S3 ILM tier and
// the transition lifecycle on the hot MinIO. A second MinIO stands in for AWS S3 (no AWS
// account is reachable here; same S3 API and IAM policy language), holding the planned cold
// bucket and a user limited by the plan's cold-tier IAM policy. MinIO checks the tier's
// credentials by writing to it when the tier is added, so a too-narrow policy fails here.
import { SynthResult } from "../../scripts/lib/synthesize";
import { MinioServer, createUserWithPolicy, plannedJob, runPlannedScript, startMinio } from "../helpers/minio";
import { baseConfig, ofType, synth } from "../helpers/stacks";

describe("hybrid: MinIO hot tier with ILM transition to S3", () => {
  let plan: SynthResult;
  let hot: MinioServer;
  let cold: MinioServer;

  beforeAll(async () => {
    plan = await synth(baseConfig({ "helios:storageTopology": "hybrid", "helios:objectStorage": { region: "eu-west-1" } }));
    hot = await startMinio({ alias: "hot" });
    cold = await startMinio({ alias: "cold", region: "eu-west-1" });
  });
  afterAll(async () => {
    await Promise.all([hot?.stop(), cold?.stop()]);
  });

  it("the planned Job configures a working cold tier and the transition rule, idempotently", () => {
    const bucket = ofType(plan, "minio:index/s3Bucket:S3Bucket")[0].inputs.bucket;
    hot.mc(["mb", `hot/${bucket}`]);
    hot.mc(["version", "enable", `hot/${bucket}`]);
    const coldBucket = ofType(plan, "aws:s3/bucket:Bucket")[0].inputs.bucket;
    expect(coldBucket).toBe("helios-metrics-cold-dc-t");
    cold.mc(["mb", "--region", "eu-west-1", `cold/${coldBucket}`]);
    const coldPolicy = ofType(plan, "aws:iam/userPolicy:UserPolicy")[0].inputs.policy;
    createUserWithPolicy(cold, "helios-minio-tier-dc-t", "tier-test-secret-0123456789", "helios-minio-tier-dc-t", coldPolicy);

    const job = plannedJob(plan, "minio-tiering");
    expect(job.env.COLD_ENDPOINT).toBe("https://s3.eu-west-1.amazonaws.com");
    const overrides = {
      LOCAL_ENDPOINT: hot.url,
      LOCAL_ACCESS_KEY: hot.rootUser,
      LOCAL_SECRET_KEY: hot.rootPassword,
      COLD_ENDPOINT: cold.url,
      COLD_ACCESS_KEY: "helios-minio-tier-dc-t",
      COLD_SECRET_KEY: "tier-test-secret-0123456789",
    };
    for (let i = 0; i < 2; i++) {
      const r = runPlannedScript(job, overrides);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    }
    const tiers = hot.mc(["ilm", "tier", "ls", "hot", "--json"]).stdout;
    expect(tiers).toContain("HELIOS-COLD");
    expect(tiers).toContain(coldBucket);
    const rules = JSON.parse(hot.mc(["ilm", "rule", "export", `hot/${bucket}`]).stdout);
    // Exactly one rule after two runs: transition after the raw retention (14d), noncurrent expiry.
    expect(rules.Rules).toHaveLength(1);
    expect(rules.Rules[0].Transition).toMatchObject({ Days: 14, StorageClass: "HELIOS-COLD" });
    expect(rules.Rules[0].NoncurrentVersionExpiration).toMatchObject({ NoncurrentDays: 7 });
  });
});
