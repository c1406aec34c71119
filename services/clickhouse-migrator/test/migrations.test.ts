// Parsing, templating and settings of the migrator: pure functions, including every bad input.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../src/config";
import { checksumOf, loadMigrations, parseMigration, renderMigration, renderStatement, splitStatements } from "../src/migrations";

const REPO_MIGRATIONS = path.resolve(__dirname, "..", "..", "..", "migrations");
const dirWith = (files: Record<string, string>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-mig-"));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
};

describe("migration files", () => {
  it("loads the repo's migrations in version order with stable checksums", () => {
    const migs = loadMigrations(REPO_MIGRATIONS);
    expect(migs.map((m) => m.file)).toEqual([...migs.map((m) => m.file)].sort());
    for (const m of migs) {
      expect(m.checksum).toBe(checksumOf(fs.readFileSync(path.join(REPO_MIGRATIONS, m.file), "utf8")));
      expect(m.statements.length).toBeGreaterThan(0);
    }
  });

  it("splits at semicolons ending a line, drops comments, and marks -- @sharded statements", () => {
    const s = splitStatements("-- header\nCREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Null;\n\n-- @sharded\nCREATE TABLE b AS a ENGINE = Null;\n-- trailing comment\n");
    expect(s).toEqual([
      { sql: "CREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Null", shardedOnly: false },
      { sql: "CREATE TABLE b AS a ENGINE = Null", shardedOnly: true },
    ]);
  });

  it("refuses misnamed files, empty files, duplicate versions and a missing directory", () => {
    expect(() => loadMigrations(dirWith({ "1_init.sql": "SELECT 1;" }))).toThrow(/NNNN_lowercase_name\.sql/);
    expect(() => loadMigrations(dirWith({ "0001_Init.sql": "SELECT 1;" }))).toThrow(/NNNN_lowercase_name/);
    expect(() => loadMigrations(dirWith({ "0001_init.sql": "-- only a comment\n" }))).toThrow(/0001_init\.sql: contains no SQL statement/);
    expect(() => loadMigrations(dirWith({ "0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;" }))).toThrow(/share version 1/);
    expect(() => loadMigrations("/nonexistent/migrations")).toThrow(/does not exist/);
    expect(() => loadMigrations(dirWith({ "README.txt": "x" }))).toThrow(/no migrations/);
    expect(() => parseMigration("0002_x.sql", "-- @sharded\n")).toThrow(/not followed by a statement/);
  });
});

describe("templating", () => {
  const kafka = { brokers: "k:9092", topic: "t", group: "g", consumers: 3 };

  it("renders plain engines and no ON CLUSTER on single-replica installs", () => {
    const sql = "CREATE TABLE t {{on_cluster}} (a UInt8) ENGINE = {{engine:ReplacingMergeTree(ver)}} ORDER BY a";
    expect(renderStatement(sql, { replicated: false, sharded: false })).toBe("CREATE TABLE t  (a UInt8) ENGINE = ReplacingMergeTree(ver) ORDER BY a");
  });

  it("renders Replicated engines (keeping engine arguments) and ON CLUSTER on replicated installs", () => {
    const sql = "CREATE TABLE t {{on_cluster}} (a UInt8) ENGINE = {{engine:ReplacingMergeTree(ver)}} ORDER BY a";
    expect(renderStatement(sql, { replicated: true, sharded: false })).toBe(
      "CREATE TABLE t ON CLUSTER '{cluster}' (a UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ver) ORDER BY a",
    );
    expect(renderStatement("{{engine:MergeTree}}", { replicated: true, sharded: true })).toBe("ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
  });

  it("keeps sharded-only statements for sharded installs only", () => {
    const mig = parseMigration("0009_d.sql", "CREATE TABLE a (x UInt8) ENGINE = Null;\n-- @sharded\nCREATE TABLE b {{on_cluster}} AS a ENGINE = Distributed('{cluster}', db, a);\n");
    expect(renderMigration(mig, { replicated: false, sharded: false })).toHaveLength(1);
    expect(renderMigration(mig, { replicated: false, sharded: true })[1]).toContain("ON CLUSTER '{cluster}'");
  });

  it("fills Kafka settings and refuses unknown placeholders, missing Kafka settings, non-MergeTree engines and quotes", () => {
    expect(renderStatement("'{{kafka_brokers}}' '{{kafka_topic}}' '{{kafka_group}}' {{kafka_consumers}}", { replicated: false, sharded: false, kafka })).toBe("'k:9092' 't' 'g' 3");
    expect(() => renderStatement("{{kafka_topic}}", { replicated: false, sharded: false })).toThrow(/no Kafka settings were given/);
    expect(() => renderStatement("{{nope}}", { replicated: false, sharded: false })).toThrow(/unknown template placeholder \{\{nope\}\}/);
    expect(() => renderStatement("{{engine:Log}}", { replicated: true, sharded: false })).toThrow(/not a MergeTree-family engine/);
    expect(() => renderStatement("{{engine}}", { replicated: true, sharded: false })).toThrow(/needs an engine/);
    expect(() => renderStatement("{{kafka_topic}}", { replicated: false, sharded: false, kafka: { ...kafka, topic: "t'; DROP" } })).toThrow(/must not contain quotes/);
  });
});

describe("settings", () => {
  it("reads the Job's environment", () => {
    const c = loadConfig({ CLICKHOUSE_URL: "http://clickhouse-helios:8123", HELIOS_CH_REPLICATED: "true", HELIOS_CH_SHARDED: "false", KAFKA_BROKERS: "a:9092,b:9092", KAFKA_CONSUMERS: "4", PATH: "/bin" });
    expect(c.shape).toEqual({ replicated: true, sharded: false, kafka: { brokers: "a:9092,b:9092", topic: "helios-flows-enriched", group: "helios-clickhouse", consumers: 4 } });
    expect(c.migrationsDir).toBe("/migrations");
  });

  it.each([
    [{ CLICKHOUSE_URL: "clickhouse:8123" }, "CLICKHOUSE_URL"],
    [{ CLICKHOUSE_URL: "http://c:8123", HELIOS_CH_REPLICATED: "yes" }, "HELIOS_CH_REPLICATED"],
    [{ CLICKHOUSE_URL: "http://c:8123", KAFKA_BROKERS: "kafka" }, "KAFKA_BROKERS: must be host:port"],
    [{ CLICKHOUSE_URL: "http://c:8123", KAFKA_CONSUMERS: "0" }, "KAFKA_CONSUMERS"],
    [{ CLICKHOUSE_URL: "http://c:8123", MIGRATE_UNTIL: "x" }, "MIGRATE_UNTIL"],
    [{}, "CLICKHOUSE_URL"],
  ])("rejects bad settings %#", (env, fragment) => {
    expect(() => loadConfig(env)).toThrow(fragment);
  });
});
