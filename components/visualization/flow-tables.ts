/**
 * The `{{flows <family> <series|table>: <columns> WHERE <condition>}}` macro of the flow
 * dashboards: expanded when the dashboards are loaded (before provisioning and before the tests
 * and the bench read them) into one UNION ALL branch per table of the family in
 * components/flows/resolutions.ts, each guarded by a constant condition that is true for exactly
 * one branch: the table Akvorado's rule picks for the Grafana time range (retention covers the
 * range start; coarsest bucket not wider than the step). ClickHouse folds the constant, so the
 * other branches read no part. The step is Grafana's `$__interval_s` for time series and
 * range / TABLE_PANEL_POINTS for tables.
 *
 * Columns are plain column names; `flows` (the flow count) is `count()`'s equivalent
 * `toUInt64(1)` on flows_raw, where each row is one flow, and a summed column elsewhere.
 * Every branch also filters `$__timeFilter(timestamp)`.
 */
import { FLOW_RESOLUTIONS, FlowFamily, FlowResolution, TABLE_PANEL_POINTS, familyResolutions } from "../flows/resolutions";

const MACRO = /\{\{\s*flows\b([\s\S]*?)\}\}/g;
const FAMILIES = [...new Set(FLOW_RESOLUTIONS.flatMap((r) => r.families))];

/** SQL (a constant UInt32) for the interval in seconds of the table the rule picks. */
export function pickSql(family: FlowFamily, kind: "series" | "table", resolutions: readonly FlowResolution[] = FLOW_RESOLUTIONS): string {
  const list = familyResolutions(family, resolutions);
  const from = "toUnixTimestamp($__fromTime)";
  const step = kind === "series" ? "$__interval_s" : `intDiv(toUnixTimestamp($__toTime) - ${from}, ${TABLE_PANEL_POINTS})`;
  const covers = (r: FlowResolution) => `${from} >= toUnixTimestamp(now()) - ${r.ttlDays * 86_400}`;
  const anyCovers = list.map(covers).join(" OR ");
  const longest = Math.max(...list.map((r) => r.ttlDays));
  // A candidate: its retention covers the start, or (when none does) it is the longest kept.
  const candidate = (r: FlowResolution) => (r.ttlDays === longest ? `(${covers(r)} OR NOT (${anyCovers}))` : `(${covers(r)})`);
  const arms: string[] = [];
  for (const r of [...list].reverse()) arms.push(`${candidate(r)} AND ${r.intervalSeconds} <= ${step}`, String(r.intervalSeconds));
  for (const r of list) arms.push(candidate(r), String(r.intervalSeconds));
  return `multiIf(${arms.join(", ")}, ${list[list.length - 1].intervalSeconds})`;
}

/**
 * Expands every `{{flows ...}}` macro in `sql`; throws an Error naming the problem (the caller adds
 * file and panel). `resolutions` defaults to the deployed list (tests pass a raw-only one to compare).
 */
export function expandFlowTables(sql: string, resolutions: readonly FlowResolution[] = FLOW_RESOLUTIONS): string {
  return sql.replace(MACRO, (whole, body: string) => {
    const m = /^\s+([a-z]+)\s+([a-z]+)\s*:\s*([\s\S]*?)\s+WHERE\s+([\s\S]+?)\s*$/.exec(body);
    if (!m) throw new Error(`${whole.slice(0, 60)}…: expected {{flows <family> <series|table>: <columns> WHERE <condition>}}`);
    const [, family, kind, columnList, where] = m;
    if (!FAMILIES.includes(family as FlowFamily)) throw new Error(`{{flows ${family} …}}: unknown family ${family}; known: ${FAMILIES.join(", ")}`);
    if (kind !== "series" && kind !== "table") throw new Error(`{{flows ${family} ${kind} …}}: the kind must be series or table`);
    const columns = columnList.split(",").map((c) => c.trim());
    const bad = columns.find((c) => !/^[a-z_][a-z0-9_]*$/.test(c));
    if (bad !== undefined) throw new Error(`{{flows ${family} ${kind}: …}}: column ${JSON.stringify(bad)} is not a plain column name`);
    const pick = pickSql(family as FlowFamily, kind, resolutions);
    return familyResolutions(family as FlowFamily, resolutions)
      .map((r) => {
        const cols = columns.map((c) => (c === "flows" && r.intervalSeconds === 0 ? "toUInt64(1) AS flows" : c)).join(", ");
        return `SELECT ${cols} FROM helios.${r.table} WHERE $__timeFilter(timestamp) AND ${where} AND ${pick} = ${r.intervalSeconds}`;
      })
      .join("\n  UNION ALL\n  ");
  });
}

/** True when `sql` still holds a `{{flows` macro (the loader expands every one). */
export function hasFlowMacro(sql: string): boolean {
  return /\{\{\s*flows\b/.test(sql);
}
