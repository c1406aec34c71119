/**
 * ClickHouse ingest benchmark: how many EnrichedFlow rows per second the Helios schema
 * (flows_ingest -> flows_raw -> flows_1m / flows_1h materialized views) takes in real
 * ClickHouse (chdb-core behind scripts/test-infra/clickhouse_http_front.py, one session, so
 * effectively one core), Protobuf decoding included. Messages are sent in blocks the way the
 * Kafka engine hands them over (kafka_max_block_size), as length-delimited Protobuf (the same
 * framing the flow-enricher packs into each Kafka message, kafka_format 'Protobuf').
 * Writes bench/results/clickhouse-ingest.json at the repo root.
 */
import { createClient } from "@clickhouse/client";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as protobuf from "protobufjs";
import { Readable } from "stream";
import { loadMigrations } from "../src/migrations";
import { migrate } from "../src/runner";
import { startClickHouseFront } from "../test/clickhouse-front";

const REPO = path.resolve(__dirname, "..", "..", "..");
const TOTAL = Number(process.env.BENCH_ROWS ?? 400_000);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 65_536);

async function main(): Promise<void> {
  const root = await new protobuf.Root().load(path.join(REPO, "proto", "flow.proto"), { keepCase: true });
  const T = root.lookupType("helios.flow.v1.EnrichedFlow");
  const now = BigInt(Date.now()) * 1_000_000n;
  const sites = ["ams1", "fra1", "lon1", "par1"];
  const encodeBlock = (start: number, n: number): Buffer => {
    const w = protobuf.Writer.create();
    for (let i = start; i < start + n; i++) {
      T.encodeDelimited(
        T.fromObject({
          type: "IPFIX",
          time_flow_end_ns: (now - BigInt(i % 3600) * 1_000_000_000n).toString(),
          sampling_rate: 100,
          sampler_address: Buffer.from([192, 0, 2, i % 50]),
          src_addr: Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]),
          dst_addr: Buffer.from([8, 8, (i >> 8) & 255, i & 255]),
          src_port: 1024 + (i % 60000),
          dst_port: 443,
          proto: 6,
          etype: 0x800,
          bytes: 1500,
          packets: 2,
          src_as: 64500 + (i % 100),
          dst_as: 15169,
          exporter_name: `edge${i % 50}`,
          site: sites[i % sites.length],
          region: "eu-west",
          role: "edge",
          in_if_name: `et-0/0/${i % 48}`,
          out_if_name: `et-0/1/${i % 48}`,
          src_country: "NL",
          dst_country: "US",
          src_as_name: "EXAMPLE-AS",
          dst_as_name: "GOOGLE",
        }),
        w,
      );
    }
    return Buffer.from(w.finish());
  };

  const front = await startClickHouseFront();
  const client = createClient({ url: front.url, request_timeout: 300_000, clickhouse_settings: { send_progress_in_http_headers: 1 } });
  try {
    await migrate(client, loadMigrations(path.join(REPO, "migrations")), { replicated: false, sharded: false }, { until: 4 });
    const blocks: Buffer[] = [];
    for (let s = 0; s < TOTAL; s += BLOCK) blocks.push(encodeBlock(s, Math.min(BLOCK, TOTAL - s)));
    const t0 = process.hrtime.bigint();
    for (const b of blocks) {
      const r = await client.exec({ query: "INSERT INTO helios.flows_ingest SETTINGS format_schema = 'flow.proto:EnrichedFlow' FORMAT Protobuf", values: Readable.from([b]) });
      r.stream.resume();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const rows = (await (await client.query({ query: "SELECT count() AS n FROM helios.flows_raw", format: "JSONEachRow" })).json()) as { n: string }[];
    if (Number(rows[0].n) !== TOTAL) throw new Error(`flows_raw has ${rows[0].n} rows, expected ${TOTAL}`);
    const result = {
      benchmark: "clickhouse-ingest",
      measuredAt: new Date().toISOString(),
      params: { rows: TOTAL, blockSize: BLOCK, migrationsUntil: 4 },
      rows: TOTAL,
      blockSize: BLOCK,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: Math.round(TOTAL / seconds),
      engine: "chdb-core (embedded ClickHouse), one session",
      // npm run bench adds provenance (commit, machine, load before/after, engine pins)
      conditions: `Protobuf → flows_ingest → flows_raw → flows_1m/flows_1h in one chdb session (about one core), ${os.cpus().length} vCPU shared with other work, load average ${os.loadavg().map((l) => l.toFixed(1)).join("/")} at the end`,
    };
    console.log(JSON.stringify(result, null, 2));
    const out = path.join(process.env.HELIOS_BENCH_RESULTS ?? path.join(REPO, "bench", "results"), "clickhouse-ingest.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  } finally {
    await client.close();
    await front.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
