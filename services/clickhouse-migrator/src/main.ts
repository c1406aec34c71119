/**
 * Entry point of the clickhouse-migrator Job: wait for ClickHouse, apply pending migrations,
 * exit 0; any error is logged with its reason and exits 1 (the Job retries).
 */
import "./version"; // first: `--version` answers before settings are read
import { createClient } from "@clickhouse/client";
import pino from "pino";
import { loadConfig } from "./config";
import { loadMigrations } from "./migrations";
import { migrate } from "./runner";

const log = pino({ name: "clickhouse-migrator" });

async function waitForClickHouse(ping: () => Promise<{ success: boolean }>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await ping().catch(() => ({ success: false }));
    if (r.success) return;
    if (Date.now() >= deadline) throw new Error(`ClickHouse did not answer /ping within ${seconds}s`);
    await new Promise((res) => setTimeout(res, 2000));
  }
}

export async function main(env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    const config = loadConfig(env);
    const migrations = loadMigrations(config.migrationsDir);
    const client = createClient({ url: config.url, username: config.username, password: config.password, request_timeout: 600_000 });
    try {
      await waitForClickHouse(() => client.ping(), config.waitSeconds);
      const result = await migrate(client, migrations, config.shape, { log, until: config.until });
      log.info({ applied: result.applied, alreadyApplied: result.skipped.length }, "migrations up to date");
      return 0;
    } finally {
      await client.close();
    }
  } catch (err) {
    log.error({ err: (err as Error).message }, "migration failed");
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
