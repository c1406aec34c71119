-- 0008 flows_hosts_1h (30 days): per-hour sums of flows_raw by host pair, protocol and
-- destination port, with the dimensions the per-host panels filter on (region, site, exporter,
-- ingress interface) and the source's country/city (one value per address, so they add no
-- rows). The Top Talkers hosts/conversations, destination ports, source cities and Interface
-- Correlation's top flows read it for ranges where hour buckets fit (components/flows/
-- resolutions.ts lists every table's interval and TTL; a test checks this file against it), so
-- no 24 h panel reads flows_raw. Measures as in 0003: SimpleAggregateFunction(sum) summed as parts
-- merge, every dimension in the ORDER BY so merges never fold different values together.
CREATE TABLE IF NOT EXISTS helios.flows_hosts_1h {{on_cluster}}
(
    timestamp DateTime CODEC(DoubleDelta, ZSTD(1)),
    region LowCardinality(String),
    site LowCardinality(String),
    exporter_name LowCardinality(String),
    in_if_name LowCardinality(String),
    src_addr IPv6,
    dst_addr IPv6,
    proto UInt8,
    dst_port UInt16,
    src_country LowCardinality(String),
    src_city LowCardinality(String),
    bytes SimpleAggregateFunction(sum, UInt64),
    packets SimpleAggregateFunction(sum, UInt64),
    flows SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (timestamp, region, site, exporter_name, in_if_name, src_addr, dst_addr, proto, dst_port, src_country, src_city)
TTL timestamp + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_hosts_1h_mv {{on_cluster}} TO helios.flows_hosts_1h AS
SELECT
    toStartOfHour(timestamp) AS timestamp,
    region, site, exporter_name, in_if_name, src_addr, dst_addr, proto, dst_port, src_country, src_city,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count() AS flows
FROM helios.flows_raw
GROUP BY timestamp, region, site, exporter_name, in_if_name, src_addr, dst_addr, proto, dst_port, src_country, src_city;

-- @sharded
CREATE TABLE IF NOT EXISTS helios.flows_hosts_1h_dist {{on_cluster}} AS helios.flows_hosts_1h
ENGINE = Distributed('{cluster}', helios, flows_hosts_1h, rand());
