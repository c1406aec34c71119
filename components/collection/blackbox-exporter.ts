/**
 * blackbox_exporter: config from config/blackbox/blackbox.yml (modules icmp, tcp_connect,
 * http_2xx, dns_udp), Deployment (replicas from the tier) and Service.
 */
import * as path from "path";
import { ConfigError } from "../errors";
import * as k8s from "@pulumi/kubernetes";
import { PROBE_KINDS, ProbeKind } from "../../services/target-generator/src/contract";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { commonLabels } from "../labels";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { CONFIG_DIR, isObject, readYamlObject } from "./content";
import { sha } from "./snmp-exporter";

export const BLACKBOX_PORT = 9115;
export const BLACKBOX_FILE = path.join(CONFIG_DIR, "blackbox", "blackbox.yml");

/** Probe kind (target generator's file and `module` label) -> blackbox module and its prober. */
export const PROBE_MODULES = {
  icmp: { module: "icmp", prober: "icmp" },
  tcp: { module: "tcp_connect", prober: "tcp" },
  http: { module: "http_2xx", prober: "http" },
  dns: { module: "dns_udp", prober: "dns" },
} as const satisfies Record<ProbeKind, { module: string; prober: string }>;
// The probe kinds are the target generator's (one file_sd file each); a module per kind is checked above.
export { PROBE_KINDS };
export type { ProbeKind };

/** The blackbox config, checked to define every module the probe kinds use with the right prober. */
export function renderBlackboxConfig(file = BLACKBOX_FILE): string {
  const doc = readYamlObject(file);
  if (!isObject(doc.modules)) throw new ConfigError(`${file}: needs a "modules" mapping`);
  for (const kind of PROBE_KINDS) {
    const { module, prober } = PROBE_MODULES[kind];
    const m = doc.modules[module];
    if (!isObject(m)) throw new ConfigError(`${file}: module "${module}" (probe kind ${kind}) is missing`);
    if (m.prober !== prober) throw new ConfigError(`${file}: module "${module}" must use prober "${prober}", not ${JSON.stringify(m.prober)}`);
  }
  return YAML.stringify(doc, { lineWidth: 0 });
}

export interface BlackboxExporterArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const BLACKBOX_NAME = "blackbox-exporter";

export class BlackboxExporter extends pulumi.ComponentResource {
  public readonly serviceName = BLACKBOX_NAME;

  constructor(name: string, args: BlackboxExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:BlackboxExporter", name, {}, opts);
    const ns = NAMESPACES.collection.name;
    const labels = commonLabels(BLACKBOX_NAME);
    const selector = { "app.kubernetes.io/name": BLACKBOX_NAME };
    const text = renderBlackboxConfig();
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: "blackbox-exporter-config", namespace: ns, labels }, data: { "blackbox.yml": text } },
      { parent: this, dependsOn: args.dependsOn },
    );
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: BLACKBOX_NAME, namespace: ns, labels },
        spec: {
          replicas: args.tier.blackboxExporter.replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...labels, ...selector }, annotations: { "helios.io/config-sha": sha(text) } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: {
                ...restrictedPod({ user: 65534 }),
                // Unprivileged ICMP echo sockets instead of NET_RAW (a "safe" sysctl; the
                // namespace enforces the baseline Pod Security level for this).
                sysctls: [{ name: "net.ipv4.ping_group_range", value: "0 2147483647" }],
              },
              containers: [
                {
                  name: "blackbox-exporter",
                  image: imageRef(IMAGES.blackboxExporter),
                  args: ["--config.file=/etc/blackbox_exporter/blackbox.yml", `--web.listen-address=:${BLACKBOX_PORT}`],
                  ports: [{ name: "http", containerPort: BLACKBOX_PORT }],
                  resources: args.tier.blackboxExporter.resources,
                  readinessProbe: { httpGet: { path: "/-/healthy", port: "http" } },
                  livenessProbe: { httpGet: { path: "/-/healthy", port: "http" }, periodSeconds: 30 },
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [{ name: "config", mountPath: "/etc/blackbox_exporter", readOnly: true }],
                },
              ],
              volumes: [{ name: "config", configMap: { name: config.metadata.name } }],
            },
          },
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: BLACKBOX_NAME, namespace: ns, labels },
        spec: { selector, ports: [{ name: "http", port: BLACKBOX_PORT, targetPort: "http" }] },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ service: BLACKBOX_NAME });
  }
}
