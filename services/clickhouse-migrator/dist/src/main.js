"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.main = main;
/**
 * Entry point of the clickhouse-migrator Job: wait for ClickHouse, apply pending migrations,
 * exit 0; any error is logged with its reason and exits 1 (the Job retries).
 */
require("./version"); // first: `--version` answers before settings are read
const client_1 = require("@clickhouse/client");
const pino_1 = __importDefault(require("pino"));
const config_1 = require("./config");
const migrations_1 = require("./migrations");
const runner_1 = require("./runner");
const log = (0, pino_1.default)({ name: "clickhouse-migrator" });
async function waitForClickHouse(ping, seconds) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const r = await ping().catch(() => ({ success: false }));
        if (r.success)
            return;
        if (Date.now() >= deadline)
            throw new Error(`ClickHouse did not answer /ping within ${seconds}s`);
        await new Promise((res) => setTimeout(res, 2000));
    }
}
async function main(env = process.env) {
    try {
        const config = (0, config_1.loadConfig)(env);
        const migrations = (0, migrations_1.loadMigrations)(config.migrationsDir);
        const client = (0, client_1.createClient)({ url: config.url, username: config.username, password: config.password, request_timeout: 600_000 });
        try {
            await waitForClickHouse(() => client.ping(), config.waitSeconds);
            const result = await (0, runner_1.migrate)(client, migrations, config.shape, { log, until: config.until });
            log.info({ applied: result.applied, alreadyApplied: result.skipped.length }, "migrations up to date");
            return 0;
        }
        finally {
            await client.close();
        }
    }
    catch (err) {
        log.error({ err: err.message }, "migration failed");
        return 1;
    }
}
if (require.main === module) {
    main().then((code) => process.exit(code));
}
