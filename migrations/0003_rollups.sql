-- 0003 flows_1m (30 days) and flows_1h (90 days): per-minute and per-hour sums of
-- flows_raw by the dashboard dimensions, fed by materialized views on flows_raw (so they see
-- the already-scaled bytes/packets). The measures are SimpleAggregateFunction(sum, UInt64):
-- rows with the same key are summed as parts merge, and dashboards query sum(bytes) directly.
-- Every dimension is in the ORDER BY so merges never fold different dimension values together.
-- Daily partitions + ttl_only_drop_parts: expired days are dropped whole (works on a full disk).
CREATE TABLE IF NOT EXISTS helios.flows_1m {{on_cluster}}
(
    timestamp DateTime CODEC(DoubleDelta, ZSTD(1)),
    exporter_name LowCardinality(String),
    site LowCardinality(String),
    region LowCardinality(String),
    role LowCardinality(String),
    tenant LowCardinality(String),
    in_if_name LowCardinality(String),
    out_if_name LowCardinality(String),
    proto UInt8,
    etype UInt16,
    src_as UInt32,
    dst_as UInt32,
    src_as_name LowCardinality(String),
    dst_as_name LowCardinality(String),
    src_country LowCardinality(String),
    dst_country LowCardinality(String),
    bytes SimpleAggregateFunction(sum, UInt64),
    packets SimpleAggregateFunction(sum, UInt64),
    flows SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country)
TTL timestamp + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_1m_mv {{on_cluster}} TO helios.flows_1m AS
SELECT
    toStartOfMinute(timestamp) AS timestamp,
    site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count() AS flows
FROM helios.flows_raw
GROUP BY timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country;

CREATE TABLE IF NOT EXISTS helios.flows_1h {{on_cluster}}
(
    timestamp DateTime CODEC(DoubleDelta, ZSTD(1)),
    exporter_name LowCardinality(String),
    site LowCardinality(String),
    region LowCardinality(String),
    role LowCardinality(String),
    tenant LowCardinality(String),
    in_if_name LowCardinality(String),
    out_if_name LowCardinality(String),
    proto UInt8,
    etype UInt16,
    src_as UInt32,
    dst_as UInt32,
    src_as_name LowCardinality(String),
    dst_as_name LowCardinality(String),
    src_country LowCardinality(String),
    dst_country LowCardinality(String),
    bytes SimpleAggregateFunction(sum, UInt64),
    packets SimpleAggregateFunction(sum, UInt64),
    flows SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country)
TTL timestamp + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_1h_mv {{on_cluster}} TO helios.flows_1h AS
SELECT
    toStartOfHour(timestamp) AS timestamp,
    site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count() AS flows
FROM helios.flows_raw
GROUP BY timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country;
