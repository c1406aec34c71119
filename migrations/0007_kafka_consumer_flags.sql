-- 0007 the Kafka consumer with 0006's columns: a Kafka engine table cannot be altered, so it
-- and its two views are recreated (same consumer group, whose committed offsets the broker
-- keeps, so no message is read twice or skipped). Settings as in 0005.
DROP VIEW IF EXISTS helios.flows_kafka_mv {{on_cluster}};
DROP VIEW IF EXISTS helios.flows_kafka_errors_mv {{on_cluster}};
DROP TABLE IF EXISTS helios.flows_kafka {{on_cluster}};

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

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_kafka_mv {{on_cluster}} TO helios.flows_ingest AS
SELECT *
FROM helios.flows_kafka
WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_kafka_errors_mv {{on_cluster}} TO helios.flows_kafka_errors AS
SELECT now() AS received_at, _topic AS topic, _partition AS partition, _offset AS offset, _error AS error, _raw_message AS raw_message
FROM helios.flows_kafka
WHERE length(_error) > 0;
