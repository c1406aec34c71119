/**
 * Grafana-side expansion of dashboard queries, as the tests and the dashboard bench run them
 * against real engines (no Grafana in the loop).
 *
 * ClickHouse (grafana-clickhouse-datasource, pkg/macros/macros.go):
 *   $__timeFilter(col)  -> col >= toDateTime(<from s>) AND col <= toDateTime(<to s>)
 *   $__fromTime / $__toTime -> toDateTime(<from s>) / toDateTime(<to s>)
 *   $__timeInterval(col) -> toStartOfInterval(toDateTime(col), INTERVAL <interval s> second)
 *   $__interval_s       -> <interval s>
 * The interval is range / maxDataPoints (1000 here), at least 1 s, as Grafana computes it
 * before rounding to a "nice" step; the plugin takes the interval Grafana sends.
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

export function intervalSeconds(range: TimeRange, maxDataPoints = 1000): number {
  return Math.max(1, Math.floor((range.toSeconds - range.fromSeconds) / maxDataPoints));
}

/** Expands ClickHouse plugin macros and Grafana variables in a panel's rawSql. */
export function expandClickHouse(sql: string, range: TimeRange, vars: VariableValues): string {
  const interval = intervalSeconds(range);
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
