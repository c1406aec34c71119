/**
 * gnmic: config rendered from config/gnmic/ (base + subscriptions/ + processors.yaml), and a
 * clustered StatefulSet: Kubernetes (Lease) locker, targets from a ConfigMap mounted as a
 * directory and re-read by gnmic's file loader, Prometheus output on 9804, HPA from the tier.
 *
 * Clustering facts (gnmic k8s locker, checked in the v0.26.0 and v0.42.0 sources):
 * locks are Leases in the locker's namespace (labelled app=gnmic); the leader finds members
 * through the Service named `<cluster-name>-gnmic-api` (its first port): v0.26 lists the pods
 * its selector matches, v0.42 watches its Endpoints; each member's instance name must be its
 * pod name.
 */
import { credentialRef, deviceSecret, SecretStoreConfig } from "../secret-store";
import * as path from "path";
import { ConfigError } from "../errors";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { commonLabels } from "../labels";
import { cpuHpa, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { NAMESPACES } from "../namespaces";
import { FIXED_RESOURCES, TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { CONFIG_DIR, isObject, listFiles, readYamlObject } from "./content";
import { sha } from "./snmp-exporter";

export const GNMIC_DIR = path.join(CONFIG_DIR, "gnmic");
export const GNMIC_PROM_PORT = 9804;
export const GNMIC_API_PORT = 7890;
export const GNMIC_NAME = "gnmic";
/** gnmic's clustering.cluster-name in config/gnmic/gnmic.yaml. */
export const GNMIC_CLUSTER_NAME = "helios";
/** The Service the k8s locker watches: `<cluster-name>-gnmic-api`. */
export const GNMIC_API_SERVICE = `${GNMIC_CLUSTER_NAME}-gnmic-api`;
/** Subscription names the target generator's telemetry profiles refer to. */
export const GNMIC_SUBSCRIPTIONS = ["interfaces", "system", "bgp"] as const;

/** Where the target ConfigMaps are mounted (one directory, every part) and the merged file gnmic reads. */
export const GNMIC_TARGETS_DIR = "/etc/gnmic/targets";
export const GNMIC_MERGED_TARGETS = "/var/run/gnmic/targets/targets.yaml";

/**
 * Shell loop run beside gnmic: gnmic's file loader reads one file, the target generator may
 * split targets over `targets.yaml`, `targets-1.yaml`, ... (one YAML mapping each; an empty
 * inventory is `{}`). Concatenating the non-empty parts gives one mapping; it is replaced
 * atomically, and only when it changed. ONCE=1 runs one pass (init container, tests).
 */
export const GNMIC_TARGETS_MERGE_SCRIPT = `set -u
src="\${SRC:-${GNMIC_TARGETS_DIR}}"
out="\${OUT:-${GNMIC_MERGED_TARGETS}}"
while :; do
  tmp="$out.tmp"
  : > "$tmp"
  for f in "$src"/*.yaml "$src"/*.yml; do
    [ -f "$f" ] || continue
    [ "$(tr -d ' \\n' < "$f")" = "{}" ] && continue
    cat "$f" >> "$tmp"
    [ -z "$(tail -c 1 "$f")" ] || echo >> "$tmp"
  done
  [ -s "$tmp" ] || echo '{}' > "$tmp"
  if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
  [ "\${ONCE:-0}" = 1 ] && exit 0
  sleep 10
done
`;

/** Where the rendered config points gnmic at. */
export interface GnmicRenderOptions {
  /** Targets file the file loader re-reads (inside the targets directory mount). */
  targetsFile: string;
  /** Kubernetes locker namespace; undefined renders a single instance without clustering (tests). */
  clusterNamespace?: string;
  /** Prometheus output listen address (default ":9804"). */
  promListen?: string;
  /** REST API listen address (default ":7890"; the cluster leader assigns targets through it). */
  apiListen?: string;
  /** Loader re-read interval (default from gnmic.yaml). */
  loaderInterval?: string;
  tls: { caFile?: string; skipVerify: boolean };
}

const SUBSCRIPTION_MODES = new Set(["stream", "once", "poll"]);
const STREAM_MODES = new Set(["sample", "on-change", "target-defined"]);

/** Subscriptions from config/gnmic/subscriptions/*.yaml, validated. */
export function loadGnmicSubscriptions(dir = path.join(GNMIC_DIR, "subscriptions")): Record<string, Record<string, unknown>> {
  const subs: Record<string, Record<string, unknown>> = {};
  for (const file of listFiles(dir, [".yaml", ".yml"])) {
    for (const [name, sub] of Object.entries(readYamlObject(file))) {
      const where = `${file}: subscription "${name}"`;
      if (subs[name]) throw new ConfigError(`${where} is defined twice`);
      if (!isObject(sub)) throw new ConfigError(`${where} must be a mapping`);
      if (!Array.isArray(sub.paths) || !sub.paths.length || sub.paths.some((p) => typeof p !== "string" || !p.startsWith("/"))) {
        throw new ConfigError(`${where}: "paths" must be a non-empty list of absolute gNMI paths`);
      }
      if (!SUBSCRIPTION_MODES.has(String(sub.mode))) throw new ConfigError(`${where}: mode must be one of ${[...SUBSCRIPTION_MODES].join(", ")}`);
      if (sub.mode === "stream" && !STREAM_MODES.has(String(sub["stream-mode"]))) {
        throw new ConfigError(`${where}: stream-mode must be one of ${[...STREAM_MODES].join(", ")}`);
      }
      if (sub["stream-mode"] === "sample" && !/^[0-9]+(ms|s|m)$/.test(String(sub["sample-interval"]))) {
        throw new ConfigError(`${where}: sample subscriptions need a sample-interval such as 30s`);
      }
      subs[name] = sub;
    }
  }
  for (const needed of GNMIC_SUBSCRIPTIONS) {
    if (!subs[needed]) throw new ConfigError(`${dir}: subscription "${needed}" is missing (the target generator's profiles use it)`);
  }
  return subs;
}

/** Renders the gnmic config file. Throws on bad content (unknown processors, missing parts). */
export function renderGnmicConfig(opts: GnmicRenderOptions, dir = GNMIC_DIR): string {
  const base = readYamlObject(path.join(dir, "gnmic.yaml"));
  const processorsFile = path.join(dir, "processors.yaml");
  const processors = readYamlObject(processorsFile).processors;
  if (!isObject(processors)) throw new ConfigError(`${processorsFile}: needs a "processors" mapping`);
  const outputs = base.outputs;
  if (!isObject(outputs) || !isObject(outputs.prometheus)) throw new ConfigError(`${dir}/gnmic.yaml: needs outputs.prometheus`);
  for (const [outName, out] of Object.entries(outputs)) {
    for (const p of ((out as Record<string, unknown>)["event-processors"] ?? []) as string[]) {
      if (!processors[p]) throw new ConfigError(`${dir}/gnmic.yaml: output ${outName} uses processor "${p}", not defined in ${processorsFile}`);
    }
  }
  const config: Record<string, unknown> = { ...base };
  config.subscriptions = loadGnmicSubscriptions(path.join(dir, "subscriptions"));
  config.processors = processors;
  config.loader = { ...(base.loader as object), path: opts.targetsFile, ...(opts.loaderInterval ? { interval: opts.loaderInterval } : {}) };
  config["api-server"] = { ...(base["api-server"] as object), address: opts.apiListen ?? `:${GNMIC_API_PORT}` };
  config.outputs = { ...outputs, prometheus: { ...outputs.prometheus, listen: opts.promListen ?? `:${GNMIC_PROM_PORT}` } };
  if (opts.clusterNamespace) {
    const clustering = base.clustering as Record<string, unknown>;
    if (clustering["cluster-name"] !== GNMIC_CLUSTER_NAME) {
      throw new ConfigError(`${dir}/gnmic.yaml: clustering.cluster-name must be "${GNMIC_CLUSTER_NAME}" (the API Service is named after it)`);
    }
    config.clustering = { ...clustering, locker: { ...(clustering.locker as object), namespace: opts.clusterNamespace } };
  } else {
    delete config.clustering;
  }
  if (opts.tls.skipVerify) config["skip-verify"] = true;
  if (opts.tls.caFile) config["tls-ca"] = opts.tls.caFile;
  return YAML.stringify(config, { lineWidth: 0 });
}

export interface GnmicArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** ConfigMaps holding `targets*.yaml` (the target generator's base and overflow ones, or the static one). */
  readonly targetsConfigMaps: string[];
  /** True when the targets ConfigMap may not exist yet (the generator creates it). */
  readonly targetsOptional: boolean;
  /** gNMI username gnmic logs in to devices with. */
  readonly username: string;
  /** gNMI password, a Pulumi secret output. */
  readonly password: pulumi.Input<string>;
  /** helios:secretStore: the password from Pulumi config or from the external store. */
  readonly store: SecretStoreConfig;
  /** PEM CA bundle for device certificates; absent = system roots. */
  readonly tlsCa?: pulumi.Input<string>;
  /** Skip verifying device certificates (labs only). */
  readonly tlsSkipVerify: boolean;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** The Helm release that installs the monitoring.coreos.com CRDs. */
  readonly crdsReady: pulumi.Resource[];
}

/** The Secret gnmic reads GNMIC_USERNAME/GNMIC_PASSWORD from (made by Pulumi or by External Secrets). */
export const GNMIC_CREDENTIALS_SECRET = "gnmic-credentials";

export class Gnmic extends pulumi.ComponentResource {
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: GnmicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:Gnmic", name, {}, opts);
    const ns = NAMESPACES.collection.name;
    const labels = commonLabels(GNMIC_NAME);
    // The k8s locker lists its Leases with the label app=gnmic.
    const selector = { "app.kubernetes.io/name": GNMIC_NAME, app: "gnmic" };
    const child = { parent: this, dependsOn: args.dependsOn };

    const text = renderGnmicConfig({
      targetsFile: GNMIC_MERGED_TARGETS,
      clusterNamespace: ns,
      tls: { caFile: args.tlsCa ? "/etc/gnmic/tls/ca.crt" : undefined, skipVerify: args.tlsSkipVerify },
    });
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { name: "gnmic-config", namespace: ns, labels }, data: { "gnmic.yaml": text } }, child);
    const credentials = deviceSecret(
      `${name}-credentials`,
      {
        store: args.store,
        metadata: { name: GNMIC_CREDENTIALS_SECRET, namespace: ns, labels },
        values: { GNMIC_USERNAME: args.username, GNMIC_PASSWORD: args.password },
        template: { GNMIC_USERNAME: args.username, GNMIC_PASSWORD: credentialRef("gnmi", "password") },
      },
      child,
    );
    const tls = args.tlsCa
      ? new k8s.core.v1.Secret(`${name}-tls`, { metadata: { name: "gnmic-tls", namespace: ns, labels }, stringData: { "ca.crt": args.tlsCa } }, child)
      : undefined;

    const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: GNMIC_NAME, namespace: ns, labels } }, child);
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      {
        metadata: { name: GNMIC_NAME, namespace: ns, labels },
        rules: [
          { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
          { apiGroups: [""], resources: ["services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
        ],
      },
      child,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata: { name: GNMIC_NAME, namespace: ns, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
      },
      child,
    );

    // Headless Service for the StatefulSet, the API Service the locker watches (first port = API),
    // and the metrics Service the ServiceMonitor selects.
    new k8s.core.v1.Service(
      `${name}-headless`,
      { metadata: { name: `${GNMIC_NAME}-headless`, namespace: ns, labels }, spec: { clusterIP: "None", selector, ports: [{ name: "api", port: GNMIC_API_PORT }] } },
      child,
    );
    new k8s.core.v1.Service(
      `${name}-api`,
      { metadata: { name: GNMIC_API_SERVICE, namespace: ns, labels }, spec: { selector, ports: [{ name: "api", port: GNMIC_API_PORT, targetPort: "api" }] } },
      child,
    );
    const metricsLabels = { ...labels, "helios.io/scrape": "gnmic" };
    new k8s.core.v1.Service(
      `${name}-metrics`,
      { metadata: { name: GNMIC_NAME, namespace: ns, labels: metricsLabels }, spec: { selector, ports: [{ name: "prom-output", port: GNMIC_PROM_PORT, targetPort: "prom-output" }] } },
      child,
    );

    const volumes: k8s.types.input.core.v1.Volume[] = [
      { name: "config", configMap: { name: config.metadata.name } },
      { name: "targets", projected: { sources: args.targetsConfigMaps.map((cm) => ({ configMap: { name: cm, optional: args.targetsOptional } })) } },
      { name: "targets-merged", emptyDir: {} },
    ];
    const mounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: "config", mountPath: "/etc/gnmic/config", readOnly: true },
      { name: "targets-merged", mountPath: path.dirname(GNMIC_MERGED_TARGETS), readOnly: true },
    ];
    const merger = (name: string, once: boolean): k8s.types.input.core.v1.Container => ({
      name,
      // The gnmic image is Alpine-based and has /bin/sh.
      image: imageRef(IMAGES.gnmic),
      command: ["/bin/sh", "-c", GNMIC_TARGETS_MERGE_SCRIPT],
      env: once ? [{ name: "ONCE", value: "1" }] : [],
      resources: FIXED_RESOURCES.gnmicTargetsMerge,
      securityContext: RESTRICTED_CONTAINER,
      volumeMounts: [
        { name: "targets", mountPath: GNMIC_TARGETS_DIR, readOnly: true },
        { name: "targets-merged", mountPath: path.dirname(GNMIC_MERGED_TARGETS) },
      ],
    });
    if (tls) {
      volumes.push({ name: "tls", secret: { secretName: tls.metadata.name } });
      mounts.push({ name: "tls", mountPath: "/etc/gnmic/tls", readOnly: true });
    }

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: GNMIC_NAME, namespace: ns, labels },
        spec: {
          serviceName: `${GNMIC_NAME}-headless`,
          replicas: args.tier.gnmic.hpa.min,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...labels, ...selector }, annotations: { "helios.io/config-sha": sha(text) } },
            spec: {
              serviceAccountName: sa.metadata.name,
              securityContext: restrictedPod({ user: 1000 }),
              initContainers: [merger("targets-merge-init", true)],
              containers: [
                merger("targets-merge", false),
                {
                  name: "gnmic",
                  image: imageRef(IMAGES.gnmic),
                  args: ["--config", "/etc/gnmic/config/gnmic.yaml", "subscribe"],
                  env: [
                    { name: "GNMIC_CLUSTERING_INSTANCE_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  ],
                  envFrom: [{ secretRef: { name: GNMIC_CREDENTIALS_SECRET } }],
                  ports: [
                    { name: "prom-output", containerPort: GNMIC_PROM_PORT },
                    { name: "api", containerPort: GNMIC_API_PORT },
                  ],
                  resources: args.tier.gnmic.resources,
                  readinessProbe: { tcpSocket: { port: "api" } },
                  livenessProbe: { tcpSocket: { port: "api" }, periodSeconds: 30 },
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: mounts,
                },
              ],
              volumes,
            },
          },
        },
      },
      // The HPA owns the replica count after creation.
      { ...child, dependsOn: [...args.dependsOn, credentials], ignoreChanges: ["spec.replicas"] },
    );

    cpuHpa(`${name}-hpa`, { name: GNMIC_NAME, namespace: ns, labels, kind: "StatefulSet", target: this.statefulSet.metadata.name, range: args.tier.gnmic.hpa }, child);
    this.registerOutputs({ statefulSet: GNMIC_NAME, apiService: GNMIC_API_SERVICE });
  }
}
