// The migrator against REAL ClickHouse: embedded ClickHouse (chdb-core) behind the thin HTTP
// front scripts/test-infra/clickhouse_http_front.py -- no usable ClickHouse server binary can be
// installed here (Debian's clickhouse-server is 18.16 from 2018, without TTL, DateTime64 or
// ProtobufSingle; PyPI ships only the embedded engine), so the front supplies
// only the HTTP framing @clickhouse/client speaks; every statement runs in real ClickHouse.
import { ClickHouseClient, createClient } from "@clickhouse/client";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../src/main";
import { loadMigrations } from "../src/migrations";
import { appliedMigrations, migrate } from "../src/runner";
import { ClickHouseFront, startClickHouseFront } from "./clickhouse-front";

const dirWith = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-mig-"));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
};
const PLAIN = { replicated: false, sharded: false };

describe("clickhouse-migrator on real ClickHouse", () => {
  let front: ClickHouseFront;
  let client: ClickHouseClient;
  const count = async (sql: string) => Number(((await (await client.query({ query: sql, format: "JSONEachRow" })).json()) as { n: string }[])[0].n);

  beforeAll(async () => {
    front = await startClickHouseFront();
    client = createClient({ url: front.url });
  });
  afterAll(async () => {
    await client?.close();
    await front?.stop();
  });

  it("applies pending migrations in order, records versions with checksums, and skips them on re-run", async () => {
    const dir = dirWith({
      "0001_t.sql": "CREATE DATABASE IF NOT EXISTS helios {{on_cluster}};\nCREATE TABLE IF NOT EXISTS helios.t1 {{on_cluster}} (a UInt8) ENGINE = {{engine:MergeTree}} ORDER BY a;\n",
      "0002_v.sql": "INSERT INTO helios.t1 VALUES (1), (2);\n",
    });
    const first = await migrate(client, loadMigrations(dir), PLAIN);
    expect(first.applied).toEqual(["0001_t.sql", "0002_v.sql"]);
    const second = await migrate(client, loadMigrations(dir), PLAIN);
    expect(second).toEqual({ applied: [], skipped: ["0001_t.sql", "0002_v.sql"] });
    expect(await count("SELECT count() AS n FROM helios.t1")).toBe(2); // the INSERT ran once
    const applied = await appliedMigrations(client);
    expect(applied.map((a) => [a.version, a.name])).toEqual([[1, "t"], [2, "v"]]);
    expect(applied[0].checksum).toBe(loadMigrations(dir)[0].checksum);

    // a new migration applies on the next run, the old ones stay skipped
    fs.writeFileSync(path.join(dir, "0003_w.sql"), "INSERT INTO helios.t1 VALUES (3);\n");
    expect((await migrate(client, loadMigrations(dir), PLAIN)).applied).toEqual(["0003_w.sql"]);
    expect(await count("SELECT count() AS n FROM helios.t1")).toBe(3);
  });

  it("refuses a changed applied migration, a deleted one and one numbered before the latest applied", async () => {
    const dir = dirWith({ "0001_t.sql": "CREATE TABLE IF NOT EXISTS helios.t1 (a UInt8) ENGINE = MergeTree ORDER BY a;\n" });
    await client.command({ query: "TRUNCATE TABLE helios.schema_migrations" });
    await migrate(client, loadMigrations(dir), PLAIN);
    fs.writeFileSync(path.join(dir, "0001_t.sql"), "CREATE TABLE IF NOT EXISTS helios.t1 (a UInt16) ENGINE = MergeTree ORDER BY a;\n");
    await expect(migrate(client, loadMigrations(dir), PLAIN)).rejects.toThrow(/0001_t\.sql was changed after it was applied.*add a new migration instead/);

    await client.command({ query: "TRUNCATE TABLE helios.schema_migrations" });
    const dir2 = dirWith({ "0001_a.sql": "SELECT 1;\n", "0003_c.sql": "SELECT 3;\n" });
    await migrate(client, loadMigrations(dir2), PLAIN);
    fs.writeFileSync(path.join(dir2, "0002_b.sql"), "SELECT 2;\n");
    await expect(migrate(client, loadMigrations(dir2), PLAIN)).rejects.toThrow(/0002_b\.sql is older than the latest applied version 3/);
    fs.unlinkSync(path.join(dir2, "0002_b.sql"));
    fs.unlinkSync(path.join(dir2, "0003_c.sql"));
    await expect(migrate(client, loadMigrations(dir2), PLAIN)).rejects.toThrow(/version 3 \(c\) is recorded as applied but its migration file is missing/);
  });

  it("stops at a failing statement with ClickHouse's message and records nothing for that migration", async () => {
    await client.command({ query: "TRUNCATE TABLE helios.schema_migrations" });
    const dir = dirWith({ "0001_ok.sql": "SELECT 1;\n", "0002_bad.sql": "CREATE TABLE helios.bad (a UInt8) ENGINE = MergeTree ORDER BY nope;\n" });
    await expect(migrate(client, loadMigrations(dir), PLAIN)).rejects.toThrow(/0002_bad\.sql statement 1 failed: .*nope/);
    expect((await appliedMigrations(client)).map((a) => a.version)).toEqual([1]);
  });

  it("runs as the Job does (environment in, exit code out) and exits 1 on bad settings", async () => {
    await client.command({ query: "TRUNCATE TABLE helios.schema_migrations" });
    const dir = dirWith({ "0001_t.sql": "CREATE TABLE IF NOT EXISTS helios.job (a UInt8) ENGINE = {{engine:MergeTree}} ORDER BY a;\n" });
    expect(await main({ CLICKHOUSE_URL: front.url, MIGRATIONS_DIR: dir, CLICKHOUSE_WAIT_SECONDS: "10" })).toBe(0);
    expect(await count("SELECT count() AS n FROM system.tables WHERE database = 'helios' AND name = 'job'")).toBe(1);
    expect(await main({ CLICKHOUSE_URL: "not a url", MIGRATIONS_DIR: dir })).toBe(1);
    expect(await main({ CLICKHOUSE_URL: front.url, MIGRATIONS_DIR: "/nonexistent" })).toBe(1);
  });
});
