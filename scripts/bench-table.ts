/**
 * Writes the README's benchmark table from bench/results/*.json and bench/floors.ts, between the
 * `<!-- bench-table -->` markers: figures are never typed by hand. tests/content/bench-results.test.ts
 * fails when the README's table is not what this would write.
 *   npm run bench:table
 */
import * as fs from "fs";
import * as path from "path";
import { FLOORS, figuresAt } from "../bench/floors";

const root = path.resolve(__dirname, "..");
export const README = path.join(root, "README.md");
const START = "<!-- bench-table:start (npm run bench:table writes this) -->";
const END = "<!-- bench-table:end -->";

export function benchTable(resultsDir = path.join(root, "bench", "results")): string {
  const rows = ["| bench | figure | measured | floor | commit | load (1 min, before → after) |", "| --- | --- | --- | --- | --- | --- |"];
  for (const [bench, floors] of Object.entries(FLOORS)) {
    const file = path.join(resultsDir, `${bench}.json`);
    const results = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
    const p = results?.provenance;
    for (const f of floors) {
      const values = results ? figuresAt(results, f.path) : [];
      const v = values.length === 0 ? undefined : f.min !== undefined ? Math.min(...values) : Math.max(...values);
      const floor = f.min !== undefined ? `≥ ${f.min.toLocaleString("en-US")}` : `≤ ${f.max!.toLocaleString("en-US")}`;
      const commit = p ? `${String(p.commit).slice(0, 7)}${p.dirty ? "+" : ""}` : "–";
      const load = p ? `${p.machine.loadAverageBefore[0]} → ${p.machine.loadAverageAfter[0]}` : "–";
      const worst = values.length > 1 ? ` (worst of ${values.length})` : "";
      rows.push(`| \`${bench}\` | ${f.what} | ${v === undefined ? "no result" : `${v.toLocaleString("en-US")} ${f.unit}${worst}`} | ${floor} | ${commit} | ${load} |`);
    }
  }
  return rows.join("\n");
}

export function readmeWithTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return readme.slice(0, start + START.length) + "\n" + table + "\n" + readme.slice(end);
}

if (require.main === module) {
  fs.writeFileSync(README, readmeWithTable(fs.readFileSync(README, "utf8"), benchTable()));
  console.log("README.md benchmark table written");
}
