/**
 * The service's Kafka I/O is built with the producer its settings name: KAFKA_PRODUCER_CLIENT
 * reaches the object that produces (issue 18: the class was named for one client and produced with
 * the other). Nothing connects here: both clients connect lazily. Runs the Service in a child
 * process (helpers/producer-choice.ts) because the platformatic client is ESM-only.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KafkajsConsumerIO } from "../src/kafka";
import { writeMmdb } from "./helpers/mmdb";

const geo = writeMmdb(fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-kafka-io-")));
const base = { KAFKA_BROKERS: "127.0.0.1:9", NETBOX_URL: "https://netbox.example.net", NETBOX_TOKEN: "t", GEOIP_CITY_PATH: geo.city, GEOIP_ASN_PATH: geo.asn };

function built(env: Record<string, string>): { producerClient?: string; error?: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "helpers", "producer-choice.ts")], {
    cwd: path.join(__dirname, ".."),
    input: JSON.stringify({ ...base, ...env }),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`producer-choice.ts exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("Kafka I/O producer choice", () => {
  it("produces with the platformatic client by default and with kafkajs when configured", () => {
    expect(built({})).toEqual({ producerClient: "platformatic" });
    expect(built({ KAFKA_PRODUCER_CLIENT: "kafkajs" })).toEqual({ producerClient: "kafkajs" });
    expect(built({ KAFKA_PRODUCER_CLIENT: "platformatic", KAFKA_COMPRESSION: "gzip" })).toEqual({ producerClient: "platformatic" });
  });

  it("refuses lz4 with the kafkajs producer, naming the pair", () => {
    expect(built({ KAFKA_PRODUCER_CLIENT: "kafkajs", KAFKA_COMPRESSION: "lz4" }).error).toMatch(/KAFKA_COMPRESSION: lz4 needs KAFKA_PRODUCER_CLIENT=platformatic/);
    // the class guards direct use too (kafkajs needs no ESM loading)
    expect(
      () => new KafkajsConsumerIO({ brokers: ["127.0.0.1:9"], clientId: "t", groupId: "g", topicRaw: "r", topicEnriched: "e", topicDeadLetter: "d", chunkSize: 10, producerClient: "kafkajs", compression: "lz4" }),
    ).toThrow(/kafkajs producer cannot compress with lz4/);
  });
});
