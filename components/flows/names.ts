/** Names the flow pipeline's pieces share (services, labels, topics); spelled once here. */
import { NAMESPACES } from "../namespaces";

export const FLOWS_NS = NAMESPACES.flows.name;

export const TOPICS = { raw: "helios-flows-raw", enriched: "helios-flows-enriched", deadLetter: "helios-flows-dead-letter" } as const;

/** goflow2's UDP Service: the one LoadBalancer the design needs (policy/rules.ts allows it alone). */
export const GOFLOW2_SERVICE = "goflow2";

export const KAFKA_CLUSTER = "helios-kafka";
/** Strimzi's bootstrap Service for the plain internal listener. */
export const KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap.${FLOWS_NS}.svc:9092`;

export const CHI_NAME = "helios";
export const CH_CLUSTER = "flows";
/** The Altinity operator's Service for a ClickHouseInstallation: clickhouse-<chi>. */
export const CLICKHOUSE_SERVICE = `clickhouse-${CHI_NAME}`;
export const CLICKHOUSE_HTTP_URL = `http://${CLICKHOUSE_SERVICE}.${FLOWS_NS}.svc:8123`;
export const KEEPER_NAME = "helios-keeper";
/** The operator's Service for a ClickHouseKeeperInstallation: keeper-<chk>. */
export const KEEPER_SERVICE = `keeper-${KEEPER_NAME}`;

/** ClickHouse users and the Secret holding their passwords. */
export const CLICKHOUSE_SECRET = "clickhouse-credentials";
export const CLICKHOUSE_USERS = { admin: "helios", reader: "grafana" } as const;
/** Where the server reads Protobuf schemas (kafka_schema 'flow.proto:EnrichedFlow'). */
export const FORMAT_SCHEMA_PATH = "/etc/clickhouse-server/format_schemas/";

/** Pod selectors the network policies use. */
export const POD_LABELS = {
  /** Kafka nodes (brokers and KRaft controllers of every pool), as Strimzi's own policy selects them; `strimzi.io/kind: Kafka` alone also matches the entity operator and Kafka Exporter. */
  kafka: { "strimzi.io/cluster": KAFKA_CLUSTER, "strimzi.io/kind": "Kafka", "strimzi.io/name": `${KAFKA_CLUSTER}-kafka` },
  /** Every pod Strimzi runs for the cluster: Kafka nodes, entity operator, Kafka Exporter. */
  kafkaClusterPods: { "strimzi.io/cluster": KAFKA_CLUSTER },
  /** The Strimzi cluster operator (its Helm chart's pod label). */
  strimziOperator: { "strimzi.io/kind": "cluster-operator" },
  clickhouse: { "clickhouse.altinity.com/chi": CHI_NAME },
  keeper: { "clickhouse-keeper.altinity.com/chk": KEEPER_NAME },
  /** The Altinity operator (its Helm chart's selector label; the chart is named altinity-clickhouse-operator). */
  clickhouseOperator: { "app.kubernetes.io/name": "altinity-clickhouse-operator" },
  goflow2: { "app.kubernetes.io/name": "goflow2" },
  flowEnricher: { "app.kubernetes.io/name": "flow-enricher" },
  migrator: { "app.kubernetes.io/name": "clickhouse-migrator" },
} as const;

/** ClickHouse's asynchronous metrics for disk space, as its Prometheus endpoint (9363) names them. */
export const CLICKHOUSE_DISK_METRICS = {
  available: "ClickHouseAsyncMetrics_DiskAvailable_default",
  total: "ClickHouseAsyncMetrics_DiskTotal_default",
  used: "ClickHouseAsyncMetrics_DiskUsed_default",
} as const;
