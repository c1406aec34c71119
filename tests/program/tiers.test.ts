// Invariants of the tier table that sizing mistakes would break.
import { ENRICHER_FLOWS_PER_CORE, TIER_NAMES, TIERS, cpuCores, enricherReplicasNeeded } from "../../components/tiers";

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

  it("sizes large (500,000 FPS) and xl from the planning rate", () => {
    expect(ENRICHER_FLOWS_PER_CORE).toBe(50_000);
    expect(cpuCores("500m")).toBe(0.5);
    expect(enricherReplicasNeeded(TIERS.large)).toBe(15);
    expect(enricherReplicasNeeded(TIERS.xl)).toBe(143);
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
