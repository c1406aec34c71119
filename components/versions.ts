/**
 * Every Helm chart version and container image Helios deploys, pinned in this one place.
 * Components import from here; the plan's summary lists what ends up deployed.
 * Each entry says where its version was checked upstream.
 */

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

export function imageRef(pin: ImagePin): string {
  return `${pin.repository}:${pin.tag}`;
}

export const CHARTS = {
  // storage: prometheus-community/helm-charts charts/kube-prometheus-stack/Chart.yaml (operator v0.93.1).
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repository: "https://prometheus-community.github.io/helm-charts" },
  // storage: stevehipwell/helm-charts charts/thanos/Chart.yaml (appVersion 0.42.4, upstream quay.io images, not Bitnami).
  thanos: { chart: "thanos", version: "1.24.1", repository: "https://stevehipwell.github.io/helm-charts/" },
  // storage: minio/minio helm/minio/Chart.yaml, the last chart before the repository was archived.
  minio: { chart: "minio", version: "5.4.0", repository: "https://charts.min.io/" },
} satisfies Record<string, ChartPin>;

export const IMAGES = {
  // storage: quay.io/thanos/thanos; same release as the engine in scripts/test-infra/engines/thanos.sh.
  thanos: { repository: "quay.io/thanos/thanos", tag: "v0.42.4" },
  // storage: kube-prometheus-stack 88.5.3's default Prometheus, pinned here so the plan lists it.
  prometheus: { repository: "quay.io/prometheus/prometheus", tag: "v3.14.0-distroless" },
  // storage: last MinIO server / mc images published upstream (the source repository is archived).
  minio: { repository: "quay.io/minio/minio", tag: "RELEASE.2025-09-07T16-13-09Z" },
  mc: { repository: "quay.io/minio/mc", tag: "RELEASE.2025-08-13T08-35-41Z" },
} satisfies Record<string, ImagePin>;
