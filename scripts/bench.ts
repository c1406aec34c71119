/**
 * `npm run bench [name ...]`: runs the benchmarks registered below, one after the other
 * (they share this 2-core machine), printing figures and writing bench/results/<name>.json.
 * Each benchmark is a script that prints its own figures and writes its JSON file; this driver
 * then adds where and on what it ran (`provenance`: commit, machine, load before/after, Node,
 * engine pins) and checks the figures against bench/floors.ts: a missed floor exits non-zero.
 *
 *   npm run bench -- --list             every bench with its floors
 *   npm run bench -- flow-enricher      run one
 *   npm run bench -- --check [name ...] check the committed results files only (no run)
 *   BENCH_THROTTLE=0.2 npm run bench -- <name>
 *                                       a deliberately slowed run: the bench's processes (its
 *                                       engines included) run 20% of each 100 ms, to show a
 *                                       missed floor exits non-zero; recorded in provenance.
 *                                       Use HELIOS_BENCH_RESULTS=<dir> so the committed file stays.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FLOORS, missedFloors } from "../bench/floors";

/** name -> command (run from the repo root). Add a line per benchmark, and its floors in bench/floors.ts. */
export const BENCHMARKS: Record<string, string[]> = {
  "storage-replication": ["node", "--import", "tsx", "bench/storage-replication.ts"],
  "flow-enricher": ["node", "--import", "tsx", "services/flow-enricher/bench/bench.ts"],
  "kafka-clients": ["node", "--import", "tsx", "services/flow-enricher/bench/kafka-clients.ts"],
  "flow-path": ["node", "--import", "tsx", "services/flow-enricher/bench/flow-path.ts"],
  "clickhouse-ingest": ["node", "--import", "tsx", "services/clickhouse-migrator/bench/ingest.ts"],
  dashboards: ["node", "--import", "tsx", "bench/dashboards.ts"],
  "target-generator": ["node", "--import", "tsx", "services/target-generator/bench/bench.ts"],
  collection: ["node", "--import", "tsx", "bench/collection.ts"],
  images: ["node", "--import", "tsx", "bench/images.ts"],
  "runbook-operator": ["node", "--import", "tsx", "services/runbook-operator/bench/bench.ts"],
};

const root = path.resolve(__dirname, "..");
export const RESULTS_DIR = process.env.HELIOS_BENCH_RESULTS ?? path.join(root, "bench", "results");

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** The engine pins of scripts/test-infra (engines/*.sh, node.sh), as NAME=version. */
function enginePins(): Record<string, string> {
  const dir = path.join(root, "scripts", "test-infra", "engines");
  const pins: Record<string, string> = {};
  for (const file of [...fs.readdirSync(dir).map((f) => path.join(dir, f)), path.join(root, "scripts", "test-infra", "node.sh")]) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(/^(HELIOS_[A-Z0-9_]+)="([^"]+)"/gm)) pins[m[1]] = m[2];
  }
  return pins;
}

/** BENCH_THROTTLE as a share of CPU time in (0, 1), or undefined; anything else names the variable. */
export function throttleShare(raw = process.env.BENCH_THROTTLE): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const v = Number(raw);
  if (!(v > 0 && v < 1)) throw new Error(`BENCH_THROTTLE must be a share of time between 0 and 1, exclusive (got ${JSON.stringify(raw)})`);
  return v;
}

/**
 * Runs `cmd`; with `share`, in its own process group, which it stops and continues
 * (SIGSTOP/SIGCONT) so it runs `share` of every 100 ms: a slow machine on demand.
 */
function runBench(cmd: string[], share: number | undefined): Promise<number | null> {
  // a process group of its own only when throttled (it then also gets Ctrl-C forwarded)
  const child = spawn(cmd[0], cmd.slice(1), { cwd: root, stdio: "inherit", detached: share !== undefined });
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, "SIGCONT");
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  if (share !== undefined) for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => forward(sig));
  let timer: NodeJS.Timeout | undefined;
  if (share !== undefined) {
    const period = 100;
    const cycle = () => {
      try {
        process.kill(-child.pid!, "SIGCONT");
        timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGSTOP");
          } catch {
            return; // the group ended
          }
          timer = setTimeout(cycle, period * (1 - share));
        }, period * share);
      } catch {
        // the group ended
      }
    };
    cycle();
  }
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      if (timer) clearTimeout(timer);
      try {
        process.kill(-child.pid!, "SIGCONT"); // leave no stopped stragglers
      } catch {
        // none left
      }
      resolve(code);
    }),
  );
}

function check(names: string[]): boolean {
  let ok = true;
  for (const name of names) {
    const file = path.join(RESULTS_DIR, `${name}.json`);
    if (!fs.existsSync(file)) {
      console.error(`FLOOR: ${name}: no results file ${path.relative(root, file)}`);
      ok = false;
      continue;
    }
    const missed = missedFloors(name, JSON.parse(fs.readFileSync(file, "utf8")));
    for (const m of missed) console.error(`FLOOR MISSED: ${m}`);
    if (missed.length === 0) console.log(`floors held: ${name} (${(FLOORS[name] ?? []).map((f) => f.path).join(", ") || "no floors"})`);
    ok &&= missed.length === 0;
  }
  return ok;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--list") {
    for (const name of Object.keys(BENCHMARKS)) {
      console.log(name);
      for (const f of FLOORS[name] ?? []) console.log(`  ${f.path} ${f.min !== undefined ? `≥ ${f.min}` : `≤ ${f.max}`} ${f.unit}: ${f.what}`);
    }
    return;
  }
  const checkOnly = args[0] === "--check";
  const wanted = checkOnly ? args.slice(1) : args;
  const names = wanted.length ? wanted : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!BENCHMARKS[name]) {
      console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
      process.exit(2);
    }
  }
  if (checkOnly) process.exit(check(names) ? 0 : 1);

  const throttle = throttleShare();
  let failed = false;
  for (const name of names) {
    const cmd = BENCHMARKS[name];
    console.log(`\n=== bench: ${name}`);
    const loadBefore = os.loadavg();
    const started = new Date();
    if (throttle !== undefined) console.log(`throttled: the bench runs ${throttle * 100}% of each 100 ms (BENCH_THROTTLE)`);
    const status = await runBench(cmd, throttle);
    if (status !== 0) {
      console.error(`bench ${name} failed (exit ${status})`);
      failed = true;
      continue;
    }
    const file = path.join(RESULTS_DIR, `${name}.json`);
    const results = JSON.parse(fs.readFileSync(file, "utf8"));
    results.provenance = {
      commit: git(["rev-parse", "HEAD"]),
      // Uncommitted changes mean the figures belong to no commit exactly. The results files are
      // left out: the bench has just written its own, which would mark every run dirty.
      dirty: git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results"]) !== "",
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageBefore: loadBefore.map((x) => Number(x.toFixed(2))), loadAverageAfter: os.loadavg().map((x) => Number(x.toFixed(2))) },
      node: process.version,
      engines: enginePins(),
      command: cmd.join(" "),
      ...(throttle !== undefined ? { throttle } : {}),
    };
    fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    failed = !check([name]) || failed;
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((e) => {
    console.error((e as Error).message);
    process.exit(2);
  });
}
