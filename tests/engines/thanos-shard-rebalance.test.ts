// Spec edge case "Prometheus shards are rebalanced": a target moves from one shard to another
// and, for a while, both scrape it. The blocks both shards ship carry the external labels the
// Prometheus Operator gives them (same `prometheus`, their own pod name in `prometheus_replica`,
// no shard label), so the planned Thanos Query — its replica labels from the plan — must return
// one continuous series with no doubled samples. Real promtool blocks, real MinIO with the
// planned bucket policy, real Thanos store gateway and query (v0.42.4).
import { createUserWithPolicy, MinioServer, startMinio } from "../helpers/minio";
import { baseConfig, ofType, synth } from "../helpers/stacks";
import { ThanosProcess, helmValues, makeBlocks, onLoopback, plannedObjstore, startThanos, thanosTool } from "../helpers/thanos";
import { tempDir } from "../helpers/tools";

const SERIES = `helios_rebalance_probe{device="r7",site="s1",job="snmp"}`;
const MINUTES = 100;
/** the target moved from shard 0 to shard 1 at minute 40; shard 0 kept scraping it until minute 60 */
const SHARD0 = { from: 0, to: 60, replica: "prometheus-helios-prometheus-0" };
const SHARD1 = { from: 40, to: MINUTES, replica: "prometheus-helios-prometheus-shard-1-0" };

describe("Prometheus shards rebalanced: the planned Thanos Query deduplicates the overlap", () => {
  let server: MinioServer;
  let store: ThanosProcess;
  let query: ThanosProcess;
  let replicaLabels: string[];
  const start = Math.floor(Date.now() / 1000 / 3600) * 3600 - 4 * 3600; // a whole hour, 4 h ago
  const end = start + (MINUTES - 1) * 60;

  beforeAll(async () => {
    const plan = await synth(baseConfig({ "helios:storageTopology": "single-dc-minio", "helios:tier": "large" }));
    const planned = plannedObjstore(plan);
    const bucket = ofType(plan, "minio:index/s3Bucket:S3Bucket")[0].inputs.bucket;
    const policy = ofType(plan, "minio:index/iamPolicy:IamPolicy").find((p) => p.inputs.name === "helios-thanos")!;
    server = await startMinio({ alias: "rebal" });
    server.mc(["mb", `rebal/${bucket}`]);
    createUserWithPolicy(server, planned.config.access_key as string, "rebalance-secret-0123456789", policy.inputs.name, policy.inputs.policy);
    const objstore = onLoopback(planned, server, planned.config.access_key as string, "rebalance-secret-0123456789");

    // what each shard's sidecar ships: the same series (the same target), its own replica label
    for (const shard of [SHARD0, SHARD1]) {
      const samples: Array<[number, number]> = [];
      for (let m = shard.from; m < shard.to; m++) samples.push([m, start + m * 60]);
      const blocks = makeBlocks(SERIES, samples);
      const labels = [`cluster="dc-t"`, `datacenter="dc-t"`, `prometheus="helios-storage/helios-prometheus"`, `prometheus_replica="${shard.replica}"`];
      const up = thanosTool(["upload-blocks", `--objstore.config-file=${objstore}`, `--path=${blocks}`, ...labels.map((l) => `--label=${l}`), "--shipper.upload-compacted"]);
      if (up.status !== 0) throw new Error(`upload failed: ${up.stderr}`);
    }

    const thanos = helmValues(plan, "thanos");
    replicaLabels = thanos.query.replicaLabels;
    store = await startThanos(["store", `--objstore.config-file=${objstore}`, `--data-dir=${tempDir("rebal-store")}`, ...thanos.storeGateway.extraArgs]);
    query = await startThanos(["query", ...replicaLabels.map((l) => `--query.replica-label=${l}`), `--endpoint=127.0.0.1:${store.grpc}`]);
  }, 300_000);

  afterAll(async () => {
    await query?.stop();
    await store?.stop();
    await server?.stop();
  });

  async function range(dedup: boolean): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
    const url = `http://127.0.0.1:${query.http}/api/v1/query_range?query=${encodeURIComponent("helios_rebalance_probe")}&start=${start}&end=${end}&step=60&dedup=${dedup}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const body = (await (await fetch(url)).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
      if (body.status !== "success") throw new Error(JSON.stringify(body));
      // the store gateway may still be loading the blocks
      if (body.data.result.length > 0 || Date.now() > deadline) return body.data.result;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  it("dedups on the operator's replica label (prometheus_replica), as planned", () => {
    expect(replicaLabels).toContain("prometheus_replica");
  });

  it("without dedup, both shards' copies are there (the overlap is real)", async () => {
    const raw = await range(false);
    expect(raw.map((s) => s.metric.prometheus_replica).sort()).toEqual([SHARD0.replica, SHARD1.replica].sort());
  });

  it("with the planned dedup, one continuous series: every minute once, no gap, no doubled sample", async () => {
    const deduped = await range(true);
    expect(deduped).toHaveLength(1);
    expect(deduped[0].metric).not.toHaveProperty("prometheus_replica");
    expect(deduped[0].metric).toMatchObject({ device: "r7", datacenter: "dc-t", prometheus: "helios-storage/helios-prometheus" });
    const points = deduped[0].values;
    // a value at every step of the 100 minutes, each once
    expect(points.map(([t]) => t)).toEqual(Array.from({ length: MINUTES }, (_, m) => start + m * 60));
    const values = points.map(([, v]) => Number(v));
    // Thanos' dedup follows one replica and switches only after a gap longer than its penalty,
    // so at the handover a step may show the old shard's last value (held by the 5m lookback):
    // never a value from the future, never a step back, at most two steps behind
    const behind = values.map((v, m) => m - v);
    for (let m = 1; m < MINUTES; m++) expect(values[m]).toBeGreaterThanOrEqual(values[m - 1]);
    expect(Math.min(...behind)).toBe(0);
    expect(Math.max(...behind)).toBeLessThanOrEqual(2);
    const held = behind.map((b, m) => (b > 0 ? m : -1)).filter((m) => m >= 0);
    process.stderr.write(`[thanos dedup] ${held.length} of ${MINUTES} steps held the previous shard's last value (minutes ${held.join(", ") || "none"})\n`);
    // before and after the overlap every value is the sample itself
    expect(values.slice(0, SHARD1.from)).toEqual(Array.from({ length: SHARD1.from }, (_, m) => m));
    expect(values.slice(SHARD0.to + 2)).toEqual(Array.from({ length: MINUTES - SHARD0.to - 2 }, (_, i) => SHARD0.to + 2 + i));
  });
});
