/**
 * Dashboard benchmark at volume (issue 15 point 3; SC-004: every flow panel under 5 s).
 *
 * Real ClickHouse (chdb-core) over migrations/*.sql, loaded with 24 h of flows at realistic
 * cardinality (tests/content/flow-volume.ts: 300 exporters, 10⁵ hosts, Zipf conversations),
 * generated inside ClickHouse. The medium tier is sized for 50,000 flows/s (4.3·10⁹ rows a day);
 * each volume stores a fraction of that. Then every ClickHouse query of every flow dashboard
 * (panels and variables, variables at "All"; Interface Correlation on the busiest exporter and
 * interface) runs over the last 1 h, 24 h and 7 d, best of HELIOS_BENCH_REPEAT (3), and
 * `EXPLAIN ESTIMATE` records which tables each read: the range picks the table
 * (components/flows/resolutions.ts), and no 24 h panel may read flows_raw (a floor).
 * The data spans 24 h, so a 7 d query reads 24 h of rows from the table a 7 d range picks.
 *
 *   npm run bench -- dashboards                                   default: 100 flows/s (1/500), a few minutes
 *   HELIOS_BENCH_VOLUMES=1000,5000 npm run bench -- dashboards    1/50 and 1/10 of medium: the curve
 * (HELIOS_BENCH_ROWS_PER_SECOND=N is one volume, as before.) Floors in bench/floors.ts: every
 * query's CPU ms at every volume, and no 24 h panel on flows_raw at the largest. Wall time depends
 * on the machine's other tenants; cpuMs (all ClickHouse threads) is recorded beside it, and the
 * load average before and after each volume.
 *
 * Writes bench/results/dashboards.json.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATASOURCES, dashboardQueries, loadDashboards } from "../components/visualization/dashboards";
import { tierSpec } from "../components/tiers";
import { FLOW_RESOLUTIONS } from "../components/flows/resolutions";
import { migrationStatements, runClickHouse } from "../tests/content/clickhouse-harness";
import { DEFAULT_SHAPE, FlowVolume, checkVolume, volumeHourInsert } from "../tests/content/flow-volume";
import { TimeRange, expandClickHouse } from "../tests/content/grafana-macros";
import { tempDir } from "../tests/helpers/tools";

const SC004_MS = 5000;
const HOURS = 24;
const RANGES: Record<string, number> = { "1h": 3600, "24h": 86_400, "7d": 7 * 86_400 };

function envIntegers(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const list = raw.split(",").map((s) => s.trim());
  const bad = list.find((s) => !/^[1-9][0-9]*$/.test(s));
  if (bad !== undefined) {
    console.error(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return list.map(Number);
}

const volumes = (
  process.env.HELIOS_BENCH_VOLUMES === undefined && process.env.HELIOS_BENCH_ROWS_PER_SECOND !== undefined
    ? envIntegers("HELIOS_BENCH_ROWS_PER_SECOND", "")
    : envIntegers("HELIOS_BENCH_VOLUMES", "100")
).sort((a, b) => a - b);
const [repeat] = envIntegers("HELIOS_BENCH_REPEAT", "3");
const medium = tierSpec("medium").flowsPerSecond;
// Recent data: the tables' TTLs drop older rows on insert.
const end = Math.floor(Date.now() / 3_600_000) * 3600;

interface PanelRun {
  panel: string;
  range: string;
  ms: number;
  cpuMs: number;
  rows: number;
  /** Tables EXPLAIN ESTIMATE says the query reads (parts > 0). */
  tables: string[];
}

function loadVolume(dir: string, v: FlowVolume): { seconds: number; tables: Record<string, { rows: number; bytesOnDisk: number }> } {
  runClickHouse({ path: dir, setup: migrationStatements().applied.map((s) => s.sql) });
  const t0 = Date.now();
  // A few hours per process: progress shows, and each INSERT stays one hour.
  const perCall = Math.max(1, Math.min(HOURS, Math.floor(10_000_000 / (v.rowsPerSecond * 3600))));
  for (let h = 0; h < HOURS; h += perCall) {
    const hours = Array.from({ length: Math.min(perCall, HOURS - h) }, (_, i) => h + i);
    runClickHouse({ path: dir, setup: hours.map((x) => volumeHourInsert(v, end, HOURS, x)) }, 3 * 3_600_000);
    console.log(`  hour ${hours[hours.length - 1] + 1}/${HOURS} loaded, ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${os.loadavg()[0].toFixed(1)}`);
  }
  const seconds = (Date.now() - t0) / 1000;
  const names = FLOW_RESOLUTIONS.map((r) => r.table);
  const stats = runClickHouse({
    path: dir,
    queries: names.map((t) => ({ id: t, sql: `SELECT sum(rows), sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'helios' AND table = '${t}'` })),
  });
  const tables = Object.fromEntries(stats.map((s) => [s.id, { rows: Number(s.first![0]), bytesOnDisk: Number(s.first![1]) }]));
  return { seconds, tables };
}

function runPanels(dir: string): PanelRun[] {
  const [busiest] = runClickHouse({
    path: dir,
    queries: [{ id: "busiest", sql: "SELECT exporter_name, in_if_name FROM helios.flows_1h GROUP BY exporter_name, in_if_name ORDER BY sum(bytes) DESC LIMIT 1" }],
  });
  const [device, iface] = busiest.first as string[];
  const out: PanelRun[] = [];
  for (const [range, seconds] of Object.entries(RANGES)) {
    const tr: TimeRange = { fromSeconds: end - seconds, toSeconds: end };
    const queries = loadDashboards().flatMap((d) =>
      dashboardQueries(d)
        .filter((q) => q.datasource === DATASOURCES.clickhouse.uid)
        .map((q) => {
          const vars = Object.fromEntries(d.json.templating.list.map((v: { name: string }) => [v.name, "$__all"]));
          if (d.uid === "helios-flows-interface-correlation") Object.assign(vars, { device, interface: iface });
          return { id: `${d.title} / ${q.panel}`, sql: expandClickHouse(q.query, tr, vars, q.maxDataPoints) };
        }),
    );
    const timed = runClickHouse({ path: dir, queries, repeat }, 3 * 3_600_000);
    const explained = runClickHouse({
      path: dir,
      queries: queries.map((q) => ({ id: q.id, sql: `SELECT groupUniqArray(table) FROM (EXPLAIN ESTIMATE ${q.sql}) WHERE parts > 0` })),
    });
    const failed = [...timed, ...explained].filter((r) => r.error);
    if (failed.length) {
      console.error(failed.map((f) => `${range} ${f.id}: ${f.error}`).join("\n"));
      process.exit(1);
    }
    timed.forEach((r, i) => out.push({ panel: r.id, range, ms: Number(r.ms!.toFixed(1)), cpuMs: Number(r.cpu_ms!.toFixed(1)), rows: r.rows!, tables: ((explained[i].first?.[0] ?? []) as string[]).sort() }));
  }
  return out;
}

const out = path.resolve(__dirname, "results", "dashboards.json");
const runs: VolumeRun[] = [];
for (const rowsPerSecond of volumes) {
  runs.push(benchVolume(rowsPerSecond));
  // Written after every volume, so a long curve that is stopped keeps what it measured.
  writeSummary(runs, runs.length < volumes.length ? volumes.slice(runs.length) : []);
}
for (const r of runs) {
  console.log(
    `${String(r.rowsPerSecond).padStart(6)} flows/s (${r.fractionOfMedium}): ${r.rawRows.toLocaleString("en-US")} raw rows, ${(r.diskBytes / 2 ** 30).toFixed(2)} GiB; ` +
      Object.entries(r.byRange).map(([k, b]) => `${k} slowest ${b.slowestMs} ms median ${b.medianMs} ms (${b.over1s} > 1 s)`).join("; ") + `; load ${r.loadAverageAfter[0]}`,
  );
}
const last = JSON.parse(fs.readFileSync(out, "utf8"));
console.log(`slowest at the largest volume: ${last.slowestFlowQueryMs} ms (${last.slowestFlowQuery}); 24 h panels reading flows_raw: ${last.panelsReadingRawAt24h}`);
console.log(`wrote ${path.relative(process.cwd(), out)}`);

type VolumeRun = ReturnType<typeof benchVolume>;

function benchVolume(rowsPerSecond: number) {
  const v: FlowVolume = { rowsPerSecond, ...DEFAULT_SHAPE };
  checkVolume(v);
  const dir = tempDir("bench-dash");
  const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
  console.log(`volume ${rowsPerSecond} flows/s (1/${Math.round(medium / rowsPerSecond)} of medium): loading ${(rowsPerSecond * 86_400 * HOURS / 24).toLocaleString("en-US")} rows …`);
  const load = loadVolume(dir, v);
  const diskBytes = Object.values(load.tables).reduce((s, t) => s + t.bytesOnDisk, 0);
  console.log(`  loaded in ${load.seconds.toFixed(0)} s; ${JSON.stringify(load.tables)}`);
  const panels = runPanels(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const slowest = [...panels].sort((a, b) => b.ms - a.ms)[0];
  for (const r of [...panels].sort((a, b) => b.ms - a.ms).slice(0, 12)) console.log(`  ${r.ms.toFixed(1).padStart(9)} ms ${r.cpuMs.toFixed(1).padStart(9)} ms CPU  ${r.range.padEnd(4)} ${r.tables.join("+").padEnd(16)} ${r.panel}`);
  const byRange = Object.fromEntries(
    Object.keys(RANGES).map((range) => {
      const rs = panels.filter((p) => p.range === range);
      const ms = rs.map((p) => p.ms).sort((a, b) => a - b);
      return [range, { slowestMs: ms[ms.length - 1], medianMs: ms[Math.floor(ms.length / 2)], over1s: ms.filter((x) => x > 1000).length, readingRaw: rs.filter((p) => p.tables.includes("flows_raw")).map((p) => p.panel) }];
    }),
  );
  return {
    rowsPerSecond,
    fractionOfMedium: `1/${Math.round(medium / rowsPerSecond)}`,
    rawRows: load.tables.flows_raw.rows,
    tables: load.tables,
    diskBytes,
    loadSeconds: Math.round(load.seconds),
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg().map((x) => Number(x.toFixed(2))),
    slowestMs: slowest.ms,
    slowest: `${slowest.range} ${slowest.panel}`,
    byRange,
    panels,
  };
}

function writeSummary(runs: VolumeRun[], notYetRun: number[]): void {
  const largest = runs[runs.length - 1];
  // The latency curve: per panel and range, wall ms at each volume (smallest first).
  const curve: Record<string, number[]> = {};
  for (const r of runs) for (const p of r.panels) (curve[`${p.range} ${p.panel}`] ??= []).push(p.ms);
  const summary = {
    benchmark: "dashboards",
    generatedAt: new Date().toISOString(),
    engine: "chdb-core (embedded ClickHouse), migrations/*.sql applied",
    tier: "medium",
    tierFlowsPerSecond: medium,
    shape: { ...DEFAULT_SHAPE, hours: HOURS, zipfExponent: 1, generator: "tests/content/flow-volume.ts" },
    ranges: Object.keys(RANGES),
    repeat,
    variables: "All (Interface Correlation: the busiest exporter and its busiest ingress interface)",
    volumes: runs,
    curve: { rowsPerSecond: runs.map((r) => r.rowsPerSecond), panels: curve },
    // The largest volume run's figures (bench/floors.ts reads panelsReadingRawAt24h here and the
    // CPU ms of every query of every volume under volumes.*.panels).
    largestRowsPerSecond: largest.rowsPerSecond,
    slowestFlowQueryMs: largest.slowestMs,
    slowestFlowQuery: largest.slowest,
    panelsReadingRawAt24h: largest.byRange["24h"].readingRaw.length,
    sc004LimitMs: SC004_MS,
    machine: { cpus: os.cpus().length },
    // Volumes asked for but not (yet) measured: a run stopped part-way says so.
    notYetRun,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(summary, null, 2) + "\n");
}
