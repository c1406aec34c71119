import { SettingsError, loadSettings } from "../src/config";

const base = { KAFKA_BROKERS: "127.0.0.1:9092", NETBOX_URL: "https://netbox.example.net", NETBOX_TOKEN: "t" };

describe("settings", () => {
  it("applies defaults", () => {
    const s = loadSettings(base);
    expect(s).toMatchObject({ KAFKA_TOPIC_RAW: "helios-flows-raw", KAFKA_TOPIC_ENRICHED: "helios-flows-enriched", KAFKA_TOPIC_DEAD_LETTER: "helios-flows-dead-letter", NETBOX_REFRESH_SECONDS: 300, HTTP_PORT: 8080 });
    expect(s.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
  });
  it.each([
    [{ KAFKA_BROKERS: "kafka" }, /KAFKA_BROKERS: expected a comma-separated list of host:port \(got "kafka"\)/],
    [{ NETBOX_URL: undefined }, /NETBOX_URL: Required \(not set\)/],
    [{ NETBOX_URL: "not a url" }, /NETBOX_URL: Invalid url/],
    [{ NETBOX_REFRESH_SECONDS: "soon" }, /NETBOX_REFRESH_SECONDS: Expected number/],
    [{ BATCH_SIZE: "0" }, /BATCH_SIZE: Number must be greater than or equal to 1/],
    [{ KAFKA_COMPRESSION: "brotli" }, /KAFKA_COMPRESSION: Invalid enum value/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
  ])("rejects %j", (patch, msg) => {
    expect(() => loadSettings({ ...base, ...patch } as NodeJS.ProcessEnv)).toThrow(SettingsError);
    expect(() => loadSettings({ ...base, ...patch } as NodeJS.ProcessEnv)).toThrow(msg);
  });
});
