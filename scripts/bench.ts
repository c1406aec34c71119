/**
 * `npm run bench [name ...]`: runs the benchmarks registered below, one after the other
 * (they share this 2-core machine), printing figures and writing bench/results/<name>.json.
 * Each benchmark is a script that prints its own figures and writes its JSON file.
 */
import { spawnSync } from "child_process";
import * as path from "path";

/** name -> command (run from the repo root). Add a line per benchmark. */
const BENCHMARKS: Record<string, string[]> = {
  "storage-replication": ["node", "--import", "tsx", "bench/storage-replication.ts"],
  "flow-enricher": ["node", "--import", "tsx", "services/flow-enricher/bench/bench.ts"],
  "clickhouse-ingest": ["node", "--import", "tsx", "services/clickhouse-migrator/bench/ingest.ts"],
  dashboards: ["node", "--import", "tsx", "bench/dashboards.ts"],
  "target-generator": ["node", "--import", "tsx", "services/target-generator/bench/bench.ts"],
  collection: ["node", "--import", "tsx", "bench/collection.ts"],
  "runbook-operator": ["node", "--import", "tsx", "services/runbook-operator/bench/bench.ts"],
};

const root = path.resolve(__dirname, "..");
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(BENCHMARKS);
let failed = false;
for (const name of names) {
  const cmd = BENCHMARKS[name];
  if (!cmd) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(", ") || "(none yet)"}`);
    process.exit(2);
  }
  console.log(`\n=== bench: ${name}`);
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`bench ${name} failed (exit ${r.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
