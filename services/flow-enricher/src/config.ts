/**
 * Settings from the environment, validated with zod. A bad value fails start-up with a
 * message naming the variable; missing GeoIP files are checked by GeoIp itself (naming the path).
 */
import { isIP } from "net";
import { z } from "zod";

const int = (def: number, min = 1, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const list = z
  .string()
  .min(1)
  .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));

const rate = z.number().int().min(1).max(2 ** 32 - 1);
export const samplingRatesSchema = z
  .object({
    default: rate.optional(),
    exporters: z
      .record(
        z.string().refine((a) => isIP(a) !== 0, { message: "exporter keys must be IP addresses" }),
        z.object({ default: rate.optional(), override: rate.optional() }).strict(),
      )
      .optional(),
  })
  .strict();

export const settingsSchema = z.object({
  KAFKA_BROKERS: list.refine((l) => l.length > 0 && l.every((b) => /^[^\s:]+:\d{1,5}$/.test(b) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)), {
    message: "expected a comma-separated list of host:port",
  }),
  KAFKA_CLIENT_ID: z.string().min(1).default("helios-flow-enricher"),
  KAFKA_GROUP_ID: z.string().min(1).default("helios-flow-enricher"),
  KAFKA_TOPIC_RAW: z.string().min(1).default("helios-flows-raw"),
  KAFKA_TOPIC_ENRICHED: z.string().min(1).default("helios-flows-enriched"),
  KAFKA_TOPIC_DEAD_LETTER: z.string().min(1).default("helios-flows-dead-letter"),
  /**
   * compression of produced batches: lz4 (platformatic producer only; measured fastest, see
   * README), gzip or none. Unset: lz4 with the platformatic producer, gzip with kafkajs.
   */
  KAFKA_COMPRESSION: z.enum(["gzip", "lz4", "none"]).optional(),
  /** client that produces enriched flows; the consumer is always kafkajs (docs/benchmarks.md, "Kafka client choice") */
  KAFKA_PRODUCER_CLIENT: z.enum(["kafkajs", "platformatic"]).default("platformatic"),
  /**
   * raw partitions handled at once (each still strictly in order): while one partition's batch
   * waits for the broker's acknowledgement, another's is being enriched
   */
  KAFKA_PARTITIONS_CONCURRENTLY: int(4, 1, 64),
  /** flows handled (and produced) per step; offsets are committed after each step's produce is acknowledged */
  BATCH_SIZE: int(5000, 1, 100_000),
  /**
   * most bytes of one enriched Kafka message: the flows of one exporter in a batch are packed,
   * length-delimited, into messages up to this size (ClickHouse reads them as kafka_format 'Protobuf')
   */
  OUTPUT_MESSAGE_BYTES: int(65536, 1024, 900 * 1024),
  /** larger raw messages go to the dead-letter topic (goflow2 flows are a few hundred bytes) */
  MAX_MESSAGE_BYTES: int(65536, 64, 4 * 1024 * 1024),
  NETBOX_URL: z.string().url(),
  NETBOX_TOKEN: z.string().min(1, "NETBOX_TOKEN must not be empty"),
  NETBOX_REFRESH_SECONDS: int(300, 5, 86400),
  NETBOX_IFINDEX_FIELD: z.string().min(1).default("snmp_ifindex"),
  NETBOX_TIER_FIELD: z.string().min(1).default("monitoring_tier"),
  /** device custom field with the exporter's default sampling rate (used when flows carry none) */
  NETBOX_SAMPLING_RATE_FIELD: z.string().min(1).default("flow_sampling_rate"),
  /**
   * JSON {"default": n, "exporters": {"192.0.2.1": {"default": n, "override": n}}} from stack config
   * (helios:flowSamplingRates): per-exporter override (wins), per-exporter and global defaults
   */
  SAMPLING_RATES: z
    .string()
    .default("{}")
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not JSON: ${(e as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(samplingRatesSchema),
  /** flows timed older than this are stored at time_received and flagged: the raw table's TTL */
  FLOW_MAX_AGE_SECONDS: int(7 * 86400, 60, 366 * 86400),
  /** ...and flows timed further than this ahead of time_received */
  FLOW_MAX_FUTURE_SKEW_SECONDS: int(300, 1, 86400),
  /**
   * the consumer may be down (crashed and not rejoined, or stuck re-delivering a failing batch)
   * this long before /healthz fails too, so Kubernetes restarts the pod
   */
  CONSUMER_DEAD_LIVENESS_SECONDS: int(120, 1, 3600),
  GEOIP_CITY_PATH: z.string().min(1).default("/var/lib/geoip/GeoLite2-City.mmdb"),
  GEOIP_ASN_PATH: z.string().min(1).default("/var/lib/geoip/GeoLite2-ASN.mmdb"),
  GEOIP_CACHE_SIZE: int(200_000, 100, 50_000_000),
  GEOIP_RELOAD_CHECK_SECONDS: int(60, 1, 86400),
  HTTP_PORT: int(8080, 0, 65535),
  HTTP_HOST: z.string().min(1).default("0.0.0.0"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  /** SIGTERM: how long to wait for the in-flight batch before exiting anyway */
  SHUTDOWN_TIMEOUT_SECONDS: int(25, 1, 600),
})
  .refine((s) => !(s.KAFKA_COMPRESSION === "lz4" && s.KAFKA_PRODUCER_CLIENT === "kafkajs"), {
    message: "lz4 needs KAFKA_PRODUCER_CLIENT=platformatic (kafkajs has no lz4 codec)",
    path: ["KAFKA_COMPRESSION"],
  })
  .transform((s) => ({ ...s, KAFKA_COMPRESSION: s.KAFKA_COMPRESSION ?? (s.KAFKA_PRODUCER_CLIENT === "kafkajs" ? ("gzip" as const) : ("lz4" as const)) }));

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const r = settingsSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = i.path.join(".");
      const got = env[key];
      return `  ${key}: ${i.message}${got === undefined ? " (not set)" : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new SettingsError(`invalid flow-enricher settings:\n${lines.join("\n")}`);
  }
  return r.data;
}
