-- One-off backfill of flows_5m (migration 0009) from flows_1m on an install that had flows before
-- 0009 ran: the view fills flows_5m only from the flows inserted after it was created, and the
-- time series of 12 h to 6 days read flows_5m. Not a migration: the migrator never runs it.
-- Run it once per shard (on one replica), for whole days before the day 0009 ran:
--   SELECT applied_at FROM helios.schema_migrations WHERE version = 9
--   clickhouse-client --param_from='2026-11-01 00:00:00' --param_to='2026-12-01 00:00:00' \
--     --queries-file backfill/0009_flows_5m.sql
-- `to` must be at or before midnight of that day: from then on the view has every flow. Running it
-- twice for the same days counts them twice; a flow that reached ClickHouse after that midnight
-- for an earlier day is already in flows_5m and is counted again (rare: the enricher stores
-- implausibly old flows at their receive time). docs/flows.md, "Upgrading: flows_5m".
INSERT INTO helios.flows_5m (timestamp, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country, bytes, packets, flows)
SELECT
    toStartOfFiveMinutes(timestamp) AS bucket,
    site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country,
    sum(bytes), sum(packets), sum(flows)
FROM helios.flows_1m
WHERE timestamp >= {from:DateTime} AND timestamp < {to:DateTime}
GROUP BY bucket, site, exporter_name, region, role, tenant, in_if_name, out_if_name, proto, etype, src_as, dst_as, src_as_name, dst_as_name, src_country, dst_country;
