-- 0004 Distributed tables for sharded installs (tier shards > 1): flows_raw_dist,
-- flows_1m_dist and flows_1h_dist fan queries out to every shard's local table (contracts.md B;
-- the Grafana datasource uses database helios, dashboards pick the _dist names on sharded
-- installs). Statements marked "-- @sharded" are skipped by the migrator on single-shard installs.
-- @sharded
CREATE TABLE IF NOT EXISTS helios.flows_raw_dist {{on_cluster}} AS helios.flows_raw
ENGINE = Distributed('{cluster}', helios, flows_raw, rand());

-- @sharded
CREATE TABLE IF NOT EXISTS helios.flows_1m_dist {{on_cluster}} AS helios.flows_1m
ENGINE = Distributed('{cluster}', helios, flows_1m, rand());

-- @sharded
CREATE TABLE IF NOT EXISTS helios.flows_1h_dist {{on_cluster}} AS helios.flows_1h
ENGINE = Distributed('{cluster}', helios, flows_1h, rand());
