-- 0009 flows_5m (30 days): per-5-minute sums of flows_raw by the traffic dimensions of 0003.
-- The flow time series ask Grafana for 200 points (Akvorado's default), so a 24 h or 7 d graph
-- steps 7-50 min: this table serves it with ~1/3 of flows_1m's rows, and flows_1m keeps the
-- ranges up to ~16 h (components/flows/resolutions.ts lists every table's interval and TTL; a
-- test checks this file against it). Measures and ORDER BY as in 0003.
CREATE TABLE IF NOT EXISTS helios.flows_5m {{on_cluster}}
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

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_5m_mv {{on_cluster}} TO helios.flows_5m AS
SELECT
    toStartOfFiveMinutes(timestamp) AS timestamp,
    site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count() AS flows
FROM helios.flows_raw
GROUP BY timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country;

-- @sharded
CREATE TABLE IF NOT EXISTS helios.flows_5m_dist {{on_cluster}} AS helios.flows_5m
ENGINE = Distributed('{cluster}', helios, flows_5m, rand());
