/**
 * Scale tiers: the one table every component reads its sizes from.
 *
 * Device ranges and flow rates come from the spec (50 → 8,000+ devices, 5K → 5M FPS;
 * SC-003: Large sustains 500,000 FPS). Replica counts for the flow path are derived from
 * the per-stage CPU cost per flow measured by `npm run bench -- flow-path` (docs/benchmarks.md,
 * "Whole flow path"; tests/program/tiers.test.ts checks them against bench/results/flow-path.json);
 * change them here and nowhere else.
 */

export const TIER_NAMES = ["small", "medium", "large", "xl"] as const;
export type TierName = (typeof TIER_NAMES)[number];

/** Kubernetes resource requests and limits for one container. */
export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Horizontal Pod Autoscaler bounds. */
export interface HpaRange {
  min: number;
  max: number;
  /** Target average CPU utilisation in percent. */
  targetCpuPercent: number;
}

/**
 * Where the KRaft controller quorum runs. "dual-role": every broker is also a voter (cheapest with
 * three brokers: no extra pods). Dedicated controllers hold only cluster metadata: small volumes,
 * modest heap, and broker rolls never touch the quorum.
 */
export type KafkaQuorum = "dual-role" | { readonly controllers: number; readonly storage: string; readonly resources: Resources };

export interface TierSpec {
  name: TierName;
  /** Network devices this tier is sized for; `max` undefined means open-ended. */
  devices: { min: number; max?: number };
  /** Sustained flow rate (flows per second) the flow path is sized for. */
  flowsPerSecond: number;
  prometheus: { shards: number; replicasPerShard: number; resources: Resources; storage: string; localRetention: string };
  thanos: {
    query: { replicas: number; resources: Resources };
    storeGateway: { replicas: number; resources: Resources; indexCacheSize: string; chunkCacheSize: string; storage: string };
    compactor: { resources: Resources; storage: string };
    ruler: { replicas: number; resources: Resources };
  };
  minio: { servers: number; drivesPerServer: number; driveSize: string; resources: Resources };
  gnmic: { hpa: HpaRange; resources: Resources };
  snmpExporter: { replicas: number; resources: Resources };
  blackboxExporter: { replicas: number; resources: Resources };
  goflow2: { hpa: HpaRange; resources: Resources };
  flowEnricher: { hpa: HpaRange; resources: Resources };
  /** NetBox target generator (one replica; memory grows with the inventory: ~0.5 KiB per device per output). */
  targetGenerator: { resources: Resources };
  kafka: {
    /** Nodes with the broker role; at least the replication factor, so one can be rolled while the others hold every partition. */
    brokers: number;
    /** The KRaft controller quorum: on the brokers themselves ("dual-role", one node pool) or on its own nodes. */
    quorum: KafkaQuorum;
    rawPartitions: number;
    enrichedPartitions: number;
    replicationFactor: number;
    /** Hours raw/enriched flow topics keep data; bounds the replay window after a ClickHouse outage. */
    retentionHours: number;
    /** Broker volume size and resources. */
    storage: string;
    resources: Resources;
  };
  clickhouse: {
    shards: number;
    replicas: number;
    storage: string;
    resources: Resources;
    /** ClickHouse Keeper (only on clustered installs): replicas, volume, resources; its load grows with parts and replicated inserts. */
    keeperReplicas: number;
    keeperStorage: string;
    keeperResources: Resources;
  };
  grafana: { replicas: number; resources: Resources };
}

/**
 * Planning rate of one flow-enricher core end to end through Kafka, in flows/s: below every
 * measurement of `npm run bench -- flow-enricher` with packed messages and lz4: 60,500–127,000
 * flows/s wall clock, 81,000–128,000 per enricher CPU-second on a shared 2-vCPU machine (the
 * top figures with the image's V8 flags; docs/flows.md "flow-enricher", Sizing). Enricher replica counts below
 * follow from it (tests/program/tiers.test.ts checks each tier against it).
 */
export const ENRICHER_FLOWS_PER_CORE = 50_000;

/**
 * The planning rate stays at most this share of the enricher's measured per-core rate on the whole
 * flow path (bench/results/flow-path.json, stageFlowsPerCore.enricher): room for a busier node,
 * rebalances and replays. tests/program/tiers.test.ts holds the two together.
 */
export const ENRICHER_PLANNING_SHARE = 0.8;

/** Cores in a Kubernetes CPU quantity ("500m" → 0.5, "2" → 2). */
export function cpuCores(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** GiB in a Kubernetes memory or storage quantity ("512Mi" → 0.5, "2Gi" → 2, "1Ti" → 1024). */
export function gibibytes(quantity: string): number {
  const m = /^([0-9]+)(Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`quantity ${quantity} must be a whole number of Mi, Gi or Ti`);
  return Number(m[1]) * { Mi: 1 / 1024, Gi: 1, Ti: 1024 }[m[2] as "Mi" | "Gi" | "Ti"];
}

/** flow-enricher replicas a tier needs for its flow rate with every replica at the HPA's CPU target. */
export function enricherReplicasNeeded(t: Pick<TierSpec, "flowsPerSecond" | "flowEnricher">): number {
  const perReplica = ENRICHER_FLOWS_PER_CORE * cpuCores(t.flowEnricher.resources.requests.cpu) * (t.flowEnricher.hpa.targetCpuPercent / 100);
  return Math.ceil(t.flowsPerSecond / perReplica);
}

/**
 * Replicas of a flow-path stage a tier needs for its flow rate, every replica at the HPA's CPU
 * target, from the stage's measured CPU seconds per 10^6 flows (bench/results/flow-path.json).
 */
export function stageReplicasNeeded(flowsPerSecond: number, cpuSecondsPer1e6Flows: number, stage: { hpa: HpaRange; resources: Resources }): number {
  const coresNeeded = (flowsPerSecond * cpuSecondsPer1e6Flows) / 1e6;
  return Math.ceil(coresNeeded / (cpuCores(stage.resources.requests.cpu) * (stage.hpa.targetCpuPercent / 100)));
}

function res(reqCpu: string, reqMem: string, limCpu: string, limMem: string): Resources {
  return { requests: { cpu: reqCpu, memory: reqMem }, limits: { cpu: limCpu, memory: limMem } };
}

export const TIERS: Readonly<Record<TierName, TierSpec>> = {
  small: {
    name: "small",
    devices: { min: 50, max: 200 },
    flowsPerSecond: 5_000,
    prometheus: { shards: 1, replicasPerShard: 2, resources: res("500m", "2Gi", "2", "4Gi"), storage: "50Gi", localRetention: "6h" },
    thanos: {
      query: { replicas: 2, resources: res("250m", "512Mi", "1", "1Gi") },
      storeGateway: { replicas: 1, resources: res("250m", "1Gi", "1", "2Gi"), indexCacheSize: "256MB", chunkCacheSize: "512MB", storage: "20Gi" },
      compactor: { resources: res("250m", "1Gi", "1", "2Gi"), storage: "50Gi" },
      ruler: { replicas: 1, resources: res("100m", "256Mi", "500m", "512Mi") },
    },
    minio: { servers: 1, drivesPerServer: 4, driveSize: "100Gi", resources: res("250m", "1Gi", "1", "2Gi") },
    gnmic: { hpa: { min: 1, max: 2, targetCpuPercent: 70 }, resources: res("250m", "256Mi", "1", "512Mi") },
    snmpExporter: { replicas: 1, resources: res("100m", "128Mi", "500m", "256Mi") },
    blackboxExporter: { replicas: 1, resources: res("50m", "64Mi", "250m", "128Mi") },
    goflow2: { hpa: { min: 1, max: 2, targetCpuPercent: 70 }, resources: res("250m", "256Mi", "1", "512Mi") },
    flowEnricher: { hpa: { min: 1, max: 2, targetCpuPercent: 70 }, resources: res("500m", "512Mi", "1", "1Gi") },
    targetGenerator: { resources: res("50m", "128Mi", "500m", "256Mi") },
    // three dual-role nodes so one can restart while two keep every partition (RF 3, min ISR 2): a broker
    // roll loses nothing (services/flow-enricher/test/goflow2-kafka-roll.test.ts); docs/flows.md has the cost
    kafka: { brokers: 3, quorum: "dual-role", rawPartitions: 6, enrichedPartitions: 6, replicationFactor: 3, retentionHours: 24, storage: "100Gi", resources: res("500m", "2Gi", "2", "4Gi") },
    clickhouse: { shards: 1, replicas: 1, storage: "200Gi", resources: res("1", "4Gi", "2", "8Gi"), keeperReplicas: 1, keeperStorage: "10Gi", keeperResources: res("250m", "512Mi", "1", "1Gi") },
    grafana: { replicas: 1, resources: res("100m", "256Mi", "500m", "512Mi") },
  },
  medium: {
    name: "medium",
    devices: { min: 200, max: 500 },
    flowsPerSecond: 50_000,
    prometheus: { shards: 2, replicasPerShard: 2, resources: res("1", "4Gi", "2", "8Gi"), storage: "100Gi", localRetention: "6h" },
    thanos: {
      query: { replicas: 2, resources: res("500m", "1Gi", "2", "2Gi") },
      storeGateway: { replicas: 2, resources: res("500m", "2Gi", "2", "4Gi"), indexCacheSize: "1GB", chunkCacheSize: "2GB", storage: "50Gi" },
      compactor: { resources: res("500m", "2Gi", "2", "4Gi"), storage: "100Gi" },
      ruler: { replicas: 2, resources: res("250m", "512Mi", "1", "1Gi") },
    },
    minio: { servers: 4, drivesPerServer: 4, driveSize: "250Gi", resources: res("500m", "2Gi", "2", "4Gi") },
    gnmic: { hpa: { min: 2, max: 4, targetCpuPercent: 70 }, resources: res("500m", "512Mi", "2", "1Gi") },
    snmpExporter: { replicas: 2, resources: res("200m", "256Mi", "1", "512Mi") },
    blackboxExporter: { replicas: 2, resources: res("100m", "128Mi", "500m", "256Mi") },
    // goflow2 costs ~20 CPU-s per 10^6 flows (bench/results/flow-path.json): 50k × 20.4e-6 = 1.02 cores
    // / (0.5 × 0.7) → 3 (was 2, below the measurement); tests/program/tiers.test.ts checks it
    goflow2: { hpa: { min: 3, max: 6, targetCpuPercent: 70 }, resources: res("500m", "512Mi", "2", "1Gi") },
    flowEnricher: { hpa: { min: 2, max: 4, targetCpuPercent: 70 }, resources: res("1", "1Gi", "2", "2Gi") },
    targetGenerator: { resources: res("50m", "128Mi", "500m", "256Mi") },
    kafka: { brokers: 3, quorum: { controllers: 3, storage: "20Gi", resources: res("500m", "2Gi", "1", "2Gi") }, rawPartitions: 12, enrichedPartitions: 12, replicationFactor: 3, retentionHours: 24, storage: "250Gi", resources: res("1", "4Gi", "2", "8Gi") },
    clickhouse: { shards: 1, replicas: 2, storage: "500Gi", resources: res("2", "8Gi", "4", "16Gi"), keeperReplicas: 3, keeperStorage: "20Gi", keeperResources: res("500m", "1Gi", "1", "2Gi") },
    grafana: { replicas: 2, resources: res("200m", "512Mi", "1", "1Gi") },
  },
  large: {
    name: "large",
    devices: { min: 500, max: 2000 },
    flowsPerSecond: 500_000,
    prometheus: { shards: 4, replicasPerShard: 2, resources: res("2", "8Gi", "4", "16Gi"), storage: "200Gi", localRetention: "6h" },
    thanos: {
      query: { replicas: 3, resources: res("1", "2Gi", "4", "4Gi") },
      storeGateway: { replicas: 3, resources: res("1", "4Gi", "4", "8Gi"), indexCacheSize: "2GB", chunkCacheSize: "4GB", storage: "100Gi" },
      compactor: { resources: res("1", "4Gi", "4", "8Gi"), storage: "250Gi" },
      ruler: { replicas: 2, resources: res("500m", "1Gi", "2", "2Gi") },
    },
    minio: { servers: 8, drivesPerServer: 4, driveSize: "1Ti", resources: res("1", "4Gi", "4", "8Gi") },
    gnmic: { hpa: { min: 3, max: 8, targetCpuPercent: 70 }, resources: res("1", "1Gi", "2", "2Gi") },
    snmpExporter: { replicas: 3, resources: res("500m", "512Mi", "2", "1Gi") },
    blackboxExporter: { replicas: 3, resources: res("200m", "256Mi", "1", "512Mi") },
    // 500k × 20.4e-6 = 10.2 cores / (1 × 0.7) → 15 (was 4: the measured flow path needs ~4× that); max 2×
    goflow2: { hpa: { min: 15, max: 30, targetCpuPercent: 70 }, resources: res("1", "1Gi", "2", "2Gi") },
    // 500k / (ENRICHER_FLOWS_PER_CORE 50k × 1 core × 0.7) = 14.3 → 15; max leaves 2× headroom
    flowEnricher: { hpa: { min: 15, max: 30, targetCpuPercent: 70 }, resources: res("1", "1Gi", "2", "2Gi") },
    targetGenerator: { resources: res("100m", "256Mi", "1", "512Mi") },
    kafka: { brokers: 5, quorum: { controllers: 3, storage: "50Gi", resources: res("1", "4Gi", "2", "4Gi") }, rawPartitions: 48, enrichedPartitions: 48, replicationFactor: 3, retentionHours: 12, storage: "1Ti", resources: res("2", "8Gi", "4", "16Gi") },
    clickhouse: { shards: 2, replicas: 2, storage: "2Ti", resources: res("4", "16Gi", "8", "32Gi"), keeperReplicas: 3, keeperStorage: "50Gi", keeperResources: res("1", "2Gi", "2", "4Gi") },
    grafana: { replicas: 2, resources: res("500m", "1Gi", "2", "2Gi") },
  },
  xl: {
    name: "xl",
    devices: { min: 2000 },
    flowsPerSecond: 5_000_000,
    prometheus: { shards: 8, replicasPerShard: 2, resources: res("4", "16Gi", "8", "32Gi"), storage: "500Gi", localRetention: "6h" },
    thanos: {
      query: { replicas: 4, resources: res("2", "4Gi", "4", "8Gi") },
      storeGateway: { replicas: 6, resources: res("2", "8Gi", "4", "16Gi"), indexCacheSize: "4GB", chunkCacheSize: "8GB", storage: "200Gi" },
      compactor: { resources: res("2", "8Gi", "4", "16Gi"), storage: "500Gi" },
      ruler: { replicas: 3, resources: res("1", "2Gi", "2", "4Gi") },
    },
    minio: { servers: 16, drivesPerServer: 4, driveSize: "2Ti", resources: res("2", "8Gi", "4", "16Gi") },
    gnmic: { hpa: { min: 6, max: 16, targetCpuPercent: 70 }, resources: res("2", "2Gi", "4", "4Gi") },
    snmpExporter: { replicas: 6, resources: res("1", "1Gi", "2", "2Gi") },
    blackboxExporter: { replicas: 4, resources: res("500m", "512Mi", "2", "1Gi") },
    // 5M × 20.4e-6 = 102 cores / (2 × 0.7) → 73 (was 8); max 2×
    goflow2: { hpa: { min: 73, max: 146, targetCpuPercent: 70 }, resources: res("2", "2Gi", "4", "4Gi") },
    // 5M / (50k × 1 core × 0.7) = 142.9 → 143; max 2× and within the 384 raw partitions
    flowEnricher: { hpa: { min: 143, max: 286, targetCpuPercent: 70 }, resources: res("1", "1Gi", "2", "2Gi") },
    targetGenerator: { resources: res("200m", "512Mi", "1", "1Gi") },
    kafka: { brokers: 9, quorum: { controllers: 3, storage: "100Gi", resources: res("2", "8Gi", "4", "8Gi") }, rawPartitions: 384, enrichedPartitions: 384, replicationFactor: 3, retentionHours: 6, storage: "2Ti", resources: res("4", "16Gi", "8", "32Gi") },
    clickhouse: { shards: 4, replicas: 2, storage: "8Ti", resources: res("8", "32Gi", "16", "64Gi"), keeperReplicas: 3, keeperStorage: "100Gi", keeperResources: res("2", "4Gi", "4", "8Gi") },
    grafana: { replicas: 3, resources: res("1", "2Gi", "2", "4Gi") },
  },
};

/**
 * Sizes that are the same in every tier: operators, sidecars, one-shot Jobs and small servers
 * whose load does not grow with devices or flows. Here so that every size has one home.
 */
export const FIXED_RESOURCES = {
  /** flow-enricher's geoip-init and geoipupdate containers (a download a day). */
  geoipupdate: res("10m", "32Mi", "200m", "128Mi"),
  /** The ClickHouse migrations Job (clickhouse-migrator, one client connection). */
  migrationsJob: res("50m", "64Mi", "500m", "256Mi"),
  /** The Strimzi cluster operator (Helm value `resources`). */
  strimziOperator: res("200m", "384Mi", "1", "384Mi"),
  /** The Altinity ClickHouse operator (Helm value `operator.resources`). */
  clickhouseOperator: res("100m", "128Mi", "500m", "256Mi"),
  /** helios-targets-sd, the nginx serving target files to Prometheus' http_sd. */
  targetsSd: res("10m", "16Mi", "100m", "64Mi"),
  /** gnmic's targets-merge init and sidecar containers (they merge the target ConfigMaps' parts). */
  gnmicTargetsMerge: res("5m", "16Mi", "100m", "64Mi"),
  /** Alertmanager (Alertmanager CR `resources`). */
  alertmanager: res("50m", "128Mi", "500m", "256Mi"),
  /** The mc Jobs that set up MinIO buckets, users and replication. */
  mcJob: res("50m", "64Mi", "500m", "256Mi"),
  /** runbook-operator: a CPU limit well above its request (the policy pack requires limits), so reconcile bursts have room. */
  runbookOperator: res("50m", "96Mi", "500m", "256Mi"),
} as const;

export function tierSpec(name: TierName): TierSpec {
  return TIERS[name];
}
