"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TRACKING_TABLE = void 0;
exports.trackingTableSql = trackingTableSql;
exports.appliedMigrations = appliedMigrations;
exports.verifyHistory = verifyHistory;
exports.migrate = migrate;
const migrations_1 = require("./migrations");
exports.TRACKING_TABLE = "helios.schema_migrations";
const silent = { info: () => undefined };
/** DDL of the tracking table; replicated installs share one Keeper path across all shards. */
function trackingTableSql(shape) {
    const engine = shape.replicated || shape.sharded ? "ReplicatedMergeTree('/clickhouse/helios/schema_migrations', '{replica}')" : "MergeTree";
    return [
        (0, migrations_1.renderStatement)("CREATE DATABASE IF NOT EXISTS helios {{on_cluster}}", shape, "tracking database"),
        (0, migrations_1.renderStatement)(`CREATE TABLE IF NOT EXISTS ${exports.TRACKING_TABLE} {{on_cluster}} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ${engine} ORDER BY version`, shape, "tracking table"),
    ];
}
async function appliedMigrations(client) {
    const rs = await client.query({
        query: `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${exports.TRACKING_TABLE} GROUP BY version ORDER BY version`,
        format: "JSONEachRow",
    });
    const rows = (await rs.json());
    return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}
/** Checks applied history against the files before anything runs. */
function verifyHistory(migrations, applied) {
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    for (const a of applied) {
        const mig = byVersion.get(a.version);
        if (!mig) {
            throw new migrations_1.MigrationError(`version ${a.version} (${a.name}) is recorded as applied but its migration file is missing`);
        }
        if (mig.checksum !== a.checksum) {
            throw new migrations_1.MigrationError(`${mig.file} was changed after it was applied (applied checksum ${a.checksum.slice(0, 12)}, file ${mig.checksum.slice(0, 12)}); ` +
                "applied migrations are immutable — add a new migration instead");
        }
    }
    const lastApplied = applied.length ? Math.max(...applied.map((a) => a.version)) : 0;
    const appliedSet = new Set(applied.map((a) => a.version));
    const gap = migrations.find((m) => !appliedSet.has(m.version) && m.version < lastApplied);
    if (gap) {
        throw new migrations_1.MigrationError(`${gap.file} is older than the latest applied version ${lastApplied} but was never applied; renumber it after ${lastApplied}`);
    }
}
async function migrate(client, migrations, shape, opts = {}) {
    const log = opts.log ?? silent;
    for (const sql of trackingTableSql(shape))
        await client.command({ query: sql });
    const applied = await appliedMigrations(client);
    verifyHistory(migrations, applied);
    const done = new Set(applied.map((a) => a.version));
    const result = { applied: [], skipped: [] };
    for (const mig of migrations) {
        if (opts.until !== undefined && mig.version > opts.until)
            break;
        if (done.has(mig.version)) {
            result.skipped.push(mig.file);
            continue;
        }
        const statements = (0, migrations_1.renderMigration)(mig, shape);
        for (const [i, sql] of statements.entries()) {
            try {
                await client.command({ query: sql });
            }
            catch (err) {
                throw new migrations_1.MigrationError(`${mig.file} statement ${i + 1} failed: ${err.message}`);
            }
        }
        await client.insert({
            table: exports.TRACKING_TABLE,
            values: [{ version: mig.version, name: mig.name, checksum: mig.checksum, applied_at: new Date().toISOString().replace("T", " ").replace("Z", "") }],
            format: "JSONEachRow",
        });
        log.info({ migration: mig.file, statements: statements.length }, "applied");
        result.applied.push(mig.file);
    }
    return result;
}
