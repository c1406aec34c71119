/**
 * The cache lookup counts are monotonic since start: exposed as a Prometheus counter (so rate()
 * and increase() work across scrapes), copied from the enricher's plain counters at scrape time.
 */
import { EnrichStats } from "../src/enrich";
import { Metrics } from "../src/metrics";

function sample(body: string, name: string, labels: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

describe("cache lookup metrics", () => {
  it("are a counter whose value follows the enricher's counts across scrapes", async () => {
    const stats = new EnrichStats();
    const m = new Metrics(() => stats, false);
    stats.geoCacheHits = 90;
    stats.geoCacheMisses = 10;
    stats.exporterHits = 5;
    let body = await m.registry.metrics();
    expect(body).toContain("# TYPE helios_flow_enricher_cache_lookups_total counter");
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="geoip",result="hit"')).toBe(90);
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="geoip",result="miss"')).toBe(10);
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="netbox_exporter",result="hit"')).toBe(5);
    expect(sample(body, "helios_flow_enricher_cache_hit_ratio", 'cache="geoip"')).toBeCloseTo(0.9);

    // a second scrape adds only what happened since the first (not the totals again)
    stats.geoCacheHits = 190;
    body = await m.registry.metrics();
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="geoip",result="hit"')).toBe(190);
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="geoip",result="miss"')).toBe(10);
    // an unchanged scrape changes nothing
    body = await m.registry.metrics();
    expect(sample(body, "helios_flow_enricher_cache_lookups_total", 'cache="geoip",result="hit"')).toBe(190);
    expect(body).not.toMatch(/^# TYPE helios_flow_enricher_cache_lookups gauge/m);
  });
});
