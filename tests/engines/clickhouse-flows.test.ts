// The ClickHouse schema (migrations/) on REAL ClickHouse: embedded ClickHouse (chdb-core)
// behind scripts/test-infra/clickhouse_http_front.py (a thin HTTP front, because no
// ClickHouse server binary is installable here), driven by the real migrator and
// @clickhouse/client. Flows are real EnrichedFlow Protobuf bytes, encoded with protobufjs from
// proto/flow.proto, packed per exporter as the flow-enricher packs its Kafka messages, and inserted
// with the Kafka engine's own format settings (Protobuf, format_schema 'flow.proto:EnrichedFlow').
import { ClickHouseClient, createClient } from "@clickhouse/client";
import * as path from "path";
import * as protobuf from "protobufjs";
import { Readable } from "stream";
import { loadMigrations, renderMigration, InstallShape } from "../../services/clickhouse-migrator/src/migrations";
import { migrate } from "../../services/clickhouse-migrator/src/runner";
import { ClickHouseFront, startClickHouseFront } from "../../services/clickhouse-migrator/test/clickhouse-front";
import { FLOW_RESOLUTIONS } from "../../components/flows/resolutions";
import { REPO_ROOT } from "../helpers/tools";

const MIGRATIONS = path.join(REPO_ROOT, "migrations");
const KAFKA = { brokers: "kafka-bootstrap.helios-flows.svc:9092", topic: "helios-flows-enriched", group: "helios-clickhouse", consumers: 2 };
const SINGLE: InstallShape = { replicated: false, sharded: false, kafka: KAFKA };
const KAFKA_VERSION = 5;

interface Flow {
  type?: string;
  time_received_ns?: bigint;
  time_flow_end_ns?: bigint;
  sampling_rate?: number;
  sampler_address?: Buffer;
  src_addr?: Buffer;
  dst_addr?: Buffer;
  src_port?: number;
  dst_port?: number;
  proto?: number;
  etype?: number;
  bytes: number;
  packets: number;
  src_as?: number;
  dst_as?: number;
  exporter_name?: string;
  site?: string;
  region?: string;
  tenant?: string;
  in_if_name?: string;
  src_country?: string;
}

const ip4 = (s: string) => Buffer.from(s.split(".").map(Number));
const NS = 1_000_000_000n;

describe("ClickHouse flow schema on real ClickHouse (chdb-core behind an HTTP front)", () => {
  let front: ClickHouseFront;
  let client: ClickHouseClient;
  let EnrichedFlow: protobuf.Type;

  const rows = async <T>(query: string): Promise<T[]> => (await (await client.query({ query, format: "JSONEachRow" })).json()) as T[];

  /** One enriched Kafka message: the flows length-delimited, back to back. */
  const encodeMessage = (flows: Flow[]): Buffer =>
    Buffer.concat(
      flows.map((f) => {
        const msg = EnrichedFlow.fromObject({
          ...f,
          time_received_ns: f.time_received_ns?.toString(),
          time_flow_end_ns: f.time_flow_end_ns?.toString(),
        });
        return Buffer.from(EnrichedFlow.encodeDelimited(msg).finish());
      }),
    );

  /** One enriched Kafka message per INSERT, read as the Kafka engine reads it (kafka_format 'Protobuf'). */
  const insertMessage = async (m: Flow[] | Buffer) => {
    await client.exec({
      query: "INSERT INTO helios.flows_ingest SETTINGS format_schema = 'flow.proto:EnrichedFlow' FORMAT Protobuf",
      values: Readable.from([Buffer.isBuffer(m) ? m : encodeMessage(m)]),
    });
  };

  beforeAll(async () => {
    // keepCase: the proto's snake_case field names are the contract (protobufjs would camelCase them)
    const root = await new protobuf.Root().load(path.join(REPO_ROOT, "proto", "flow.proto"), { keepCase: true });
    EnrichedFlow = root.lookupType("helios.flow.v1.EnrichedFlow");
    front = await startClickHouseFront();
    client = createClient({ url: front.url, username: "default", password: "" });
  });

  afterAll(async () => {
    await client?.close();
    await front?.stop();
  });

  it("applies every migration in order on a fresh database and is a no-op on re-run", async () => {
    const all = loadMigrations(MIGRATIONS);
    expect(all.map((m) => m.version)).toEqual(all.map((_, i) => i + 1));
    const first = await migrate(client, all, SINGLE, { until: KAFKA_VERSION - 1 });
    expect(first.applied).toEqual(all.filter((m) => m.version < KAFKA_VERSION).map((m) => m.file));
    const second = await migrate(client, all, SINGLE, { until: KAFKA_VERSION - 1 });
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
    const tables = await rows<{ name: string; engine: string }>("SELECT name, engine FROM system.tables WHERE database = 'helios' ORDER BY name");
    expect(tables).toEqual(
      expect.arrayContaining([
        { name: "flows_raw", engine: "MergeTree" },
        { name: "flows_1m", engine: "AggregatingMergeTree" },
        { name: "flows_1h", engine: "AggregatingMergeTree" },
        { name: "flows_ingest", engine: "Null" },
        { name: "flows_raw_mv", engine: "MaterializedView" },
      ]),
    );
    // single-shard install: no Distributed tables
    expect(tables.map((t) => t.name)).not.toContain("flows_raw_dist");
    const recorded = await rows<{ version: number }>("SELECT version FROM helios.schema_migrations ORDER BY version");
    expect(recorded.map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
  });

  it("creates the Kafka consumer with Protobuf / flow.proto:EnrichedFlow and its views over the real virtual columns", async () => {
    const mig = loadMigrations(MIGRATIONS).find((m) => m.version === KAFKA_VERSION)!;
    const [kafkaTable, ...rest] = renderMigration(mig, SINGLE);
    // chdb limitation (not ours): embedded ClickHouse runs no message-broker background pool, so
    // starting a Kafka table's consumers fails with this LOGICAL_ERROR after the table is
    // registered. A real server starts them. We check the table it registered, then the rest.
    await expect(client.command({ query: kafkaTable })).rejects.toThrow(/Shutdown was called/);
    const [created] = await rows<{ engine: string; create_table_query: string }>(
      "SELECT engine, create_table_query FROM system.tables WHERE database = 'helios' AND name = 'flows_kafka'",
    );
    expect(created.engine).toBe("Kafka");
    expect(created.create_table_query).toContain("kafka_format = 'Protobuf'");
    expect(created.create_table_query).toContain("kafka_schema = 'flow.proto:EnrichedFlow'");
    expect(created.create_table_query).toContain("kafka_topic_list = 'helios-flows-enriched'");
    expect(created.create_table_query).toContain("kafka_handle_error_mode = 'stream'");
    expect(created.create_table_query).toContain("kafka_num_consumers = 2");
    expect(created.create_table_query).toContain("kafka_thread_per_consumer = 1");
    // the same columns as flows_ingest (the Protobuf landing table)
    const cols = async (t: string) => rows<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = 'helios' AND table = '${t}' ORDER BY position`);
    expect(await cols("flows_kafka")).toEqual(await cols("flows_ingest"));
    for (const sql of rest) await client.command({ query: sql });
    const views = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'helios' AND name LIKE 'flows_kafka%' ORDER BY name");
    expect(views.map((v) => v.name)).toEqual(["flows_kafka", "flows_kafka_errors", "flows_kafka_errors_mv", "flows_kafka_mv"]);

    // 0006 adds the flag columns (issue 12); 0007 recreates the Kafka consumer with them
    for (const sql of renderMigration(loadMigrations(MIGRATIONS).find((m) => m.version === KAFKA_VERSION + 1)!, SINGLE)) await client.command({ query: sql });
    const recreate = renderMigration(loadMigrations(MIGRATIONS).find((m) => m.version === KAFKA_VERSION + 2)!, SINGLE);
    const createAt = recreate.findIndex((q) => /ENGINE = Kafka/.test(q));
    for (const sql of recreate.slice(0, createAt)) await client.command({ query: sql });
    await expect(client.command({ query: recreate[createAt] })).rejects.toThrow(/Shutdown was called/);
    for (const sql of recreate.slice(createAt + 1)) await client.command({ query: sql });
    const flags = ["sampling_rate_source", "time_implausible", "in_if_special", "out_if_special", "discard_reason", "in_if_physical"];
    expect((await cols("flows_raw")).map((c) => c.name)).toEqual(expect.arrayContaining(flags));
    expect((await cols("flows_ingest")).map((c) => c.name)).toEqual(expect.arrayContaining(flags));
    expect(await cols("flows_kafka")).toEqual(await cols("flows_ingest"));
    const again = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'helios' AND name LIKE 'flows_kafka%' ORDER BY name");
    expect(again.map((v) => v.name)).toEqual(["flows_kafka", "flows_kafka_errors", "flows_kafka_errors_mv", "flows_kafka_mv"]);
    // The migrations after the Kafka consumer's (0008 flows_hosts_1h, 0009 flows_5m, …) apply as the migrator renders them.
    for (const m of loadMigrations(MIGRATIONS).filter((x) => x.version > KAFKA_VERSION + 2)) for (const sql of renderMigration(m, SINGLE)) await client.command({ query: sql });
    const rollups = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'helios' AND name IN ('flows_5m', 'flows_5m_mv', 'flows_hosts_1h', 'flows_hosts_1h_mv') ORDER BY name");
    expect(rollups.map((v) => v.name)).toEqual(["flows_5m", "flows_5m_mv", "flows_hosts_1h", "flows_hosts_1h_mv"]);
  });

  it("turns EnrichedFlow Protobuf into flows_raw rows and 1m/1h rollups with sampling-scaled sums", async () => {
    const hour = BigInt(Math.floor(Date.now() / 3_600_000) - 2) * 3600n; // a whole hour, 2 h ago
    const at = (minute: number, second = 0) => (hour + BigInt(minute * 60 + second)) * NS;
    const base = { type: "IPFIX", exporter_name: "edge1", site: "ams1", region: "eu-west", tenant: "acme", in_if_name: "et-0/0/1", proto: 6, etype: 0x800, src_as: 64500, dst_as: 15169, src_country: "NL" };
    const flows: Flow[] = [
      { ...base, time_flow_end_ns: at(1, 5), sampling_rate: 100, bytes: 1500, packets: 3, sampler_address: ip4("192.0.2.1"), src_addr: ip4("10.0.0.1"), dst_addr: ip4("8.8.8.8"), src_port: 51000, dst_port: 443 },
      { ...base, time_flow_end_ns: at(1, 40), sampling_rate: 100, bytes: 500, packets: 1, sampler_address: ip4("192.0.2.1"), src_addr: ip4("10.0.0.2"), dst_addr: ip4("8.8.4.4") },
      // sampling_rate 0 counts as 1; time_flow_end_ns 0 falls back to time_received_ns
      { ...base, time_flow_end_ns: 0n, time_received_ns: at(1, 59), sampling_rate: 0, bytes: 64, packets: 1, sampler_address: ip4("192.0.2.1") },
      { ...base, time_flow_end_ns: at(2, 0), sampling_rate: 1, bytes: 9000, packets: 6, sampler_address: Buffer.from("20010db8000000000000000000000001", "hex"), src_addr: Buffer.from("20010db8000000000000000000000002", "hex") },
      { ...base, site: "fra1", exporter_name: "edge2", time_flow_end_ns: at(59, 59), sampling_rate: 1000, bytes: 100, packets: 1, sampler_address: ip4("198.51.100.7") },
    ];
    // as the enricher sends them: one message per exporter, that exporter's flows in order
    const byExporter = new Map<string, Flow[]>();
    for (const f of flows) byExporter.set(f.sampler_address!.toString("hex"), [...(byExporter.get(f.sampler_address!.toString("hex")) ?? []), f]);
    expect(Math.max(...[...byExporter.values()].map((m) => m.length))).toBe(3);
    for (const m of byExporter.values()) await insertMessage(m);

    const scaled = (f: Flow) => ({ bytes: f.bytes * Math.max(f.sampling_rate ?? 0, 1), packets: f.packets * Math.max(f.sampling_rate ?? 0, 1) });
    const totalBytes = flows.reduce((s, f) => s + scaled(f).bytes, 0);
    const totalPackets = flows.reduce((s, f) => s + scaled(f).packets, 0);

    const [raw] = await rows<{ n: string; bytes: string; packets: string }>("SELECT count() AS n, sum(bytes) AS bytes, sum(packets) AS packets FROM helios.flows_raw");
    expect([Number(raw.n), Number(raw.bytes), Number(raw.packets)]).toEqual([flows.length, totalBytes, totalPackets]);

    const detail = await rows<{ ts: string; exporter: string; src: string; dst: string; bytes: string; src_port: number }>(
      "SELECT toUnixTimestamp(timestamp) AS ts, toString(exporter_address) AS exporter, toString(src_addr) AS src, toString(dst_addr) AS dst, toString(bytes) AS bytes, src_port FROM helios.flows_raw ORDER BY timestamp, bytes",
    );
    expect(detail[0]).toMatchObject({ ts: Number(hour + 65n), exporter: "::ffff:192.0.2.1", src: "::ffff:10.0.0.1", dst: "::ffff:8.8.8.8", bytes: "150000", src_port: 51000 });
    expect(detail.find((d) => d.exporter === "2001:db8::1")).toMatchObject({ src: "2001:db8::2", bytes: "9000" });
    expect(detail.find((d) => Number(d.ts) === Number(hour + 119n))).toMatchObject({ bytes: "64" }); // received-time fallback, rate 0 -> 1

    // 1-minute buckets: minute 1 has three flows (one via the received-time fallback), minute 2 one, minute 59 one.
    const m1 = await rows<{ ts: number; bytes: string; packets: string; flows: string }>(
      "SELECT toUnixTimestamp(timestamp) AS ts, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows FROM helios.flows_1m GROUP BY ts ORDER BY ts",
    );
    const expected1m = new Map<number, { bytes: number; packets: number; flows: number }>();
    for (const f of flows) {
      const t = Number(((f.time_flow_end_ns || f.time_received_ns!) / NS / 60n) * 60n);
      const e = expected1m.get(t) ?? { bytes: 0, packets: 0, flows: 0 };
      const s = scaled(f);
      expected1m.set(t, { bytes: e.bytes + s.bytes, packets: e.packets + s.packets, flows: e.flows + 1 });
    }
    expect(m1.map((r) => ({ ts: Number(r.ts), bytes: Number(r.bytes), packets: Number(r.packets), flows: Number(r.flows) }))).toEqual(
      [...expected1m.entries()].sort((a, b) => a[0] - b[0]).map(([ts, v]) => ({ ts, ...v })),
    );

    // 1-hour bucket, split by site as a dashboard would
    const h1 = await rows<{ site: string; ts: number; bytes: string; flows: string }>(
      "SELECT site, toUnixTimestamp(timestamp) AS ts, sum(bytes) AS bytes, sum(flows) AS flows FROM helios.flows_1h GROUP BY site, ts ORDER BY site",
    );
    expect(h1.map((r) => [r.site, Number(r.ts), Number(r.bytes), Number(r.flows)])).toEqual([
      ["ams1", Number(hour), totalBytes - 100_000, 4],
      ["fra1", Number(hour), 100_000, 1],
    ]);
    // after merges the rollup still sums correctly (SimpleAggregateFunction(sum))
    await client.command({ query: "OPTIMIZE TABLE helios.flows_1m FINAL" });
    const [after] = await rows<{ bytes: string }>("SELECT sum(bytes) AS bytes FROM helios.flows_1m");
    expect(Number(after.bytes)).toBe(totalBytes);
  });

  it("rejects an undecodable message with ClickHouse's Protobuf error and stores nothing from it", async () => {
    const [before] = await rows<{ n: string }>("SELECT count() AS n FROM helios.flows_raw");
    await expect(insertMessage(Buffer.from([0x06, 0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]))).rejects.toThrow(/Protobuf|protobuf|CANNOT_PARSE|CANNOT_READ|UNKNOWN_PROTOBUF|Code/);
    // a message whose second flow is cut short: rejected as a whole, its good first flow not stored either
    const good = encodeMessage([{ exporter_name: "cut", site: "ams1", time_flow_end_ns: BigInt(Date.now()) * 1_000_000n, sampling_rate: 1, bytes: 1, packets: 1 }]);
    await expect(insertMessage(Buffer.concat([good, good.subarray(0, good.length - 4)]))).rejects.toThrow(/Protobuf|protobuf|CANNOT_PARSE|CANNOT_READ|UNKNOWN_PROTOBUF|Code/);
    const [after] = await rows<{ n: string }>("SELECT count() AS n FROM helios.flows_raw");
    expect(after.n).toBe(before.n);
  });

  it("purges each flow table after the TTL of the resolutions list: flows_raw 7 days, flows_1m 30, flows_5m 30, flows_1h 90, flows_hosts_1h 30 (forced with OPTIMIZE FINAL)", async () => {
    const tables = FLOW_RESOLUTIONS.map((r) => r.table);
    for (const t of tables) await client.command({ query: `TRUNCATE TABLE helios.${t}` });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const ages = [6, 8, 29, 31, 89, 91];
    for (const days of ages) {
      await insertMessage([{ exporter_name: `age-${days}`, site: "ams1", time_flow_end_ns: (now - BigInt(days) * 86_400n) * NS, sampling_rate: 1, bytes: days, packets: 1 }]);
    }
    for (const t of tables) await client.command({ query: `OPTIMIZE TABLE helios.${t} FINAL` });
    const kept = async (t: string) =>
      (await rows<{ e: string }>(`SELECT DISTINCT exporter_name AS e FROM helios.${t} ORDER BY e`)).map((r) => Number(r.e.replace("age-", ""))).sort((a, b) => a - b);
    const got = await Promise.all(FLOW_RESOLUTIONS.map(async (r) => ({ table: r.table, kept: await kept(r.table) })));
    expect(got).toEqual(FLOW_RESOLUTIONS.map((r) => ({ table: r.table, kept: ages.filter((a) => a < r.ttlDays) })));
    expect(got.map((g) => g.kept)).toEqual([[6], [6, 8, 29], [6, 8, 29], [6, 8, 29, 31, 89], [6, 8, 29]]);
    // whole expired parts are dropped (works on a full disk); daily partitions keep parts to one day
    const ddl = await rows<{ name: string; q: string }>(`SELECT name, create_table_query AS q FROM system.tables WHERE database = 'helios' AND name IN (${tables.map((t) => `'${t}'`).join(", ")})`);
    expect(ddl).toHaveLength(tables.length);
    for (const t of ddl) {
      expect(t.q).toContain("ttl_only_drop_parts = 1");
      expect(t.q).toContain("PARTITION BY toYYYYMMDD(timestamp)");
    }
  });

  it("renders replicated and sharded variants that parse in real ClickHouse", async () => {
    const shapes: InstallShape[] = [
      { replicated: true, sharded: false, kafka: KAFKA },
      { replicated: true, sharded: true, kafka: KAFKA },
      { replicated: false, sharded: true, kafka: KAFKA },
    ];
    for (const shape of shapes) {
      const statements = loadMigrations(MIGRATIONS).flatMap((m) => renderMigration(m, shape));
      for (const sql of statements) {
        expect(sql).toContain("ON CLUSTER '{cluster}'");
        await client.command({ query: `EXPLAIN AST ${sql}` });
      }
      const joined = statements.join("\n");
      if (shape.replicated) {
        expect(joined).toContain("ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
        expect(joined).toContain("ReplicatedAggregatingMergeTree(");
        expect(joined).not.toMatch(/ENGINE = (Aggregating)?MergeTree/);
      }
      for (const t of FLOW_RESOLUTIONS.map((r) => r.table)) {
        const dist = statements.find((s) => s.includes(`helios.${t}_dist`));
        if (shape.sharded) expect(dist).toContain(`Distributed('{cluster}', helios, ${t}, rand())`);
        else expect(dist).toBeUndefined();
      }
    }
  });
});
