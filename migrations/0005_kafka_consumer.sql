-- 0005 the Kafka consumer: flows_kafka reads helios-flows-enriched, where each Kafka message
-- packs the length-delimited EnrichedFlows of one exporter (kafka_format = 'Protobuf': one row
-- per flow; schema flow.proto from the server's format_schema_path, mounted by the program from
-- proto/flow.proto). Undecodable
-- messages do not stall the partition: kafka_handle_error_mode = 'stream' hands them to
-- flows_kafka_errors (7 days) with the error text, and only clean rows go on to flows_ingest.
-- Every replica consumes in the same consumer group, so each message is inserted once; with
-- kafka_thread_per_consumer each consumer flushes its own blocks, so consumers insert in parallel.
-- {{kafka_brokers}}, {{kafka_topic}}, {{kafka_group}} and {{kafka_consumers}} come from the
-- migrator's environment (the program sets them from the Strimzi cluster and the tier).
CREATE TABLE IF NOT EXISTS helios.flows_kafka {{on_cluster}}
AS helios.flows_ingest
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_brokers}}',
    kafka_topic_list = '{{kafka_topic}}',
    kafka_group_name = '{{kafka_group}}',
    kafka_format = 'Protobuf',
    kafka_schema = 'flow.proto:EnrichedFlow',
    kafka_num_consumers = {{kafka_consumers}},
    kafka_thread_per_consumer = 1,
    kafka_handle_error_mode = 'stream';

CREATE TABLE IF NOT EXISTS helios.flows_kafka_errors {{on_cluster}}
(
    received_at DateTime,
    topic LowCardinality(String),
    partition UInt64,
    offset UInt64,
    error String,
    raw_message String
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (received_at, topic, partition, offset)
TTL received_at + INTERVAL 7 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_kafka_mv {{on_cluster}} TO helios.flows_ingest AS
SELECT *
FROM helios.flows_kafka
WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_kafka_errors_mv {{on_cluster}} TO helios.flows_kafka_errors AS
SELECT now() AS received_at, _topic AS topic, _partition AS partition, _offset AS offset, _error AS error, _raw_message AS raw_message
FROM helios.flows_kafka
WHERE length(_error) > 0;
