// Invariants of the tier table that sizing mistakes would break.
import { TIER_NAMES, TIERS } from "../../components/tiers";

describe("scale tiers", () => {
  it.each(TIER_NAMES)("%s: enricher replicas never exceed the raw partitions they consume", (name) => {
    const t = TIERS[name];
    expect(t.flowEnricher.hpa.max).toBeLessThanOrEqual(t.kafka.rawPartitions);
    expect(t.flowEnricher.hpa.min).toBeLessThanOrEqual(t.flowEnricher.hpa.max);
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
