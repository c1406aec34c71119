/**
 * Dashboard benchmark (SC-004: every dashboard query under 5 s for a 24-hour range).
 *
 * Real ClickHouse (chdb-core) over the migrations, loaded with 24 h of synthetic flows for
 * the medium tier. Medium is sized for 50,000 flows/s; storing every one of them for 24 h
 * (4.3 billion rows) is beyond this machine, so the bench stores HELIOS_BENCH_ROWS_PER_SECOND
 * rows per second (default 100, i.e. 8.64 million flows_raw rows plus the 1m/1h rollups the
 * views derive) — each row an already-sampled flow record as the collectors deliver them. Every
 * ClickHouse panel query of every dashboard then runs with all variables at "All" over the
 * last 24 h (the widest scan a user can ask for in one click), best of 3.
 *
 * Wall time depends on whoever else uses the machine; the CPU time ClickHouse's threads spent
 * (cpuMs) does not, and is recorded beside it.
 *
 * Writes bench/results/dashboards.json. Run: npm run bench dashboards
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATASOURCES, dashboardQueries, loadDashboards } from "../components/visualization/dashboards";
import { tierSpec } from "../components/tiers";
import { migrationStatements, runClickHouse } from "../tests/content/clickhouse-harness";
import { syntheticFlowsInsert } from "../tests/content/fixtures";
import { expandClickHouse } from "../tests/content/grafana-macros";
import { tempDir } from "../tests/helpers/tools";

const SC004_MS = 5000;
const rowsPerSecond = Number(process.env.HELIOS_BENCH_ROWS_PER_SECOND ?? 100);
if (!Number.isInteger(rowsPerSecond) || rowsPerSecond < 1) {
  console.error(`HELIOS_BENCH_ROWS_PER_SECOND must be a positive integer, got ${process.env.HELIOS_BENCH_ROWS_PER_SECOND}`);
  process.exit(2);
}
const end = Math.floor(Date.now() / 3_600_000) * 3600;
const range = { fromSeconds: end - 86_400, toSeconds: end };
const dataDir = tempDir("bench-dash");

console.log(`loading 24h of synthetic flows at ${rowsPerSecond} rows/s (${(rowsPerSecond * 86_400).toLocaleString()} rows) into chdb …`);
let t0 = Date.now();
runClickHouse({ path: dataDir, setup: [...migrationStatements().applied.map((s) => s.sql), syntheticFlowsInsert(end, 86_400, rowsPerSecond)] });
const loadSeconds = (Date.now() - t0) / 1000;
const counts = runClickHouse({
  path: dataDir,
  queries: ["flows_raw", "flows_1m", "flows_1h"].map((t) => ({ id: t, sql: `SELECT count() FROM helios.${t}` })),
});
const rows = Object.fromEntries(counts.map((c) => [c.id, Number((c.first ?? [0])[0])]));
console.log(`loaded in ${loadSeconds.toFixed(0)} s: ${JSON.stringify(rows)}`);

const queries = loadDashboards().flatMap((d) =>
  dashboardQueries(d)
    .filter((q) => q.datasource === DATASOURCES.clickhouse.uid)
    .map((q) => {
      const vars = Object.fromEntries(d.json.templating.list.map((v: { name: string }) => [v.name, "$__all"]));
      // Interface Correlation selects one device and interface (no "All").
      Object.assign(vars, { device: vars.device === "$__all" && d.uid !== "helios-flows-interface-correlation" ? "$__all" : "ams1-leaf1", interface: "Ethernet1" });
      return { id: `${d.title} / ${q.panel}`, sql: expandClickHouse(q.query, range, vars) };
    }),
);
t0 = Date.now();
const results = runClickHouse({ path: dataDir, queries, repeat: 3 });
const failed = results.filter((r) => r.error);
if (failed.length) {
  console.error(failed.map((f) => `${f.id}: ${f.error}`).join("\n"));
  process.exit(1);
}
const sorted = [...results].sort((a, b) => b.ms! - a.ms!);
for (const r of sorted) console.log(`${r.ms!.toFixed(1).padStart(9)} ms wall ${r.cpu_ms!.toFixed(1).padStart(9)} ms CPU  ${String(r.rows).padStart(5)} rows  ${r.id}`);
const ms = results.map((r) => r.ms!).sort((a, b) => a - b);
const byCpu = [...results].sort((a, b) => b.cpu_ms! - a.cpu_ms!);
const summary = {
  benchmark: "dashboards",
  generatedAt: new Date().toISOString(),
  engine: "chdb-core (embedded ClickHouse), migrations/*.sql applied",
  tier: "medium",
  tierFlowsPerSecond: tierSpec("medium").flowsPerSecond,
  generatedRowsPerSecond: rowsPerSecond,
  range: "24h",
  variables: "All (Interface Correlation: one device and interface)",
  rows,
  loadSeconds: Math.round(loadSeconds),
  machine: { cpus: os.cpus().length, loadAverage1m: Number(os.loadavg()[0].toFixed(1)) },
  queryCount: results.length,
  slowestFlowQueryMs: Number(sorted[0].ms!.toFixed(1)),
  slowestFlowQuery: sorted[0].id,
  medianFlowQueryMs: Number(ms[Math.floor(ms.length / 2)].toFixed(1)),
  // CPU time summed over ClickHouse's threads: what the query costs without the other
  // tenants of this shared machine (wall time on an idle core would be about this or less).
  slowestFlowQueryCpuMs: Number(byCpu[0].cpu_ms!.toFixed(1)),
  slowestFlowQueryByCpu: byCpu[0].id,
  sc004LimitMs: SC004_MS,
  sc004Pass: sorted[0].ms! < SC004_MS,
  queries: results.map((r) => ({ query: r.id, ms: Number(r.ms!.toFixed(1)), cpuMs: Number(r.cpu_ms!.toFixed(1)), rows: r.rows })),
};
const out = path.resolve(__dirname, "results", "dashboards.json");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(summary, null, 2) + "\n");
console.log(`\n${results.length} ClickHouse panel queries in ${((Date.now() - t0) / 1000).toFixed(0)} s; slowest ${summary.slowestFlowQueryMs} ms wall (${summary.slowestFlowQuery}), ${summary.slowestFlowQueryCpuMs} ms CPU; median ${summary.medianFlowQueryMs} ms; load ${summary.machine.loadAverage1m} on ${summary.machine.cpus} CPUs; SC-004 (< ${SC004_MS} ms wall): ${summary.sc004Pass ? "pass" : "FAIL"}`);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
fs.rmSync(dataDir, { recursive: true, force: true });
// A benchmark reports; the verdict is in the JSON (sc004Pass). Only broken queries fail the run.
