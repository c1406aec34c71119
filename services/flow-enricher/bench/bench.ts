/**
 * flow-enricher benchmark (npm run bench -- flow-enricher, or `npm run bench -w @helios/flow-enricher`):
 *  (a) in-process decode+enrich+encode+pack flows/s on one core (per CPU-second of the process), with
 *      the naive yardstick measured in the same run;
 *  (b) end to end through a local Kafka broker with ONE enricher process (src/main.ts): raw topic
 *      preloaded with goflow2-framed flows, time until all enriched flows are acknowledged;
 *  (c) p50/p99 batch latency (from the service's histogram) and peak RSS;
 * The Kafka client comparison is its own bench (bench/kafka-clients.ts, npm run bench -- kafka-clients).
 * Writes bench/results/flow-enricher.json at the repo root.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Kafka, logLevel } from "kafkajs";
import { startKafka } from "../../../tests/helpers/kafka";
import { NetBoxWorld, TOKEN, startNetBoxFixture } from "../test/helpers/netbox-fixture";
import { FlowMessage } from "../test/helpers/proto";
import { createTopics, startEnricher, topicCount, waitFor } from "../test/helpers/stack";
import { NODE_FLAGS } from "../src/node-flags";
import { inProcess } from "./inprocess";
import { EXPORTERS, benchFlows, benchGeo } from "./world";

const REPO = path.resolve(__dirname, "..", "..", "..");
/** the enricher's producing client and compression in (b); defaults = the service's defaults */
const PRODUCER = process.env.BENCH_PRODUCER ?? "platformatic";
const COMPRESSION = process.env.BENCH_COMPRESSION;
/** what the service compresses with when KAFKA_COMPRESSION is unset (src/config.ts) */
const compressionOf = (producer: string) => COMPRESSION ?? (producer === "kafkajs" ? "gzip" : "lz4");
/** raw partitions the enricher handles at once (unset: the service's default) */
const CONCURRENCY = process.env.BENCH_PARTITIONS_CONCURRENTLY;
/** write a V8 CPU profile of the enricher process in (b) here */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

function benchWorld(): NetBoxWorld {
  const w: NetBoxWorld = { sites: [{ id: 1, name: "bench", region: "bench-region" }], devices: [], interfaces: [], ips: [] };
  for (let i = 0; i < EXPORTERS; i++) {
    w.devices.push({ id: i + 1, name: `edge-${i}`, siteId: 1, role: "edge-router", vendor: "Juniper", platform: "junos", tenant: "netops", tier: "tier1", primaryIp4: `10.${i >> 8}.${i & 255}.1/32` });
    for (let j = 1; j <= 48; j++) w.interfaces.push({ id: i * 100 + j, deviceId: i + 1, name: `et-0/0/${j}`, description: "", speedKbps: 100_000_000, ifIndex: j });
  }
  return w;
}

/** Quantile from a Prometheus histogram's cumulative buckets (linear within a bucket). */
function histQuantile(body: string, name: string, q: number): number {
  const buckets: Array<[number, number]> = [];
  for (const line of body.split("\n")) {
    const m = line.match(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`));
    if (m) buckets.push([m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])]);
  }
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let prevLe = 0;
  let prevC = 0;
  for (const [le, c] of buckets) {
    if (c >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((rank - prevC) / Math.max(1, c - prevC)) * (le - prevLe);
    }
    prevLe = le;
    prevC = c;
  }
  return prevLe;
}

async function endToEnd(n: number, producer = PRODUCER) {
  const broker = await startKafka({ partitions: 4, heap: "1g" });
  const nb = await startNetBoxFixture(benchWorld());
  let enricher: Awaited<ReturnType<typeof startEnricher>> | undefined;
  try {
    await createTopics(broker.bootstrap, [
      { topic: "helios-flows-raw", numPartitions: 4 },
      { topic: "helios-flows-enriched", numPartitions: 4 },
      { topic: "helios-flows-dead-letter", numPartitions: 1 },
    ]);
    const flows = benchFlows(n, 20_000, 7);
    const k = new Kafka({ clientId: "bench-loader", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const p = k.producer();
    await p.connect();
    for (let i = 0; i < n; i += 5000) {
      // keyed by exporter, as goflow2 with -transport.kafka.hashing=true (our deployment) does
      await p.send({ topic: "helios-flows-raw", messages: flows.slice(i, i + 5000).map((v) => ({ key: Buffer.from((FlowMessage.decodeDelimited(v) as unknown as { samplerAddress: Uint8Array }).samplerAddress), value: v })) });
    }
    await p.disconnect();
    const geo = benchGeo();
    enricher = await startEnricher({ KAFKA_BROKERS: broker.bootstrap, NETBOX_URL: nb.url, NETBOX_TOKEN: TOKEN, GEOIP_CITY_PATH: geo.city, GEOIP_ASN_PATH: geo.asn, BATCH_SIZE: "5000", LOG_LEVEL: "warn", KAFKA_PRODUCER_CLIENT: producer, ...(COMPRESSION ? { KAFKA_COMPRESSION: COMPRESSION } : {}), ...(CONCURRENCY ? { KAFKA_PARTITIONS_CONCURRENTLY: CONCURRENCY } : {}) }, PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []);
    const e = enricher;
    let peakRss = 0;
    let cpuSeconds = 0;
    let enrichedFlows = 0;
    const scrape = async () => {
      const body = await (await fetch(`http://127.0.0.1:${e.httpPort}/metrics`)).text();
      const m = body.match(/^process_resident_memory_bytes (\d+)/m);
      if (m) peakRss = Math.max(peakRss, Number(m[1]));
      const c = body.match(/^process_cpu_seconds_total (\S+)/m);
      if (c) cpuSeconds = Number(c[1]);
      // flows whose enriched messages the broker acknowledged (a message packs many flows)
      const f = body.match(/^helios_flow_enricher_enriched_total (\S+)/m);
      if (f) enrichedFlows = Number(f[1]);
      return body;
    };
    // rate measured from the first acknowledged enriched flow to the last (excludes start-up and group join)
    let t0 = 0;
    let c0 = 0;
    let cpu0 = 0;
    await waitFor("first enriched flow", async () => {
      if (e.proc.exitCode !== null) throw new Error(e.output());
      await scrape();
      if (enrichedFlows > 0) {
        t0 = Date.now();
        c0 = enrichedFlows;
        cpu0 = cpuSeconds;
        return true;
      }
      return false;
    }, 180_000, 100);
    let t1 = 0;
    const rssTimer = setInterval(() => void scrape().catch(() => undefined), 500);
    await waitFor("all flows enriched", async () => {
      await scrape();
      if (enrichedFlows >= n) {
        t1 = Date.now();
        return true;
      }
      return false;
    }, 900_000, 100);
    clearInterval(rssTimer);
    const body = await scrape();
    const enrichedMessages = await topicCount(broker.bootstrap, "helios-flows-enriched");
    const rate = (n - c0) / ((t1 - t0) / 1000);
    return {
      endToEndFlowsPerSec: Math.round(rate),
      // flows per CPU-second the enricher process used (user+system, all its threads) in the window
      endToEndFlowsPerEnricherCpuSecond: Math.round((n - c0) / Math.max(0.001, cpuSeconds - cpu0)),
      enricherCpuShare: Math.round(((cpuSeconds - cpu0) / ((t1 - t0) / 1000)) * 100) / 100,
      p50BatchLatencyMs: Math.round(histQuantile(body, "helios_flow_enricher_batch_duration_seconds", 0.5) * 1000),
      p99BatchLatencyMs: Math.round(histQuantile(body, "helios_flow_enricher_batch_duration_seconds", 0.99) * 1000),
      peakRssMb: Math.round(peakRss / 1048576),
      enrichedMessages,
      flowsPerEnrichedMessage: Math.round((n / Math.max(1, enrichedMessages)) * 10) / 10,
    };
  } finally {
    await enricher?.stop("SIGTERM");
    await nb.close();
    await broker.stop();
  }
}

async function main() {
  const n = Number(process.env.BENCH_FLOWS ?? 200_000);
  if (process.env.BENCH_ONLY === "e2e") {
    console.log(PRODUCER, compressionOf(PRODUCER), await endToEnd(n));
    return;
  }
  console.log(`(a) in-process decode+enrich+encode+pack, ${n} flows: a warm-up round, then the median of 5`);
  const a = await inProcess(n);
  console.log(a);
  console.log(`(b) end to end through the local broker, one enricher process, ${n} flows, producer ${PRODUCER}`);
  const b = await endToEnd(n);
  console.log(b);
  const other = PRODUCER === "platformatic" ? "kafkajs" : "platformatic";
  console.log(`(b') the same with the ${other} producer, for the client choice`);
  const b2 = await endToEnd(n, other);
  console.log(b2);
  const result = {
    benchmark: "flow-enricher",
    measuredAt: new Date().toISOString(),
    conditions: `${os.cpus().length} vCPU shared with other workloads (load average ${os.loadavg().map((l) => l.toFixed(1)).join("/")} at the end), Node ${process.version}, single-node Kafka ${"4.1.1"} on the same machine; figures are noisy`,
    kafkaClient: `consumer kafkajs@2.2.4, producer ${PRODUCER === "platformatic" ? "@platformatic/kafka@1.35.0" : "kafkajs@2.2.4"} (${compressionOf(PRODUCER)})`,
    inProcessFlowsPerSec: a.flowsPerSec,
    inProcessRoundsFlowsPerSec: a.roundsFlowsPerSec,
    inProcessNaiveFlowsPerSec: a.naiveFlowsPerSec,
    inProcessSpeedupOverNaive: a.speedupOverNaive,
    geoCacheHitRatio: Math.round(a.geoHitRatio * 1000) / 1000,
    endToEndFlowsPerSec: b.endToEndFlowsPerSec,
    endToEndFlowsPerEnricherCpuSecond: b.endToEndFlowsPerEnricherCpuSecond,
    enricherCpuShareDuringEndToEnd: b.enricherCpuShare,
    p50BatchLatencyMs: b.p50BatchLatencyMs,
    p99BatchLatencyMs: b.p99BatchLatencyMs,
    peakRssMb: b.peakRssMb,
    endToEndWithOtherProducer: { producer: other, compression: compressionOf(other), ...b2 },
  };
  const out = path.join(REPO, "bench", "results", "flow-enricher.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${out}`);
  console.log(JSON.stringify(result, null, 2));
}

// (a) runs in this process: run it with the enricher's own V8 flags, re-executing if needed
const missingFlags = NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missingFlags.length > 0) {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, "--import", "tsx", __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
