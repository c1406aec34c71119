/**
 * Writes the README's benchmark table from bench/results/*.json and bench/floors.ts, and the
 * dashboard latency curve from bench/results/dashboards.json and bench/missed/dashboards-*.json,
 * each between its markers: figures are never typed by hand. tests/content/bench-results.test.ts
 * fails when the README's blocks are not what this would write.
 *   npm run bench:table
 */
import * as fs from "fs";
import * as path from "path";
import { FLOORS, figuresAt, missedFloors } from "../bench/floors";

const root = path.resolve(__dirname, "..");
export const README = path.join(root, "README.md");
/** Runs that missed a floor, kept as evidence (bench/missed/README.md); never in bench/results. */
export const MISSED_DIR = path.join(root, "bench", "missed");
const START = "<!-- bench-table:start (npm run bench:table writes this) -->";
const END = "<!-- bench-table:end -->";
const CURVE_START = "<!-- dashboard-curve:start (npm run bench:table writes this) -->";
const CURVE_END = "<!-- dashboard-curve:end -->";

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

interface DashboardVolume {
  rowsPerSecond: number;
  fractionOfMedium: string;
  rawRows: number;
  byRange: Record<string, { slowestMs: number }>;
  panels: { range: string; cpuMs: number }[];
}

/** The dashboard runs to show: the committed result, then every archived run that missed a floor. */
export function dashboardRuns(resultsDir = path.join(root, "bench", "results"), missedDir = MISSED_DIR): { file: string; results: any }[] {
  const runs: { file: string; results: any }[] = [];
  const committed = path.join(resultsDir, "dashboards.json");
  if (fs.existsSync(committed)) runs.push({ file: path.relative(root, committed), results: JSON.parse(fs.readFileSync(committed, "utf8")) });
  if (fs.existsSync(missedDir)) {
    for (const f of fs.readdirSync(missedDir).filter((x) => /^dashboards-.*\.json$/.test(x)).sort()) {
      runs.push({ file: path.relative(root, path.join(missedDir, f)), results: JSON.parse(fs.readFileSync(path.join(missedDir, f), "utf8")) });
    }
  }
  return runs;
}

/**
 * Flow panel latency against stored volume (issue 15 point 3): per run and volume, the slowest
 * query per range (wall ms) and the worst CPU ms, which the floor (SC-004, 5 s) applies to.
 */
export function dashboardCurve(runs = dashboardRuns()): string {
  const rows = [
    "| run | flows/s stored (of medium) | raw rows (24 h) | slowest 1 h | slowest 24 h | slowest 7 d | worst CPU | floor (CPU < 5 s, SC-004) | commit | load (1 min, before → after) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const ms = (x: number | undefined) => (x === undefined ? "–" : `${x.toLocaleString("en-US")} ms`);
  for (const { file, results } of runs) {
    const p = results.provenance;
    const commit = p ? `${String(p.commit).slice(0, 7)}${p.dirty ? "+" : ""}` : "–";
    const load = p ? `${p.machine.loadAverageBefore[0]} → ${p.machine.loadAverageAfter[0]}` : "–";
    for (const v of results.volumes as DashboardVolume[]) {
      const cpu = Math.max(...v.panels.map((x) => x.cpuMs));
      const held = cpu < 5000 ? "held" : "**missed**";
      rows.push(
        `| \`${file}\` | ${v.rowsPerSecond.toLocaleString("en-US")} (${v.fractionOfMedium}) | ${v.rawRows.toLocaleString("en-US")} | ${ms(v.byRange["1h"]?.slowestMs)} | ${ms(v.byRange["24h"]?.slowestMs)} | ${ms(v.byRange["7d"]?.slowestMs)} | ${ms(cpu)} | ${held} | ${commit} | ${load} |`,
      );
    }
  }
  return rows.join("\n");
}

/** An archived run must really miss a floor: one that holds them belongs in bench/results. */
export function missedRunProblems(missedDir = MISSED_DIR): string[] {
  if (!fs.existsSync(missedDir)) return [];
  const problems: string[] = [];
  for (const f of fs.readdirSync(missedDir).filter((x) => x.endsWith(".json"))) {
    const bench = f.replace(/-[0-9].*$/, "");
    const results = JSON.parse(fs.readFileSync(path.join(missedDir, f), "utf8"));
    if (!(bench in FLOORS)) problems.push(`${f}: no bench named ${bench}`);
    else if (missedFloors(bench, results).length === 0) problems.push(`${f}: holds every floor of ${bench}, so it is not a missed run`);
    if (!/^[0-9a-f]{40}$/.test(results.provenance?.commit ?? "")) problems.push(`${f}: no provenance (commit, machine, load)`);
  }
  return problems;
}

function replaceBlock(readme: string, startMark: string, endMark: string, content: string): string {
  const start = readme.indexOf(startMark);
  const end = readme.indexOf(endMark);
  if (start < 0 || end < start) throw new Error(`README.md has no ${startMark} … ${endMark} block`);
  return readme.slice(0, start + startMark.length) + "\n" + content + "\n" + readme.slice(end);
}

export function readmeWithTable(readme: string, table: string): string {
  return replaceBlock(readme, START, END, table);
}

/** The README with both generated blocks as `npm run bench:table` writes them. */
export function readmeGenerated(readme: string): string {
  return replaceBlock(readmeWithTable(readme, benchTable()), CURVE_START, CURVE_END, dashboardCurve());
}

if (require.main === module) {
  fs.writeFileSync(README, readmeGenerated(fs.readFileSync(README, "utf8")));
  console.log("README.md benchmark table and dashboard curve written");
}
