/**
 * The resolutions flows are stored at, in one list: each ClickHouse flow table with its bucket
 * interval and its retention (TTL). As Akvorado's orchestrator keeps `resolutions: [{interval,
 * ttl}]`, this list is the one source: the migrations must agree with it (a test reads every
 * table's TTL and bucket function from migrations/*.sql and compares), and the flow dashboards'
 * `{{flows ...}}` macro (components/visualization/flow-tables.ts) is expanded from it into SQL
 * that picks the table by the Grafana time range.
 *
 * Two families of tables hold different dimensions:
 * - `traffic`: the aggregate dimensions (site, exporter, interfaces, AS, country, protocol), for
 *   every panel that shows no address or port;
 * - `hosts`: addresses, protocol, destination port and source city (per-host, conversation,
 *   port and city panels), at a coarser step because each row is a (host pair, port) and such
 *   tables shrink less than the aggregate ones.
 * flows_raw holds every dimension and belongs to both.
 */

/** A flow table family: the dimension set a dashboard query needs. */
export type FlowFamily = "traffic" | "hosts";

/** One stored resolution of the flows. */
export interface FlowResolution {
  /** Table in the helios database. */
  readonly table: string;
  /** The families whose dimensions the table holds. */
  readonly families: readonly FlowFamily[];
  /** Bucket width in seconds; 0 = one row per flow (flows_raw). */
  readonly intervalSeconds: number;
  /** Retention in days (the table's `TTL timestamp + INTERVAL n DAY`). */
  readonly ttlDays: number;
}

export const FLOW_RESOLUTIONS: readonly FlowResolution[] = [
  { table: "flows_raw", families: ["traffic", "hosts"], intervalSeconds: 0, ttlDays: 7 },
  { table: "flows_1m", families: ["traffic"], intervalSeconds: 60, ttlDays: 30 },
  // The step of a 24 h time series at SERIES_PANEL_POINTS (Grafana rounds 432 s to 5 min).
  { table: "flows_5m", families: ["traffic"], intervalSeconds: 300, ttlDays: 30 },
  { table: "flows_1h", families: ["traffic"], intervalSeconds: 3600, ttlDays: 90 },
  // Per host pair and port per hour: ~1/3 of flows_raw's rows on Zipf-distributed traffic, so
  // kept 30 days rather than the aggregate hour table's 90 (docs/flows.md, "Rollups and resolutions").
  { table: "flows_hosts_1h", families: ["hosts"], intervalSeconds: 3600, ttlDays: 30 },
];

/**
 * Table panels have no time axis: the table is chosen so that its buckets are at most this
 * fraction of the range (1/24: a 24 h range may read 1 h buckets, whose edges shift the range by
 * at most one bucket, ~4 %). Time series use Grafana's own step ($__interval_s) instead.
 */
export const TABLE_PANEL_POINTS = 24;

/**
 * The points a flow time series asks Grafana for (the panel's maxDataPoints, set by the dashboard
 * loader on every panel with a `series` macro). 200 is Akvorado's default: a graph stays readable,
 * and a 24 h graph steps 5 min (432 s rounded), so it reads flows_5m instead of 1,440 minutes of
 * flows_1m; without it Grafana asks for about one point per pixel and a 24 h graph reads flows_1m.
 */
export const SERIES_PANEL_POINTS = 200;

/** The resolutions of one family, finest first. */
export function familyResolutions(family: FlowFamily, resolutions: readonly FlowResolution[] = FLOW_RESOLUTIONS): FlowResolution[] {
  const list = resolutions.filter((r) => r.families.includes(family)).sort((a, b) => a.intervalSeconds - b.intervalSeconds);
  if (!list.length) throw new Error(`flow family ${family} has no table in the resolutions list`);
  // The SQL branch guard compares intervals, so two tables of a family must differ in interval.
  const twice = list.find((r, i) => i > 0 && r.intervalSeconds === list[i - 1].intervalSeconds);
  if (twice) throw new Error(`flow family ${family}: ${twice.table} and another table share the interval ${twice.intervalSeconds} s`);
  return list;
}

/**
 * Akvorado's choice (console/query getBestTable), in TypeScript for the tests and the bench: the
 * candidates are the tables whose retention covers `fromSeconds` (none: the longest-kept one);
 * of those, the coarsest whose interval is at most `stepSeconds`, else the finest.
 */
export function pickResolution(family: FlowFamily, range: { fromSeconds: number; nowSeconds: number }, stepSeconds: number, resolutions: readonly FlowResolution[] = FLOW_RESOLUTIONS): FlowResolution {
  const all = familyResolutions(family, resolutions);
  let candidates = all.filter((r) => range.fromSeconds >= range.nowSeconds - r.ttlDays * 86_400);
  if (!candidates.length) {
    const longest = Math.max(...all.map((r) => r.ttlDays));
    candidates = all.filter((r) => r.ttlDays === longest);
  }
  const fitting = candidates.filter((r) => r.intervalSeconds <= stepSeconds);
  return fitting.length ? fitting[fitting.length - 1] : candidates[0];
}
