// The flow resolutions list (components/flows/resolutions.ts) is the one source of every flow
// table's interval and TTL: the migrations are checked against it, the flow dashboards' {{flows}}
// macro is expanded from it, and on real ClickHouse (chdb) the SQL rule picks what the TypeScript
// rule picks, a 24 h range reads the rollups (never flows_raw), and the rollups give the same
// results as flows_raw on the same flows (hour-aligned ranges).
import * as fs from "fs";
import * as path from "path";
import { FLOW_RESOLUTIONS, FlowFamily, FlowResolution, SERIES_PANEL_POINTS, TABLE_PANEL_POINTS, familyResolutions, pickResolution } from "../../components/flows/resolutions";
import { DATASOURCES, dashboardQueries, loadDashboards } from "../../components/visualization/dashboards";
import { expandFlowTables, pickSql } from "../../components/visualization/flow-tables";
import { tempDir } from "../helpers/tools";
import { MIGRATIONS_DIR, MigrationStatement, migrationStatements, runClickHouse } from "./clickhouse-harness";
import { DEFAULT_SHAPE, volumeHourInsert } from "./flow-volume";
import { TimeRange, VariableValues, expandClickHouse, intervalSeconds } from "./grafana-macros";

/** Bucket function a rollup's view must use for an interval. */
function bucketFor(seconds: number): string {
  if (seconds === 60) return "toStartOfMinute(timestamp)";
  if (seconds === 300) return "toStartOfFiveMinutes(timestamp)";
  if (seconds === 3600) return "toStartOfHour(timestamp)";
  if (seconds === 86_400) return "toStartOfDay(timestamp)";
  return `toStartOfInterval(timestamp, INTERVAL ${seconds} SECOND)`;
}

/** What in the migrations disagrees with the resolutions list (empty when they agree). */
function migrationProblems(statements: MigrationStatement[], resolutions: readonly FlowResolution[]): string[] {
  const problems: string[] = [];
  const tables = new Map<string, MigrationStatement>();
  const views = new Map<string, MigrationStatement[]>();
  for (const s of statements) {
    const t = /^CREATE TABLE IF NOT EXISTS helios\.(\w+)\s*\(/.exec(s.sql);
    if (t && /ENGINE\s*=\s*\w*MergeTree/.test(s.sql)) tables.set(t[1], s);
    const v = /^CREATE MATERIALIZED VIEW IF NOT EXISTS helios\.\w+\s+TO helios\.(\w+)/.exec(s.sql);
    if (v) views.set(v[1], [...(views.get(v[1]) ?? []), s]);
  }
  for (const r of resolutions) {
    const t = tables.get(r.table);
    if (!t) {
      problems.push(`${r.table}: no CREATE TABLE in the migrations`);
      continue;
    }
    const ttl = /TTL timestamp \+ INTERVAL (\d+) DAY/.exec(t.sql);
    if (!ttl || Number(ttl[1]) !== r.ttlDays) problems.push(`${r.table} (${t.file}): TTL ${ttl ? `${ttl[1]} days` : "missing"}, the resolutions list says ${r.ttlDays} days`);
    if (r.intervalSeconds === 0) continue;
    const feeding = views.get(r.table) ?? [];
    if (!feeding.length) problems.push(`${r.table}: no materialized view writes to it`);
    for (const v of feeding) {
      if (!/FROM helios\.flows_raw\b/.test(v.sql)) problems.push(`${r.table} (${v.file}): its view must read helios.flows_raw`);
      if (!v.sql.includes(`${bucketFor(r.intervalSeconds)} AS timestamp`)) problems.push(`${r.table} (${v.file}): its view must bucket with ${bucketFor(r.intervalSeconds)} for ${r.intervalSeconds} s`);
    }
  }
  // Every flow table kept by timestamp is a resolution (flows_kafka_errors is kept by received_at).
  for (const [name, s] of tables) {
    if (/TTL timestamp\b/.test(s.sql) && !resolutions.some((r) => r.table === name)) problems.push(`${name} (${s.file}): a flow table with a TTL that the resolutions list lacks`);
  }
  return problems;
}

describe("flow resolutions list and the migrations", () => {
  const { applied } = migrationStatements();

  it("every table of the list is created with its TTL and fed at its interval; no flow table is missing from the list", () => {
    expect(migrationProblems(applied, FLOW_RESOLUTIONS)).toEqual([]);
    expect(FLOW_RESOLUTIONS.map((r) => r.table)).toEqual(["flows_raw", "flows_1m", "flows_5m", "flows_1h", "flows_hosts_1h"]);
  });

  it("names the table, the file and both values when a migration disagrees (the check is not vacuous)", () => {
    const drifted = applied.map((s) => ({ ...s, sql: s.sql.replace("TTL timestamp + INTERVAL 30 DAY", "TTL timestamp + INTERVAL 31 DAY").replace("toStartOfMinute(timestamp) AS timestamp", "toStartOfHour(timestamp) AS timestamp") }));
    const problems = migrationProblems(drifted, FLOW_RESOLUTIONS);
    expect(problems).toContain("flows_1m (0003_rollups.sql): TTL 31 days, the resolutions list says 30 days");
    expect(problems).toContain("flows_1m (0003_rollups.sql): its view must bucket with toStartOfMinute(timestamp) for 60 s");
    expect(migrationProblems(applied, [...FLOW_RESOLUTIONS, { table: "flows_15m", families: ["traffic"], intervalSeconds: 900, ttlDays: 60 }])).toEqual(["flows_15m: no CREATE TABLE in the migrations"]);
    expect(migrationProblems(applied, FLOW_RESOLUTIONS.filter((r) => r.table !== "flows_hosts_1h"))).toEqual(["flows_hosts_1h (0008_flows_hosts.sql): a flow table with a TTL that the resolutions list lacks"]);
  });

  it("refuses a family without a table and two tables of a family at one interval", () => {
    expect(() => familyResolutions("hosts", FLOW_RESOLUTIONS.filter((r) => !r.families.includes("hosts")))).toThrow("flow family hosts has no table in the resolutions list");
    expect(() => familyResolutions("traffic", [...FLOW_RESOLUTIONS, { table: "flows_60s", families: ["traffic"], intervalSeconds: 60, ttlDays: 30 }])).toThrow(/share the interval 60 s/);
  });
});

describe("the {{flows}} macro", () => {
  it("expands to one range-guarded branch per table of the family, flows counted on flows_raw", () => {
    const sql = expandFlowTables("SELECT * FROM ({{flows hosts table: src_addr, bytes, flows WHERE site = 'ams1'}})");
    const branches = sql.split("UNION ALL");
    expect(branches).toHaveLength(familyResolutions("hosts").length);
    expect(branches[0]).toContain("SELECT src_addr, bytes, toUInt64(1) AS flows FROM helios.flows_raw WHERE $__timeFilter(timestamp) AND site = 'ams1' AND multiIf(");
    expect(branches[0]).toMatch(/\) = 0\s*$/);
    expect(branches[1]).toContain("SELECT src_addr, bytes, flows FROM helios.flows_hosts_1h WHERE $__timeFilter(timestamp) AND site = 'ams1' AND multiIf(");
    expect(branches[1]).toMatch(/\) = 3600\)$/);
    expect(pickSql("traffic", "series")).toContain("<= $__interval_s");
    expect(pickSql("traffic", "table")).toContain(`, ${TABLE_PANEL_POINTS})`);
  });

  it.each([
    ["{{flows nets table: bytes WHERE 1}}", "unknown family nets; known: traffic, hosts"],
    ["{{flows traffic chart: bytes WHERE 1}}", "the kind must be series or table"],
    ["{{flows traffic table: sum(bytes) WHERE 1}}", 'column "sum(bytes)" is not a plain column name'],
    ["{{flows traffic table: bytes}}", "expected {{flows <family> <series|table>: <columns> WHERE <condition>}}"],
  ])("refuses %s", (macro, message) => {
    expect(() => expandFlowTables(`SELECT 1 FROM (${macro})`)).toThrow(message);
  });

  it("a dashboard with a bad macro is refused with its file and panel named", () => {
    const dir = tempDir("dash-macro");
    fs.mkdirSync(path.join(dir, "flows"));
    const src = loadDashboards().find((d) => d.uid === "helios-flows-top-talkers")!.file;
    const json = JSON.parse(fs.readFileSync(src, "utf8"));
    json.panels.find((p: any) => p.title === "Top 20 source hosts").targets[0].rawSql = "SELECT 1 FROM ({{flows host table: bytes WHERE 1}})";
    fs.writeFileSync(path.join(dir, "flows", "top-talkers.json"), JSON.stringify(json));
    expect(() => loadDashboards(dir)).toThrow('flows/top-talkers.json: panel "Top 20 source hosts" query A: {{flows host …}}: unknown family host');
  });
});

describe("range → table on real ClickHouse (chdb), same results as flows_raw", () => {
  const dataDir = tempDir("chdb-resolutions");
  const END = Math.floor(Date.now() / 3_600_000) * 3600;
  const range = (seconds: number): TimeRange => ({ fromSeconds: END - seconds, toSeconds: END });
  const RAW_ONLY = FLOW_RESOLUTIONS.filter((r) => r.intervalSeconds === 0);
  // Every flow panel's unexpanded SQL, straight from the files (loadDashboards expands them).
  const flowDashboards = loadDashboards().filter((d) => d.folderKey === "flows");
  const macroPanels = flowDashboards.flatMap((d) => {
    const file = JSON.parse(fs.readFileSync(d.file, "utf8"));
    return file.panels.flatMap((p: any) => (p.targets ?? []).filter((t: any) => /\{\{flows/.test(t.rawSql ?? "")).map((t: any) => ({ dashboard: d, panel: p.title as string, rawSql: t.rawSql as string })));
  });
  let vars: Record<string, string> = {};

  beforeAll(() => {
    // 24 h of realistic flows at 1 flow/s: small, but every table and family has rows.
    const v = { rowsPerSecond: 1, ...DEFAULT_SHAPE };
    runClickHouse({ path: dataDir, setup: [...migrationStatements().applied.map((s) => s.sql), ...Array.from({ length: 24 }, (_, h) => volumeHourInsert(v, END, 24, h))] });
    const [busiest] = runClickHouse({ path: dataDir, queries: [{ id: "b", sql: "SELECT exporter_name, in_if_name FROM helios.flows_raw GROUP BY ALL ORDER BY sum(bytes) DESC LIMIT 1" }] });
    vars = { region: "$__all", site: "$__all", device: String(busiest.first![0]), interface: String(busiest.first![1]) };
  });

  const varsFor = (uid: string): VariableValues => (uid === "helios-flows-interface-correlation" ? { device: vars.device, interface: vars.interface } : { region: "$__all", site: "$__all", device: "$__all" });

  it("the SQL rule picks the table the TypeScript rule picks, for every family, panel kind and range", () => {
    const cases = (["traffic", "hosts"] as FlowFamily[]).flatMap((family) =>
      (["series", "table"] as const).flatMap((kind) => [3600, 6 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 8 * 86_400, 40 * 86_400, 100 * 86_400].map((seconds) => ({ family, kind, seconds }))),
    );
    const nowSeconds = Math.floor(Date.now() / 1000);
    const results = runClickHouse({ path: dataDir, queries: cases.map((c, i) => ({ id: String(i), sql: expandClickHouse(`SELECT ${pickSql(c.family, c.kind)}`, range(c.seconds), {}, SERIES_PANEL_POINTS) })) });
    const got = cases.map((c, i) => ({ ...c, table: familyResolutions(c.family).find((r) => r.intervalSeconds === Number(results[i].first![0]))?.table }));
    const want = cases.map((c) => {
      const step = c.kind === "series" ? intervalSeconds(range(c.seconds), SERIES_PANEL_POINTS) : Math.floor(c.seconds / TABLE_PANEL_POINTS);
      return { ...c, table: pickResolution(c.family, { fromSeconds: END - c.seconds, nowSeconds }, step).table };
    });
    expect(got).toEqual(want);
    // The choices the dashboards rely on.
    const at = (family: FlowFamily, kind: string, seconds: number) => want.find((w) => w.family === family && w.kind === kind && w.seconds === seconds)!.table;
    expect([at("hosts", "table", 3600), at("hosts", "table", 86_400), at("traffic", "table", 86_400), at("traffic", "series", 3600), at("traffic", "series", 6 * 3600), at("traffic", "series", 86_400), at("traffic", "series", 7 * 86_400)]).toEqual([
      "flows_raw", "flows_hosts_1h", "flows_1h", "flows_raw", "flows_1m", "flows_5m", "flows_1h",
    ]);
    // Beyond every retention: the longest-kept table.
    expect(at("traffic", "table", 100 * 86_400)).toBe("flows_1h");
  });

  it("over 24 h no flow panel reads flows_raw; per-host panels read flows_hosts_1h (EXPLAIN ESTIMATE on the engine)", () => {
    const queries = flowDashboards.flatMap((d) =>
      dashboardQueries(d)
        .filter((q) => q.datasource === DATASOURCES.clickhouse.uid && !q.panel.startsWith("variable "))
        .map((q) => ({ id: `${d.title} / ${q.panel}`, sql: `SELECT groupUniqArray(table) FROM (EXPLAIN ESTIMATE ${expandClickHouse(q.query, range(86_400), varsFor(d.uid), q.maxDataPoints)}) WHERE parts > 0` })),
    );
    const results = runClickHouse({ path: dataDir, queries });
    const read = Object.fromEntries(results.map((r) => [r.id, r.error ?? ((r.first![0] as string[]) ?? []).sort().join("+")]));
    expect(Object.entries(read).filter(([, t]) => t.includes("flows_raw") || t === "" || t.includes("Exception"))).toEqual([]);
    for (const p of ["Top Talkers / Top 20 conversations", "Top Talkers / Top 20 source hosts", "Protocol Distribution / Top 15 destination ports", "Geographic Flows / Top 20 source cities", "Interface Correlation / Top flows entering the interface"]) {
      expect({ p, t: read[p] }).toEqual({ p, t: "flows_hosts_1h" });
    }
    expect(read["Top Talkers / Top 10 exporters by bytes"]).toBe("flows_1h");
    // Time series step 5 min at the SERIES_PANEL_POINTS the loader gives them.
    expect(read["Top Talkers / Traffic by exporter"]).toBe("flows_5m");
  });

  it("every table panel gives the same rows from the rollup its range picks as from flows_raw (24 h and 7 d)", () => {
    const tablePanels = macroPanels.filter((p: any) => !/\{\{flows \w+ series/.test(p.rawSql));
    expect(tablePanels.length).toBeGreaterThanOrEqual(15);
    const jobs = tablePanels.flatMap((p: any) =>
      [86_400, 7 * 86_400].flatMap((seconds) => {
        const sql = (list: readonly FlowResolution[]) => `SELECT groupArray(tuple(*)) FROM (${expandClickHouse(expandFlowTables(p.rawSql, list), range(seconds), varsFor(p.dashboard.uid))})`;
        const id = `${p.dashboard.title} / ${p.panel} / ${seconds / 86_400}d`;
        return [{ id: `${id} [picked]`, sql: sql(FLOW_RESOLUTIONS) }, { id: `${id} [raw]`, sql: sql(RAW_ONLY) }];
      }),
    );
    const results = runClickHouse({ path: dataDir, queries: jobs });
    expect(results.filter((r) => r.error)).toEqual([]);
    for (let i = 0; i < results.length; i += 2) {
      const picked = results[i].first![0] as unknown[];
      expect(picked.length).toBeGreaterThan(0);
      expect({ id: results[i].id, rows: picked }).toEqual({ id: results[i].id, rows: results[i + 1].first![0] });
    }
  });

  it("Top 20 conversations (hash-ranked, then summed by the real key) gives the rows of a plain GROUP BY over the four columns (1 h and 24 h)", () => {
    const panel = macroPanels.find((p: any) => p.dashboard.uid === "helios-flows-top-talkers" && p.panel === "Top 20 conversations")!;
    expect(panel.rawSql).toContain("cityHash64(src_addr, dst_addr, proto, dst_port)");
    const where = "match(region, '^(${region:regex})$') AND match(site, '^(${site:regex})$') AND match(exporter_name, '^(${device:regex})$')";
    const plain =
      "SELECT replaceRegexpOne(IPv6NumToString(src_addr), '^::ffff:', '') AS source, replaceRegexpOne(IPv6NumToString(dst_addr), '^::ffff:', '') AS destination, proto, dst_port, bytes, flows FROM (" +
      `SELECT src_addr, dst_addr, proto, dst_port, sum(bytes) AS bytes, sum(flows) AS flows FROM ({{flows hosts table: src_addr, dst_addr, proto, dst_port, bytes, flows WHERE ${where}}}) ` +
      "GROUP BY src_addr, dst_addr, proto, dst_port ORDER BY bytes DESC, source, destination LIMIT 20) ORDER BY bytes DESC, source, destination";
    const jobs = [3600, 86_400].flatMap((seconds) => [
      { id: `panel ${seconds}`, sql: `SELECT groupArray((source, destination, bytes, flows)) FROM (${expandClickHouse(expandFlowTables(panel.rawSql), range(seconds), varsFor(panel.dashboard.uid))})` },
      { id: `plain ${seconds}`, sql: `SELECT groupArray((source, destination, bytes, flows)) FROM (${expandClickHouse(expandFlowTables(plain), range(seconds), varsFor(panel.dashboard.uid))})` },
    ]);
    const results = runClickHouse({ path: dataDir, queries: jobs });
    expect(results.filter((r) => r.error)).toEqual([]);
    for (let i = 0; i < results.length; i += 2) {
      const got = results[i].first![0] as unknown[][];
      const want = results[i + 1].first![0] as unknown[][];
      expect(got).toHaveLength(20);
      // Ties in bytes may list in either order: compare as sets, and the byte column in order.
      expect(got.map((r) => r[2])).toEqual(want.map((r) => r[2]));
      expect(new Set(got.map((r) => JSON.stringify(r)))).toEqual(new Set(want.map((r) => JSON.stringify(r))));
    }
  });

  it("migrations/backfill/0009_flows_5m.sql refills flows_5m from flows_1m: the same sums in every 5-minute bucket and dimension", () => {
    const script = fs.readFileSync(path.join(MIGRATIONS_DIR, "backfill", "0009_flows_5m.sql"), "utf8").replace(/^--.*$/gm, "").trim().replace(/;$/, "");
    // clickhouse-client --param_from/--param_to, as the file's header runs it
    const insert = script.replace("{from:DateTime}", `toDateTime(${END - 2 * 86_400})`).replace("{to:DateTime}", `toDateTime(${END})`);
    const dims = "site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country";
    const sums = (from: string) => ({ id: from, sql: `SELECT count(), sum(cityHash64(*)) FROM (SELECT toStartOfFiveMinutes(timestamp) AS t, ${dims}, sum(bytes) AS b, sum(packets) AS p, sum(flows) AS f FROM helios.${from} GROUP BY t, ${dims})` });
    const [before] = runClickHouse({ path: dataDir, queries: [sums("flows_5m")] });
    const [emptied] = runClickHouse({ path: dataDir, setup: ["TRUNCATE TABLE helios.flows_5m"], queries: [{ id: "n", sql: "SELECT count() FROM helios.flows_5m" }] });
    expect(emptied.first).toEqual([0]);
    const [refilled, fromMinutes] = runClickHouse({ path: dataDir, setup: [insert], queries: [sums("flows_5m"), sums("flows_1m")] });
    expect(Number(refilled.first![0])).toBeGreaterThan(288);
    expect(refilled.first).toEqual(fromMinutes.first);
    expect(refilled.first).toEqual(before.first);
  });

  it("time series read the same totals from the rollup as from flows_raw (each family, 1 h, 24 h and 7 d: flows_raw, flows_5m and flows_1h for traffic)", () => {
    const jobs = (["traffic", "hosts"] as FlowFamily[]).flatMap((family) =>
      [3600, 86_400, 7 * 86_400].flatMap((seconds) => {
        const macro = `{{flows ${family} series: bytes, packets, flows WHERE 1}}`;
        const sql = (list: readonly FlowResolution[]) => `SELECT sum(bytes), sum(packets), sum(flows), count() > 0 FROM (${expandClickHouse(expandFlowTables(macro, list), range(seconds), {}, SERIES_PANEL_POINTS)})`;
        return [{ id: `${family} ${seconds}`, sql: sql(FLOW_RESOLUTIONS) }, { id: `${family} ${seconds} raw`, sql: sql(RAW_ONLY) }];
      }),
    );
    const results = runClickHouse({ path: dataDir, queries: jobs });
    for (let i = 0; i < results.length; i += 2) {
      expect(results[i].error).toBeNull();
      expect({ id: results[i].id, totals: results[i].first }).toEqual({ id: results[i].id, totals: results[i + 1].first });
    }
    // 24 h of 1 flow/s, all in range.
    expect(Number(results[0].first![2])).toBe(3600);
    expect(Number(results[2].first![2])).toBe(86_400);
  });
});
