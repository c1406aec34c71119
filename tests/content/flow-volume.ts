/**
 * Flows at realistic cardinality for the dashboard bench (and the range→table test): generated
 * INSIDE ClickHouse from numbers() and deterministic hashes, so 10⁸ rows load in minutes, not
 * hours. The shape, every figure a parameter:
 * - `exporters` exporters (default 300, the issue's 200–500) over 20 sites in 4 regions, each
 *   with 48 access interfaces and 4 uplinks;
 * - `hosts` addresses (default 10⁵): 60 % internal (10.0.0.0/8, AS 64512), 40 % external
 *   (public, one of the FLOW_PEERS ASes, their country and city), every 16th one IPv6;
 * - conversations (source, destination, protocol, destination port) drawn from a universe of
 *   `conversations` (default 2·10⁶) with Zipf's law (exponent 1: the k-th most frequent carries
 *   ∝ 1/k of the flows), so a few conversations and hosts dominate, as in real traffic;
 * - per flow: a random source port, 1–1000 packets (log-uniform), the conversation's packet size,
 *   bytes and packets already scaled by a 1:1000 sampling rate, as flows_raw stores them.
 * A host's exporter and access interface follow from the host (it sits behind one leaf).
 *
 * Rows go straight into helios.flows_raw (the rollup views fire on it as in production); the
 * Protobuf → flows_ingest → flows_raw path is measured by the clickhouse-ingest bench and tested
 * by tests/engines/clickhouse-flows.test.ts, not here.
 */
import { FLOW_PEERS } from "./fixtures";

export interface FlowVolume {
  /** Flows per second stored (1/50 of medium = 1,000; 1/10 = 5,000). */
  readonly rowsPerSecond: number;
  /** Distinct exporters. */
  readonly exporters: number;
  /** Distinct host addresses. */
  readonly hosts: number;
  /** Size of the conversation universe the Zipf draw ranks. */
  readonly conversations: number;
}

export const DEFAULT_SHAPE = { exporters: 300, hosts: 100_000, conversations: 2_000_000 } as const;

export const SITES = ["ams1", "ams2", "fra1", "fra2", "lon1", "lon2", "par1", "mad1", "waw1", "sto1", "nyc1", "nyc2", "iad1", "iad2", "chi1", "dfw1", "sjc1", "sea1", "sin1", "tyo1"];
export const REGIONS = ["eu-west", "eu-central", "us-east", "ap-south"];

/** Checks a volume; throws an Error naming the bad field. */
export function checkVolume(v: FlowVolume): void {
  for (const [k, min] of [["rowsPerSecond", 1], ["exporters", 1], ["hosts", 2], ["conversations", 2]] as const) {
    const x = v[k];
    if (!Number.isInteger(x) || x < min) throw new Error(`flow volume: ${k} must be an integer ≥ ${min}, got ${x}`);
  }
}

/** The name the generator gives exporter `e` (0-based): <site>-<role><n>. */
export function exporterName(e: number): string {
  const roles = ["leaf", "leaf", "leaf", "spine", "border"];
  const n = Math.floor(e / SITES.length);
  return `${SITES[e % SITES.length]}-${roles[n % roles.length]}${n}`;
}

const arr = (xs: (string | number)[]) => `[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x.replace(/'/g, "''")}'`)).join(", ")}]`;

/**
 * INSERT … SELECT for hour `hour` (0-based) of the `hours` ending at `endSeconds`: rowsPerSecond ×
 * 3600 rows. Hours are separate statements so a big load shows progress and keeps blocks small.
 */
export function volumeHourInsert(v: FlowVolume, endSeconds: number, hours: number, hour: number): string {
  checkVolume(v);
  const perHour = v.rowsPerSecond * 3600;
  const start = endSeconds - hours * 3600;
  const peers = (f: "asn" | "name" | "country" | "city") => arr(FLOW_PEERS.map((p) => p[f]));
  // address(id): internal 10.0.0.0/8 for id % 10 < 6, else 93.0.0.0/8 hashed; IPv6 2001:db8::/96 for id % 16 = 15.
  const addr = (id: string) =>
    `if(${id} % 16 = 15, CAST(toFixedString(concat(unhex('20010db80000000000000000'), reverse(reinterpretAsFixedString(toUInt32(${id})))), 16) AS IPv6), ` +
    `CAST(IPv4ToIPv6(toUInt32(if(${id} % 10 < 6, 167772160 + ${id}, 1560281088 + cityHash64(${id}) % 16777216))) AS IPv6))`;
  const peer = (id: string) => `1 + cityHash64(${id}, 7) % ${FLOW_PEERS.length}`;
  const internal = (id: string) => `(${id} % 10 < 6)`;
  const asn = (id: string) => `if(${internal(id)}, 64512, arrayElement(${peers("asn")}, ${peer(id)}))`;
  const asName = (id: string) => `if(${internal(id)}, 'HELIOS-DC', arrayElement(${peers("name")}, ${peer(id)}))`;
  const country = (id: string) => `if(${internal(id)}, 'NL', arrayElement(${peers("country")}, ${peer(id)}))`;
  const city = (id: string) => `if(${internal(id)}, 'Amsterdam', arrayElement(${peers("city")}, ${peer(id)}))`;
  const S = SITES.length;
  return `INSERT INTO helios.flows_raw (timestamp, exporter_address, exporter_name, site, region, role, tenant, vendor, platform, tier, type,
  in_if_name, out_if_name, in_if_speed, out_if_speed, src_addr, dst_addr, src_port, dst_port, proto, etype, tcp_flags, src_as, dst_as,
  src_as_name, dst_as_name, src_country, dst_country, src_city, dst_city, sampling_rate, bytes, packets, sampling_rate_source,
  time_implausible, exporter_time_flow_end, in_if_special, out_if_special, discard_reason, in_if_physical)
SELECT
  toDateTime(ts) AS timestamp,
  CAST(IPv4ToIPv6(toUInt32(184483840 + e)) AS IPv6) AS exporter_address,
  concat(arrayElement(${arr(SITES)}, 1 + e % ${S}), '-', arrayElement(['leaf', 'leaf', 'leaf', 'spine', 'border'], 1 + intDiv(e, ${S}) % 5), toString(intDiv(e, ${S}))) AS exporter_name,
  arrayElement(${arr(SITES)}, 1 + e % ${S}) AS site,
  arrayElement(${arr(REGIONS)}, 1 + (e % ${S}) % ${REGIONS.length}) AS region,
  arrayElement(['leaf', 'leaf', 'leaf', 'spine', 'border'], 1 + intDiv(e, ${S}) % 5) AS role,
  arrayElement(['tenant-a', 'tenant-b', 'tenant-c', 'shared'], 1 + src % 4) AS tenant,
  arrayElement(['arista', 'juniper', 'cisco'], 1 + e % 3) AS vendor,
  arrayElement(['eos', 'junos', 'nxos'], 1 + e % 3) AS platform,
  arrayElement(['access', 'access', 'access', 'core', 'edge'], 1 + intDiv(e, ${S}) % 5) AS tier,
  arrayElement(['IPFIX', 'NETFLOW_V9', 'SFLOW_5'], 1 + e % 3) AS type,
  concat('Ethernet', toString(1 + cityHash64(src, 1) % 48)) AS in_if_name,
  concat('Ethernet', toString(49 + k % 4)) AS out_if_name,
  toUInt64(10000000000) AS in_if_speed,
  toUInt64(100000000000) AS out_if_speed,
  ${addr("src")} AS src_addr,
  ${addr("dst")} AS dst_addr,
  toUInt16(1024 + cityHash64(number, 3) % 64000) AS src_port,
  toUInt16(if(p IN (6, 17), if(bitShiftRight(k, 44) % 10 < 9, arrayElement([443, 443, 443, 80, 80, 53, 22, 123, 8443, 3306, 5432, 9092, 6443, 25, 993], 1 + bitShiftRight(k, 48) % 15), 1024 + bitShiftRight(k, 48) % 60000), 0)) AS dst_port,
  toUInt8(p) AS proto,
  toUInt16(if(src % 16 = 15, 34525, 2048)) AS etype,
  toUInt8(if(p = 6, 16 + cityHash64(number, 4) % 8, 0)) AS tcp_flags,
  toUInt32(${asn("src")}) AS src_as,
  toUInt32(${asn("dst")}) AS dst_as,
  ${asName("src")} AS src_as_name,
  ${asName("dst")} AS dst_as_name,
  ${country("src")} AS src_country,
  ${country("dst")} AS dst_country,
  ${city("src")} AS src_city,
  ${city("dst")} AS dst_city,
  toUInt64(1000) AS sampling_rate,
  pk * (64 + k % 1437) * 1000 AS bytes,
  pk * 1000 AS packets,
  'flow' AS sampling_rate_source,
  false AS time_implausible,
  toDateTime64(toDateTime(ts), 9) AS exporter_time_flow_end,
  '' AS in_if_special,
  '' AS out_if_special,
  '' AS discard_reason,
  toUInt32(0) AS in_if_physical
FROM (
  SELECT number, k, src, dst, p,
    ${start} + intDiv(number, ${v.rowsPerSecond}) AS ts,
    cityHash64(src, 2) % ${v.exporters} AS e,
    toUInt64(1 + floor(pow(1000, (cityHash64(number, 5) % 1000000) / 1000000))) AS pk
  FROM (
    SELECT number, k,
      k % ${v.hosts} AS src,
      -- the destination differs from the source; an IPv6 source talks to an IPv6 destination
      if(k % ${v.hosts} % 16 = 15, bitShiftRight(k, 20) % ${Math.floor(v.hosts / 16)} * 16 + 15, bitShiftRight(k, 20) % ${v.hosts} - (bitShiftRight(k, 20) % ${v.hosts} % 16 = 15)) AS dst,
      arrayElement([6, 6, 6, 6, 6, 17, 17, 17, 1, 47, 50], 1 + bitShiftRight(k, 36) % 11) AS p
    FROM (
      -- Zipf (exponent 1) by inverse CDF: rank = C^u for u uniform in [0, 1)
      SELECT number, cityHash64(toUInt64(floor(pow(${v.conversations}, (cityHash64(number, 11) % 4294967296) / 4294967296)))) AS k
      FROM numbers(${hour * perHour}, ${perHour})
    )
  )
)`;
}
