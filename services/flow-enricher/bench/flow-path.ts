/**
 * The whole flow path (npm run bench -- flow-path): UDP NetFlow v9 / IPFIX from a generator process
 * (bench/flow-generator.ts) → the real goflow2 with the args and mapping file the plan renders for
 * the tier (test/helpers/stack.ts startGoflow2) → a real Kafka broker (helios-flows-raw with the
 * tier's partitions) → one flow-enricher process (src/main.ts, the image's V8 flags, the service's
 * default settings) → Kafka again (helios-flows-enriched).
 *
 * The offered rate steps up (doubling from BENCH_FLOW_PATH_START_RATE until a step fails, then
 * BENCH_FLOW_PATH_REFINE bisections). A step holds its rate for BENCH_FLOW_PATH_WINDOW_S seconds
 * (default 60; lower it for a quick run) and passes when, counted at the end, every flow sent was
 * enriched and acknowledged (0 lost, 0 dead letters) within BENCH_FLOW_PATH_DRAIN_S seconds
 * (default 15) of the window's end, and the generator kept the rate. Per step, each stage's CPU
 * seconds (utime + stime from /proc/<pid>/stat, every thread) over the window and drain give its
 * cost per 10^6 flows. The figures of the highest passing step give, per tier (components/tiers.ts),
 * the cores each stage needs at the tier's rate and the replicas that makes at the HPA's CPU target.
 *
 * What it is not: one broker with replication factor 1 (deployed topics have RF 3 from medium up,
 * which roughly triples the brokers' write work), and every process shares one 2-vCPU machine with
 * the generator and other work, so the sustained rate is that of this machine, not of a stage.
 * Writes bench/results/flow-path.json at the repo root (or $HELIOS_BENCH_RESULTS).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TIERS, TIER_NAMES, TierName, cpuCores, stageReplicasNeeded } from "../../../components/tiers";
import { startKafka } from "../../../tests/helpers/kafka";
import { NetBoxWorld, TOKEN, startNetBoxFixture } from "../test/helpers/netbox-fixture";
import { createTopics, startEnricher, startGoflow2, topicCount, waitFor } from "../test/helpers/stack";
import { GeneratorArgs, exporterAddress } from "./flow-generator";
import { benchGeo } from "./world";

const REPO = path.resolve(__dirname, "..", "..", "..");
const STAGES = ["goflow2", "kafka", "enricher"] as const;
type Stage = (typeof STAGES)[number];

/** A positive number from the environment, or the default; anything else names the variable. */
export function envNumber(name: string, def: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min} (got ${JSON.stringify(raw)})`);
  return v;
}

export function envTier(): TierName {
  const t = process.env.BENCH_FLOW_PATH_TIER ?? "small";
  if (!(TIER_NAMES as readonly string[]).includes(t)) throw new Error(`BENCH_FLOW_PATH_TIER must be one of ${TIER_NAMES.join(", ")} (got ${JSON.stringify(t)})`);
  return t as TierName;
}

/** CPU seconds (user + system, all threads) of a process so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5): utime, stime
  return ticks / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux architecture Node runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;

/** The broker's JVM: the java process whose command line names this broker's server.properties. */
function kafkaPid(dataDir: string): number {
  const props = path.join(path.dirname(dataDir), "server.properties");
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (cmd.includes(props) && cmd.includes("kafka.Kafka")) return Number(d);
    } catch {
      // the process ended while listing
    }
  }
  throw new Error(`no Kafka process runs with ${props}`);
}

function world(exporters: number): NetBoxWorld {
  const w: NetBoxWorld = { sites: [{ id: 1, name: "bench", region: "bench-region" }], devices: [], interfaces: [], ips: [] };
  for (let i = 0; i < exporters; i++) {
    w.devices.push({ id: i + 1, name: `edge-${i}`, siteId: 1, role: "edge-router", vendor: "Juniper", platform: "junos", tenant: "netops", tier: "tier1", primaryIp4: `${exporterAddress(i)}/32` });
    for (let j = 1; j <= 48; j++) w.interfaces.push({ id: i * 100 + j, deviceId: i + 1, name: `et-0/0/${j}`, description: "", speedKbps: 100_000_000, ifIndex: j });
  }
  return w;
}

function runGenerator(a: GeneratorArgs): Promise<{ flows: number; datagrams: number; seconds: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "flow-generator.ts"), JSON.stringify(a)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`flow-generator exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

interface StepResult {
  offeredFlowsPerSec: number;
  sentFlows: number;
  sentFlowsPerSec: number;
  rawFlows: number;
  enrichedFlows: number;
  deadLetters: number;
  lostFlows: number;
  lostBeforeKafka: number;
  drainSeconds: number;
  pass: boolean;
  why: string;
  cpuSeconds: Record<Stage | "generator", number>;
  cpuSecondsPer1e6Flows: Record<Stage, number>;
  loadAverage: number[];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const windowS = envNumber("BENCH_FLOW_PATH_WINDOW_S", 60);
  const drainS = envNumber("BENCH_FLOW_PATH_DRAIN_S", 15);
  const startRate = envNumber("BENCH_FLOW_PATH_START_RATE", 5_000);
  const refine = envNumber("BENCH_FLOW_PATH_REFINE", 2, 0);
  const maxSteps = envNumber("BENCH_FLOW_PATH_MAX_STEPS", 10);
  const exporters = envNumber("BENCH_FLOW_PATH_EXPORTERS", 50);
  const perDatagram = envNumber("BENCH_FLOW_PATH_RECORDS_PER_DATAGRAM", 30);
  const tier = envTier();
  const spec = TIERS[tier];
  const broker = await startKafka({ partitions: spec.kafka.rawPartitions, heap: "1g" });
  const nb = await startNetBoxFixture(world(exporters));
  let gf: Awaited<ReturnType<typeof startGoflow2>> | undefined;
  let en: Awaited<ReturnType<typeof startEnricher>> | undefined;
  try {
    await createTopics(broker.bootstrap, [
      { topic: "helios-flows-raw", numPartitions: spec.kafka.rawPartitions },
      { topic: "helios-flows-enriched", numPartitions: spec.kafka.enrichedPartitions },
      { topic: "helios-flows-dead-letter", numPartitions: 1 },
    ]);
    gf = await startGoflow2(broker.bootstrap, tier);
    const geo = benchGeo();
    en = await startEnricher({ KAFKA_BROKERS: broker.bootstrap, NETBOX_URL: nb.url, NETBOX_TOKEN: TOKEN, GEOIP_CITY_PATH: geo.city, GEOIP_ASN_PATH: geo.asn, LOG_LEVEL: "warn" });
    const e = en;
    await waitFor("enricher ready", async () => {
      if (e.proc.exitCode !== null) throw new Error(e.output());
      return (await fetch(`http://127.0.0.1:${e.httpPort}/readyz`)).ok;
    }, 120_000, 250);
    const pids: Record<Stage, number> = { goflow2: gf.proc.pid!, kafka: kafkaPid(broker.dataDir), enricher: e.proc.pid! };
    const cpu = () => Object.fromEntries(STAGES.map((s) => [s, cpuSecondsOf(pids[s])])) as Record<Stage, number>;
    const metric = async (name: string): Promise<number> => {
      const body = await (await fetch(`http://127.0.0.1:${e.httpPort}/metrics`)).text();
      let sum = 0;
      for (const m of body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))) sum += Number(m[1]);
      return sum;
    };
    const counts = async () => ({
      raw: await topicCount(broker.bootstrap, "helios-flows-raw"),
      enriched: await metric("helios_flow_enricher_enriched_total"),
      dead: await metric("helios_flow_enricher_dead_lettered_total"),
    });

    const step = async (rate: number): Promise<StepResult> => {
      const c0 = await counts();
      const cpu0 = cpu();
      const gen = await runGenerator({ port: gf!.netflowPort, exporters, rate, seconds: windowS, recordsPerDatagram: perDatagram });
      const tEnd = Date.now();
      // counted at the end: wait for the enricher to acknowledge every flow sent, up to the drain time
      let c1 = await counts();
      while (c1.enriched - c0.enriched < gen.flows && Date.now() - tEnd < drainS * 1000) {
        await new Promise((r) => setTimeout(r, 250));
        c1 = await counts();
      }
      const drainSeconds = (Date.now() - tEnd) / 1000;
      const cpu1 = cpu();
      const caughtUp = c1.enriched - c0.enriched >= gen.flows;
      if (!caughtUp) {
        // a failed step: let the backlog (or nothing, when UDP lost it) settle before the next one
        let prev = -1;
        for (let i = 0; i < 240 && c1.enriched !== prev; i++) {
          prev = c1.enriched;
          await new Promise((r) => setTimeout(r, 1000));
          c1 = await counts();
        }
      }
      const enriched = c1.enriched - c0.enriched;
      const raw = c1.raw - c0.raw;
      const dead = c1.dead - c0.dead;
      const lost = gen.flows - enriched;
      const keptRate = gen.flows / gen.seconds >= rate * 0.97;
      const why = !keptRate
        ? `the generator sent ${Math.round(gen.flows / gen.seconds)} flows/s of ${rate}`
        : dead > 0
          ? `${dead} dead letters`
          : lost > 0
            ? `${lost} flows lost (${gen.flows - raw} before Kafka)`
            : !caughtUp
              ? `not drained within ${drainS} s`
              : "";
      const used = Object.fromEntries(STAGES.map((s) => [s, cpu1[s] - cpu0[s]])) as Record<Stage, number>;
      return {
        offeredFlowsPerSec: rate,
        sentFlows: gen.flows,
        sentFlowsPerSec: Math.round(gen.flows / gen.seconds),
        rawFlows: raw,
        enrichedFlows: enriched,
        deadLetters: dead,
        lostFlows: lost,
        lostBeforeKafka: gen.flows - raw,
        drainSeconds: round(drainSeconds, 1),
        pass: why === "",
        why: why || "0 lost, drained",
        cpuSeconds: { ...Object.fromEntries(STAGES.map((s) => [s, round(used[s])])), generator: round(gen.cpuSeconds) } as Record<Stage | "generator", number>,
        cpuSecondsPer1e6Flows: Object.fromEntries(STAGES.map((s) => [s, round((used[s] / Math.max(1, gen.flows)) * 1e6, 1)])) as Record<Stage, number>,
        loadAverage: os.loadavg().map((l) => round(l)),
      };
    };

    // ramp: double until a step fails, then bisect between the best pass and the first failure
    const steps: StepResult[] = [];
    let best: StepResult | undefined;
    let failedAt: number | undefined;
    let rate = startRate;
    let refinements = 0;
    while (steps.length < maxSteps) {
      console.log(`step ${steps.length + 1}: ${rate.toLocaleString()} flows/s for ${windowS} s`);
      const r = await step(rate);
      steps.push(r);
      console.log(`  ${r.pass ? "PASS" : "FAIL"}: ${r.why}; sent ${r.sentFlows.toLocaleString()}, raw ${r.rawFlows.toLocaleString()}, enriched ${r.enrichedFlows.toLocaleString()}; CPU s per 1e6 flows ${JSON.stringify(r.cpuSecondsPer1e6Flows)}; load ${r.loadAverage.join(" ")}`);
      if (r.pass && (!best || r.offeredFlowsPerSec > best.offeredFlowsPerSec)) best = r;
      if (!r.pass) failedAt = Math.min(failedAt ?? Infinity, rate);
      if (failedAt === undefined) {
        rate *= 2;
        continue;
      }
      if (refinements >= refine) break;
      const lo = best?.offeredFlowsPerSec ?? 0;
      if (lo === 0) break; // even the first rate failed
      refinements++;
      rate = Math.round((lo + failedAt) / 2 / 500) * 500;
      if (rate <= lo || rate >= failedAt) break;
    }
    if (!best) throw new Error(`no step passed; the first (${startRate} flows/s) failed: ${steps[0]?.why}`);

    const perFlow = best.cpuSecondsPer1e6Flows;
    const tiers = Object.fromEntries(
      TIER_NAMES.map((t) => {
        const s = TIERS[t];
        const cores = Object.fromEntries(STAGES.map((st) => [st, round((s.flowsPerSecond * perFlow[st]) / 1e6, 2)])) as Record<Stage, number>;
        return [
          t,
          {
            flowsPerSecond: s.flowsPerSecond,
            coresAtTierRate: cores,
            goflow2: { replicasNeeded: stageReplicasNeeded(s.flowsPerSecond, perFlow.goflow2, s.goflow2), hpaMin: s.goflow2.hpa.min, hpaMax: s.goflow2.hpa.max },
            flowEnricher: { replicasNeeded: stageReplicasNeeded(s.flowsPerSecond, perFlow.enricher, s.flowEnricher), hpaMin: s.flowEnricher.hpa.min, hpaMax: s.flowEnricher.hpa.max },
            // replication factor RF multiplies the brokers' write and replication work (measured at RF 1)
            kafka: { coresAtRf1: cores.kafka, replicationFactor: s.kafka.replicationFactor, brokerCoresRequested: s.kafka.brokers * cpuCores(s.kafka.resources.requests.cpu) },
          },
        ];
      }),
    );
    const result = {
      benchmark: "flow-path",
      measuredAt: new Date().toISOString(),
      path: "UDP NetFlow v9 + IPFIX → goflow2 (rendered args) → Kafka raw → flow-enricher → Kafka enriched",
      params: { tier, windowSeconds: windowS, drainSeconds: drainS, startRate, refine, exporters, recordsPerDatagram: perDatagram, rawPartitions: spec.kafka.rawPartitions, kafkaReplicationFactor: 1 },
      sustainedFlowsPerSec: best.offeredFlowsPerSec,
      lostFlowsAtSustainedRate: best.lostFlows,
      stageCpuSecondsPer1e6Flows: perFlow,
      // flows/s one core of each stage handles: 1e6 / its CPU seconds per 1e6 flows
      stageFlowsPerCore: Object.fromEntries(STAGES.map((s) => [s, Math.round(1e6 / Math.max(0.001, perFlow[s]))])),
      tiers,
      steps,
    };
    const out = path.join(process.env.HELIOS_BENCH_RESULTS ?? path.join(REPO, "bench", "results"), "flow-path.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    console.log(JSON.stringify({ ...result, steps: undefined }, null, 2));
  } finally {
    await en?.stop("SIGTERM");
    await gf?.stop("SIGTERM");
    await nb.close();
    await broker.stop();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
