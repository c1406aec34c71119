/**
 * Run with `node --import tsx` (the platformatic client is ESM-only: jest's module loader cannot
 * require it, a plain Node process can). Builds the Service from the environment given on stdin
 * (JSON) and prints which client its Kafka I/O produces with, or the construction error.
 */
import * as fs from "fs";
import pino from "pino";
import { loadSettings } from "../../src/config";
import { KafkajsConsumerIO } from "../../src/kafka";
import { Service } from "../../src/service";

const env = JSON.parse(fs.readFileSync(0, "utf8")) as Record<string, string>;
try {
  const kafka = new Service(loadSettings(env), pino({ level: "silent" })).kafka as KafkajsConsumerIO;
  console.log(JSON.stringify({ producerClient: kafka.producerClient }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
}
