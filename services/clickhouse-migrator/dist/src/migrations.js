"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.REPLICATED_PATH = exports.MigrationError = exports.MIGRATION_FILE = void 0;
exports.checksumOf = checksumOf;
exports.splitStatements = splitStatements;
exports.parseMigration = parseMigration;
exports.loadMigrations = loadMigrations;
exports.renderStatement = renderStatement;
exports.renderMigration = renderMigration;
/**
 * Helios ClickHouse migrations: numbered SQL files (`NNNN_name.sql`) read from a directory,
 * split into statements and rendered for the kind of install (single node, replicated,
 * sharded). Pure functions; the runner (runner.ts) applies the result.
 *
 * Template syntax inside the SQL (see migrations/*.sql):
 *   {{on_cluster}}        -> ` ON CLUSTER '{cluster}'` on clustered installs, nothing otherwise
 *   {{engine:X}}          -> `X` on single-replica installs, `ReplicatedX('<zk path>', '{replica}')`
 *                            on replicated ones (arguments of X are kept after the replica)
 *   {{kafka_brokers}} {{kafka_topic}} {{kafka_group}} {{kafka_consumers}} -> Kafka consumer settings
 *   a statement preceded by a `-- @sharded` line is applied only on sharded installs.
 * The checksum covers the file as written (the template), so it is the same on every install.
 */
const crypto_1 = require("crypto");
const fs = __importStar(require("fs"));
const path = __importStar(require("path"));
exports.MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
class MigrationError extends Error {
    constructor(message) {
        super(message);
        this.name = "MigrationError";
    }
}
exports.MigrationError = MigrationError;
function checksumOf(text) {
    return (0, crypto_1.createHash)("sha256").update(text, "utf8").digest("hex");
}
/** Splits SQL text into statements at `;` that ends a line; comment-only chunks are dropped. */
function splitStatements(text, where = "SQL") {
    const chunks = text.split(/;[ \t]*(?:\r?\n|$)/);
    const statements = [];
    for (const chunk of chunks) {
        const lines = chunk.split(/\r?\n/);
        const code = lines.filter((l) => !/^\s*--/.test(l)).join("\n").trim();
        const marker = lines.some((l) => /^\s*--\s*@sharded\s*$/.test(l));
        if (!code) {
            if (marker)
                throw new MigrationError(`${where}: a "-- @sharded" marker is not followed by a statement`);
            continue;
        }
        // Full-line comments (file headers, the @sharded marker) are not sent to ClickHouse.
        statements.push({ sql: code, shardedOnly: marker });
    }
    return statements;
}
/** Parses one migration file's text; `file` names it in errors. */
function parseMigration(file, text) {
    const m = exports.MIGRATION_FILE.exec(file);
    if (!m)
        throw new MigrationError(`${file}: migration files must be named NNNN_lowercase_name.sql (e.g. 0006_add_index.sql)`);
    const statements = splitStatements(text, file);
    if (statements.length === 0)
        throw new MigrationError(`${file}: contains no SQL statement`);
    return { version: Number(m[1]), name: m[2], file, checksum: checksumOf(text), statements };
}
/** Reads every `*.sql` in `dir` in version order; refuses misnamed files and duplicate versions. */
function loadMigrations(dir) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new MigrationError(`migrations directory ${dir} does not exist`);
    }
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    const migrations = files.map((f) => parseMigration(f, fs.readFileSync(path.join(dir, f), "utf8")));
    const seen = new Map();
    for (const mig of migrations) {
        const other = seen.get(mig.version);
        if (other)
            throw new MigrationError(`${mig.file} and ${other} share version ${mig.version}; each version must be unique`);
        seen.set(mig.version, mig.file);
    }
    if (migrations.length === 0)
        throw new MigrationError(`no migrations (NNNN_name.sql) in ${dir}`);
    return migrations.sort((a, b) => a.version - b.version);
}
/** ZooKeeper/Keeper path of a replicated table; {shard}/{replica} are the operator's macros. */
exports.REPLICATED_PATH = "/clickhouse/tables/{shard}/{database}/{table}";
function renderEngine(spec, shape, where) {
    const m = /^([A-Za-z]*MergeTree)(?:\((.*)\))?$/.exec(spec.trim());
    if (!m)
        throw new MigrationError(`${where}: {{engine:${spec}}} is not a MergeTree-family engine`);
    const [, engine, args] = m;
    if (!shape.replicated)
        return args === undefined ? engine : `${engine}(${args})`;
    const replicatedArgs = [`'${exports.REPLICATED_PATH}'`, "'{replica}'", ...(args && args.trim() ? [args.trim()] : [])];
    return `Replicated${engine}(${replicatedArgs.join(", ")})`;
}
/** Renders one statement for an install shape; unknown placeholders are errors. */
function renderStatement(sql, shape, where = "statement") {
    const clustered = shape.replicated || shape.sharded;
    return sql.replace(/\{\{\s*([a-z_]+)(?::([^}]*))?\s*\}\}/g, (_all, key, arg) => {
        switch (key) {
            case "on_cluster":
                return clustered ? "ON CLUSTER '{cluster}'" : "";
            case "engine":
                if (arg === undefined)
                    throw new MigrationError(`${where}: {{engine}} needs an engine, e.g. {{engine:MergeTree}}`);
                return renderEngine(arg, shape, where);
            case "kafka_brokers":
            case "kafka_topic":
            case "kafka_group":
            case "kafka_consumers": {
                if (!shape.kafka)
                    throw new MigrationError(`${where}: uses {{${key}}} but no Kafka settings were given (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_GROUP)`);
                const value = String(shape.kafka[key.slice("kafka_".length)]);
                if (/['\\]/.test(value))
                    throw new MigrationError(`${where}: ${key} must not contain quotes or backslashes: ${value}`);
                return value;
            }
            default:
                throw new MigrationError(`${where}: unknown template placeholder {{${key}}}`);
        }
    });
}
/** The statements of a migration as they run on this install (sharded-only ones dropped when not sharded). */
function renderMigration(mig, shape) {
    return mig.statements
        .filter((s) => shape.sharded || !s.shardedOnly)
        .map((s, i) => renderStatement(s.sql, shape, `${mig.file} statement ${i + 1}`));
}
