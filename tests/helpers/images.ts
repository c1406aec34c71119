/**
 * What the pod runner runs for each container image the stacks deploy: the image's ENTRYPOINT and
 * CMD as upstream builds it (Kubernetes uses them when a container sets no command/args), mapped to
 * the engine built here at the same release (components/versions.ts; tests/deploy/versions.test.ts
 * checks the pins). Images with no engine here are listed with the reason, so a workload never
 * escapes the test unnoticed: an image in neither table fails it.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, tool } from "./tools";

export interface RunnableImage {
  /**
   * The image's ENTRYPOINT, with the executable as the local path that stands for it. `mapPath` maps
   * a path inside the container to where the pod runner materialized it, as the container's processes
   * see it; `toHost` maps that to where this process writes it (they differ in StatefulSet pods).
   */
  entrypoint: (mapPath: (p: string) => string, toHost: (p: string) => string) => string[];
  /** The image's CMD. */
  cmd: string[];
  /** Executables of the image a container `command` may name, by basename, mapped to local paths. */
  binaries?: () => Record<string, string>;
  /** The image's WORKDIR, as a local directory (our services: the service's folder). */
  workdir?: () => string;
  /** Where it was read upstream. */
  source: string;
  /** Our service (services/<name>) whose compiled code the image runs: it must be built first. */
  service?: string;
  /**
   * Environment the pod runner adds (below the container's own) where this machine differs from a
   * node in a way the program cannot see, with the reason.
   */
  nodeEnv?: { env: Record<string, string>; why: string };
}

/** Our services' images run the service's compiled code with the image's entrypoint from its Dockerfile. */
function serviceImage(service: string): RunnableImage {
  const dir = path.join(REPO_ROOT, "services", service);
  const dockerfile = fs.readFileSync(path.join(dir, "Dockerfile"), "utf8");
  const json = (directive: string): string[] => {
    const m = dockerfile.match(new RegExp(`^${directive}\\s+(\\[.*\\])\\s*$`, "m"));
    return m ? (JSON.parse(m[1]) as string[]) : [];
  };
  return {
    // The image's /app is the service folder here; `node` is the node running the tests.
    entrypoint: () => json("ENTRYPOINT").map((a, i) => (i === 0 && a === "node" ? process.execPath : a.replace(/^\/app\//, `${dir}/`))),
    cmd: json("CMD"),
    workdir: () => dir,
    source: `services/${service}/Dockerfile`,
    service,
  };
}

const bin = (name: string) => () => [tool(name)];

export const RUNNABLE_IMAGES: Record<string, RunnableImage> = {
  // netsampler/goflow2 Dockerfile: COPY goflow2 to /, ENTRYPOINT ["./goflow2"] (WORKDIR /).
  "docker.io/netsampler/goflow2": { entrypoint: bin("goflow2"), cmd: [], source: "netsampler/goflow2 Dockerfile" },
  // openconfig/gnmic goreleaser Dockerfile: ENTRYPOINT ["/app/gnmic"]; alpine based, so /bin/sh exists.
  "ghcr.io/openconfig/gnmic": {
    entrypoint: bin("gnmic"),
    cmd: ["--help"],
    binaries: () => ({ sh: "/bin/sh", gnmic: tool("gnmic") }),
    source: "openconfig/gnmic Dockerfile",
  },
  // prometheus/snmp_exporter Dockerfile: ENTRYPOINT ["/bin/snmp_exporter"], CMD ["--config.file=/etc/snmp_exporter/snmp.yml"].
  "quay.io/prometheus/snmp-exporter": { entrypoint: bin("snmp_exporter"), cmd: ["--config.file=/etc/snmp_exporter/snmp.yml"], source: "prometheus/snmp_exporter Dockerfile" },
  // prometheus/blackbox_exporter Dockerfile: ENTRYPOINT ["/bin/blackbox_exporter"], CMD ["--config.file=/etc/blackbox_exporter/config.yml"].
  "quay.io/prometheus/blackbox-exporter": { entrypoint: bin("blackbox_exporter"), cmd: ["--config.file=/etc/blackbox_exporter/config.yml"], source: "prometheus/blackbox_exporter Dockerfile" },
  // thanos-io/thanos Dockerfile: ENTRYPOINT ["/bin/thanos"].
  "quay.io/thanos/thanos": { entrypoint: bin("thanos"), cmd: [], binaries: () => ({ thanos: tool("thanos") }), source: "thanos-io/thanos Dockerfile" },
  // prometheus/alertmanager Dockerfile: ENTRYPOINT ["/bin/alertmanager"].
  "quay.io/prometheus/alertmanager": { entrypoint: bin("alertmanager"), cmd: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"], source: "prometheus/alertmanager Dockerfile" },
  // minio/minio Dockerfile.release: ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"], CMD ["minio"]; /usr/bin/minio.
  "quay.io/minio/minio": {
    entrypoint: () => [tool("minio")],
    cmd: [],
    binaries: () => ({ minio: tool("minio") }),
    source: "minio/minio Dockerfile.release",
    nodeEnv: {
      env: { MINIO_CI_CD: "1" },
      why: "the pod runner's drives are directories on the machine's root disk, which MinIO refuses as drives; a pod's PVCs are volumes of their own",
    },
  },
  "quay.io/minio/mc": { entrypoint: () => [tool("mc")], cmd: [], binaries: () => ({ mc: tool("mc"), sh: "/bin/sh", bash: "/bin/bash" }), source: "minio/mc Dockerfile.release" },
  // nginxinc/docker-nginx-unprivileged: ENTRYPOINT ["/docker-entrypoint.sh"], CMD ["nginx", "-g", "daemon off;"]. The
  // entrypoint script only templates files we do not use; the image's nginx.conf is replaced by
  // NGINX_UNPRIVILEGED_MAIN (same directives that matter: pid and temp paths under /tmp, include conf.d).
  "docker.io/nginxinc/nginx-unprivileged": {
    entrypoint: (mapPath, toHost) => ["/usr/sbin/nginx", "-c", nginxMainConfig(mapPath, toHost)],
    cmd: ["-g", "daemon off;"],
    source: "nginxinc/docker-nginx-unprivileged Dockerfile (alpine)",
  },
  "ghcr.io/helios-observability/flow-enricher": serviceImage("flow-enricher"),
  "ghcr.io/helios-observability/target-generator": serviceImage("target-generator"),
  "ghcr.io/helios-observability/clickhouse-migrator": serviceImage("clickhouse-migrator"),
  "ghcr.io/helios-observability/runbook-operator": serviceImage("runbook-operator"),
};

/**
 * Sidecars the pod runner leaves out of a pod it otherwise starts, and why: config reloaders only
 * signal the main container when a ConfigMap changes, and the runner starts each pod once.
 */
export const SIDECARS_NOT_RUN: Record<string, string> = {
  "ghcr.io/jimmidyson/configmap-reload": "config reloader sidecar: signals the main container when its ConfigMap changes",
  "quay.io/prometheus-operator/prometheus-config-reloader": "config reloader sidecar",
  // As an init container it is stood in for: the runner writes test databases into its volume.
  "ghcr.io/maxmind/geoipupdate": "downloads GeoIP databases from MaxMind, which this network cannot reach; the pod runner writes MaxMind-format test databases into its volume instead",
};

/** Images no engine here can run, and why. */
export const NOT_RUNNABLE_IMAGES: Record<string, string> = {
  "quay.io/prometheus-operator/prometheus-operator": "operator: not built here; the Prometheus and Alertmanager pods it would create are not started (rules and routing are tested with promtool and amtool)",
  "quay.io/prometheus-operator/prometheus-config-reloader": "operator sidecar",
  "registry.k8s.io/kube-state-metrics/kube-state-metrics": "cluster exporter: not built here",
  "quay.io/prometheus/node-exporter": "DaemonSet exporter of node metrics: no node here",
  "quay.io/strimzi/operator": "operator: the Kafka it would create is stood in for by a real Kafka broker started from the stored Kafka resource",
  "altinity/clickhouse-operator": "operator: no ClickHouse server runs here (the SQL runs on chdb)",
  "altinity/metrics-exporter": "operator sidecar",
  "docker.io/grafana/grafana": "Grafana server: not built here (dashboards are checked against the real query engines)",
  "quay.io/kiwigrid/k8s-sidecar": "Grafana's dashboard sidecar",
  "docker.io/library/busybox": "Grafana chart init container",
  "docker.io/curlimages/curl": "Grafana chart test/init container",
};

export function imageRepository(image: string): string {
  const at = image.indexOf("@");
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The main nginx.conf of the unprivileged image, for the Debian nginx binary. */
function nginxMainConfig(mapPath: (p: string) => string, toHost: (p: string) => string): string {
  const file = mapPath("/tmp/pod-runner-nginx.conf");
  fs.writeFileSync(
    toHost(file),
    [
      "worker_processes 1;",
      "error_log stderr notice;",
      `pid ${mapPath("/tmp/nginx.pid")};`,
      "events { worker_connections 256; }",
      "http {",
      "  include /etc/nginx/mime.types;",
      "  default_type application/octet-stream;",
      "  access_log off;",
      `  client_body_temp_path ${mapPath("/tmp/client_temp")};`,
      `  proxy_temp_path ${mapPath("/tmp/proxy_temp_path")};`,
      `  fastcgi_temp_path ${mapPath("/tmp/fastcgi_temp")};`,
      `  uwsgi_temp_path ${mapPath("/tmp/uwsgi_temp")};`,
      `  scgi_temp_path ${mapPath("/tmp/scgi_temp")};`,
      `  include ${mapPath("/etc/nginx/conf.d")}/*.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  return file;
}
