# Engine: librdkafka, the Kafka client inside ClickHouse's Kafka engine, through the
# confluent-kafka wheel (which bundles it). Tests read what the flow-enricher produced with it,
# so compression and framing are checked by the client ClickHouse really uses.
HELIOS_CONFLUENT_KAFKA_VERSION="2.16.1"

install_librdkafka() {
  pip_tool confluent-kafka "$HELIOS_CONFLUENT_KAFKA_VERSION" confluent_kafka
}
