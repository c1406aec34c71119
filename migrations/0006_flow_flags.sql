-- 0006 flow flags (issue 12): the enricher's resolution results become columns.
-- sampling_rate is now the RESOLVED rate; sampling_rate_source says where it came from
-- ("unknown" = rate 0, counted x1 and alerted on: FlowSamplingRateUnknown). time_implausible
-- rows were stored at time_received (the exporter's own times in exporter_time_flow_*_ns).
-- in_if_special/out_if_special/discard_reason: sFlow's special interface values (in_if/out_if 0).
-- 0007 recreates the Kafka consumer with these columns.
ALTER TABLE helios.flows_ingest {{on_cluster}}
    ADD COLUMN IF NOT EXISTS sampling_rate_source String,
    ADD COLUMN IF NOT EXISTS time_implausible Bool,
    ADD COLUMN IF NOT EXISTS exporter_time_flow_start_ns UInt64,
    ADD COLUMN IF NOT EXISTS exporter_time_flow_end_ns UInt64,
    ADD COLUMN IF NOT EXISTS in_if_special String,
    ADD COLUMN IF NOT EXISTS out_if_special String,
    ADD COLUMN IF NOT EXISTS discard_reason String,
    ADD COLUMN IF NOT EXISTS in_if_physical UInt32;

ALTER TABLE helios.flows_raw {{on_cluster}}
    ADD COLUMN IF NOT EXISTS sampling_rate_source LowCardinality(String),
    ADD COLUMN IF NOT EXISTS time_implausible Bool,
    ADD COLUMN IF NOT EXISTS exporter_time_flow_end DateTime64(9),
    ADD COLUMN IF NOT EXISTS in_if_special LowCardinality(String),
    ADD COLUMN IF NOT EXISTS out_if_special LowCardinality(String),
    ADD COLUMN IF NOT EXISTS discard_reason LowCardinality(String),
    ADD COLUMN IF NOT EXISTS in_if_physical UInt32;

-- @sharded
ALTER TABLE helios.flows_raw_dist {{on_cluster}}
    ADD COLUMN IF NOT EXISTS sampling_rate_source LowCardinality(String),
    ADD COLUMN IF NOT EXISTS time_implausible Bool,
    ADD COLUMN IF NOT EXISTS exporter_time_flow_end DateTime64(9),
    ADD COLUMN IF NOT EXISTS in_if_special LowCardinality(String),
    ADD COLUMN IF NOT EXISTS out_if_special LowCardinality(String),
    ADD COLUMN IF NOT EXISTS discard_reason LowCardinality(String),
    ADD COLUMN IF NOT EXISTS in_if_physical UInt32;

DROP VIEW IF EXISTS helios.flows_raw_mv {{on_cluster}};

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
    packets * greatest(sampling_rate, 1) AS packets,
    sampling_rate_source,
    time_implausible,
    fromUnixTimestamp64Nano(toInt64(exporter_time_flow_end_ns)) AS exporter_time_flow_end,
    in_if_special,
    out_if_special,
    discard_reason,
    in_if_physical
FROM helios.flows_ingest;
