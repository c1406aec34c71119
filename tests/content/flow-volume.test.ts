// The dashboard bench's flow generator (tests/content/flow-volume.ts) on real ClickHouse (chdb):
// it makes the cardinalities it claims (exporters, sites, regions, hosts, a Zipf head), and
// bad volumes — as a value or through the bench's environment — are refused by name.
import * as path from "path";
import { REPO_ROOT, run, tempDir } from "../helpers/tools";
import { migrationStatements, runClickHouse } from "./clickhouse-harness";
import { DEFAULT_SHAPE, REGIONS, SITES, checkVolume, exporterName, volumeHourInsert } from "./flow-volume";

describe("realistic flow generator", () => {
  const dataDir = tempDir("chdb-volume");
  const END = Math.floor(Date.now() / 3_600_000) * 3600;
  const RPS = 20;

  beforeAll(() => {
    runClickHouse({ path: dataDir, setup: [...migrationStatements().applied.map((s) => s.sql), volumeHourInsert({ rowsPerSecond: RPS, ...DEFAULT_SHAPE }, END, 1, 0)] });
  });

  it("one hour at 20 flows/s: 72,000 flows over 300 exporters in 20 sites and 4 regions, hosts within 10⁵, IPv4 and IPv6", () => {
    const [r] = runClickHouse({
      path: dataDir,
      queries: [
        {
          id: "shape",
          sql: `SELECT count(), uniqExact(exporter_name), uniqExact(site), uniqExact(region), uniqExact(src_addr) <= ${DEFAULT_SHAPE.hosts}, uniqExact(src_addr) > 10000,
                countIf(etype = 34525) > 0, countIf(etype = 2048) > 0, min(timestamp) = toDateTime(${END - 3600}), max(timestamp) = toDateTime(${END - 1}),
                countIf(bytes % 1000 != 0), has(groupUniqArray(exporter_name), '${exporterName(0)}'), uniqExact(in_if_name)
                FROM helios.flows_raw`,
        },
      ],
    });
    expect(r.error).toBeNull();
    expect(r.first!.map(Number)).toEqual([RPS * 3600, DEFAULT_SHAPE.exporters, SITES.length, REGIONS.length, 1, 1, 1, 1, 1, 1, 0, 1, 48]);
  });

  it("conversations follow Zipf's law: the busiest carries ~1/ln(C) of the flows, ~10× the 10th", () => {
    const [r] = runClickHouse({
      path: dataDir,
      queries: [{ id: "zipf", sql: "SELECT groupArray(n) FROM (SELECT count() AS n FROM helios.flows_raw GROUP BY src_addr, dst_addr, proto, dst_port ORDER BY n DESC LIMIT 10)" }],
    });
    const counts = r.first![0] as number[];
    const share = counts[0] / (RPS * 3600);
    // Harmonic number of C = 2·10⁶ is ~15.1: the top rank's expected share is ~6.6 %.
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.1);
    expect(counts[0] / counts[9]).toBeGreaterThan(5);
    expect(counts[0] / counts[9]).toBeLessThan(20);
  });

  it("refuses a bad volume, naming the field", () => {
    expect(() => checkVolume({ ...DEFAULT_SHAPE, rowsPerSecond: 0 })).toThrow("flow volume: rowsPerSecond must be an integer ≥ 1, got 0");
    expect(() => checkVolume({ ...DEFAULT_SHAPE, rowsPerSecond: 10, exporters: 2.5 })).toThrow("flow volume: exporters must be an integer ≥ 1, got 2.5");
    expect(() => volumeHourInsert({ ...DEFAULT_SHAPE, rowsPerSecond: 10, hosts: 1 }, END, 1, 0)).toThrow("hosts must be an integer ≥ 2");
  });

  it("the bench refuses bad volumes from its environment before loading anything (exit 2, the variable named)", () => {
    const tsx = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    for (const [name, value] of [["HELIOS_BENCH_VOLUMES", "1000,lots"], ["HELIOS_BENCH_ROWS_PER_SECOND", "-5"], ["HELIOS_BENCH_REPEAT", "0"]]) {
      const r = run(process.execPath, [tsx, "bench/dashboards.ts"], { cwd: REPO_ROOT, env: { ...process.env, [name]: value } });
      expect({ name, status: r.status, stderr: r.stderr.trim() }).toEqual({ name, status: 2, stderr: `${name} must be a comma-separated list of positive integers, got ${JSON.stringify(value)}` });
    }
  });
});
