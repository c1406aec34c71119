/**
 * multi-dc-minio replication lag and throughput between two real loopback MinIO servers,
 * configured exactly as the dc-a / dc-b plans emit (tests/helpers/minio.ts): writes block-
 * sized objects into dc-a and times until each is readable in dc-b. Both servers share this
 * machine's disk and CPU, so the figures are a floor for the replication machinery itself,
 * not for a WAN link. Writes bench/results/storage-replication.json.
 * Usage: node --import tsx bench/storage-replication.ts [objects] [sizeMiB]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyPlannedMinio, plannedJob, runPlannedScript, startMinio } from "../tests/helpers/minio";
import { synthRepoStack } from "../tests/helpers/stacks";
import { tempDir } from "../tests/helpers/tools";

async function main(): Promise<void> {
  const objects = Number(process.argv[2] ?? 50);
  const sizeMiB = Number(process.argv[3] ?? 4);
  const outRoot = tempDir("bench-repl");
  await synthRepoStack("dc-a", outRoot);
  const b = await synthRepoStack("dc-b", outRoot);
  const a = await synthRepoStack("dc-a", outRoot);
  const dcA = await startMinio({ alias: "dca" });
  const dcB = await startMinio({ alias: "dcb" });
  try {
    applyPlannedMinio(a, dcA);
    const onB = applyPlannedMinio(b, dcB);
    const r = runPlannedScript(plannedJob(a, "minio-replication"), {
      LOCAL_ENDPOINT: dcA.url,
      LOCAL_ACCESS_KEY: dcA.rootUser,
      LOCAL_SECRET_KEY: dcA.rootPassword,
      PEER_1_ENDPOINT: dcB.url,
      PEER_1_SECRET_KEY: onB.replicationSecret,
    });
    if (r.status !== 0) throw new Error(`replication job failed: ${r.stderr}`);

    const file = path.join(tempDir("bench-obj"), "chunk");
    fs.writeFileSync(file, Buffer.alloc(sizeMiB * 1024 * 1024, 0x5a));
    const lags: number[] = [];
    const started = Date.now();
    for (let i = 0; i < objects; i++) {
      const key = `${onB.bucket}/01BENCH${String(i).padStart(6, "0")}/chunks/000001`;
      dcA.mc(["cp", "--quiet", file, `dca/${key}`]);
      const written = Date.now();
      while (dcB.mc(["stat", `dcb/${key}`], { allowFail: true }).status !== 0) {
        if (Date.now() - written > 120_000) throw new Error(`object ${i} never replicated`);
        await new Promise((res) => setTimeout(res, 50));
      }
      lags.push(Date.now() - written);
    }
    const elapsedS = (Date.now() - started) / 1000;
    lags.sort((x, y) => x - y);
    const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))];
    const result = {
      benchmark: "storage-replication",
      measuredAt: new Date().toISOString(),
      params: { objects, objectMiB: sizeMiB, pollMs: 50 },
      objects,
      objectMiB: sizeMiB,
      replicationLagMs: { p50: pct(50), p95: pct(95), max: lags[lags.length - 1] },
      endToEndMiBPerSecond: Number(((objects * sizeMiB) / elapsedS).toFixed(1)),
      // npm run bench adds provenance (commit, machine, load before/after, engine pins)
      conditions: `two loopback MinIO servers on one shared ${os.cpus().length}-vCPU machine (load average ${os.loadavg().map((l) => l.toFixed(1)).join("/")} at the end); lag measured by polling (50 ms) for each object in dc-b after its upload to dc-a returned`,
    };
    console.log(JSON.stringify(result, null, 2));
    const out = process.env.HELIOS_BENCH_RESULTS ?? path.resolve(__dirname, "results");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "storage-replication.json"), JSON.stringify(result, null, 2) + "\n");
  } finally {
    await Promise.all([dcA.stop(), dcB.stop()]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
