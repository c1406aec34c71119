/**
 * A pod whose Kafka consumer is dead must stop being Ready, then Live. The real enricher process
 * (src/main.ts) against a real Kafka broker, configured to produce to a topic name the broker
 * refuses: every produce fails, kafkajs re-delivers the batch every few seconds forever (measured:
 * it never crashes the consumer for this), and the process runs on without progress: the case
 * where only the event-loop check used to pass /healthz forever.
 */
import { KafkaBroker, startKafka } from "../../../tests/helpers/kafka";
import { freePort } from "../../../tests/helpers/net";
import { tempDir } from "../../../tests/helpers/tools";
import { writeMmdb } from "./helpers/mmdb";
import { goflowValue, ip4 } from "./helpers/proto";
import { Enricher, createTopics, kafka, startEnricher, waitFor } from "./helpers/stack";

const RAW = "helios-flows-raw";
let broker: KafkaBroker;
let enricher: Enricher;

beforeAll(async () => {
  broker = await startKafka();
  await createTopics(broker.bootstrap, [{ topic: RAW, numPartitions: 1 }]);
  const geo = writeMmdb(tempDir("liveness-geo"));
  enricher = await startEnricher({
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_TOPIC_ENRICHED: "not a valid topic!",
    NETBOX_URL: `http://127.0.0.1:${await freePort()}`,
    NETBOX_TOKEN: "t",
    GEOIP_CITY_PATH: geo.city,
    GEOIP_ASN_PATH: geo.asn,
    CONSUMER_DEAD_LIVENESS_SECONDS: "5",
  });
}, 180_000);
afterAll(async () => {
  await enricher?.stop("SIGKILL");
  await broker?.stop();
});

const probe = async (p: string) => (await fetch(`http://127.0.0.1:${enricher.httpPort}${p}`).catch(() => undefined))?.status;

it("is Ready while consuming; after the consumer dies, not Ready, then not Live", async () => {
  await waitFor("Ready", async () => (await probe("/readyz")) === 200, 120_000);
  expect(await probe("/healthz")).toBe(200);
  const producer = kafka(broker.bootstrap).producer();
  await producer.connect();
  await producer.send({ topic: RAW, messages: [{ value: goflowValue({ type: "IPFIX", samplerAddress: ip4("192.0.2.1"), srcAddr: ip4("10.0.0.1"), dstAddr: ip4("10.0.0.2"), bytes: 100, packets: 1 }) }] });
  await producer.disconnect();
  const t0 = Date.now();
  await waitFor("not Ready once the batch fails", async () => (await probe("/readyz")) === 503, 120_000, 250);
  const notReadyAfter = Date.now() - t0;
  expect(await probe("/healthz")).toBe(200); // the grace period has not passed yet
  await waitFor("not Live once down past CONSUMER_DEAD_LIVENESS_SECONDS", async () => (await probe("/healthz")) === 503, 60_000, 250);
  process.stderr.write(`[liveness] not Ready ${notReadyAfter} ms after the failing batch, not Live ${Date.now() - t0} ms after it\n`);
  expect(enricher.proc.exitCode).toBeNull(); // still running: only the probes can get it restarted
  const ready = await (await fetch(`http://127.0.0.1:${enricher.httpPort}/readyz`)).json();
  expect(ready).toMatchObject({ ready: false, consumerRunning: false });
}, 240_000);
