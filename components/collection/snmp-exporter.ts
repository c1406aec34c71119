/**
 * snmp_exporter: its config (rendered from config/snmp/), Deployment, Service and auth Secret.
 *
 * The config is two files, like snmp_exporter's own split: the modules (config/snmp/modules/*.yml,
 * written in snmp_exporter's generated-config format) go to a ConfigMap, the auths
 * (config/snmp/auths.yml with ${VAR} placeholders filled from stack secrets) go to a Secret.
 * snmp_exporter reads both with two --config.file flags (directory mounts, no subPath).
 */
import { credentialRef, deviceSecret, SecretStoreConfig } from "../secret-store";
import { heliosWarn } from "../diagnostics";
import { ConfigError } from "../errors";
import { createHash } from "crypto";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { commonLabels } from "../labels";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { CONFIG_DIR, isObject, listFiles, OID, readYamlObject } from "./content";

export const SNMP_EXPORTER_PORT = 9116;
export const SNMP_DIR = path.join(CONFIG_DIR, "snmp");
/** The IF-MIB base module every SNMP scrape includes (scrape.ts prepends it to the target's module). */
export const SNMP_BASE_MODULE = "if_mib";

const METRIC_TYPES = new Set([
  "gauge", "counter", "OctetString", "DisplayString", "PhysAddress48", "InetAddress", "InetAddressIPv4", "InetAddressIPv6",
  "IpAddr", "EnumAsInfo", "EnumAsStateSet", "Bits", "DateAndTime", "ParseDateAndTime", "NTPTimeStamp", "Float", "Double", "Counter64",
]);

/** snmp_exporter modules by name, validated. */
export function loadSnmpModules(dir = path.join(SNMP_DIR, "modules")): Record<string, Record<string, unknown>> {
  const modules: Record<string, Record<string, unknown>> = {};
  const origin: Record<string, string> = {};
  for (const file of listFiles(dir, [".yml", ".yaml"])) {
    const doc = readYamlObject(file);
    const extra = Object.keys(doc).filter((k) => k !== "modules");
    if (extra.length) throw new ConfigError(`${file}: only a top-level "modules" key is allowed, found ${extra.join(", ")}`);
    if (!isObject(doc.modules)) throw new ConfigError(`${file}: "modules" must be a mapping of module name to module`);
    for (const [name, module] of Object.entries(doc.modules)) {
      if (origin[name]) throw new ConfigError(`${file}: module "${name}" is already defined in ${origin[name]}`);
      validateModule(file, name, module);
      modules[name] = module as Record<string, unknown>;
      origin[name] = file;
    }
  }
  if (!modules[SNMP_BASE_MODULE]) throw new ConfigError(`${dir}: the base module "${SNMP_BASE_MODULE}" is missing`);
  return modules;
}

function validateModule(file: string, name: string, module: unknown): void {
  const where = `${file}: module "${name}"`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new ConfigError(`${where}: name must be lowercase letters, digits and '_'`);
  if (!isObject(module)) throw new ConfigError(`${where}: must be a mapping`);
  const walk = (module.walk ?? []) as unknown[];
  const get = (module.get ?? []) as unknown[];
  for (const [key, list] of [["walk", walk], ["get", get]] as const) {
    if (!Array.isArray(list) || list.some((o) => typeof o !== "string" || !OID.test(o))) {
      throw new ConfigError(`${where}: "${key}" must be a list of numeric OIDs`);
    }
  }
  if (!Array.isArray(module.metrics) || module.metrics.length === 0) throw new ConfigError(`${where}: needs a non-empty "metrics" list`);
  const fetched = [...walk, ...get] as string[];
  const covered = (oid: string) => fetched.some((f) => oid === f || oid.startsWith(`${f}.`) || f.startsWith(`${oid}.`));
  for (const m of module.metrics as unknown[]) {
    if (!isObject(m) || typeof m.name !== "string" || typeof m.oid !== "string" || typeof m.type !== "string") {
      throw new ConfigError(`${where}: every metric needs name, oid and type`);
    }
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name)) throw new ConfigError(`${where}: metric name "${m.name}" is not a Prometheus metric name`);
    if (!OID.test(m.oid)) throw new ConfigError(`${where}: metric ${m.name} has a non-numeric oid "${m.oid}"`);
    if (!METRIC_TYPES.has(m.type)) throw new ConfigError(`${where}: metric ${m.name} has unknown type "${m.type}"`);
    if (!covered(m.oid)) throw new ConfigError(`${where}: metric ${m.name} (${m.oid}) is in neither walk nor get`);
    for (const l of (m.lookups ?? []) as { oid?: string; labelname?: string }[]) {
      if (typeof l.oid !== "string" || !covered(l.oid)) {
        throw new ConfigError(`${where}: lookup ${l.labelname} of ${m.name} (${l.oid}) is in neither walk nor get`);
      }
    }
  }
}

/** Values substituted into config/snmp/auths.yml's ${VAR} placeholders. */
export interface SnmpAuthValues {
  SNMP_COMMUNITY: string;
  SNMP_USERNAME: string;
  SNMP_AUTH_PASSWORD: string;
  SNMP_PRIV_PASSWORD: string;
}

/**
 * auths.yml with its placeholders filled; throws on an unknown placeholder. A profile whose secret is
 * not set (an empty value) is left out, and named in `omitted`: snmp_exporter refuses to start on a
 * v3 profile without its passwords, which would take every SNMP scrape down with it.
 */
export function renderSnmpAuthsWithOmissions(values: SnmpAuthValues, file = path.join(SNMP_DIR, "auths.yml")): { text: string; omitted: string[] } {
  const doc = readYamlObject(file);
  if (!isObject(doc.auths) || !Object.keys(doc.auths).length) throw new ConfigError(`${file}: needs a non-empty "auths" mapping`);
  let empty = false;
  const fill = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
        if (!(name in values)) throw new ConfigError(`${file}: unknown placeholder \${${name}}`);
        const value = values[name as keyof SnmpAuthValues];
        if (value === "") empty = true;
        return value;
      });
    }
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const auths: Record<string, unknown> = {};
  const omitted: string[] = [];
  for (const [profile, spec] of Object.entries(doc.auths)) {
    empty = false;
    const filled = fill(spec);
    if (empty) omitted.push(profile);
    else auths[profile] = filled;
  }
  return { text: YAML.stringify({ auths }), omitted };
}

/** auths.yml with its placeholders filled (profiles with unset secrets left out). */
export function renderSnmpAuths(values: SnmpAuthValues, file = path.join(SNMP_DIR, "auths.yml")): string {
  return renderSnmpAuthsWithOmissions(values, file).text;
}

/** The modules file snmp_exporter reads. */
export function renderSnmpModules(dir?: string): string {
  return YAML.stringify({ modules: loadSnmpModules(dir) }, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** One combined snmp.yml (auths + modules), as `snmp_exporter --dry-run` checks it. */
export function renderSnmpConfig(values: SnmpAuthValues, dir?: string): string {
  const auths = YAML.parse(renderSnmpAuths(values));
  return YAML.stringify({ ...auths, modules: loadSnmpModules(dir) }, { aliasDuplicateObjects: false, lineWidth: 0 });
}

export interface SnmpExporterArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Secret auth values (community, v3 user and passwords). */
  readonly auth: pulumi.Input<SnmpAuthValues>;
  /** helios:snmpUsername: the v3 user, not a secret. */
  readonly username: string;
  /** helios:secretStore: the auth values from Pulumi config or from the external store. */
  readonly store: SecretStoreConfig;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const SNMP_EXPORTER_NAME = "snmp-exporter";
/** The Secret holding auths.yml (made by Pulumi or by External Secrets). */
export const SNMP_AUTH_SECRET = "snmp-exporter-auth";

/** snmp_exporter Deployment (replicas from the tier), its config, auth Secret and Service. */
export class SnmpExporter extends pulumi.ComponentResource {
  public readonly serviceName = SNMP_EXPORTER_NAME;

  constructor(name: string, args: SnmpExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:SnmpExporter", name, {}, opts);
    const ns = NAMESPACES.collection.name;
    const labels = commonLabels(SNMP_EXPORTER_NAME);
    const selector = { "app.kubernetes.io/name": SNMP_EXPORTER_NAME };
    const modulesText = renderSnmpModules();
    const modules = new k8s.core.v1.ConfigMap(
      `${name}-modules`,
      { metadata: { name: "snmp-exporter-modules", namespace: ns, labels }, data: { "modules.yml": modulesText } },
      { parent: this, dependsOn: args.dependsOn },
    );
    const authText = args.store.type !== "pulumi" ? "" : pulumi.secret(
      pulumi.output(args.auth).apply((v) => {
        const { text, omitted } = renderSnmpAuthsWithOmissions(v);
        for (const profile of omitted) {
          heliosWarn(`snmp_exporter auth ${profile} left out: its secrets (helios:snmpAuthPassword, helios:snmpPrivPassword) are not set; targets labelled auth=${profile} will fail to scrape`, this);
        }
        return text;
      }),
    );
    // Under an External Secrets store, ESO renders auths.yml from the store's snmp entry; every
    // profile is kept (a missing property shows as an unsynced ExternalSecret, see check-secrets).
    const esoAuths = renderSnmpAuths({
      SNMP_COMMUNITY: credentialRef("snmp", "community"),
      SNMP_USERNAME: args.username,
      SNMP_AUTH_PASSWORD: credentialRef("snmp", "authPassword"),
      SNMP_PRIV_PASSWORD: credentialRef("snmp", "privPassword"),
    });
    const auth = deviceSecret(
      `${name}-auth`,
      {
        store: args.store,
        metadata: { name: SNMP_AUTH_SECRET, namespace: ns, labels },
        values: { "auths.yml": authText },
        template: { "auths.yml": esoAuths },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: SNMP_EXPORTER_NAME, namespace: ns, labels },
        spec: {
          replicas: args.tier.snmpExporter.replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels: { ...labels, ...selector },
              // snmp_exporter reads its files only at start (or on /-/reload): roll the pods when the
              // modules change. Not hashed: the auth Secret (a hash of a weak community could be
              // brute-forced); after a credential change run `kubectl rollout restart`.
              annotations: { "helios.io/modules-sha": sha(modulesText) },
            },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPod({ user: 65534 }),
              containers: [
                {
                  name: "snmp-exporter",
                  image: imageRef(IMAGES.snmpExporter),
                  args: [
                    "--config.file=/etc/snmp_exporter/modules/modules.yml",
                    "--config.file=/etc/snmp_exporter/auth/auths.yml",
                    `--web.listen-address=:${SNMP_EXPORTER_PORT}`,
                  ],
                  ports: [{ name: "http", containerPort: SNMP_EXPORTER_PORT }],
                  resources: args.tier.snmpExporter.resources,
                  readinessProbe: { httpGet: { path: "/", port: "http" } },
                  livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 30 },
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [
                    { name: "modules", mountPath: "/etc/snmp_exporter/modules", readOnly: true },
                    { name: "auth", mountPath: "/etc/snmp_exporter/auth", readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "modules", configMap: { name: modules.metadata.name } },
                { name: "auth", secret: { secretName: SNMP_AUTH_SECRET } },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [...args.dependsOn, auth] },
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: SNMP_EXPORTER_NAME, namespace: ns, labels },
        spec: { selector, ports: [{ name: "http", port: SNMP_EXPORTER_PORT, targetPort: "http" }] },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ service: SNMP_EXPORTER_NAME });
  }
}

/** Short content hash for pod-template annotations, so config changes roll the pods. */
export function sha(...texts: string[]): string {
  const h = createHash("sha256");
  for (const t of texts) h.update(t).update("\0");
  return h.digest("hex").slice(0, 16);
}
