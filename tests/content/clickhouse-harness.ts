/**
 * Real ClickHouse (chdb-core) over the flow-infra migrations, for the dashboard tests and the
 * dashboard bench: applies migrations/*.sql in order, loads synthetic flows, runs panel SQL.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, run, venvPython } from "../helpers/tools";

export const MIGRATIONS_DIR = path.join(REPO_ROOT, "migrations");

export interface MigrationStatement {
  file: string;
  sql: string;
}

/**
 * The migrations as a single-shard, non-replicated install runs them: `{{on_cluster}}` ->
 * nothing, `{{engine:X}}` -> X, statements marked `-- @sharded` left out (as the migrator
 * does on single-shard installs).
 *
 * SKIPPED HERE ONLY: the Kafka engine table (0005 flows_kafka) and the materialized views
 * that read it. They need a reachable broker, which the dashboard tests do not run; the
 * synthetic flows are inserted into helios.flows_ingest, the table those views write to, so
 * every table and view the dashboards read is created and fed exactly as in production.
 */
export function migrationStatements(dir = MIGRATIONS_DIR): { applied: MigrationStatement[]; skipped: MigrationStatement[] } {
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist; the flow-infra migrations are needed`);
  const files = fs.readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  if (!files.length) throw new Error(`${dir}: no NNNN_*.sql migrations`);
  const applied: MigrationStatement[] = [];
  const skipped: MigrationStatement[] = [];
  for (const file of files) {
    const text = fs
      .readFileSync(path.join(dir, file), "utf8")
      .replace(/\{\{on_cluster\}\}/g, "")
      .replace(/\{\{engine:([A-Za-z]+)\}\}/g, "$1");
    for (const raw of text.split(/;\s*(?:\n|$)/)) {
      const sql = raw.trim();
      const body = sql.replace(/^\s*--.*$/gm, "").trim();
      if (!body) continue;
      const isKafka = /ENGINE\s*=\s*Kafka\b/.test(body) || /FROM\s+helios\.flows_kafka\b(?!_)/.test(body);
      if (/^--\s*@sharded\b/m.test(sql) || isKafka) {
        skipped.push({ file, sql });
        continue;
      }
      const left = body.match(/\{\{[^}]+\}\}/);
      if (left) throw new Error(`${file}: unknown template placeholder ${left[0]}`);
      applied.push({ file, sql: body });
    }
  }
  return { applied, skipped };
}

export interface PanelQuery {
  id: string;
  sql: string;
}

export interface PanelResult {
  id: string;
  rows: number | null;
  /** First result row, or null. */
  first: unknown[] | null;
  ms: number | null;
  /** CPU time of all ClickHouse threads for the query (load-independent). */
  cpu_ms: number | null;
  error: string | null;
}

/** Runs setup statements then queries in one chdb session; returns per-query rows and time. */
export function runClickHouse(job: { path?: string; setup?: string[]; queries?: PanelQuery[]; repeat?: number }, timeoutMs = 1_800_000): PanelResult[] {
  const script = path.join(__dirname, "chdb_panels.py");
  const r = run(venvPython(), [script], { input: JSON.stringify(job), timeoutMs });
  if (r.status !== 0) throw new Error(`chdb failed: ${r.stderr.trim() || r.stdout.trim()}`);
  return (JSON.parse(r.stdout) as { results: PanelResult[] }).results;
}
