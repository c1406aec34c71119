/**
 * Every Helm chart version and container image Helios deploys, pinned in this one place.
 * Components import from here; the plan's summary lists what ends up deployed.
 * Each entry says where its version was checked upstream.
 */
import * as path from "path";

/** A pinned Helm chart. */
export interface ChartPin {
  chart: string;
  version: string;
  repository: string;
}

/** A pinned container image. */
export interface ImagePin {
  repository: string;
  tag: string;
}

/** The chart source fields of a Helm Release. */
export interface ChartSource {
  chart: string;
  version?: string;
  repositoryOpts?: { repo: string };
}

/**
 * Where a pinned chart is installed from: its upstream repository, or `mirror` (helios:chartMirror)
 * when set. A mirror is an OCI registry path (`oci://registry/helm-charts`), an HTTP(S) Helm
 * repository, or a local directory of `helm package` archives named `<chart>-<version>.tgz`
 * (air-gapped datacenters; the tests use ../shared/charts). Every chart comes from the mirror: a
 * chart missing there fails the release, naming the archive or URL, instead of reaching upstream.
 */
export function chartSource(pin: ChartPin, mirror?: string): ChartSource {
  if (!mirror) return { chart: pin.chart, version: pin.version, repositoryOpts: { repo: pin.repository } };
  if (mirror.startsWith("oci://")) return { chart: `${mirror.replace(/\/+$/, "")}/${pin.chart}`, version: pin.version };
  if (/^https?:\/\//.test(mirror)) return { chart: pin.chart, version: pin.version, repositoryOpts: { repo: mirror } };
  // A local archive: Helm reads the version from the archive itself.
  return { chart: path.resolve(mirror, `${pin.chart}-${pin.version}.tgz`) };
}

export function imageRef(pin: ImagePin): string {
  return `${pin.repository}:${pin.tag}`;
}

export const CHARTS = {
  // storage: prometheus-community/helm-charts charts/kube-prometheus-stack/Chart.yaml (operator v0.93.1).
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repository: "https://prometheus-community.github.io/helm-charts" },
  // storage: stevehipwell/helm-charts charts/thanos/Chart.yaml (appVersion 0.42.4, upstream quay.io images, not Bitnami).
  thanos: { chart: "thanos", version: "1.24.1", repository: "https://stevehipwell.github.io/helm-charts/" },
  // visualization: grafana-community/helm-charts tag grafana-11.6.1 (Grafana 12.4.3); the chart left
  // grafana/helm-charts for grafana-community in 2026 (grafana/helm-charts#4087).
  grafana: { chart: "grafana", version: "11.6.1", repository: "https://grafana-community.github.io/helm-charts" },
  // flows: strimzi/strimzi-kafka-operator tag 1.2.0 (serves only kafka.strimzi.io/v1; Kafka 4.2.x/4.3.x).
  strimzi: { chart: "strimzi-kafka-operator", version: "1.2.0", repository: "https://strimzi.io/charts/" },
  // flows: Altinity/clickhouse-operator tag 0.25.6 deploy/helm/clickhouse-operator/Chart.yaml (CRDs via its hook).
  clickhouseOperator: { chart: "altinity-clickhouse-operator", version: "0.25.6", repository: "https://helm.altinity.com" },
} satisfies Record<string, ChartPin>;

export const IMAGES = {
  // storage: quay.io/thanos/thanos; same release as the engine in scripts/test-infra/engines/thanos.sh.
  thanos: { repository: "quay.io/thanos/thanos", tag: "v0.42.4" },
  // storage: kube-prometheus-stack 88.5.3's default Prometheus, pinned here so the plan lists it.
  prometheus: { repository: "quay.io/prometheus/prometheus", tag: "v3.14.0-distroless" },
  // storage: last MinIO server / mc images published upstream (the source repository is archived).
  minio: { repository: "quay.io/minio/minio", tag: "RELEASE.2025-09-07T16-13-09Z" },
  mc: { repository: "quay.io/minio/mc", tag: "RELEASE.2025-08-13T08-35-41Z" },
  // visualization: the Alertmanager the operator runs; same release as the amtool that checks its config.
  alertmanager: { repository: "quay.io/prometheus/alertmanager", tag: "v0.34.0" },
  // visualization: the grafana chart 11.6.1's appVersion, pinned here so the plan lists it.
  grafana: { repository: "docker.io/grafana/grafana", tag: "12.4.3" },
  // collection: gnmic release image (entrypoint /app/gnmic). The engine test runs
  // github.com/karimra/gnmic v0.26.0, the newest the module proxy serves (engines/gnmic.sh);
  // config/gnmic uses only keys both releases share.
  gnmic: { repository: "ghcr.io/openconfig/gnmic", tag: "0.42.0" },
  // collection: same releases as the engines in scripts/test-infra/engines/{snmp,blackbox}_exporter.sh.
  snmpExporter: { repository: "quay.io/prometheus/snmp-exporter", tag: "v0.30.1" },
  blackboxExporter: { repository: "quay.io/prometheus/blackbox-exporter", tag: "v0.28.0" },
  // collection: static file server for Prometheus http_sd of the target ConfigMaps (serves .json as application/json).
  targetsSd: { repository: "docker.io/nginxinc/nginx-unprivileged", tag: "1.29.3-alpine3.22" },
  // flows: netsampler/goflow2 tag v2.2.6 (.github/workflows/main.yml publishes docker.io/netsampler/goflow2:<tag>).
  goflow2: { repository: "docker.io/netsampler/goflow2", tag: "v2.2.6" },
  // flows: ClickHouse LTS server and Keeper; the SQL in migrations/ is tested on chdb-core 26.9 and uses nothing newer than 24.x.
  clickhouse: { repository: "docker.io/clickhouse/clickhouse-server", tag: "25.8" },
  clickhouseKeeper: { repository: "docker.io/clickhouse/clickhouse-keeper", tag: "25.8" },
  // flows: maxmind/geoipupdate Docker image (doc/docker.md: GEOIPUPDATE_* env, FREQUENCY in hours).
  geoipupdate: { repository: "ghcr.io/maxmind/geoipupdate", tag: "v7.0.1" },
} satisfies Record<string, ImagePin>;

/** Grafana plugins installed at start (GF_PLUGINS_PREINSTALL_SYNC, `id@version`). */
export const GRAFANA_PLUGINS = [
  // visualization: grafana/clickhouse-datasource package.json 4.13.0 (the official ClickHouse plugin).
  { id: "grafana-clickhouse-datasource", version: "4.13.0" },
] as const;
