/**
 * Benchmarks are measured by `npm run bench`, never timed in CI; this checks what was measured and
 * committed: every registered bench has a results file whose figures hold their floors
 * (bench/floors.ts) and that says which commit and machine it measured.
 */
import * as fs from "fs";
import * as path from "path";
import { FLOORS, MEASURED_BEFORE_PROVENANCE, missedFloors } from "../../bench/floors";
import { BENCHMARKS, throttleShare } from "../../scripts/bench";
import { missedRunProblems, README, readmeGenerated } from "../../scripts/bench-table";
import { REPO_ROOT, run, tempDir } from "../helpers/tools";

const resultsFile = (name: string) => path.join(REPO_ROOT, "bench", "results", `${name}.json`);

describe("committed benchmark results", () => {
  it.each(Object.keys(BENCHMARKS).map((b) => [b]))("%s: results file present, floors held, provenance recorded", (bench) => {
    expect(fs.existsSync(resultsFile(bench))).toBe(true);
    const results = JSON.parse(fs.readFileSync(resultsFile(bench), "utf8"));
    expect(missedFloors(bench, results)).toEqual([]);
    if (MEASURED_BEFORE_PROVENANCE.includes(bench)) {
      // A rerun records provenance; then the bench must leave the list.
      expect(results.provenance).toBeUndefined();
      return;
    }
    expect(results.provenance?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(results.provenance.machine.cores).toBeGreaterThan(0);
    expect(results.provenance.machine.loadAverageBefore).toHaveLength(3);
  });

  it("the README's benchmark table and dashboard curve are what `npm run bench:table` writes from the results files", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(readme).toBe(readmeGenerated(readme));
  });

  it("bench/missed holds only runs that missed a floor, each with its provenance", () => {
    expect(missedRunProblems()).toEqual([]);
    // A passing run filed there is named.
    const dir = tempDir("bench-missed");
    fs.writeFileSync(path.join(dir, "flow-enricher-2026-01-01.json"), fs.readFileSync(resultsFile("flow-enricher")));
    expect(missedRunProblems(dir)).toEqual(["flow-enricher-2026-01-01.json: holds every floor of flow-enricher, so it is not a missed run"]);
  });

  it("every bench has floors and every floor a bench", () => {
    expect(Object.keys(FLOORS).sort()).toEqual(Object.keys(BENCHMARKS).sort());
  });

  it("BENCH_THROTTLE takes a share of time in (0, 1) and names itself otherwise", () => {
    expect(throttleShare(undefined)).toBeUndefined();
    expect(throttleShare("0.2")).toBe(0.2);
    for (const bad of ["0", "1", "2", "x"]) expect(() => throttleShare(bad)).toThrow(`BENCH_THROTTLE must be a share of time between 0 and 1, exclusive (got "${bad}")`);
  });

  it("`npm run bench -- --check` exits non-zero and names the figure when a result misses its floor", () => {
    const dir = tempDir("bench-results");
    const results = JSON.parse(fs.readFileSync(resultsFile("flow-enricher"), "utf8"));
    fs.writeFileSync(path.join(dir, "flow-enricher.json"), JSON.stringify({ ...results, endToEndFlowsPerSec: 16_090 }));
    const r = run(process.execPath, [path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/bench.ts", "--check", "flow-enricher"], {
      cwd: REPO_ROOT,
      env: { ...process.env, HELIOS_BENCH_RESULTS: dir },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("FLOOR MISSED: flow-enricher: endToEndFlowsPerSec = 16090 flows/s, below the floor 40000");
  });
});
