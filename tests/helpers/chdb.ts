/**
 * Real ClickHouse through chdb-core (embedded ClickHouse) in the tools venv. Each call runs
 * a Python process; pass a `dataDir` to keep a database across calls.
 */
import * as path from "path";
import { REPO_ROOT, run, venvPython } from "./tools";

export interface ChdbResult {
  /** Query output in the requested format. */
  output: string;
}

/**
 * Runs `sql` (one or more statements separated by `;` at line ends) and returns the output
 * of the last one in `format`. Throws with ClickHouse's own message on error.
 */
export function chdbQuery(sql: string, opts: { format?: string; dataDir?: string } = {}): ChdbResult {
  const script = path.join(REPO_ROOT, "scripts", "test-infra", "chdb_query.py");
  const args = [script, "--format", opts.format ?? "TSV"];
  if (opts.dataDir) args.push("--path", opts.dataDir);
  const r = run(venvPython(), args, { input: sql, timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`chdb failed: ${r.stderr.trim() || r.stdout.trim()}`);
  return { output: r.stdout };
}
