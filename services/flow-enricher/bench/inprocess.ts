/** (a) in-process decode+enrich+encode (+ packing into Kafka messages) flows/s on one core (no Kafka). */
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { packByExporter } from "../src/pack";
import { BatchResult, Processor } from "../src/pipeline";
import { NaiveEnricher } from "./naive";
import { benchFlows, benchGeo, benchSnapshot } from "./world";

export async function inProcess(n = 500_000, rounds = 5) {
  const g = benchGeo();
  const enricher = new Enricher(new GeoIp(g.city, g.asn), 200_000);
  enricher.setNetBox(benchSnapshot());
  const p = new Processor(enricher, 65536);
  const flows = benchFlows(n);
  const batch = 5000;
  // round 0 warms up the JIT and fills the per-address cache (real enrichers run warm); it is
  // printed, not counted. The figure is the median of the measured rounds.
  const rates: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let out = 0;
    for (let i = 0; i < flows.length; i += batch) {
      const res: BatchResult = { out: [], dead: [] };
      const end = Math.min(i + batch, flows.length);
      for (let j = i; j < end; j++) p.processOne(flows[j], null, res);
      for (const m of packByExporter(res.out, 65536)) out += m.flows;
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1e6;
    if (out !== n) throw new Error(`produced ${out} of ${n}`);
    // flows per CPU-second of this (single-threaded) process: the one-core rate, independent of
    // how much of the shared machine other processes take; wall-clock rate printed beside it
    if (r > 0) rates.push(n / cpu);
    console.log(`  ${r === 0 ? "warm-up" : `round ${r}`}: ${Math.round(n / cpu).toLocaleString()} flows/s per CPU-second (${Math.round(n / wall).toLocaleString()} flows/s wall clock)`);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  // the naive yardstick on the same input, same process, same moment
  const naive = await NaiveEnricher.open(g.city, g.asn, benchSnapshot());
  const naiveRates: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const c0 = process.cpuUsage();
    for (const v of flows) naive.process(v);
    const cu = process.cpuUsage(c0);
    if (r > 0) naiveRates.push(n / ((cu.user + cu.system) / 1e6));
  }
  const naiveMedian = [...naiveRates].sort((a, b) => a - b)[Math.floor(naiveRates.length / 2)];
  console.log(`  naive (protobufjs reflection + 4 maxmind lookups/flow), median: ${Math.round(naiveMedian).toLocaleString()} flows/s per CPU-second`);
  const st = enricher.stats;
  return {
    naiveFlowsPerSec: Math.round(naiveMedian),
    speedupOverNaive: Math.round((median / naiveMedian) * 100) / 100,
    flowsPerSec: Math.round(median),
    roundsFlowsPerSec: rates.map(Math.round), geoHitRatio: st.geoCacheHits / (st.geoCacheHits + st.geoCacheMisses), exporterHitRatio: st.exporterHits / (st.exporterHits + st.exporterMisses) };
}

if (require.main === module) {
  inProcess(Number(process.argv[2] ?? 500_000)).then((r) => console.log(r));
}
