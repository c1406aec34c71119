// Invariants of the tier table that sizing mistakes would break, and its flow-path sizes checked
// against what `npm run bench -- flow-path` measured (bench/results/flow-path.json).
import * as fs from "fs";
import * as path from "path";
import { ENRICHER_FLOWS_PER_CORE, ENRICHER_PLANNING_SHARE, TIER_NAMES, TIERS, cpuCores, enricherReplicasNeeded, stageReplicasNeeded } from "../../components/tiers";

interface FlowPathResults {
  stageCpuSecondsPer1e6Flows: { goflow2: number; kafka: number; enricher: number };
  stageFlowsPerCore: { goflow2: number; kafka: number; enricher: number };
}
const flowPath = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "bench", "results", "flow-path.json"), "utf8")) as FlowPathResults;

describe("scale tiers", () => {
  it.each(TIER_NAMES)("%s: enricher replicas never exceed the raw partitions they consume", (name) => {
    const t = TIERS[name];
    expect(t.flowEnricher.hpa.max).toBeLessThanOrEqual(t.kafka.rawPartitions);
    expect(t.flowEnricher.hpa.min).toBeLessThanOrEqual(t.flowEnricher.hpa.max);
  });

  it.each(TIER_NAMES)("%s: the enricher HPA carries the tier's flow rate at the measured per-core rate, with 2x headroom", (name) => {
    const t = TIERS[name];
    const needed = enricherReplicasNeeded(t);
    expect(t.flowEnricher.hpa.min).toBeGreaterThanOrEqual(needed);
    // not oversized either: at most one replica (or the HA pair) beyond what the rate needs
    expect(t.flowEnricher.hpa.min).toBeLessThanOrEqual(Math.max(needed, 2));
    expect(t.flowEnricher.hpa.max).toBeGreaterThanOrEqual(2 * t.flowEnricher.hpa.min);
  });

  it("plans the enricher below its measured per-core rate by the stated margin", () => {
    // the whole path's enricher cost (consume + enrich + produce, GC and idle included)
    expect(ENRICHER_FLOWS_PER_CORE).toBeLessThanOrEqual(flowPath.stageFlowsPerCore.enricher * ENRICHER_PLANNING_SHARE);
    expect(cpuCores("500m")).toBe(0.5);
  });

  it.each(TIER_NAMES)("%s: goflow2 and enricher minimum replicas carry the tier's rate at the measured CPU cost per flow (SC-003 at large)", (name) => {
    const t = TIERS[name];
    const cost = flowPath.stageCpuSecondsPer1e6Flows;
    expect(t.goflow2.hpa.min).toBeGreaterThanOrEqual(stageReplicasNeeded(t.flowsPerSecond, cost.goflow2, t.goflow2));
    expect(t.flowEnricher.hpa.min).toBeGreaterThanOrEqual(stageReplicasNeeded(t.flowsPerSecond, cost.enricher, t.flowEnricher));
    expect(t.goflow2.hpa.max).toBeGreaterThanOrEqual(t.goflow2.hpa.min);
  });

  it("grows monotonically from small to xl", () => {
    for (let i = 1; i < TIER_NAMES.length; i++) {
      const [prev, cur] = [TIERS[TIER_NAMES[i - 1]], TIERS[TIER_NAMES[i]]];
      expect(cur.flowsPerSecond).toBeGreaterThan(prev.flowsPerSecond);
      expect(cur.prometheus.shards).toBeGreaterThanOrEqual(prev.prometheus.shards);
      expect(cur.kafka.rawPartitions).toBeGreaterThan(prev.kafka.rawPartitions);
      expect(cur.flowEnricher.hpa.max).toBeGreaterThanOrEqual(prev.flowEnricher.hpa.max);
    }
  });

  it("has the device ranges and flow rates of the spec", () => {
    expect(TIERS.small.devices.min).toBe(50);
    expect(TIERS.xl.devices.min).toBe(2000);
    expect(TIERS.xl.devices.max).toBeUndefined();
    expect(TIERS.large.flowsPerSecond).toBe(500_000);
    expect(TIERS.small.flowsPerSecond).toBe(5_000);
    expect(TIERS.xl.flowsPerSecond).toBe(5_000_000);
  });
});
