/**
 * The Prometheus side of collection.
 *
 * Prometheus runs in helios-storage; the target files are ConfigMaps in helios-collection
 * (written by the target generator, or the static ones). file_sd would need those files inside
 * the Prometheus pod, which cannot mount ConfigMaps of another namespace, so Helios serves them
 * over HTTP instead: `helios-targets-sd` (a static file server) mounts the target ConfigMaps as
 * directories (kubelet refreshes them in place) and Prometheus reads them with http_sd, whose
 * response format is exactly file_sd's JSON. One ScrapeConfig CR per job (snmp, blackbox-*)
 * carries the multi-target relabeling; gnmic is scraped through a ServiceMonitor.
 *
 * The relabel rules are written once (SCRAPE_JOBS) and rendered both as ScrapeConfig CR specs
 * and as plain Prometheus scrape_configs; the engine tests load the latter into a real
 * Prometheus to prove the rules keep the taxonomy labels and pass __param_* to the exporters.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels, TAXONOMY_LABELS } from "../labels";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { FIXED_RESOURCES } from "../tiers";
import { NAMESPACES } from "../namespaces";
import { IMAGES, imageRef } from "../versions";
import { configMapName, FILE_KEYS, Kind, KINDS, MAX_EXTRA_CONFIGMAPS, partKey, probeFileKey, withOverflow } from "../../services/target-generator/src/contract";
import { BLACKBOX_NAME, BLACKBOX_PORT, PROBE_KINDS, ProbeKind } from "./blackbox-exporter";
import { GNMIC_NAME } from "./gnmic";
import { sha, SNMP_BASE_MODULE, SNMP_EXPORTER_NAME, SNMP_EXPORTER_PORT } from "./snmp-exporter";

export const TARGETS_SD_NAME = "helios-targets-sd";
export const TARGETS_SD_PORT = 8080;

/**
 * The target ConfigMaps: names, keys, overflow count and part keys are the target generator's
 * contract, imported from the service (services/target-generator/src/contract.ts), never re-spelled.
 */
export type TargetKind = Kind;
export const GENERATED_TARGETS = Object.fromEntries(KINDS.map((k) => [k, { configMap: configMapName(k), keys: FILE_KEYS[k] }])) as {
  readonly [K in TargetKind]: { readonly configMap: string; readonly keys: readonly string[] };
};
/**
 * The generator splits a large file into parts (`snmp.json`, `snmp-1.json`, ...) spread over
 * `helios-targets-<kind>` and its overflow ConfigMaps. Consumers mount all of them into one
 * directory (projected volume) and read every part.
 */
export const MAX_TARGET_PARTS = MAX_EXTRA_CONFIGMAPS + 1;
export { partKey };

/** ConfigMaps one kind's targets may be spread over (generator mode), or the one static ConfigMap. */
export function targetSources(base: string, generated: boolean): string[] {
  return generated ? withOverflow(base) : [base];
}

/**
 * nginx server block of helios-targets-sd: serves /<configmap>/<key> as application/json, and
 * `[]` (no targets) for a part that does not exist, so Prometheus' http_sd sees an empty group
 * list instead of an error for parts the generator has not written.
 */
export function renderSdNginxConfig(listen: string | number = TARGETS_SD_PORT, root = "/usr/share/nginx/html"): string {
  return [
    "server {",
    `  listen ${listen};`,
    "  server_name _;",
    `  root ${root};`,
    "  location / {",
    "    try_files $uri /__no_targets.json;",
    "  }",
    "  location = /__no_targets.json {",
    "    default_type application/json;",
    "    return 200 '[]';",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Static-mode ConfigMap names (static-targets.ts creates them from config/targets/static/). */
export const STATIC_TARGETS: Record<TargetKind, string> = {
  gnmic: "helios-static-targets-gnmic",
  snmp: "helios-static-targets-snmp",
  blackbox: "helios-static-targets-blackbox",
  prometheus: "helios-static-targets-prometheus",
};

/** One relabel rule, in Prometheus' own (snake_case) vocabulary. */
export interface Relabel {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: "replace" | "keep" | "drop" | "labeldrop" | "labelkeep" | "labelmap";
}

export interface ScrapeJob {
  jobName: string;
  /** ConfigMap kind and key the job's targets come from. */
  targets: { kind: TargetKind; key: string };
  metricsPath: string;
  scrapeInterval: string;
  scrapeTimeout: string;
  /** host:port of the exporter every target is scraped through. */
  exporter: string;
  relabelings: Relabel[];
}

/**
 * Label the Prometheus Operator shards on when a rule has set it: with `shards` > 1 it appends
 * rules that copy `__address__` into `__tmp_hash` only if `__tmp_hash` is still empty, hashmod it
 * and keep this shard's targets (prometheus-operator v0.93 pkg/prometheus/promcfg.go,
 * appendShardingRelabelingWithLabel). Like any `__`-prefixed label it is dropped after relabeling.
 */
export const OPERATOR_SHARD_HASH_LABEL = "__tmp_hash";

function multiTarget(jobName: string, exporter: string, extra: Relabel[] = []): Relabel[] {
  return [
    ...extra,
    { source_labels: ["__address__"], target_label: "__param_target" },
    // Shard by device: __address__ becomes the exporter's address below, and hashing that would
    // put every device of the job on one Prometheus shard.
    { source_labels: ["__param_target"], target_label: OPERATOR_SHARD_HASH_LABEL },
    { source_labels: ["__param_target"], target_label: "instance" },
    { target_label: "__address__", replacement: exporter },
    // The job label is the contract name whatever the CR is called.
    { target_label: "job", replacement: jobName },
  ];
}

/** The file_sd/http_sd-driven jobs. `exporters` overrides the exporter addresses (tests). */
export function scrapeJobs(exporters: { snmp: string; blackbox: string } = {
  snmp: `${SNMP_EXPORTER_NAME}.${NAMESPACES.collection.name}.svc:${SNMP_EXPORTER_PORT}`,
  blackbox: `${BLACKBOX_NAME}.${NAMESPACES.collection.name}.svc:${BLACKBOX_PORT}`,
}): ScrapeJob[] {
  const snmp: ScrapeJob = {
    jobName: "snmp",
    targets: { kind: "snmp", key: FILE_KEYS.snmp[0] },
    metricsPath: "/snmp",
    scrapeInterval: "60s",
    scrapeTimeout: "50s",
    exporter: exporters.snmp,
    // Every SNMP scrape walks the IF-MIB base plus the target's vendor module
    // (snmp_exporter takes module=a,b and drops duplicates, so "if_mib" alone stays if_mib).
    relabelings: multiTarget("snmp", exporters.snmp, [
      { source_labels: ["__param_module"], regex: "(.+)", target_label: "__param_module", replacement: `${SNMP_BASE_MODULE},$1` },
    ]),
  };
  const probe = (kind: ProbeKind): ScrapeJob => ({
    jobName: `blackbox-${kind}`,
    targets: { kind: "blackbox", key: probeFileKey(kind) },
    metricsPath: "/probe",
    scrapeInterval: "30s",
    scrapeTimeout: "25s",
    exporter: exporters.blackbox,
    relabelings: multiTarget(`blackbox-${kind}`, exporters.blackbox),
  });
  return [snmp, ...PROBE_KINDS.map(probe)];
}

/** URL under which the SD server serves a target file. */
export function sdUrl(base: string, configMap: string, key: string): string {
  return `${base}/${configMap}/${key}`;
}

/** A plain Prometheus scrape_config (what the operator generates from the CR), using http_sd. */
export function toPrometheusScrapeConfig(job: ScrapeJob, sdUrls: string[], refreshInterval = "60s"): Record<string, unknown> {
  return {
    job_name: job.jobName,
    metrics_path: job.metricsPath,
    scrape_interval: job.scrapeInterval,
    scrape_timeout: job.scrapeTimeout,
    http_sd_configs: sdUrls.map((url) => ({ url, refresh_interval: refreshInterval })),
    relabel_configs: job.relabelings,
  };
}

/** monitoring.coreos.com/v1alpha1 ScrapeConfig spec for a job. */
export function toScrapeConfigSpec(job: ScrapeJob, sdUrls: string[]): Record<string, unknown> {
  return {
    metricsPath: job.metricsPath,
    scrapeInterval: job.scrapeInterval,
    scrapeTimeout: job.scrapeTimeout,
    httpSDConfigs: sdUrls.map((url) => ({ url, refreshInterval: "60s" })),
    relabelings: job.relabelings.map((r) => ({
      ...(r.source_labels ? { sourceLabels: r.source_labels } : {}),
      ...(r.separator !== undefined ? { separator: r.separator } : {}),
      ...(r.regex !== undefined ? { regex: r.regex } : {}),
      ...(r.target_label ? { targetLabel: r.target_label } : {}),
      ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
      action: r.action ?? "replace",
    })),
  };
}

/** True when no relabel rule can drop or overwrite a taxonomy label. */
export function keepsTaxonomy(rules: Relabel[]): boolean {
  const taxonomy = new Set<string>(TAXONOMY_LABELS);
  return rules.every((r) => {
    if (r.action === "labeldrop" || r.action === "labelkeep" || r.action === "labelmap") return false;
    return !(r.target_label && taxonomy.has(r.target_label));
  });
}

export interface CollectionScrapeArgs {
  /** Target ConfigMap name per kind, and whether it may be missing (generator mode). */
  readonly targetConfigMaps: Record<TargetKind, string>;
  /** True in generator mode: the target ConfigMaps may not exist yet. */
  readonly targetsOptional: boolean;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** The Helm release that installs the monitoring.coreos.com CRDs. */
  readonly crdsReady: pulumi.Resource[];
}

/** The http_sd server, its ingress allowance from Prometheus, the ScrapeConfigs and gnmic's ServiceMonitor. */
export class CollectionScrape extends pulumi.ComponentResource {
  public readonly jobNames: string[];

  constructor(name: string, args: CollectionScrapeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:Scrape", name, {}, opts);
    const ns = NAMESPACES.collection.name;
    const labels = commonLabels(TARGETS_SD_NAME);
    const selector = { "app.kubernetes.io/name": TARGETS_SD_NAME };
    const child = { parent: this, dependsOn: args.dependsOn };
    const cr = { parent: this, dependsOn: [...args.dependsOn, ...args.crdsReady] };
    const docroot = "/usr/share/nginx/html";
    const kinds: TargetKind[] = ["snmp", "blackbox", "prometheus"];
    const nginxConf = new k8s.core.v1.ConfigMap(
      `${name}-sd-nginx`,
      { metadata: { name: `${TARGETS_SD_NAME}-nginx`, namespace: ns, labels }, data: { "default.conf": renderSdNginxConfig() } },
      child,
    );

    new k8s.apps.v1.Deployment(
      `${name}-sd`,
      {
        metadata: { name: TARGETS_SD_NAME, namespace: ns, labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...labels, ...selector }, annotations: { "helios.io/config-sha": sha(renderSdNginxConfig()) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPod({ user: 101 }),
              containers: [
                {
                  name: "nginx",
                  image: imageRef(IMAGES.targetsSd),
                  ports: [{ name: "http", containerPort: TARGETS_SD_PORT }],
                  resources: FIXED_RESOURCES.targetsSd,
                  readinessProbe: { tcpSocket: { port: "http" } },
                  securityContext: RESTRICTED_CONTAINER,
                  // Each ConfigMap is a directory (never subPath), so the kubelet's in-place
                  // updates are served without a restart. URL: /<configmap>/<key>.
                  volumeMounts: [
                    ...kinds.map((k) => ({ name: k, mountPath: `${docroot}/${args.targetConfigMaps[k]}`, readOnly: true })),
                    { name: "nginx-conf", mountPath: "/etc/nginx/conf.d", readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                ...kinds.map((k) => ({
                  name: k,
                  projected: {
                    sources: targetSources(args.targetConfigMaps[k], args.targetsOptional).map((cm) => ({ configMap: { name: cm, optional: args.targetsOptional } })),
                  },
                })),
                { name: "nginx-conf", configMap: { name: nginxConf.metadata.name } },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      `${name}-sd-service`,
      { metadata: { name: TARGETS_SD_NAME, namespace: ns, labels }, spec: { selector, ports: [{ name: "http", port: TARGETS_SD_PORT, targetPort: "http" }] } },
      child,
    );
    // Ingress is default-deny (network-baseline.ts); Prometheus in helios-storage reads the SD files.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-sd-from-storage`,
      {
        metadata: { name: "targets-sd-from-storage", namespace: ns, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.storage.name } } }],
              ports: [{ port: TARGETS_SD_PORT, protocol: "TCP" }],
            },
          ],
        },
      },
      child,
    );

    const base = `http://${TARGETS_SD_NAME}.${ns}.svc:${TARGETS_SD_PORT}`;
    const jobs = scrapeJobs();
    const urls = (job: ScrapeJob) => {
      const n = args.targetsOptional ? MAX_TARGET_PARTS : 1;
      return Array.from({ length: n }, (_, i) => sdUrl(base, args.targetConfigMaps[job.targets.kind], partKey(job.targets.key, i)));
    };
    for (const job of jobs) {
      new k8s.apiextensions.CustomResource(
        `${name}-${job.jobName}`,
        {
          apiVersion: "monitoring.coreos.com/v1alpha1",
          kind: "ScrapeConfig",
          metadata: { name: `helios-${job.jobName}`, namespace: ns, labels: { ...commonLabels("collection"), "helios.io/job": job.jobName } },
          spec: toScrapeConfigSpec(job, urls(job)),
        },
        cr,
      );
    }
    new k8s.apiextensions.CustomResource(
      `${name}-gnmic`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "helios-gnmic", namespace: ns, labels: { ...commonLabels("collection"), "helios.io/job": "gnmic" } },
        spec: {
          selector: { matchLabels: { "helios.io/scrape": "gnmic" } },
          namespaceSelector: { matchNames: [ns] },
          endpoints: [
            {
              port: "prom-output",
              path: "/metrics",
              interval: "30s",
              // gnmic's series carry the taxonomy labels from the targets' event-tags; they win
              // over any same-named target label.
              honorLabels: true,
              relabelings: [{ targetLabel: "job", replacement: GNMIC_NAME, action: "replace" }],
            },
          ],
        },
      },
      cr,
    );
    this.jobNames = [GNMIC_NAME, ...jobs.map((j) => j.jobName)];
    this.registerOutputs({ jobs: this.jobNames });
  }
}
