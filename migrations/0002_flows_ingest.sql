-- 0002 flows_ingest: the landing table for EnrichedFlow messages, column for column the
-- fields of proto/flow.proto EnrichedFlow (ClickHouse's Protobuf formats map fields to
-- columns BY NAME). It stores nothing (Null engine); flows_raw_mv turns each message into a
-- flows_raw row: timestamp from time_flow_end_ns (time_received_ns when 0), addresses as
-- IPv6 (IPv4 mapped), bytes/packets multiplied by max(sampling_rate, 1).
-- 0005's Kafka consumer writes here; a replay/backfill can INSERT here directly with
--   SETTINGS format_schema = 'flow.proto:EnrichedFlow' FORMAT Protobuf (length-delimited flows,
--   exactly the bytes of enriched Kafka messages back to back).
CREATE TABLE IF NOT EXISTS helios.flows_ingest {{on_cluster}}
(
    type String,
    time_received_ns UInt64,
    time_flow_start_ns UInt64,
    time_flow_end_ns UInt64,
    sequence_num UInt32,
    sampling_rate UInt64,
    sampler_address String,
    src_addr String,
    dst_addr String,
    src_port UInt32,
    dst_port UInt32,
    proto UInt32,
    etype UInt32,
    bytes UInt64,
    packets UInt64,
    in_if UInt32,
    out_if UInt32,
    src_as UInt32,
    dst_as UInt32,
    tcp_flags UInt32,
    exporter_name String,
    site String,
    region String,
    role String,
    tenant String,
    vendor String,
    platform String,
    tier String,
    in_if_name String,
    out_if_name String,
    in_if_speed UInt64,
    out_if_speed UInt64,
    src_country String,
    dst_country String,
    src_city String,
    dst_city String,
    src_as_name String,
    dst_as_name String
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_raw_mv {{on_cluster}} TO helios.flows_raw AS
SELECT
    toDateTime(intDiv(if(time_flow_end_ns = 0, time_received_ns, time_flow_end_ns), 1000000000)) AS timestamp,
    CAST(multiIf(length(sampler_address) = 4, IPv4ToIPv6(reinterpretAsUInt32(reverse(sampler_address))), toFixedString(substring(sampler_address, 1, 16), 16)) AS IPv6) AS exporter_address,
    exporter_name,
    site,
    region,
    role,
    tenant,
    vendor,
    platform,
    tier,
    type,
    in_if_name,
    out_if_name,
    in_if_speed,
    out_if_speed,
    CAST(multiIf(length(src_addr) = 4, IPv4ToIPv6(reinterpretAsUInt32(reverse(src_addr))), toFixedString(substring(src_addr, 1, 16), 16)) AS IPv6) AS src_addr,
    CAST(multiIf(length(dst_addr) = 4, IPv4ToIPv6(reinterpretAsUInt32(reverse(dst_addr))), toFixedString(substring(dst_addr, 1, 16), 16)) AS IPv6) AS dst_addr,
    toUInt16(src_port) AS src_port,
    toUInt16(dst_port) AS dst_port,
    toUInt8(proto) AS proto,
    toUInt16(etype) AS etype,
    toUInt8(tcp_flags) AS tcp_flags,
    src_as,
    dst_as,
    src_as_name,
    dst_as_name,
    src_country,
    dst_country,
    src_city,
    dst_city,
    sampling_rate,
    bytes * greatest(sampling_rate, 1) AS bytes,
    packets * greatest(sampling_rate, 1) AS packets
FROM helios.flows_ingest;
