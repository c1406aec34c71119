# Engine: kafka. Sourced by install-tools.sh; defines install_kafka.
HELIOS_KAFKA_VERSION="4.3.1"
HELIOS_KAFKA_SCALA="2.13"

install_kafka() {
  local dir="$TOOLS/kafka-$HELIOS_KAFKA_VERSION"
  if ! stamped "kafka-$HELIOS_KAFKA_VERSION" || [ ! -f "$dir/libs/kafka_${HELIOS_KAFKA_SCALA}-$HELIOS_KAFKA_VERSION.jar" ] || [ ! -f "$dir/libs/kafka-tools-$HELIOS_KAFKA_VERSION.jar" ]; then
    command -v mvn >/dev/null || die "mvn not found; it is needed to fetch Kafka from Maven Central"
    command -v java >/dev/null || die "java not found; Kafka needs a JRE 17+"
    log "resolving Apache Kafka $HELIOS_KAFKA_VERSION from Maven Central"
    rm -rf "$dir"; mkdir -p "$dir/libs"
    mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$HELIOS_KAFKA_VERSION" -Dscala.binary="$HELIOS_KAFKA_SCALA" \
      -DincludeScope=runtime -DoutputDirectory="$dir/libs"
    stamp "kafka-$HELIOS_KAFKA_VERSION"
  fi
  [ -f "$dir/libs/kafka-clients-$HELIOS_KAFKA_VERSION.jar" ] && [ -f "$dir/libs/kafka-server-$HELIOS_KAFKA_VERSION.jar" ] \
    || die "Kafka $HELIOS_KAFKA_VERSION classpath is incomplete in $dir/libs"
}
