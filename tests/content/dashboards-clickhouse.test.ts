// Every ClickHouse panel and variable query of every dashboard runs on real ClickHouse
// (chdb-core) over the flow-infra migrations (migrations/*.sql, applied in order) with 24h of
// synthetic flows, and returns rows: once with the first real value of every variable, once
// with "All", and over 7 days so the flows_1h branch of the rollup queries runs too.
import { DATASOURCES, dashboardQueries, loadDashboards } from "../../components/visualization/dashboards";
import { tempDir } from "../helpers/tools";
import { migrationStatements, runClickHouse } from "./clickhouse-harness";
import { DEVICES, INTERFACES, syntheticFlowsInsert } from "./fixtures";
import { TimeRange, VariableValues, expandClickHouse } from "./grafana-macros";

// Recent data: the tables have TTLs (7/30/90 days) that drop older rows on insert.
const END = Math.floor(Date.now() / 3_600_000) * 3600;
const DAY: TimeRange = { fromSeconds: END - 86_400, toSeconds: END };
const WEEK: TimeRange = { fromSeconds: END - 7 * 86_400, toSeconds: END };
const ROWS_PER_SECOND = 2;

describe("ClickHouse dashboard queries on the migrated schema (chdb)", () => {
  const dataDir = tempDir("chdb-dash");
  const dashboards = loadDashboards().filter((d) => dashboardQueries(d).some((q) => q.datasource === DATASOURCES.clickhouse.uid));

  beforeAll(() => {
    const { applied } = migrationStatements();
    runClickHouse({ path: dataDir, setup: [...applied.map((s) => s.sql), syntheticFlowsInsert(END, 86_400, ROWS_PER_SECOND)] });
  });

  it("applied every migration except the sharded and Kafka-engine statements, and loaded the flows through the views", () => {
    const { applied, skipped } = migrationStatements();
    expect(applied.map((s) => s.file)).toEqual(expect.arrayContaining(["0001_flows_raw.sql", "0002_flows_ingest.sql", "0003_rollups.sql"]));
    for (const s of skipped) expect(s.sql).toMatch(/-- @sharded|ENGINE\s*=\s*Kafka|FROM\s+helios\.flows_kafka\b/);
    const [raw, m1, m5, h1, scaled] = runClickHouse({
      path: dataDir,
      queries: [
        { id: "raw", sql: "SELECT count() FROM helios.flows_raw" },
        { id: "1m", sql: "SELECT timestamp FROM helios.flows_1m GROUP BY timestamp" },
        { id: "5m", sql: "SELECT timestamp FROM helios.flows_5m GROUP BY timestamp" },
        { id: "1h", sql: "SELECT timestamp FROM helios.flows_1h GROUP BY timestamp" },
        { id: "scaled", sql: "SELECT 1 FROM helios.flows_raw WHERE bytes % 1000 != 0 LIMIT 1" },
      ],
    });
    expect(raw.error).toBeNull();
    expect(m1.rows).toBe(1440);
    expect(m5.rows).toBe(288);
    expect(h1.rows).toBe(24);
    // bytes were multiplied by sampling_rate (1000) on the way in.
    expect(scaled.rows).toBe(0);
  });

  it("covers the six flow dashboards", () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      "helios-flows-as-paths",
      "helios-flows-geo",
      "helios-flows-interface-correlation",
      "helios-flows-protocols",
      "helios-flows-top-talkers",
      "helios-flows-traffic-matrix",
    ]);
  });

  for (const d of loadDashboards()) {
    const queries = dashboardQueries(d).filter((q) => q.datasource === DATASOURCES.clickhouse.uid);
    if (!queries.length) continue;
    it(`${d.title}: every ClickHouse query returns rows`, () => {
      // Variables: ClickHouse ones resolved in order on the engine; Prometheus ones (Interface
      // Correlation) take the synthetic network's real names, the same in both engines.
      const vars: VariableValues = { datacenter: DEVICES[0].datacenter, device: DEVICES[0].device, interface: INTERFACES[0] };
      for (const v of d.json.templating.list) {
        if (v.datasource?.uid !== DATASOURCES.clickhouse.uid) continue;
        const [res] = runClickHouse({ path: dataDir, queries: [{ id: v.name, sql: expandClickHouse(v.query, DAY, vars) }] });
        expect({ variable: v.name, error: res.error, rows: res.rows! > 0 }).toEqual({ variable: v.name, error: null, rows: true });
        vars[v.name] = String(res.first![0]);
      }
      const allVars: VariableValues = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, k === "device" || k === "interface" || k === "datacenter" ? v : "$__all"]));
      const panelQueries = queries.filter((q) => !q.panel.startsWith("variable "));
      const jobs = panelQueries.flatMap((q) => [
        { id: `${q.panel} [real values, 24h]`, sql: expandClickHouse(q.query, DAY, vars, q.maxDataPoints) },
        { id: `${q.panel} [All, 24h]`, sql: expandClickHouse(q.query, DAY, allVars, q.maxDataPoints) },
        { id: `${q.panel} [All, 7d]`, sql: expandClickHouse(q.query, WEEK, allVars, q.maxDataPoints) },
      ]);
      const results = runClickHouse({ path: dataDir, queries: jobs });
      const failures = results.filter((r) => r.error !== null || !(r.rows! > 0)).map((r) => `${r.id}: ${r.error ?? "no rows"}`);
      expect(failures).toEqual([]);
      expect(results).toHaveLength(panelQueries.length * 3);
    });
  }

  it("a query on a column the schema lacks fails on the engine (the check is not vacuous)", () => {
    const [r] = runClickHouse({ path: dataDir, queries: [{ id: "bad", sql: expandClickHouse("SELECT sum(bytes) FROM helios.flows_1m WHERE $__timeFilter(timestamp) AND src_addr != ''", DAY, {}) }] });
    expect(r.error).toMatch(/src_addr|UNKNOWN_IDENTIFIER|Unknown/);
  });
});
