/**
 * Applies migrations in version order through @clickhouse/client, recording each applied
 * version with its checksum in helios.schema_migrations. Re-running is a no-op; a migration
 * whose file changed after it was applied, or an applied version with no file, stops the run
 * with a clear error (add a new migration instead of editing an applied one).
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { InstallShape, Migration, MigrationError, renderMigration, renderStatement } from "./migrations";

export const TRACKING_TABLE = "helios.schema_migrations";

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

export interface Logger {
  info(obj: object, msg: string): void;
}

const silent: Logger = { info: () => undefined };

/** DDL of the tracking table; replicated installs share one Keeper path across all shards. */
export function trackingTableSql(shape: InstallShape): string[] {
  const engine = shape.replicated || shape.sharded ? "ReplicatedMergeTree('/clickhouse/helios/schema_migrations', '{replica}')" : "MergeTree";
  return [
    renderStatement("CREATE DATABASE IF NOT EXISTS helios {{on_cluster}}", shape, "tracking database"),
    renderStatement(
      `CREATE TABLE IF NOT EXISTS ${TRACKING_TABLE} {{on_cluster}} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ${engine} ORDER BY version`,
      shape,
      "tracking table",
    ),
  ];
}

export async function appliedMigrations(client: ClickHouseClient): Promise<AppliedMigration[]> {
  const rs = await client.query({
    query: `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${TRACKING_TABLE} GROUP BY version ORDER BY version`,
    format: "JSONEachRow",
  });
  const rows = (await rs.json()) as { version: number | string; name: string; checksum: string }[];
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

/** Checks applied history against the files before anything runs. */
export function verifyHistory(migrations: Migration[], applied: AppliedMigration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const a of applied) {
    const mig = byVersion.get(a.version);
    if (!mig) {
      throw new MigrationError(`version ${a.version} (${a.name}) is recorded as applied but its migration file is missing`);
    }
    if (mig.checksum !== a.checksum) {
      throw new MigrationError(
        `${mig.file} was changed after it was applied (applied checksum ${a.checksum.slice(0, 12)}, file ${mig.checksum.slice(0, 12)}); ` +
          "applied migrations are immutable — add a new migration instead",
      );
    }
  }
  const lastApplied = applied.length ? Math.max(...applied.map((a) => a.version)) : 0;
  const appliedSet = new Set(applied.map((a) => a.version));
  const gap = migrations.find((m) => !appliedSet.has(m.version) && m.version < lastApplied);
  if (gap) {
    throw new MigrationError(`${gap.file} is older than the latest applied version ${lastApplied} but was never applied; renumber it after ${lastApplied}`);
  }
}

export interface MigrateOptions {
  /** Apply versions up to and including this one only (default: all). */
  until?: number;
  log?: Logger;
}

export async function migrate(client: ClickHouseClient, migrations: Migration[], shape: InstallShape, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const log = opts.log ?? silent;
  for (const sql of trackingTableSql(shape)) await client.command({ query: sql });
  const applied = await appliedMigrations(client);
  verifyHistory(migrations, applied);
  const done = new Set(applied.map((a) => a.version));
  const result: MigrateResult = { applied: [], skipped: [] };
  for (const mig of migrations) {
    if (opts.until !== undefined && mig.version > opts.until) break;
    if (done.has(mig.version)) {
      result.skipped.push(mig.file);
      continue;
    }
    const statements = renderMigration(mig, shape);
    for (const [i, sql] of statements.entries()) {
      try {
        await client.command({ query: sql });
      } catch (err) {
        throw new MigrationError(`${mig.file} statement ${i + 1} failed: ${(err as Error).message}`);
      }
    }
    await client.insert({
      table: TRACKING_TABLE,
      values: [{ version: mig.version, name: mig.name, checksum: mig.checksum, applied_at: new Date().toISOString().replace("T", " ").replace("Z", "") }],
      format: "JSONEachRow",
    });
    log.info({ migration: mig.file, statements: statements.length }, "applied");
    result.applied.push(mig.file);
  }
  return result;
}
