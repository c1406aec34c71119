/**
 * Which engine the tests run for each thing Helios deploys, and the few places where the two differ.
 * tests/deploy/versions.test.ts reads the engine pins from scripts/test-infra/engines/*.sh and the
 * deployed versions from components/versions.ts (and the Kafka version the cluster resource asks
 * for), and fails on any drift not listed in ENGINE_EXCEPTIONS, the one list of known differences.
 */
import { IMAGES } from "../../components/versions";
import { KAFKA_VERSION } from "../../components/flows/kafka-cluster";

export interface EnginePin {
  /** What is deployed. */
  deployed: string;
  /** The version the program deploys. */
  deployedVersion: string;
  /** The engines/*.sh variable that pins the engine the tests run. */
  engineVariable: string;
  /** The engine's version in the deployed version's spelling (e.g. v0.314.0 → 3.14.0). */
  normalize?: (engineVersion: string) => string;
}

const tagVersion = (tag: string) => tag.replace(/^v/, "").replace(/-distroless$/, "");

export const ENGINE_PINS: EnginePin[] = [
  { deployed: "thanos", deployedVersion: tagVersion(IMAGES.thanos.tag), engineVariable: "HELIOS_THANOS_VERSION" },
  { deployed: "alertmanager", deployedVersion: tagVersion(IMAGES.alertmanager.tag), engineVariable: "HELIOS_ALERTMANAGER_VERSION" },
  { deployed: "alertmanager (amtool)", deployedVersion: tagVersion(IMAGES.alertmanager.tag), engineVariable: "HELIOS_AMTOOL_VERSION" },
  { deployed: "snmp_exporter", deployedVersion: tagVersion(IMAGES.snmpExporter.tag), engineVariable: "HELIOS_SNMP_EXPORTER_VERSION" },
  { deployed: "blackbox_exporter", deployedVersion: tagVersion(IMAGES.blackboxExporter.tag), engineVariable: "HELIOS_BLACKBOX_EXPORTER_VERSION" },
  { deployed: "goflow2", deployedVersion: tagVersion(IMAGES.goflow2.tag), engineVariable: "HELIOS_GOFLOW2_VERSION" },
  {
    deployed: "prometheus (promtool)",
    deployedVersion: tagVersion(IMAGES.prometheus.tag),
    engineVariable: "HELIOS_PROMETHEUS_VERSION",
    // The Go module's v0.3MM.P is Prometheus 3.MM.P.
    normalize: (v) => v.replace(/^v0\.3(\d\d)\.(\d+)$/, (_, minor: string, patch: string) => `3.${Number(minor)}.${patch}`),
  },
  { deployed: "kafka (Strimzi Kafka resource)", deployedVersion: KAFKA_VERSION, engineVariable: "HELIOS_KAFKA_VERSION" },
  { deployed: "gnmic", deployedVersion: tagVersion(IMAGES.gnmic.tag), engineVariable: "HELIOS_GNMIC_VERSION" },
  { deployed: "minio", deployedVersion: IMAGES.minio.tag, engineVariable: "HELIOS_MINIO_VERSION" },
  { deployed: "mc", deployedVersion: IMAGES.mc.tag, engineVariable: "HELIOS_MC_VERSION" },
  { deployed: "clickhouse-server", deployedVersion: IMAGES.clickhouse.tag, engineVariable: "HELIOS_CHDB_VERSION" },
  { deployed: "nginx (targets-sd)", deployedVersion: IMAGES.targetsSd.tag.replace(/-alpine.*$/, ""), engineVariable: "HELIOS_NGINX_DEB_PREFIX" },
];

/** Known differences, each with its reason. A difference not listed here fails the test. */
export const ENGINE_EXCEPTIONS: Record<string, string> = {
  gnmic:
    "the Go module proxy refuses github.com/openconfig/gnmic; the newest gnmic it serves is github.com/karimra/gnmic v0.26.0 (the project's earlier module path). config/gnmic uses only keys both releases share.",
  minio:
    "github.com/minio/minio publishes RELEASE.<date> tags, not semver, and is archived: the engine is the Go pseudo-version of its final commit; the image is the last release published upstream.",
  mc: "github.com/minio/mc publishes RELEASE.<date> tags, not semver: the engine is a Go pseudo-version close to the image's release date.",
  "clickhouse-server":
    "no ClickHouse server builds here: the SQL (migrations, rollups, dashboard queries, the Protobuf format) runs on chdb-core (embedded ClickHouse 26.x); the migrations use nothing newer than 24.x.",
  "nginx (targets-sd)": "Debian bookworm's nginx 1.22 serves the rendered server block; the block uses only directives both releases share.",
};
