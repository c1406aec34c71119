"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.loadConfig = loadConfig;
/**
 * The migrator's settings, from the environment the program's Job sets (components/flows/
 * migrations-job.ts). A bad value stops the run before anything touches ClickHouse.
 */
const zod_1 = require("zod");
const bool = zod_1.z.enum(["true", "false"]).transform((v) => v === "true");
const schema = zod_1.z
    .object({
    CLICKHOUSE_URL: zod_1.z.string().regex(/^https?:\/\/[^\s/]+(:[0-9]+)?\/?$/, "must be an http(s) URL such as http://clickhouse-helios:8123"),
    CLICKHOUSE_USER: zod_1.z.string().min(1).default("default"),
    CLICKHOUSE_PASSWORD: zod_1.z.string().default(""),
    MIGRATIONS_DIR: zod_1.z.string().min(1).default("/migrations"),
    HELIOS_CH_REPLICATED: bool.default("false"),
    HELIOS_CH_SHARDED: bool.default("false"),
    KAFKA_BROKERS: zod_1.z
        .string()
        .regex(/^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$/, "must be host:port[,host:port...]")
        .optional(),
    KAFKA_TOPIC: zod_1.z.string().regex(/^[A-Za-z0-9._-]+$/, "must be a Kafka topic name").default("helios-flows-enriched"),
    KAFKA_GROUP: zod_1.z.string().regex(/^[A-Za-z0-9._-]+$/, "must be a Kafka consumer group name").default("helios-clickhouse"),
    KAFKA_CONSUMERS: zod_1.z.coerce.number().int().min(1).max(64).default(1),
    /** Apply versions up to this one only (a staged rollout); default all. */
    MIGRATE_UNTIL: zod_1.z.coerce.number().int().min(1).optional(),
    /** How long to wait for ClickHouse to answer /ping before giving up. */
    CLICKHOUSE_WAIT_SECONDS: zod_1.z.coerce.number().int().min(0).default(300),
})
    .strict();
function loadConfig(env) {
    const relevant = Object.fromEntries(Object.entries(env).filter(([k]) => k in schema.shape && env[k] !== undefined && env[k] !== ""));
    const parsed = schema.safeParse(relevant);
    if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        throw new Error(`invalid migrator settings: ${issues}`);
    }
    const c = parsed.data;
    return {
        url: c.CLICKHOUSE_URL,
        username: c.CLICKHOUSE_USER,
        password: c.CLICKHOUSE_PASSWORD,
        migrationsDir: c.MIGRATIONS_DIR,
        waitSeconds: c.CLICKHOUSE_WAIT_SECONDS,
        until: c.MIGRATE_UNTIL,
        shape: {
            replicated: c.HELIOS_CH_REPLICATED,
            sharded: c.HELIOS_CH_SHARDED,
            kafka: c.KAFKA_BROKERS ? { brokers: c.KAFKA_BROKERS, topic: c.KAFKA_TOPIC, group: c.KAFKA_GROUP, consumers: c.KAFKA_CONSUMERS } : undefined,
        },
    };
}
