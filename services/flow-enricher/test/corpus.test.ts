/**
 * Our own corpus through the whole path: datagrams written from the RFCs (helpers/datagrams.ts)
 * → real goflow2 v2.2.6 with the args and mapping file the plan renders → real Kafka (the small
 * tier's raw partition count) → the flow-enricher process → helios-flows-enriched, read with
 * librdkafka (ClickHouse's Kafka client) → the migrations' schema on real ClickHouse (chdb),
 * inserted with the Kafka engine's format settings. NetBox: real NetBox 4.7.3 seeded with one
 * device per exporter, so flows_1m/flows_1h (keyed by exporter_name) can be checked per exporter.
 *
 * Expected sums are computed from what was SENT (each record's bytes × the rate the exporter
 * sent for it), never from what came out.
 *
 * The corpus: NetFlow v9 with an options template (rate only in options data); NetFlow v9 with
 * the rate in data records (34/35) and 252; IPFIX with 305/306 in data records, IPv6 flows and a
 * biflow (RFC 5103 reverse octets, PEN 29305); IPFIX with two samplers (302 + 34 in data records,
 * then records with only the sampler id); NetFlow v5 with a header sampling interval; sFlow v5
 * with local/discard/multiple interface values and a counter sample; sFlow from an IPv6 agent;
 * NetFlow v9 with no rate anywhere (unknown: counted x1, flagged, metric); NetFlow v9 whose
 * exporter clock says 2009 (stored at time_received, flagged).
 */
import { ClickHouseClient, createClient } from "@clickhouse/client";
import * as dgram from "dgram";
import * as path from "path";
import { Readable } from "stream";
import { TIERS } from "../../../components/tiers";
import { KafkaBroker, readTopicWithLibrdkafka, startKafka } from "../../../tests/helpers/kafka";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { REPO_ROOT, tempDir } from "../../../tests/helpers/tools";
import { loadMigrations, renderMigration, InstallShape } from "../../clickhouse-migrator/src/migrations";
import { migrate } from "../../clickhouse-migrator/src/runner";
import { ClickHouseFront, startClickHouseFront } from "../../clickhouse-migrator/test/clickhouse-front";
import { Field, SFLOW_IF, Value, frame, ip4, ip6, ipfix, netflowV5, netflowV9, sflowV5 } from "./helpers/datagrams";
import { writeMmdb } from "./helpers/mmdb";
import { NetBoxWorld } from "./helpers/netbox-fixture";
import { rawToken, seedNetBoxWorld } from "./helpers/netbox-real";
import { Enricher, Goflow2, createTopics, startEnricher, startGoflow2, topicCount, waitFor } from "./helpers/stack";

const RAW = "helios-flows-raw";
const ENRICHED = "helios-flows-enriched";
const DLQ = "helios-flows-dead-letter";
const MIGRATIONS = path.join(REPO_ROOT, "migrations");
const SINGLE: InstallShape = { replicated: false, sharded: false, kafka: { brokers: "x:9092", topic: ENRICHED, group: "g", consumers: 1 } };

/** What one exporter sent: for the expected sums. */
interface Sent {
  name: string;
  /** address as goflow2 reports it: UDP source for NetFlow/IPFIX, agent address for sFlow */
  address: string;
  flows: number;
  /** Σ bytes × the rate sent for each flow (x1 where the exporter sent no rate) */
  scaledBytes: number;
}

const now = () => Math.floor(Date.now() / 1000);
const CLOCK_2009 = 1_230_768_000;
const T9: Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [10, 4], [14, 4], [1, 4], [2, 4], [22, 4], [21, 4]];
const rec9 = (i: number, bytes: number, uptime: number): Value[] => [ip4(`10.1.0.${i + 1}`), ip4("203.0.113.10"), 40000 + i, 443, 6, 1, 2, bytes, 2, uptime - 5000, uptime - 1000];

function corpus(): Array<{ sent: Sent; from: string; port: "netflow" | "sflow"; datagrams: Buffer[] }> {
  const out: Array<{ sent: Sent; from: string; port: "netflow" | "sflow"; datagrams: Buffer[] }> = [];
  const up = 3_600_000;
  const add = (name: string, from: string, address: string, port: "netflow" | "sflow", datagrams: Buffer[], perFlow: Array<[bytes: number, rate: number]>) =>
    out.push({ sent: { name, address, flows: perFlow.length, scaledBytes: perFlow.reduce((s, [b, r]) => s + b * r, 0) }, from, port, datagrams });

  // A: NetFlow v9, rate only in options data (scope system, options 34/35)
  {
    const bytes = [1000, 2000, 3000, 4000, 5000];
    const d = netflowV9({ unixSecs: now(), uptimeMs: up, sequence: 1, sourceId: 1 }, [
      { kind: "options-template", id: 300, scope: [[1, 4]], options: [[34, 4], [35, 1]] },
      { kind: "data", id: 300, fields: [[1, 4], [34, 4], [35, 1]], records: [[0, 100, 2]] },
      { kind: "template", id: 256, fields: T9 },
      { kind: "data", id: 256, fields: T9, records: bytes.map((b, i) => rec9(i, b, up)) },
    ]);
    add("corpus-nf9-options", "127.0.3.1", "127.0.3.1", "netflow", [d], bytes.map((b) => [b, 100]));
  }
  // B: NetFlow v9, rate in each data record (34/35), sampler id (48), physical ingress (252)
  {
    const fields: Field[] = [...T9, [34, 4], [35, 1], [48, 1], [252, 4]];
    const bytes = [1500, 700, 64];
    const d = netflowV9({ unixSecs: now(), uptimeMs: up, sequence: 1, sourceId: 2 }, [
      { kind: "template", id: 260, fields },
      { kind: "data", id: 260, fields, records: bytes.map((b, i) => [...rec9(i, b, up), 1000, 2, 1, 501]) },
    ]);
    add("corpus-nf9-inrecord", "127.0.3.2", "127.0.3.2", "netflow", [d], bytes.map((b) => [b, 1000]));
  }
  // C: IPFIX, 305/306 in data records (1 of 500), IPv6 flows; a biflow (forward counts carried)
  {
    const ms = BigInt(Date.now());
    const v6: Field[] = [[27, 16], [28, 16], [7, 2], [11, 2], [4, 1], [10, 4], [14, 4], [1, 8], [2, 8], [152, 8], [153, 8], [305, 4], [306, 4]];
    const bi: Field[] = [[8, 4], [12, 4], [4, 1], [1, 8], [2, 8], [152, 8], [153, 8], [305, 4], [306, 4], [1, 8, 29305], [2, 8, 29305]];
    const v6bytes = [9000, 1200];
    const d = ipfix({ exportTime: now(), sequence: 1, domain: 3 }, [
      { kind: "template", id: 270, fields: v6 },
      { kind: "template", id: 271, fields: bi },
      { kind: "data", id: 270, fields: v6, records: v6bytes.map((b, i) => [ip6(`2001:db8:1::${i + 1}`), ip6("2001:db8:2::1"), 50000 + i, 443, 6, 1, 2, b, 3, ms - 4000n, ms - 1000n, 1, 499]) },
      // forward 800 bytes, reverse 4000: goflow2 decodes the forward direction only (reverse: docs/flows.md)
      { kind: "data", id: 271, fields: bi, records: [[ip4("10.3.0.1"), ip4("203.0.113.20"), 17, 800, 4, ms - 4000n, ms - 1000n, 1, 499, 4000, 6]] },
    ]);
    add("corpus-ipfix-305", "127.0.3.3", "127.0.3.3", "netflow", [d], [...v6bytes.map((b): [number, number] => [b, 500]), [800, 500]]);
  }
  // D: IPFIX, two samplers (selectorId 302): rates in the first records, then only the sampler id
  {
    const ms = BigInt(Date.now());
    const withRate: Field[] = [[8, 4], [12, 4], [4, 1], [1, 8], [2, 8], [152, 8], [153, 8], [302, 4], [34, 4]];
    const idOnly: Field[] = [[8, 4], [12, 4], [4, 1], [1, 8], [2, 8], [152, 8], [153, 8], [302, 4]];
    const r = (i: number, b: number) => [ip4(`10.4.0.${i}`), ip4("203.0.113.30"), 6, b, 1, ms - 3000n, ms - 1000n];
    const first = ipfix({ exportTime: now(), sequence: 1, domain: 4 }, [
      { kind: "template", id: 280, fields: withRate },
      { kind: "template", id: 281, fields: idOnly },
      { kind: "data", id: 280, fields: withRate, records: [[...r(1, 100), 1, 100], [...r(2, 200), 2, 1000]] },
    ]);
    const second = ipfix({ exportTime: now(), sequence: 2, domain: 4 }, [{ kind: "data", id: 281, fields: idOnly, records: [[...r(3, 300), 1], [...r(4, 400), 2]] }]);
    add("corpus-ipfix-samplers", "127.0.3.4", "127.0.3.4", "netflow", [first, second], [[100, 100], [200, 1000], [300, 100], [400, 1000]]);
  }
  // E: NetFlow v5, header sampling interval 64
  {
    const bytes = [512, 1024];
    const d = netflowV5({ unixSecs: now(), uptimeMs: up, sequence: 1, samplingInterval: 64 }, bytes.map((b, i) => ({ src: `10.5.0.${i + 1}`, dst: "203.0.113.40", inIf: 3, outIf: 4, packets: 1, bytes: b, first: up - 3000, last: up - 1000, sport: 1000 + i, dport: 53, proto: 17 })));
    add("corpus-v5", "127.0.3.5", "127.0.3.5", "netflow", [d], bytes.map((b) => [b, 64]));
  }
  // F: sFlow v5 from an IPv4 agent: local in, discard out (ACL), multiple out, a normal flow; a counter sample
  {
    const f = (src: string, len: number) => frame(ip4(src), ip4("203.0.113.50"), 17, 5000, 53, len);
    const samples = [
      { flow: { sequence: 1, sourceIndex: 1, samplingRate: 2048, pool: 2048, input: SFLOW_IF.local, output: 7, frame: f("10.6.0.1", 100), frameLength: 114 } },
      { flow: { sequence: 2, sourceIndex: 1, samplingRate: 2048, pool: 4096, input: 5, output: SFLOW_IF.discard(258), frame: f("10.6.0.2", 100), frameLength: 214 } },
      { flow: { sequence: 3, sourceIndex: 1, samplingRate: 2048, pool: 6144, input: 5, output: SFLOW_IF.multiple(3), frame: f("10.6.0.3", 100), frameLength: 314 } },
      { flow: { sequence: 4, sourceIndex: 1, samplingRate: 2048, pool: 8192, input: 5, output: 6, frame: f("10.6.0.4", 100), frameLength: 1514 } },
      { counters: { sequence: 1, ifIndex: 5, speed: 10_000_000_000n, inOctets: 123456789n, outOctets: 987654321n } },
    ];
    const d = sflowV5({ agent: ip4("192.0.2.60"), sequence: 1, uptimeMs: up }, samples);
    add("corpus-sflow-v4", "127.0.0.1", "192.0.2.60", "sflow", [d], [114, 214, 314, 1514].map((b) => [b, 2048]));
  }
  // G: sFlow v5 from an IPv6 agent, IPv6 frames
  {
    const f = (i: number) => frame(ip6(`2001:db8:7::${i}`), ip6("2001:db8:8::1"), 6, 443, 40000 + i, 1000);
    const d = sflowV5({ agent: ip6("2001:db8:ffff::70"), sequence: 1, uptimeMs: up }, [1, 2].map((i) => ({ flow: { sequence: i, sourceIndex: 2, samplingRate: 512, pool: 512 * i, input: 1, output: 2, frame: f(i), frameLength: 1014 } })));
    add("corpus-sflow-v6", "127.0.0.1", "2001:db8:ffff::70", "sflow", [d], [[1014, 512], [1014, 512]]);
  }
  // H: NetFlow v9 with no rate anywhere (no options, nothing in the records, no default): unknown, x1
  {
    const bytes = [333, 444];
    const d = netflowV9({ unixSecs: now(), uptimeMs: up, sequence: 1, sourceId: 8 }, [
      { kind: "template", id: 256, fields: T9 },
      { kind: "data", id: 256, fields: T9, records: bytes.map((b, i) => rec9(i, b, up)) },
    ]);
    add("corpus-nf9-norate", "127.0.3.8", "127.0.3.8", "netflow", [d], bytes.map((b) => [b, 1]));
  }
  // I: NetFlow v9 whose exporter clock says 2009-01-01 (rate in options: 10)
  {
    const bytes = [10_000, 20_000];
    const d = netflowV9({ unixSecs: CLOCK_2009, uptimeMs: up, sequence: 1, sourceId: 9 }, [
      { kind: "options-template", id: 300, scope: [[1, 4]], options: [[34, 4]] },
      { kind: "data", id: 300, fields: [[1, 4], [34, 4]], records: [[0, 10]] },
      { kind: "template", id: 256, fields: T9 },
      { kind: "data", id: 256, fields: T9, records: bytes.map((b, i) => rec9(i, b, up)) },
    ]);
    add("corpus-nf9-2009", "127.0.3.9", "127.0.3.9", "netflow", [d], bytes.map((b) => [b, 10]));
  }
  return out;
}

const CORPUS = corpus();

function world(): NetBoxWorld {
  return {
    sites: [{ id: 1, name: "lab1", region: "eu-central" }],
    devices: CORPUS.map((c, i) => ({
      id: 100 + i,
      name: c.sent.name,
      siteId: 1,
      role: "edge-router",
      vendor: "Acme",
      platform: null,
      tenant: null,
      tier: null,
      primaryIp4: c.sent.address.includes(":") ? null : `${c.sent.address}/32`,
      primaryIp6: c.sent.address.includes(":") ? `${c.sent.address}/128` : null,
    })),
    interfaces: [],
    ips: [],
  };
}

let broker: KafkaBroker;
let goflow: Goflow2;
let enricher: Enricher;
let nb: NetBox;
let front: ClickHouseFront;
let ch: ClickHouseClient;

beforeAll(async () => {
  broker = await startKafka();
  await createTopics(broker.bootstrap, [
    { topic: RAW, numPartitions: TIERS.small.kafka.rawPartitions },
    { topic: ENRICHED, numPartitions: 2 },
    { topic: DLQ, numPartitions: 1 },
  ]);
  nb = await startNetBox();
  await seedNetBoxWorld(nb, world());
  goflow = await startGoflow2(broker.bootstrap, "small");
  const geo = writeMmdb(tempDir("corpus-geo"));
  enricher = await startEnricher({ KAFKA_BROKERS: broker.bootstrap, NETBOX_URL: nb.url, NETBOX_TOKEN: rawToken(nb.tokens.v1), GEOIP_CITY_PATH: geo.city, GEOIP_ASN_PATH: geo.asn });
  await waitFor("enricher /readyz", async () => {
    if (enricher.proc.exitCode !== null) throw new Error(`enricher exited: ${enricher.output()}`);
    return (await fetch(`http://127.0.0.1:${enricher.httpPort}/readyz`).catch(() => undefined))?.status === 200;
  }, 120_000);
  front = await startClickHouseFront();
  ch = createClient({ url: front.url, username: "default", password: "" });
  await migrate(ch, loadMigrations(MIGRATIONS), SINGLE, { until: 4 });
  for (const sql of renderMigration(loadMigrations(MIGRATIONS).find((m) => m.version === 6)!, SINGLE)) await ch.command({ query: sql });
}, 600_000);

afterAll(async () => {
  await enricher?.stop("SIGKILL");
  await goflow?.stop();
  await nb?.stop();
  await broker?.stop();
  await ch?.close();
  await front?.stop();
});

async function metricLines(name: string): Promise<string[]> {
  const body = await (await fetch(`http://127.0.0.1:${enricher.httpPort}/metrics`)).text();
  return body.split("\n").filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "));
}

describe("corpus → goflow2 (as rendered) → Kafka → flow-enricher → ClickHouse schema", () => {
  const rows = async <T>(query: string): Promise<T[]> => (await (await ch.query({ query, format: "JSONEachRow" })).json()) as T[];

  it("sums bytes × sampling rate per exporter in flows_raw, flows_1m and flows_1h as sent", async () => {
    for (const c of CORPUS) {
      const sock = dgram.createSocket("udp4");
      await new Promise<void>((r) => sock.bind(0, c.from, () => r()));
      for (const d of c.datagrams) {
        await new Promise<void>((res, rej) => sock.send(d, c.port === "netflow" ? goflow.netflowPort : goflow.sflowPort, "127.0.0.1", (e) => (e ? rej(e) : res())));
        await new Promise((r) => setTimeout(r, 50)); // templates before the next datagram's data
      }
      sock.close();
    }
    const totalFlows = CORPUS.reduce((n, c) => n + c.sent.flows, 0);
    await waitFor("every corpus flow on the raw topic", async () => (await topicCount(broker.bootstrap, RAW)) >= totalFlows, 60_000, 1000);
    expect(await topicCount(broker.bootstrap, RAW)).toBe(totalFlows); // the counter sample made no flow
    const enrichedFlows = async () => (await metricLines("helios_flow_enricher_enriched_total")).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    await waitFor("the enricher to enrich every flow", async () => (await enrichedFlows()) >= totalFlows, 60_000, 1000);
    expect(await topicCount(broker.bootstrap, DLQ)).toBe(0);

    const messages = readTopicWithLibrdkafka(broker.bootstrap, ENRICHED, await topicCount(broker.bootstrap, ENRICHED));
    for (const m of messages) {
      await ch.exec({ query: "INSERT INTO helios.flows_ingest SETTINGS format_schema = 'flow.proto:EnrichedFlow' FORMAT Protobuf", values: Readable.from([m.value]) });
    }

    const expected = Object.fromEntries(CORPUS.map((c) => [c.sent.name, { flows: c.sent.flows, bytes: c.sent.scaledBytes }]));
    const byName = async (table: string, flowsExpr: string) =>
      Object.fromEntries(
        (await rows<{ exporter_name: string; flows: string; bytes: string }>(`SELECT exporter_name, toString(${flowsExpr}) AS flows, toString(sum(bytes)) AS bytes FROM helios.${table} GROUP BY exporter_name`)).map((r) => [
          r.exporter_name,
          { flows: Number(r.flows), bytes: Number(r.bytes) },
        ]),
      );
    const raw = await byName("flows_raw", "count()");
    const m1 = await byName("flows_1m", "sum(flows)");
    const h1 = await byName("flows_1h", "sum(flows)");
    process.stderr.write(`[corpus] expected ${JSON.stringify(expected)}\n[corpus] flows_raw ${JSON.stringify(raw)}\n`);
    expect(raw).toEqual(expected);
    expect(m1).toEqual(expected);
    expect(h1).toEqual(expected);

    // per exporter address too (flows_raw keeps it; IPv4 as IPv4-mapped IPv6)
    const byAddr = Object.fromEntries(
      (await rows<{ a: string; bytes: string }>("SELECT replaceRegexpOne(toString(exporter_address), '^::ffff:', '') AS a, toString(sum(bytes)) AS bytes FROM helios.flows_raw GROUP BY a")).map((r) => [r.a, Number(r.bytes)]),
    );
    expect(byAddr).toEqual(Object.fromEntries(CORPUS.map((c) => [c.sent.address, c.sent.scaledBytes])));
  }, 300_000);

  it("says where each rate came from, and flags unknown rates, old clocks and sFlow's special interfaces", async () => {
    const src = await rows<{ exporter_name: string; s: string[] }>("SELECT exporter_name, groupUniqArray(sampling_rate_source) AS s FROM helios.flows_raw GROUP BY exporter_name ORDER BY exporter_name");
    expect(Object.fromEntries(src.map((r) => [r.exporter_name, [...r.s].sort()]))).toEqual({
      "corpus-ipfix-305": ["flow"],
      "corpus-ipfix-samplers": ["flow", "last_known"],
      "corpus-nf9-2009": ["options"],
      "corpus-nf9-inrecord": ["flow"],
      "corpus-nf9-norate": ["unknown"],
      "corpus-nf9-options": ["options"],
      "corpus-sflow-v4": ["flow"],
      "corpus-sflow-v6": ["flow"],
      "corpus-v5": ["flow"],
    });
    const old = await rows<{ n: string; implausible: string; recent: string; exporter_year: string }>(
      "SELECT count() AS n, sum(time_implausible) AS implausible, sum(timestamp > now() - INTERVAL 1 HOUR) AS recent, toString(min(toYear(exporter_time_flow_end))) AS exporter_year FROM helios.flows_raw WHERE exporter_name = 'corpus-nf9-2009'",
    );
    // the exporter's clock: 2009-01-01T00:00:00Z export time, flows ending 1 s before it
    const exporterYear = new Date((CLOCK_2009 - 1) * 1000).getUTCFullYear();
    expect([old[0].n, old[0].implausible, old[0].recent, old[0].exporter_year].map(Number)).toEqual([2, 2, 2, exporterYear]);
    expect(Number((await rows<{ n: string }>("SELECT count() AS n FROM helios.flows_raw WHERE time_implausible AND exporter_name != 'corpus-nf9-2009'"))[0].n)).toBe(0);

    const sflow = await rows<{ in_if_special: string; out_if_special: string; discard_reason: string; out_if_name: string; bytes: string }>(
      "SELECT in_if_special, out_if_special, discard_reason, out_if_name, toString(bytes) AS bytes FROM helios.flows_raw WHERE exporter_name = 'corpus-sflow-v4'",
    );
    const byBytes = (rows: string[][]) => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byBytes(sflow.map((r) => [r.bytes, r.in_if_special, r.out_if_special, r.discard_reason]))).toEqual(
      byBytes([
        [String(114 * 2048), "local", "", ""],
        [String(214 * 2048), "", "discard", "acl"],
        [String(314 * 2048), "", "multiple", ""],
        [String(1514 * 2048), "", "", ""],
      ]),
    );
    const phys = await rows<{ p: number }>("SELECT DISTINCT in_if_physical AS p FROM helios.flows_raw WHERE exporter_name = 'corpus-nf9-inrecord'");
    expect(phys.map((r) => Number(r.p))).toEqual([501]);

    // counted, with the exporter and reason
    expect(await metricLines("helios_flow_enricher_sampling_rate_unknown_total")).toEqual([
      'helios_flow_enricher_sampling_rate_unknown_total{exporter="127.0.3.8",reason="no_rate_in_flow_options_or_config"} 2',
    ]);
    expect(await metricLines("helios_flow_enricher_time_implausible_total")).toEqual(['helios_flow_enricher_time_implausible_total{exporter="127.0.3.9",reason="older_than_ttl"} 2']);
    expect((await metricLines("helios_flow_enricher_sflow_special_interfaces_total")).sort()).toEqual([
      'helios_flow_enricher_sflow_special_interfaces_total{direction="in",kind="local"} 1',
      'helios_flow_enricher_sflow_special_interfaces_total{direction="out",kind="discard"} 1',
      'helios_flow_enricher_sflow_special_interfaces_total{direction="out",kind="multiple"} 1',
    ]);
    expect(enricher.output()).toMatch(/sampling rate unknown: flows stored with sampling_rate 0.*127\.0\.3\.8|127\.0\.3\.8.*sampling rate unknown/);
  }, 120_000);
});
