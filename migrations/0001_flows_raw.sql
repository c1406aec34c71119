-- 0001 flows_raw: one row per enriched flow, kept 7 days (contracts.md B).
-- bytes/packets are already scaled by the sampling rate (see 0002's view), so dashboards
-- sum them directly. Rows are ordered by a coarse time bucket first (range pruning for every
-- dashboard query), then the dimensions dashboards filter on (site, exporter, interfaces).
-- TTL drops whole expired parts (ttl_only_drop_parts; parts never span two days): that needs
-- no free space, so retention keeps working on a full disk (spec edge case), where row-level
-- TTL would need room to rewrite parts.
-- Templated by services/clickhouse-migrator: {{on_cluster}} and {{engine:...}} become
-- ON CLUSTER '{cluster}' / Replicated* engines on replicated installs, nothing / plain on single ones.
CREATE DATABASE IF NOT EXISTS helios {{on_cluster}};

CREATE TABLE IF NOT EXISTS helios.flows_raw {{on_cluster}}
(
    timestamp DateTime CODEC(DoubleDelta, ZSTD(1)),
    exporter_address IPv6,
    exporter_name LowCardinality(String),
    site LowCardinality(String),
    region LowCardinality(String),
    role LowCardinality(String),
    tenant LowCardinality(String),
    vendor LowCardinality(String),
    platform LowCardinality(String),
    tier LowCardinality(String),
    type LowCardinality(String),
    in_if_name LowCardinality(String),
    out_if_name LowCardinality(String),
    in_if_speed UInt64,
    out_if_speed UInt64,
    src_addr IPv6,
    dst_addr IPv6,
    src_port UInt16,
    dst_port UInt16,
    proto UInt8,
    etype UInt16,
    tcp_flags UInt8,
    src_as UInt32,
    dst_as UInt32,
    src_as_name LowCardinality(String),
    dst_as_name LowCardinality(String),
    src_country LowCardinality(String),
    dst_country LowCardinality(String),
    src_city LowCardinality(String),
    dst_city LowCardinality(String),
    sampling_rate UInt64,
    bytes UInt64,
    packets UInt64
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (toStartOfFiveMinutes(timestamp), site, exporter_name, in_if_name, out_if_name)
TTL timestamp + INTERVAL 7 DAY
SETTINGS ttl_only_drop_parts = 1;
