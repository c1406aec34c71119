/**
 * Image sizes and start-up per service and architecture (issue 16 §4): builds every image with
 * `npm run images`' builder, then per image: compressed size (blobs as pushed: layers + config +
 * manifest), uncompressed size (the layers' tars), time for `--version` (runtime + Node start),
 * and time to ready under runc (arm64: + qemu-aarch64-static): flow-enricher /readyz (consuming
 * from a real Kafka), target-generator /healthz, clickhouse-migrator (a Job, no endpoint) the
 * time until it has applied migrations 0001-0004 to a fresh embedded ClickHouse and exited 0,
 * runbook-operator /readyz (it holds its leader Lease on a real kube-apiserver; a fresh
 * namespace per run, so no run waits out another's Lease).
 * Writes bench/results/images.json. Run: npm run bench images
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArches } from "../scripts/images/arch";
import { buildImages } from "../scripts/images/build";
import { prepare, runImage } from "../scripts/images/run";
import { SERVICE_IMAGES } from "../scripts/images/services";
import { startClickHouseFront } from "../services/clickhouse-migrator/test/clickhouse-front";
import { createTopics } from "../services/flow-enricher/test/helpers/stack";
import { writeMmdb } from "../services/flow-enricher/test/helpers/mmdb";
import { startKafka } from "../tests/helpers/kafka";
import { freePort } from "../tests/helpers/net";
import { tempDir } from "../tests/helpers/tools";
import { mountableKubeconfig, operatorRun, startTimed } from "../tests/images/smoke";
import { KubeCluster } from "../tests/helpers/kube";
import { clusterWithCrds } from "../services/runbook-operator/test/cluster";


const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const out = tempDir("bench-images");
  const t0 = Date.now();
  const results = buildImages({ services: SERVICE_IMAGES, arches: parseArches("amd64,arm64"), outDir: out, log: () => undefined });
  const buildSeconds = (Date.now() - t0) / 1000;
  const kafka = await startKafka();
  const geoDir = tempDir("bench-geo");
  const geo = writeMmdb(geoDir);
  fs.chmodSync(geoDir, 0o755);
  for (const f of [geo.city, geo.asn]) fs.chmodSync(f, 0o644);
  await createTopics(kafka.bootstrap, [{ topic: "helios-flows-raw", numPartitions: 1 }]);
  const kubeDir = tempDir("bench-kube");
  let cluster: KubeCluster | undefined;
  const rows: Record<string, unknown>[] = [];
  try {
    cluster = await clusterWithCrds("bench-images");
    mountableKubeconfig(cluster, kubeDir);
    for (const r of results) {
      for (const p of r.platforms) {
        const img = prepare(r.layout, p.arch, path.join(out, ".roots"));
        const versionMs = median(Array.from({ length: RUNS }, () => runImage(img, { args: ["--version"] }).ms));
        const readyMs: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          if (r.service === "clickhouse-migrator") {
            const ch = await startClickHouseFront();
            try {
              const run = runImage(img, { env: { CLICKHOUSE_URL: ch.url, KAFKA_BROKERS: "kafka-helios:9092", MIGRATE_UNTIL: "4" } }, 600_000);
              if (run.status !== 0) throw new Error(`migrator failed: ${run.stdout}${run.stderr}`);
              readyMs.push(run.ms);
            } finally {
              await ch.stop();
            }
            continue;
          }
          const port = await freePort();
          let ns = "";
          if (r.service === "runbook-operator") {
            ns = `bench-${p.arch}-${i}`;
            if (cluster.kubectl(["create", "namespace", ns]).status !== 0) throw new Error(`cannot create namespace ${ns}`);
          }
          const opts =
            r.service === "runbook-operator"
              ? operatorRun(kubeDir, ns, `bench-${p.arch}-${i}`, port)
              : r.service === "flow-enricher"
              ? {
                  env: {
                    KAFKA_BROKERS: kafka.bootstrap,
                    KAFKA_GROUP_ID: `bench-${p.arch}-${i}`,
                    NETBOX_URL: "http://127.0.0.1:9",
                    NETBOX_TOKEN: "t",
                    GEOIP_CITY_PATH: "/var/lib/geoip/city.mmdb",
                    GEOIP_ASN_PATH: "/var/lib/geoip/asn.mmdb",
                    HTTP_HOST: "127.0.0.1",
                    HTTP_PORT: String(port),
                  },
                  mounts: [{ source: geoDir, destination: "/var/lib/geoip" }],
                }
              : { args: ["--netbox-url", "http://127.0.0.1:9", "--interval", "5m", "--metrics-port", String(port), "--metrics-host", "127.0.0.1"], env: { NETBOX_TOKEN: "t" } };
          const url = `http://127.0.0.1:${port}/${r.service === "target-generator" ? "healthz" : "readyz"}`;
          const { c, readyMs: ms } = await startTimed(img, opts, url);
          readyMs.push(ms);
          await c.stop();
        }
        const row = {
          service: r.service,
          arch: p.arch,
          runtime: p.arch === "amd64" ? "runc" : "runc + qemu-aarch64-static",
          manifest_digest: p.manifestDigest,
          compressed_mb: +(p.compressedBytes / 1e6).toFixed(1),
          uncompressed_mb: +(p.uncompressedBytes / 1e6).toFixed(1),
          version_ms_median: versionMs,
          ready_ms_median: median(readyMs),
          ready_ms_runs: readyMs,
          ready_signal: {
            "flow-enricher": "/readyz (consuming from Kafka)",
            "target-generator": "/healthz",
            "clickhouse-migrator": "exit 0 after migrations 0001-0004",
            "runbook-operator": "/readyz (leader Lease held on a real kube-apiserver)",
          }[r.service],
        };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  } finally {
    await cluster?.stop();
    fs.rmSync(kubeDir, { recursive: true, force: true });
    await kafka.stop();
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(geoDir, { recursive: true, force: true });
  }
  const result = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg_at_end: os.loadavg().map((l) => +l.toFixed(1)), note: "2 cores shared with other builds; times are indicative" },
    build_seconds_all_images: +buildSeconds.toFixed(1),
    images: rows,
  };
  const file = path.join(__dirname, "results", "images.json");
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${file}`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
