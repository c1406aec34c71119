/**
 * Synthetic network in the Helios label taxonomy, shared by the dashboard tests and the
 * dashboard benchmark: the same devices, sites and interfaces appear in the Prometheus
 * series (OpenMetrics for `promtool tsdb create-blocks-from openmetrics`) and in the flows
 * loaded into ClickHouse, so the Interface Correlation dashboard finds both sides.
 */

export interface SyntheticDevice {
  datacenter: string;
  region: string;
  site: string;
  device: string;
  vendor: string;
  platform: string;
  role: string;
  tier: string;
}

export const DEVICES: SyntheticDevice[] = [
  { datacenter: "dc-a", region: "eu-west", site: "ams1", device: "ams1-leaf1", vendor: "arista", platform: "eos", role: "leaf", tier: "access" },
  { datacenter: "dc-a", region: "eu-west", site: "ams1", device: "ams1-spine1", vendor: "juniper", platform: "junos", role: "spine", tier: "core" },
  { datacenter: "dc-a", region: "eu-west", site: "fra1", device: "fra1-leaf1", vendor: "cisco", platform: "nxos", role: "leaf", tier: "access" },
  { datacenter: "dc-b", region: "us-east", site: "nyc1", device: "nyc1-leaf1", vendor: "arista", platform: "eos", role: "leaf", tier: "access" },
  { datacenter: "dc-b", region: "us-east", site: "nyc1", device: "nyc1-border1", vendor: "juniper", platform: "junos", role: "border", tier: "edge" },
  { datacenter: "dc-b", region: "us-east", site: "iad1", device: "iad1-leaf1", vendor: "cisco", platform: "nxos", role: "leaf", tier: "access" },
];
export const INTERFACES = ["Ethernet1", "Ethernet2", "Ethernet3"];

/** Deterministic pseudo-random in [0, 1) (no Math.random: the fixtures are reproducible). */
function noise(...keys: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of keys.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 10000) / 10000;
}

function labels(obj: Record<string, string>): string {
  return `{${Object.entries(obj)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
}

/**
 * OpenMetrics text with `hours` of samples every `stepSeconds` ending at `endSeconds`.
 * Every series carries the seven taxonomy labels plus datacenter/cluster (Thanos external
 * labels) and job/instance. The last device of each site has one BGP session that flaps
 * and ends down, every device has some interface errors, and ALERTS has firing alerts of
 * every severity, so that every dashboard query has something to show.
 */
export function syntheticOpenMetrics(endSeconds: number, hours = 3, stepSeconds = 30): string {
  const steps = Math.floor((hours * 3600) / stepSeconds);
  const start = endSeconds - steps * stepSeconds;
  const families = new Map<string, string[]>();
  const add = (name: string, lbls: Record<string, string>, value: (i: number, t: number) => number) => {
    const lines = families.get(name) ?? [];
    const l = labels(lbls);
    for (let i = 0; i <= steps; i++) {
      const t = start + i * stepSeconds;
      lines.push(`${name}${l} ${value(i, t)} ${t}`);
    }
    families.set(name, lines);
  };
  for (const d of DEVICES) {
    const base = { ...d, cluster: `${d.datacenter}-k8s` };
    const snmp = { ...base, job: "snmp", instance: d.device };
    const gnmic = { ...base, job: "gnmic", instance: "gnmic-0:9804" };
    add("up", snmp, () => 1);
    add("up", gnmic, () => 1);
    add("up", { ...base, job: "blackbox-icmp", instance: d.device }, () => 1);
    add("up", { ...base, job: "blackbox-tcp", instance: `${d.device}:22` }, () => 1);
    add("probe_success", { ...base, job: "blackbox-icmp", instance: d.device, module: "icmp" }, (i) => (noise(d.device, i) < 0.02 ? 0 : 1));
    add("probe_success", { ...base, job: "blackbox-tcp", instance: `${d.device}:22`, module: "tcp_connect" }, () => 1);
    add("probe_duration_seconds", { ...base, job: "blackbox-icmp", instance: d.device, module: "icmp" }, (i) => 0.002 + noise(d.device, "rtt", i) * 0.01);
    add("probe_duration_seconds", { ...base, job: "blackbox-tcp", instance: `${d.device}:22`, module: "tcp_connect" }, (i) => 0.004 + noise(d.device, "tcp", i) * 0.02);
    add("sysUpTime", snmp, (i) => 8_640_000 + i * stepSeconds * 100);
    INTERFACES.forEach((ifName, idx) => {
      const bps = (1 + idx) * 2e8 * (0.5 + noise(d.device, ifName));
      const g = { ...gnmic, interface: ifName };
      const s = { ...snmp, ifName, ifIndex: String(idx + 1) };
      add("gnmic_interface_in_octets", g, (i) => Math.round((bps / 8) * i * stepSeconds));
      add("gnmic_interface_out_octets", g, (i) => Math.round((bps / 10) * i * stepSeconds));
      add("gnmic_interface_in_errors", g, (i) => i * (idx + 1));
      add("gnmic_interface_out_errors", g, (i) => Math.floor(i / 2));
      add("gnmic_interface_in_discards", g, (i) => i * 3);
      add("gnmic_interface_out_discards", g, (i) => i);
      add("gnmic_interface_oper_status", g, () => (idx === 2 && d.role === "leaf" ? 0 : 1));
      add("ifHCInOctets", s, (i) => Math.round((bps / 8) * i * stepSeconds));
      add("ifHCOutOctets", s, (i) => Math.round((bps / 10) * i * stepSeconds));
      add("ifHCInUcastPkts", s, (i) => Math.round((bps / 8 / 800) * i * stepSeconds));
      add("ifHCOutUcastPkts", s, (i) => Math.round((bps / 10 / 800) * i * stepSeconds));
      add("ifInErrors", s, (i) => i * (idx + 1));
      add("ifOutErrors", s, (i) => Math.floor(i / 2));
      add("ifInDiscards", s, (i) => i * 3);
      add("ifOutDiscards", s, (i) => i);
      add("ifHighSpeed", s, () => 10000);
      add("ifOperStatus", s, () => (idx === 2 && d.role === "leaf" ? 2 : 1));
    });
    ["10.0.0.1", "10.0.0.2"].forEach((neighbor, n) => {
      const flapping = n === 1;
      add("gnmic_bgp_neighbor_established", { ...gnmic, neighbor_address: neighbor, network_instance: "default" }, (i) =>
        flapping ? (i > steps - 20 || (i > steps / 2 && i < steps / 2 + 10) ? 0 : 1) : 1,
      );
    });
    if (d.role === "spine" || d.role === "border") {
      ["0", "1"].forEach((cpu) => add("gnmic_system_cpu_utilization_percent", { ...gnmic, cpu }, (i) => 30 + 60 * noise(d.device, cpu, i)));
    } else {
      add("gnmic_system_cpu_utilization_percent", { ...gnmic, cpu: "total" }, (i) => 20 + 70 * noise(d.device, i));
    }
    add("gnmic_system_memory_utilized_bytes", gnmic, (i) => Math.round(4e9 + 3e9 * noise(d.device, "mem", i)));
    add("gnmic_system_memory_physical_bytes", gnmic, () => 8e9);
  }
  // Rule evaluation results as Prometheus/Thanos Ruler write them.
  const alerts: [string, string, SyntheticDevice][] = [
    ["DeviceUnreachable", "critical", DEVICES[0]],
    ["BGPSessionDown", "critical", DEVICES[1]],
    ["HighCPU", "warning", DEVICES[2]],
    ["InterfaceErrorRate", "warning", DEVICES[3]],
    ["FlowRateAnomaly", "info", DEVICES[0]],
    ["FlowRateAnomaly", "info", DEVICES[4]],
    ["HighMemory", "warning", DEVICES[5]],
  ];
  for (const [alertname, severity, d] of alerts) {
    const l = { alertname, severity, datacenter: d.datacenter, cluster: `${d.datacenter}-k8s`, site: d.site, device: d.device };
    add("ALERTS", { ...l, alertstate: "firing" }, () => 1);
  }
  add("ALERTS", { alertname: "HighCPU", severity: "warning", alertstate: "pending", datacenter: "dc-a", cluster: "dc-a-k8s", site: "ams1", device: "ams1-spine1" }, () => 1);

  const out: string[] = [];
  for (const [name, lines] of families) {
    out.push(`# TYPE ${name} gauge`, ...lines);
  }
  out.push("# EOF", "");
  return out.join("\n");
}

/** Countries, cities and ASes the synthetic flows use (GeoIP/ASN enrichment as the enricher fills it). */
export const FLOW_PEERS = [
  { asn: 15169, name: "GOOGLE", country: "US", city: "Mountain View" },
  { asn: 16509, name: "AMAZON-02", country: "US", city: "Ashburn" },
  { asn: 13335, name: "CLOUDFLARENET", country: "US", city: "San Francisco" },
  { asn: 3320, name: "DTAG", country: "DE", city: "Frankfurt am Main" },
  { asn: 1136, name: "KPN", country: "NL", city: "Amsterdam" },
  { asn: 2914, name: "NTT-LTD-2914", country: "JP", city: "Tokyo" },
  { asn: 5089, name: "VIRGINMEDIA", country: "GB", city: "London" },
  { asn: 3215, name: "ORANGE", country: "FR", city: "Paris" },
];

/**
 * SQL that inserts `rowsPerSecond` × `seconds` synthetic EnrichedFlow rows ending at
 * `endSeconds` into helios.flows_ingest (the migrations' landing table); its materialized
 * views scale bytes by sampling_rate into flows_raw and roll them up into flows_1m/flows_1h.
 * Generated inside ClickHouse from numbers() so millions of rows load in seconds.
 */
export function syntheticFlowsInsert(endSeconds: number, seconds: number, rowsPerSecond: number, samplingRate = 1000): string {
  const rows = seconds * rowsPerSecond;
  const arr = (xs: (string | number)[]) => `[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x.replace(/'/g, "''")}'`)).join(", ")}]`;
  const dev = (field: keyof SyntheticDevice) => arr(DEVICES.map((d) => d[field]));
  const peer = (field: "asn" | "name" | "country" | "city") => arr(FLOW_PEERS.map((p) => p[field]));
  return `INSERT INTO helios.flows_ingest
SELECT
  arrayElement(['IPFIX', 'NETFLOW_V9', 'SFLOW_5'], 1 + h % 3) AS type,
  toUInt64(ts) * 1000000000 AS time_received_ns,
  (toUInt64(ts) - 5) * 1000000000 AS time_flow_start_ns,
  toUInt64(ts) * 1000000000 AS time_flow_end_ns,
  toUInt32(number % 4294967295) AS sequence_num,
  toUInt64(${samplingRate}) AS sampling_rate,
  reverse(reinterpretAsString(toUInt32(167772160 + d))) AS sampler_address,
  if(h % 5 = 0, reinterpretAsString(toUInt128(h)), reverse(reinterpretAsString(toUInt32(3232235520 + h % 200)))) AS src_addr,
  reverse(reinterpretAsString(toUInt32(134744072 + bitShiftRight(h, 8) % 500))) AS dst_addr,
  toUInt32(1024 + h % 60000) AS src_port,
  toUInt32(arrayElement([443, 80, 53, 22, 123, 8443, 3306, 5432], 1 + bitShiftRight(h, 16) % 8)) AS dst_port,
  toUInt32(arrayElement([6, 6, 6, 17, 17, 1, 47, 50], 1 + bitShiftRight(h, 20) % 8)) AS proto,
  toUInt32(if(h % 5 = 0, 34525, 2048)) AS etype,
  toUInt64(64 + bitShiftRight(h, 24) % 1400) * toUInt64(1 + bitShiftRight(h, 12) % 20) AS bytes,
  toUInt64(1 + bitShiftRight(h, 12) % 20) AS packets,
  toUInt32(1 + i) AS in_if,
  toUInt32(1 + (i + 1) % ${INTERFACES.length}) AS out_if,
  toUInt32(arrayElement(${peer("asn")}, 1 + p)) AS src_as,
  toUInt32(arrayElement(${peer("asn")}, 1 + (p + 3) % ${FLOW_PEERS.length})) AS dst_as,
  toUInt32(h % 64) AS tcp_flags,
  arrayElement(${dev("device")}, 1 + d) AS exporter_name,
  arrayElement(${dev("site")}, 1 + d) AS site,
  arrayElement(${dev("region")}, 1 + d) AS region,
  arrayElement(${dev("role")}, 1 + d) AS role,
  arrayElement(['tenant-a', 'tenant-b', 'shared'], 1 + bitShiftRight(h, 28) % 3) AS tenant,
  arrayElement(${dev("vendor")}, 1 + d) AS vendor,
  arrayElement(${dev("platform")}, 1 + d) AS platform,
  arrayElement(${dev("tier")}, 1 + d) AS tier,
  arrayElement(${arr(INTERFACES)}, 1 + i) AS in_if_name,
  arrayElement(${arr(INTERFACES)}, 1 + (i + 1) % ${INTERFACES.length}) AS out_if_name,
  toUInt64(10000000000) AS in_if_speed,
  toUInt64(10000000000) AS out_if_speed,
  arrayElement(${peer("country")}, 1 + p) AS src_country,
  arrayElement(${peer("country")}, 1 + (p + 3) % ${FLOW_PEERS.length}) AS dst_country,
  arrayElement(${peer("city")}, 1 + p) AS src_city,
  arrayElement(${peer("city")}, 1 + (p + 3) % ${FLOW_PEERS.length}) AS dst_city,
  arrayElement(${peer("name")}, 1 + p) AS src_as_name,
  arrayElement(${peer("name")}, 1 + (p + 3) % ${FLOW_PEERS.length}) AS dst_as_name,
  -- the flow flags of migration 0006 (issue 12): a rate carried in the flow, times and interfaces plausible
  'flow' AS sampling_rate_source,
  false AS time_implausible,
  (toUInt64(ts) - 5) * 1000000000 AS exporter_time_flow_start_ns,
  toUInt64(ts) * 1000000000 AS exporter_time_flow_end_ns,
  '' AS in_if_special,
  '' AS out_if_special,
  '' AS discard_reason,
  toUInt32(0) AS in_if_physical
FROM (
  SELECT number, cityHash64(number) AS h,
    ${endSeconds - seconds} + intDiv(number, ${rowsPerSecond}) AS ts,
    bitShiftRight(h, 32) % ${DEVICES.length} AS d,
    bitShiftRight(h, 40) % ${INTERFACES.length} AS i,
    bitShiftRight(h, 44) % ${FLOW_PEERS.length} AS p
  FROM numbers(${rows})
)`;
}
