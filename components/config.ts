/**
 * Typed stack config: every `helios:*` key is declared, parsed and validated here, once.
 * index.ts calls `loadHeliosConfig()`; components receive the typed result and never read
 * pulumi.Config themselves. A bad value throws before any resource is registered, naming
 * the key, the bad value and what is allowed. Unknown `helios:*` keys are errors too.
 */
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import { isIP } from "net";
import { z } from "zod";
import { ACCESS_ROLES, DEFAULT_ACCESS_GROUPS } from "./access";
import { isOfflinePlan } from "./diagnostics";
import { DEVICE_SECRET_KEYS, secretStoreSchema } from "./secret-store";
import { TIER_NAMES, TierName } from "./tiers";
import { ConfigError, stackConfigError } from "./errors";
import { parseScriptImages } from "../services/runbook-operator/src/script";

export const STORAGE_TOPOLOGIES = ["single-dc-minio", "multi-dc-minio", "cloud-s3", "hybrid"] as const;
export type StorageTopology = (typeof STORAGE_TOPOLOGIES)[number];
export const ROLES = ["primary", "secondary"] as const;
export type Role = (typeof ROLES)[number];
/** The service images Helios builds (scripts/images/services.ts); helios:imageDigests is keyed by them. */
export const HELIOS_SERVICE_IMAGES = ["flow-enricher", "target-generator", "clickhouse-migrator", "runbook-operator"] as const;
export type HeliosServiceImage = (typeof HELIOS_SERVICE_IMAGES)[number];

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and '-', at most 32 characters");

const cidr = z.string().refine(isCidr, { message: "must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8" });
const duration = z.string().regex(/^[0-9]+(s|m|h|d|w|y)$/, "must be a duration such as 14d, 12h or 30m");
const url = z.string().url("must be an absolute URL such as https://netbox.example.net");

/** Where the email receiver of Alertmanager sends (the password is the secret helios:smtpPassword). */
const emailSchema = z
  .object({
    to: z.string().email(),
    from: z.string().email(),
    smarthost: z.string().regex(/^[^:\s]+:[0-9]+$/, "must be host:port"),
    username: z.string().optional(),
  })
  .strict();

const oidcSchema = z
  .object({
    issuerUrl: url,
    clientId: z.string().min(1),
    /** IdP group claims mapped to Grafana roles (helios-viewer/engineer/admin by default). */
    groupsClaim: z.string().default("groups"),
    /** OAuth endpoints; default to the Keycloak layout under issuerUrl (/protocol/openid-connect/...). */
    authUrl: url.optional(),
    tokenUrl: url.optional(),
    apiUrl: url.optional(),
  })
  .strict();

/** IdP group of each access role (components/access.ts), for Grafana's role mapping and the Kubernetes RoleBindings. */
const groupName = z.string().min(1).regex(/^[^\s'"]+$/, "must be a group name without spaces or quotes");
const accessGroupsSchema = z
  .object({
    admin: groupName.default(DEFAULT_ACCESS_GROUPS.admin),
    operator: groupName.default(DEFAULT_ACCESS_GROUPS.operator),
    viewer: groupName.default(DEFAULT_ACCESS_GROUPS.viewer),
    /** Prefix the clusters' OIDC authenticator puts on groups (kube-apiserver --oidc-groups-prefix). */
    kubernetesGroupPrefix: z.string().default(""),
  })
  .strict()
  .superRefine((g, ctx) => {
    const seen = new Map<string, string>();
    for (const role of ACCESS_ROLES) {
      const other = seen.get(g[role]);
      if (other) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [role], message: `is the same group as ${other}; each role needs its own group` });
      seen.set(g[role], role);
    }
  });

const retentionSchema = z
  .object({ raw: duration.default("14d"), downsampled5m: duration.default("30d"), downsampled1h: duration.default("90d") })
  .strict();

const objectStorageSchema = z
  .object({
    /** Bucket Thanos writes blocks to; defaults to helios-metrics-<datacenter>. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name").optional(),
    /** AWS region for cloud-s3 and the cold tier of hybrid. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, "must be an AWS region such as eu-west-1").optional(),
    /** External S3-compatible endpoint peers use to reach this DC's MinIO (multi-dc-minio). */
    publicEndpoint: url.optional(),
  })
  .strict();


/**
 * Runbook script steps: the container images they may run (each pinned by digest or an exact tag,
 * checked by the operator's own parser so the plan refuses what the operator would) and the TCP
 * ports their pods may open to the management CIDRs (a vendor CLI over SSH: 22).
 */
const runbookScriptsSchema = z
  .object({
    images: z
      .array(z.string().min(1))
      .default([])
      .superRefine((images, ctx) => {
        try {
          parseScriptImages(images.join(","));
        } catch (e) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
        }
      }),
    devicePorts: z.array(z.number().int().min(1).max(65535)).default([22]),
  })
  .strict();

/**
 * Where traffic that enters through the cluster's ingress/gateway comes from, as NetworkPolicy
 * sees it: the ingress controller's namespaces and/or source CIDRs. Empty: anywhere.
 */
const ingressFromSchema = z
  .object({
    namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a Kubernetes namespace name")).default([]),
    cidrs: z.array(cidr).default([]),
  })
  .strict();

/** Sampling rates flow-enricher applies per exporter (services/flow-enricher/src/resolve.ts). */
const samplingRate = z.number().int().min(1, "must be a sampling rate >= 1").max(2 ** 32 - 1);
const flowSamplingRatesSchema = z
  .object({
    default: samplingRate.optional(),
    exporters: z
      .record(
        z.string().refine((a) => isIP(a) !== 0, { message: "must be an exporter IP address" }),
        z.object({ default: samplingRate.optional(), override: samplingRate.optional() }).strict(),
      )
      .default({}),
  })
  .strict();

/** Declaration of one plain (non-secret) key. */
interface PlainKey<T extends z.ZodTypeAny> {
  schema: T;
  /** Structured keys (objects, lists) arrive from Pulumi as JSON text; "or-string": a bare word is allowed too. */
  json?: boolean | "or-string";
  doc: string;
}

function key<T extends z.ZodTypeAny>(schema: T, doc: string, json: boolean | "or-string" = false): PlainKey<T> {
  return { schema, doc, json };
}

/** Every plain key the program reads. docs/configuration.md's table is written from these (npm run docs:config). */
export const PLAIN_KEYS = {
  datacenter: key(dnsLabel, "Datacenter name; the `datacenter` external label and part of resource names."),
  region: key(dnsLabel, "Region this datacenter belongs to (taxonomy label `region`)."),
  role: key(z.enum(ROLES), "primary runs the singleton Thanos compactor and the global query; secondary does not."),
  tier: key(z.enum(TIER_NAMES), "Scale tier: small | medium | large | xl (components/tiers.ts)."),
  storageTopology: key(z.enum(STORAGE_TOPOLOGIES), "Object storage for Thanos: single-dc-minio | multi-dc-minio | cloud-s3 | hybrid."),
  peers: key(z.array(dnsLabel).default([]), "Stack names of the other datacenters to federate with.", true),
  peerStackPrefix: key(
    z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be <organization>/<project>").optional(),
    "Prefix of peer stack references, <organization>/<project>; defaults to this stack's own.",
  ),
  managementCidrs: key(z.array(cidr).min(1, "needs at least one CIDR"), "Device management networks: what collection may reach (gNMI, SNMP, probes) and where flow exporters send from.", true),
  kubeconfig: key(z.string().min(1).optional(), "Path or contents of the kubeconfig for this DC's cluster; defaults to the ambient KUBECONFIG."),
  kubeContext: key(z.string().min(1).optional(), "kubeconfig context of this DC's cluster."),
  imageRegistry: key(z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/, "must be a registry path such as ghcr.io/acme").default("ghcr.io/helios-observability"), "Registry of the Helios service images."),
  imageTag: key(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a valid image tag").default("0.1.0"), "Tag of the Helios service images."),
  imageDigests: key(
    z
      .object(
        Object.fromEntries(HELIOS_SERVICE_IMAGES.map((n) => [n, z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be a digest sha256:<64 hex>").optional()])) as Record<
          HeliosServiceImage,
          z.ZodOptional<z.ZodString>
        >,
      )
      .strict()
      .default({}),
    "Image (index) digest per Helios service, e.g. {flow-enricher: sha256:...}, as `npm run images` writes to out/images/digests.json; a service listed here is deployed by digest (tag@digest).",
    true,
  ),
  netboxUrl: key(url, "NetBox base URL the target generator and flow enricher read."),
  netboxFilters: key(
    z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a NetBox filter name such as site or tag"), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).default({}),
    "Extra NetBox device filters for the target generator, e.g. {site: [dc-a], tag: core} (helios_monitor, active status and a primary IP always apply).",
    true,
  ),
  flowSamplingRates: key(
    flowSamplingRatesSchema.default({}),
    "Sampling rates for flows that carry none: {default, exporters: {<exporter IP>: {default, override}}}; an override wins over what the exporter sends (docs/flows.md).",
    true,
  ),
  maxmindAccountId: key(z.string().regex(/^[0-9]{1,10}$/, "must be a numeric MaxMind account ID").optional(), "MaxMind account ID for GeoIP updates (the license key is the secret helios:maxmindLicenseKey)."),
  alertEmail: key(emailSchema.optional(), "Email receiver for info alerts: {to, from, smarthost, username}.", true),
  accessGroups: key(
    accessGroupsSchema.default({}),
    "IdP groups of the access roles {admin, operator, viewer, kubernetesGroupPrefix}: Grafana's OIDC role mapping (Admin/Editor/Viewer) and the Kubernetes ClusterRoles helios-admin/helios-operator/helios-viewer bound in every Helios namespace; defaults helios-admin, helios-engineer, helios-viewer.",
    true,
  ),
  oidc: key(oidcSchema.optional(), "Grafana OIDC login: {issuerUrl, clientId, groupsClaim}; client secret is helios:oidcClientSecret.", true),
  thanosRetention: key(retentionSchema.default({}), "Thanos compactor retention per resolution: {raw, downsampled5m, downsampled1h}.", true),
  objectStorage: key(objectStorageSchema.default({}), "Object storage details: {bucket, region, publicEndpoint}.", true),
  federationDomain: key(
    z.string().regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a DNS domain such as dc-a.example.net").optional(),
    "DNS domain where peers reach this DC over TLS (thanos-query.<domain>:443, minio.<domain>); defaults to <datacenter>.helios.internal.",
  ),
  ingressFrom: key(
    ingressFromSchema.default({}),
    "Where ingress/gateway traffic comes from, for Grafana's UI and the cross-DC endpoints (Thanos gRPC, MinIO replication): {namespaces: [ingress controller namespaces], cidrs: [...]}; unset: anywhere. Name the controller's namespace where ipBlocks do not match pods (e.g. Cilium).",
    true,
  ),
  collectionTargets: key(
    z.enum(["generator", "static"]).default("generator"),
    "Targets collection reads: generator (the target generator's helios-targets-* ConfigMaps) | static (config/targets/static/).",
  ),
  gnmiUsername: key(z.string().min(1).default("helios"), "Username gnmic logs in to devices with (password: secret helios:gnmiPassword)."),
  gnmiTlsSkipVerify: key(z.boolean().default(false), "Accept any gNMI device certificate (labs only); otherwise verify against helios:gnmiTlsCa or the system roots.", true),
  chartMirror: key(
    z
      .string()
      .min(1)
      .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//.test(v) || /^(oci|https?):\/\//.test(v), "must be oci://…, http(s)://… or a local directory")
      .optional(),
    "Install every Helm chart from this mirror instead of its upstream repository: oci://registry/path, an http(s) Helm repository, or a local directory of <chart>-<version>.tgz archives (air-gapped datacenters).",
  ),
  awaitWorkloads: key(
    z.boolean().default(true),
    "Wait for workloads to become ready and run Helm hooks (default true). false only for clusters that store objects but run no pods (the API-server-only test clusters): objects are created without waiting, Helm hooks are skipped (CRDs a chart installs from a hook must already exist) and admission webhooks that pods would serve are not installed.",
    true,
  ),
  secretStore: key(
    secretStoreSchema,
    'Where device credentials (gNMI, SNMP, NetBox token, MaxMind key) come from: "pulumi" (default: the helios:* secrets) or an External Secrets store {kind: SecretStore|ClusterSecretStore, name, spec?: {provider: ...}, refreshInterval?, remoteKeys: {gnmi, snmp, netbox, maxmind}} (docs/security.md).',
    "or-string",
  ),
  runbookScripts: key(
    runbookScriptsSchema.default({}),
    "Runbook script steps: {images: [pinned images they may run; none: script steps are refused], devicePorts: [TCP ports their pods may open to the management CIDRs, default [22]]} (docs/runbooks.md).",
    true,
  ),
  snmpUsername: key(z.string().min(1).default("helios"), "SNMPv3 user of the helios_v3 snmp_exporter auth (passwords: secrets helios:snmpAuthPassword / helios:snmpPrivPassword)."),
} as const;

/** Secret keys: set with `pulumi config set --secret`, never plain. Value is the doc. */
export const SECRET_KEYS = {
  netboxToken: "NetBox API token (`Token <40 hex>` v1 or `nbt_…` v2).",
  pagerdutyRoutingKey: "PagerDuty Events v2 routing key for critical alerts.",
  slackWebhookUrl: "Slack incoming webhook URL for warning alerts.",
  smtpPassword: "SMTP password for the email receiver.",
  oidcClientSecret: "OIDC client secret for Grafana login.",
  grafanaAdminPassword: "Grafana admin password.",
  grafanaDatabaseUrl: "PostgreSQL URL of Grafana's database (postgres://user:password@host:5432/grafana?sslmode=require); unset: embedded SQLite, one replica.",
  s3AccessKey: "Access key Thanos uses for object storage (cloud-s3 / hybrid cold tier, or a pre-made MinIO user).",
  s3SecretKey: "Secret key matching helios:s3AccessKey.",
  minioRootPassword: "Root password of this DC's MinIO (MinIO topologies).",
  maxmindLicenseKey: "MaxMind license key for GeoIP database updates.",
  gnmiPassword: "Password gnmic logs in to devices with.",
  gnmiTlsCa: "PEM CA bundle gnmic verifies device certificates with (optional).",
  snmpCommunity: "SNMPv2c community of the public_v2 snmp_exporter auth (defaults to `public` when unset).",
  snmpAuthPassword: "SNMPv3 authentication password (SHA256) of the helios_v3 auth.",
  snmpPrivPassword: "SNMPv3 privacy password (AES) of the helios_v3 auth.",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

/** Secrets a real deployment cannot do without (the offline plan uses placeholders). */
export const SECRETS_REQUIRED_TO_DEPLOY: readonly SecretKey[] = ["netboxToken", "maxmindLicenseKey"];
/** Plain keys that may be absent in the offline plan but a real deployment needs. */
export const PLAIN_KEYS_REQUIRED_TO_DEPLOY: readonly (keyof typeof PLAIN_KEYS)[] = ["maxmindAccountId"];

type PlainConfig = { [K in keyof typeof PLAIN_KEYS]: z.output<(typeof PLAIN_KEYS)[K]["schema"]> };

/** A secret input: a Pulumi secret output, or absent. */
export type SecretValue = pulumi.Output<string> | undefined;

export interface HeliosConfig extends PlainConfig {
  tier: TierName;
  /** The Pulumi stack name (e.g. dc-a). */
  stack: string;
  /** Secret inputs by key; absent ones are undefined (or plan placeholders, see `planMode`). */
  secrets: Record<SecretKey, SecretValue>;
  /** True under the offline plan: absent secrets became placeholders instead of errors. */
  planMode: boolean;
}

// Thrown for any invalid stack config (and content file): one type, components/errors.ts.
export { ConfigError };

/** Marks an absent secret in the offline plan; never a usable value. */
export function planPlaceholder(k: SecretKey): string {
  return `PLAN-PLACEHOLDER(helios:${k})`;
}

export interface RawConfigInput {
  /** Full config map as Pulumi hands it over: "helios:tier" -> "medium", objects as JSON text. */
  values: Record<string, string>;
  /** Keys Pulumi marked secret. */
  secretKeys: ReadonlySet<string>;
  stack: string;
  planMode: boolean;
}

const NS = "helios:";

/** Parses and validates the raw config map. Pure; throws ConfigError listing every problem. */
export function parseHeliosConfig(input: RawConfigInput): HeliosConfig {
  const problems: string[] = [];
  const plainNames = Object.keys(PLAIN_KEYS);
  const secretNames = Object.keys(SECRET_KEYS);

  for (const fullKey of Object.keys(input.values).sort()) {
    if (!fullKey.startsWith(NS)) continue;
    const k = fullKey.slice(NS.length);
    if (!plainNames.includes(k) && !secretNames.includes(k)) {
      const hint = closest(k, [...plainNames, ...secretNames]);
      problems.push(`${fullKey}: unknown key${hint ? ` (did you mean helios:${hint}?)` : ""}; allowed keys: ${[...plainNames, ...secretNames].map((n) => NS + n).join(", ")}`);
    }
  }

  const parsed: Record<string, unknown> = {};
  for (const [k, decl] of Object.entries(PLAIN_KEYS) as [string, PlainKey<z.ZodTypeAny>][]) {
    const fullKey = NS + k;
    const raw = input.values[fullKey];
    let value: unknown = raw;
    if (raw !== undefined && decl.json) {
      try {
        value = JSON.parse(raw);
      } catch {
        if (decl.json === "or-string") {
          value = raw;
          const bare = decl.schema.safeParse(value);
          if (bare.success) parsed[k] = bare.data;
          else problems.push(...bare.error.issues.map((issue) => describeIssue(fullKey, value, issue)));
          continue;
        }
        const isBoolean = decl.schema.safeParse(true).success && decl.schema.safeParse(false).success;
        problems.push(
          isBoolean
            ? `${fullKey}: invalid value ${JSON.stringify(raw)}; must be true or false`
            : `${fullKey}: value ${JSON.stringify(raw)} is not a structured value; set it as a YAML list/map in Pulumi.${input.stack}.yaml`,
        );
        continue;
      }
    }
    const result = decl.schema.safeParse(value);
    if (result.success) {
      parsed[k] = result.data;
    } else {
      problems.push(...result.error.issues.map((issue) => describeIssue(fullKey, value, issue)));
    }
  }

  const secrets = {} as Record<SecretKey, SecretValue>;
  const external = (parsed.secretStore as { type?: string } | undefined)?.type === "external-secrets";
  for (const k of secretNames as SecretKey[]) {
    const fullKey = NS + k;
    const raw = input.values[fullKey];
    if (external && (DEVICE_SECRET_KEYS as readonly string[]).includes(k)) {
      // The stack must hold no device credential at all: the store provides it (secret-store.ts).
      if (raw !== undefined) {
        problems.push(`${fullKey}: must not be set when helios:secretStore is an External Secrets store; the credential comes from the store (remove it with \`pulumi config rm ${fullKey}\`)`);
      }
      secrets[k] = undefined;
    } else if (raw === undefined) {
      secrets[k] = input.planMode ? pulumi.secret(planPlaceholder(k)) : undefined;
    } else if (!input.secretKeys.has(fullKey)) {
      problems.push(`${fullKey}: is a secret and must not be plain config; set it with \`pulumi config set --secret ${fullKey} <value>\``);
    } else {
      secrets[k] = pulumi.secret(raw);
    }
  }

  if (!input.planMode) {
    // Every DC runs the target generator and the flow-enricher: without these the pods
    // would start and fail at runtime, so a real deployment refuses up front (SC-001).
    for (const k of SECRETS_REQUIRED_TO_DEPLOY) {
      if (external && (DEVICE_SECRET_KEYS as readonly string[]).includes(k)) continue;
      if (secrets[k] === undefined && !problems.some((p) => p.startsWith(NS + k))) {
        problems.push(`${NS}${k}: is required to deploy (${SECRET_KEYS[k]}); set it with \`pulumi config set --secret ${NS}${k} <value>\``);
      }
    }
    // Secrets the chosen options need, checked here with everything else so that `pulumi up` stops
    // before the first resource instead of failing inside a layer after others were created.
    const needs = (k: SecretKey, why: string) => {
      if (secrets[k] === undefined && !problems.some((p) => p.startsWith(NS + k))) {
        problems.push(`${NS}${k}: is required ${why}; set it with \`pulumi config set --secret ${NS}${k} <value>\``);
      }
    };
    needs("grafanaAdminPassword", "to deploy (Grafana's admin login)");
    if (parsed.oidc !== undefined) needs("oidcClientSecret", "when helios:oidc is set");
    if (parsed.storageTopology !== undefined && parsed.storageTopology !== "cloud-s3") needs("minioRootPassword", `for storageTopology ${parsed.storageTopology}`);
    for (const k of PLAIN_KEYS_REQUIRED_TO_DEPLOY) {
      if (parsed[k] === undefined && !problems.some((p) => p.startsWith(NS + k))) {
        problems.push(`${NS}${k}: is required to deploy (${PLAIN_KEYS[k].doc}); set it in Pulumi.${input.stack}.yaml`);
      }
    }
  }

  if (parsed.datacenter !== undefined && Array.isArray(parsed.peers)) {
    if ((parsed.peers as string[]).includes(input.stack)) {
      problems.push(`helios:peers: lists this stack itself (${input.stack}); peers are the other datacenters`);
    } else if ((parsed.peers as string[]).includes(parsed.datacenter as string)) {
      problems.push(`helios:peers: lists ${parsed.datacenter}, this stack's own datacenter (helios:datacenter); peers are the other datacenters' stacks`);
    }
    const dupes = (parsed.peers as string[]).filter((p, i, all) => all.indexOf(p) !== i);
    if (dupes.length) problems.push(`helios:peers: lists ${dupes.join(", ")} more than once`);
  }
  if (parsed.storageTopology === "multi-dc-minio" && Array.isArray(parsed.peers) && parsed.peers.length === 0) {
    problems.push(`helios:peers: storageTopology multi-dc-minio replicates between datacenters and needs at least one peer`);
  }
  const objectStorage = parsed.objectStorage as { publicEndpoint?: string } | undefined;
  if (parsed.storageTopology === "cloud-s3" && objectStorage?.publicEndpoint !== undefined) {
    problems.push(`helios:objectStorage.publicEndpoint: only applies to MinIO topologies; cloud-s3 uses the AWS endpoint of helios:objectStorage.region`);
  }

  if (problems.length) {
    throw stackConfigError(input.stack, problems);
  }
  return { ...(parsed as PlainConfig), stack: input.stack, secrets, planMode: input.planMode };
}

/** Reads the running Pulumi program's config and validates it. */
export function loadHeliosConfig(): HeliosConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter((k) => isConfigSecret(k)));
  return parseHeliosConfig({
    values,
    secretKeys,
    stack: pulumi.getStack(),
    planMode: isOfflinePlan(),
  });
}

function isConfigSecret(k: string): boolean {
  // Exported by the runtime but not in its typings.
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  return fn ? fn(k) : false;
}

function describeIssue(fullKey: string, value: unknown, issue: z.ZodIssue): string {
  const where = issue.path.length ? `${fullKey}.${issue.path.join(".")}` : fullKey;
  const bad = issue.path.reduce<unknown>((v, p) => (v && typeof v === "object" ? (v as Record<string, unknown>)[p as string] : undefined), value);
  if (issue.code === "invalid_enum_value") {
    return `${where}: invalid value ${JSON.stringify(bad)}; allowed: ${issue.options.join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") {
    return `${where}: is required`;
  }
  if (issue.code === "unrecognized_keys") {
    return `${where}: unknown field(s) ${issue.keys.join(", ")}`;
  }
  if (issue.code === "custom" && bad === undefined) return `${where}: ${issue.message}`;
  return `${where}: invalid value ${JSON.stringify(bad)}: ${issue.message}`;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** An IPv4 or IPv6 network in CIDR form, parsed by Node's own address parser (not a pattern). */
function isCidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const [addr, bits] = [value.slice(0, slash), value.slice(slash + 1)];
  // A zone (fe80::1%eth0) is valid for a socket, not in a NetworkPolicy ipBlock.
  if (!/^[0-9]{1,3}$/.test(bits) || addr.includes("%")) return false;
  const family = net.isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}
