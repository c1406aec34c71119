/**
 * The floor of every benchmark figure, in one place: `npm run bench -- <name>` exits non-zero when
 * a figure misses its floor, and tests/content/bench-results.test.ts fails when a committed
 * results file does. CI times nothing (its machine is shared and noisy); it checks what was measured.
 */
export interface Floor {
  /** Dotted path of the figure in bench/results/<bench>.json. */
  readonly path: string;
  /** The figure must be at least this. */
  readonly min?: number;
  /** The figure must be at most this. */
  readonly max?: number;
  readonly unit: string;
  /** What the figure is and where the floor comes from. */
  readonly what: string;
}

export const FLOORS: Record<string, readonly Floor[]> = {
  "flow-enricher": [
    { path: "inProcessFlowsPerSec", min: 150_000, unit: "flows per CPU-second", what: "decode+enrich+encode+pack in process (planning rate × 3)" },
    { path: "endToEndFlowsPerSec", min: 40_000, unit: "flows/s", what: "one enricher end to end through Kafka" },
  ],
  "flow-path": [
    { path: "sustainedFlowsPerSec", min: 5_000, unit: "flows/s", what: "UDP → goflow2 → Kafka → enricher → Kafka, one process each, held for the window with 0 lost (the small tier's rate)" },
    { path: "lostFlowsAtSustainedRate", max: 0, unit: "flows", what: "flows lost at the sustained rate, counted at the end" },
  ],
  "kafka-clients": [
    { path: "serviceConsumerMsgsPerSec", min: 50_000, unit: "msg/s", what: "the service's Kafka consumer from the subscription, raw goflow2 messages (at least ENRICHER_FLOWS_PER_CORE: the consumer is not what limits a core)" },
  ],
  dashboards: [
    // CPU ms (all ClickHouse threads), not wall: this 2-core machine runs at load 30-40 while helpers
    // work, so wall time measures the neighbours (recorded beside it, with the load). On an idle
    // machine a query's wall time is at most about its CPU time, so the CPU floor is the stricter one.
    { path: "volumes.*.panels.*.cpuMs", max: 5_000, unit: "ms CPU", what: "every flow dashboard query over 1 h, 24 h and 7 d at every volume run (SC-004 < 5 s)" },
    { path: "panelsReadingRawAt24h", max: 0, unit: "panels", what: "flow panels whose 24 h query reads flows_raw (the range picks a rollup; EXPLAIN ESTIMATE)" },
  ],
  "target-generator": [
    { path: "generate8000Ms", max: 2_000, unit: "ms", what: "target generation for 8,000 devices, CPU time" },
    { path: "netboxSyncMs", max: 300_000, unit: "ms", what: "full sync against a real NetBox (SC-005: < 5 min)" },
  ],
  "clickhouse-ingest": [{ path: "rowsPerSecond", min: 5_000, unit: "rows/s", what: "Protobuf → flows_raw → rollups in one chdb session (the small tier's 5,000 flows/s on one node)" }],
  collection: [{ path: "snmp_scrape_if_mib_arista_eos.p95_ms", max: 10_000, unit: "ms", what: "SNMP scrape p95 within the 10 s scrape timeout" }],
  images: [{ path: "images.*.compressed_mb", max: 80, unit: "MB", what: "compressed size of each service image, per architecture (aim of issue 16)" }],
  "runbook-operator": [{ path: "overheadSeconds.p99", max: 10, unit: "s", what: "operator overhead per execution, creation to Job start plus status writes, p99 (SC-006)" }],
  "storage-replication": [{ path: "replicationLagMs.p95", max: 60_000, unit: "ms", what: "MinIO → MinIO replication lag p95 on loopback, under the 1 min alert" }],
};

/**
 * Results files measured before `npm run bench` recorded provenance (commit, machine, load): their
 * figures still must hold the floors, but they say nothing of the commit they measured. Rerunning a
 * bench replaces its file; take its name off this list then (a test keeps the list honest).
 */
export const MEASURED_BEFORE_PROVENANCE: readonly string[] = [];

/** The figures at a dotted path (`*` stands for every element of a list or map), or none. */
export function figuresAt(results: unknown, dotted: string): number[] {
  let values: unknown[] = [results];
  for (const part of dotted.split(".")) {
    values = values.flatMap((v) => {
      if (!v || typeof v !== "object") return [];
      if (part === "*") return Object.values(v as Record<string, unknown>);
      return [(v as Record<string, unknown>)[part]];
    });
  }
  return values.filter((v): v is number => typeof v === "number");
}

/** The one figure at a path without `*`, or undefined. */
export function figureAt(results: unknown, dotted: string): number | undefined {
  return figuresAt(results, dotted)[0];
}

/** What misses its floor in one results file, as readable lines; empty when all hold. */
export function missedFloors(bench: string, results: unknown): string[] {
  const missed: string[] = [];
  for (const f of FLOORS[bench] ?? []) {
    const values = figuresAt(results, f.path);
    if (values.length === 0) {
      missed.push(`${bench}: ${f.path} is missing from the results (${f.what})`);
      continue;
    }
    // With `*`, the worst of them must hold.
    const v = f.min !== undefined ? Math.min(...values) : Math.max(...values);
    if (f.min !== undefined && v < f.min) missed.push(`${bench}: ${f.path} = ${v} ${f.unit}, below the floor ${f.min} (${f.what})`);
    else if (f.max !== undefined && v > f.max) missed.push(`${bench}: ${f.path} = ${v} ${f.unit}, above the ceiling ${f.max} (${f.what})`);
  }
  return missed;
}
