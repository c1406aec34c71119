/**
 * Grafana-side expansion of dashboard queries, as the tests and the dashboard bench run them
 * against real engines (no Grafana in the loop).
 *
 * ClickHouse (grafana-clickhouse-datasource, pkg/macros/macros.go):
 *   $__timeFilter(col)  -> col >= toDateTime(<from s>) AND col <= toDateTime(<to s>)
 *   $__fromTime / $__toTime -> toDateTime(<from s>) / toDateTime(<to s>)
 *   $__timeInterval(col) -> toStartOfInterval(toDateTime(col), INTERVAL <interval s> second)
 *   $__interval_s       -> <interval s>
 * The interval is range / maxDataPoints (the panel's, else 1000: about one point per pixel),
 * rounded to Grafana's "nice" steps (roundInterval in @grafana/data's rangeutil: 432 s -> 5 min),
 * at least 1 s; the plugin takes the interval Grafana sends.
 * Template variables (Grafana core, before the plugin sees the SQL):
 *   ${var:regex} -> the value regex-escaped (All -> the variable's allValue ".*"),
 *   ${var} / $var -> the value as is.
 * Prometheus: ${var}/$var -> regex-escaped value (All -> ".*"); $__rate_interval -> 2m (max of
 * step + scrape interval and 4 × the 30 s scrape interval of the datasource); $__interval -> the
 * step; $__range -> the range in seconds.
 */

export interface TimeRange {
  fromSeconds: number;
  toSeconds: number;
}

export type VariableValues = Record<string, string | "$__all">;

function regexEscape(v: string): string {
  return v.replace(/[\\^$*+?.()|[\]{}]/g, "\\$&");
}

function substituteVariables(text: string, vars: VariableValues, allValue = ".*"): string {
  const value = (name: string, format?: string): string | undefined => {
    if (!(name in vars)) return undefined;
    const v = vars[name];
    if (v === "$__all") return allValue;
    return format === "regex" ? regexEscape(v) : v;
  };
  return text
    .replace(/\$\{([A-Za-z0-9_]+)(?::([A-Za-z]+))?\}/g, (m, name, format) => value(name, format) ?? m)
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, name) => value(name) ?? m);
}

/**
 * Grafana's rounding of a raw interval: [below, step] in seconds, the first row whose bound the
 * interval is under gives the step (the thresholds of roundInterval, from 1 s up; beyond the last
 * row, one year).
 */
const NICE_STEPS: readonly (readonly [number, number])[] = [
  [1.5, 1], [3.5, 2], [7.5, 5], [12.5, 10], [17.5, 15], [25, 20], [45, 30], [90, 60], [210, 120], [450, 300],
  [750, 600], [1050, 900], [1500, 1200], [2700, 1800], [5400, 3600], [9000, 7200], [16200, 10800], [32400, 21600],
  [86400, 43200], [604800, 86400], [1814400, 604800], [3628800, 2592000],
];

export function intervalSeconds(range: TimeRange, maxDataPoints = 1000): number {
  const raw = (range.toSeconds - range.fromSeconds) / maxDataPoints;
  const step = NICE_STEPS.find(([below]) => raw < below)?.[1] ?? 31_536_000;
  return Math.max(1, step);
}

/** Expands ClickHouse plugin macros and Grafana variables in a panel's rawSql (maxDataPoints: the panel's). */
export function expandClickHouse(sql: string, range: TimeRange, vars: VariableValues, maxDataPoints?: number): string {
  const interval = intervalSeconds(range, maxDataPoints);
  const from = `toDateTime(${range.fromSeconds})`;
  const to = `toDateTime(${range.toSeconds})`;
  let out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} >= ${from} AND ${col.trim()} <= ${to}`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_, col: string) => `toStartOfInterval(toDateTime(${col.trim()}), INTERVAL ${interval} second)`)
    .replace(/\$__fromTime\b/g, from)
    .replace(/\$__toTime\b/g, to)
    .replace(/\$__interval_s\b/g, String(interval));
  out = substituteVariables(out, vars);
  const left = out.match(/\$\{?[A-Za-z_][A-Za-z0-9_]*/);
  if (left) throw new Error(`unexpanded ${left[0]} in:\n${out}`);
  return out;
}

/** Expands Grafana variables in a PromQL expression for a range query with `stepSeconds`. */
export function expandPromQL(expr: string, range: TimeRange, stepSeconds: number, vars: VariableValues): string {
  const escaped: VariableValues = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v === "$__all" ? v : regexEscape(v)]));
  let out = expr
    .replace(/\$__rate_interval\b/g, `${Math.max(stepSeconds + 30, 120)}s`)
    .replace(/\$__interval\b/g, `${stepSeconds}s`)
    .replace(/\$__range\b/g, `${range.toSeconds - range.fromSeconds}s`);
  out = substituteVariables(out, escaped);
  const left = out.match(/\$\{?[A-Za-z_][A-Za-z0-9_]*/);
  if (left) throw new Error(`unexpanded ${left[0]} in: ${out}`);
  return out;
}
