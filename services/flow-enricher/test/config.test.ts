import { SettingsError, loadSettings } from "../src/config";

const base = { KAFKA_BROKERS: "127.0.0.1:9092", NETBOX_URL: "https://netbox.example.net", NETBOX_TOKEN: "t" };

describe("settings", () => {
  it("applies defaults", () => {
    const s = loadSettings(base);
    expect(s).toMatchObject({ KAFKA_TOPIC_RAW: "helios-flows-raw", KAFKA_TOPIC_ENRICHED: "helios-flows-enriched", KAFKA_TOPIC_DEAD_LETTER: "helios-flows-dead-letter", NETBOX_REFRESH_SECONDS: 300, HTTP_PORT: 8080, OUTPUT_MESSAGE_BYTES: 65536, KAFKA_COMPRESSION: "lz4" });
    expect(s.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
  });
  it("reads per-exporter sampling rates and the timestamp policy", () => {
    const s = loadSettings({ ...base, SAMPLING_RATES: '{"default":1000,"exporters":{"192.0.2.1":{"override":4096},"2001:db8::1":{"default":512}}}' });
    expect(s.SAMPLING_RATES).toEqual({ default: 1000, exporters: { "192.0.2.1": { override: 4096 }, "2001:db8::1": { default: 512 } } });
    expect(loadSettings(base)).toMatchObject({ SAMPLING_RATES: {}, FLOW_MAX_AGE_SECONDS: 7 * 86400, FLOW_MAX_FUTURE_SKEW_SECONDS: 300 });
  });
  it("picks the compression the chosen producer supports when none is set", () => {
    expect(loadSettings({ ...base, KAFKA_PRODUCER_CLIENT: "kafkajs" }).KAFKA_COMPRESSION).toBe("gzip");
    expect(loadSettings({ ...base, KAFKA_COMPRESSION: "none" }).KAFKA_COMPRESSION).toBe("none");
  });
  it.each([
    [{ KAFKA_BROKERS: "kafka" }, /KAFKA_BROKERS: expected a comma-separated list of host:port \(got "kafka"\)/],
    [{ NETBOX_URL: undefined }, /NETBOX_URL: Required \(not set\)/],
    [{ NETBOX_URL: "not a url" }, /NETBOX_URL: Invalid url/],
    [{ NETBOX_REFRESH_SECONDS: "soon" }, /NETBOX_REFRESH_SECONDS: Expected number/],
    [{ BATCH_SIZE: "0" }, /BATCH_SIZE: Number must be greater than or equal to 1/],
    [{ KAFKA_COMPRESSION: "brotli" }, /KAFKA_COMPRESSION: Invalid enum value/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
    [{ KAFKA_COMPRESSION: "lz4", KAFKA_PRODUCER_CLIENT: "kafkajs" }, /KAFKA_COMPRESSION: lz4 needs KAFKA_PRODUCER_CLIENT=platformatic/],
    [{ OUTPUT_MESSAGE_BYTES: "100" }, /OUTPUT_MESSAGE_BYTES: Number must be greater than or equal to 1024/],
    [{ OUTPUT_MESSAGE_BYTES: String(2 * 1024 * 1024) }, /OUTPUT_MESSAGE_BYTES: Number must be less than or equal to 921600/],
    [{ KAFKA_PARTITIONS_CONCURRENTLY: "0" }, /KAFKA_PARTITIONS_CONCURRENTLY: Number must be greater than or equal to 1/],
    [{ SAMPLING_RATES: "{oops" }, /SAMPLING_RATES: not JSON/],
    [{ SAMPLING_RATES: '{"exporters":{"edge1":{"default":100}}}' }, /SAMPLING_RATES.exporters.edge1: exporter keys must be IP addresses/],
    [{ SAMPLING_RATES: '{"exporters":{"192.0.2.1":{"default":0}}}' }, /SAMPLING_RATES.exporters.192.0.2.1.default: Number must be greater than or equal to 1/],
    [{ SAMPLING_RATES: '{"defualt":100}' }, /SAMPLING_RATES: Unrecognized key/],
  ])("rejects %j", (patch, msg) => {
    expect(() => loadSettings({ ...base, ...patch } as NodeJS.ProcessEnv)).toThrow(SettingsError);
    expect(() => loadSettings({ ...base, ...patch } as NodeJS.ProcessEnv)).toThrow(msg);
  });
});
