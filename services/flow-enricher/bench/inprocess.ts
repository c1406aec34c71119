/** (a) in-process decode+enrich+encode (+ packing into Kafka messages) flows/s on one core (no Kafka). */
import { Enricher } from "../src/enrich";
import { GeoIp } from "../src/geoip";
import { packByExporter } from "../src/pack";
import { BatchResult, Processor } from "../src/pipeline";
import { NaiveEnricher } from "./naive";
import { benchFlows, benchGeo, benchSnapshot } from "./world";

export async function inProcess(n = 500_000, rounds = 3) {
  const g = benchGeo();
  const enricher = new Enricher(new GeoIp(g.city, g.asn), 200_000);
  enricher.setNetBox(benchSnapshot());
  const p = new Processor(enricher, 65536);
  const flows = benchFlows(n);
  const batch = 5000;
  let best = 0;
  for (let r = 0; r < rounds; r++) {
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
    best = Math.max(best, n / cpu);
    console.log(`  round ${r + 1}: ${Math.round(n / cpu).toLocaleString()} flows/s per CPU-second (${Math.round(n / wall).toLocaleString()} flows/s wall clock)`);
  }
  // the naive yardstick on the same input, same process, same moment
  const naive = await NaiveEnricher.open(g.city, g.asn, benchSnapshot());
  let naiveBest = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (const v of flows) naive.process(v);
    const cu = process.cpuUsage(c0);
    naiveBest = Math.max(naiveBest, n / ((cu.user + cu.system) / 1e6));
  }
  console.log(`  naive (protobufjs reflection + 4 maxmind lookups/flow): ${Math.round(naiveBest).toLocaleString()} flows/s per CPU-second`);
  const st = enricher.stats;
  return {
    naiveFlowsPerSec: Math.round(naiveBest),
    speedupOverNaive: Math.round((best / naiveBest) * 100) / 100, flowsPerSec: Math.round(best), geoHitRatio: st.geoCacheHits / (st.geoCacheHits + st.geoCacheMisses), exporterHitRatio: st.exporterHits / (st.exporterHits + st.exporterMisses) };
}

if (require.main === module) {
  inProcess(Number(process.argv[2] ?? 500_000)).then((r) => console.log(r));
}
