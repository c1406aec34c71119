// Every PromQL query of every dashboard (panels and template variables) runs against a real
// Prometheus loaded with synthetic series in the Helios label taxonomy, and returns data:
// once with the first real value of every variable (resolved in order, as Grafana does) and
// once with every variable at "All".
import { DATASOURCES, dashboardQueries, loadDashboards } from "../../components/visualization/dashboards";
import { syntheticOpenMetrics } from "./fixtures";
import { TimeRange, VariableValues, expandPromQL } from "./grafana-macros";
import { PrometheusServer, startPrometheusWithSeries } from "./prometheus-harness";

const END = Math.floor(Date.now() / 60_000) * 60 - 600;
const RANGE: TimeRange = { fromSeconds: END - 3600, toSeconds: END };
const STEP = 60;

/** Grafana's `label_values(metric{...}, label)` / `label_values(label)` through the labels API. */
async function labelValues(prom: PrometheusServer, query: string): Promise<string[]> {
  const m = query.match(/^label_values\((?:(.+),\s*)?([A-Za-z_][A-Za-z0-9_]*)\)$/s);
  if (!m) throw new Error(`unsupported variable query ${query}`);
  const params = new URLSearchParams({ start: String(RANGE.fromSeconds), end: String(RANGE.toSeconds) });
  if (m[1]) params.append("match[]", m[1]);
  return prom.api(`label/${m[2]}/values?${params}`);
}

describe("dashboard PromQL against a real Prometheus with synthetic series", () => {
  let prom: PrometheusServer;
  beforeAll(async () => {
    prom = await startPrometheusWithSeries(syntheticOpenMetrics(END, 3, 30));
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("loaded the synthetic series with the taxonomy labels", async () => {
    const data = await prom.api(`query?query=${encodeURIComponent("count by (datacenter, region, site, device, vendor, platform, role, tier) (up)")}&time=${END}`);
    expect(data.result.length).toBe(6);
  });

  const dashboards = loadDashboards();
  it("has PromQL in the 8 metrics dashboards and Interface Correlation", () => {
    const withProm = dashboards.filter((d) => dashboardQueries(d).some((q) => q.datasource === DATASOURCES.thanos.uid)).map((d) => d.uid);
    expect(withProm).toHaveLength(9);
    expect(withProm).toContain("helios-flows-interface-correlation");
  });

  for (const d of dashboards) {
    const queries = dashboardQueries(d).filter((q) => q.datasource === DATASOURCES.thanos.uid);
    if (!queries.length) continue;
    it(`${d.title}: every PromQL query returns data`, async () => {
      const real: VariableValues = {};
      const all: VariableValues = {};
      for (const v of d.json.templating.list) {
        if (v.type !== "query") continue;
        const q = typeof v.query === "string" ? v.query : v.query.query;
        const values = await labelValues(prom, expandPromQL(q, RANGE, STEP, real));
        expect({ variable: v.name, values: values.length > 0 }).toEqual({ variable: v.name, values: true });
        real[v.name] = values[0];
        all[v.name] = v.includeAll ? "$__all" : values[0];
      }
      const failures: string[] = [];
      let ran = 0;
      for (const q of queries.filter((x) => !x.panel.startsWith("variable "))) {
        for (const [label, vars] of [["real values", real], ["All", all]] as const) {
          const expr = expandPromQL(q.query, RANGE, STEP, vars);
          const target = d.json.panels.flatMap((p: any) => p.targets ?? []).find((t: any) => t.expr === q.query);
          const instant = target?.instant === true;
          const path = instant
            ? `query?query=${encodeURIComponent(expr)}&time=${RANGE.toSeconds}`
            : `query_range?query=${encodeURIComponent(expr)}&start=${RANGE.fromSeconds}&end=${RANGE.toSeconds}&step=${STEP}`;
          ran++;
          try {
            const data = await prom.api(path);
            if (!data.result.length) failures.push(`${q.panel} ${q.refId} [${label}]: no data for ${expr}`);
          } catch (e) {
            failures.push(`${q.panel} ${q.refId} [${label}]: ${(e as Error).message}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(ran).toBeGreaterThan(0);
    });
  }

  it("a query on a metric outside the taxonomy returns nothing (the check is not vacuous)", async () => {
    const data = await prom.api(`query?query=${encodeURIComponent('gnmic_interface_in_octets{site="nowhere"}')}&time=${END}`);
    expect(data.result).toEqual([]);
  });
});
