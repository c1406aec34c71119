/**
 * Alertmanager for one datacenter: an operator-managed `Alertmanager` CR named `helios`
 * (kube-prometheus-stack, installed by the storage layer, provides the CRDs and operator)
 * reading its config from a Secret rendered from config/alertmanager/alertmanager.yaml with
 * the receivers' credentials from secret stack config. Prometheus finds it through the
 * operator's `alertmanager-operated` Service.
 */
import * as fs from "fs";
import { ConfigError } from "../errors";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { heliosWarn } from "../diagnostics";
import { RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { FIXED_RESOURCES } from "../tiers";
import { IMAGES, imageRef } from "../versions";

export const ALERTMANAGER_TEMPLATE = path.resolve(__dirname, "..", "..", "config", "alertmanager", "alertmanager.yaml");
export const ALERTMANAGER_NAME = "helios";
/** The operator's governing Service for every Alertmanager in a namespace. */
export const ALERTMANAGER_URL = `http://alertmanager-operated.${NAMESPACES.visualization.name}.svc:9093`;
/** HA pair; Alertmanager needs no more for the alert volumes of any tier. */
const ALERTMANAGER_REPLICAS = 2;

/** Values the template's `${name}` placeholders take. Absent ones disable their integration. */
export interface ReceiverValues {
  pagerdutyRoutingKey?: string;
  slackWebhookUrl?: string;
  emailTo?: string;
  emailFrom?: string;
  emailSmarthost?: string;
  emailUsername?: string;
  smtpPassword?: string;
}
const KNOWN: ReadonlyArray<keyof ReceiverValues> = ["pagerdutyRoutingKey", "slackWebhookUrl", "emailTo", "emailFrom", "emailSmarthost", "emailUsername", "smtpPassword"];
/** Placeholders whose key is simply left out when absent (not every SMTP relay authenticates). */
const OPTIONAL: ReadonlyArray<keyof ReceiverValues> = ["emailUsername", "smtpPassword"];

export interface RenderedAlertmanagerConfig {
  yaml: string;
  /** "receiver/integration" entries dropped because their inputs are not configured. */
  disabled: string[];
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** Renders the Alertmanager template; throws on unknown placeholders or a malformed template. */
export function renderAlertmanagerConfig(template: string, values: ReceiverValues, source = ALERTMANAGER_TEMPLATE): RenderedAlertmanagerConfig {
  let doc: any;
  try {
    doc = YAML.parse(template);
  } catch (e) {
    throw new ConfigError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || !doc.route || !Array.isArray(doc.receivers)) {
    throw new ConfigError(`${source}: must have a top-level route and a receivers list`);
  }
  const unknown = new Set<string>();
  // Placeholders in values only (comments may mention the syntax).
  for (const m of JSON.stringify(doc).matchAll(PLACEHOLDER)) if (!KNOWN.includes(m[1] as keyof ReceiverValues)) unknown.add(m[1]);
  if (unknown.size) throw new ConfigError(`${source}: unknown placeholder(s) ${[...unknown].map((u) => "${" + u + "}").join(", ")}; known: ${KNOWN.join(", ")}`);

  const disabled: string[] = [];
  for (const receiver of doc.receivers) {
    for (const key of Object.keys(receiver).filter((k) => k.endsWith("_configs"))) {
      const kept = (receiver[key] as Record<string, unknown>[]).filter((integration) => {
        const needed = placeholdersIn(integration);
        const missing = needed.filter((n) => !values[n] && !OPTIONAL.includes(n));
        if (missing.length) {
          disabled.push(`${receiver.name}/${key.replace(/_configs$/, "")} (needs ${missing.join(", ")})`);
          return false;
        }
        for (const [field, v] of Object.entries(integration)) {
          const names = typeof v === "string" ? [...v.matchAll(PLACEHOLDER)].map((m) => m[1] as keyof ReceiverValues) : [];
          if (names.some((n) => !values[n])) delete integration[field];
        }
        return true;
      });
      if (kept.length) receiver[key] = kept;
      else delete receiver[key];
    }
  }
  const substituted = substitute(doc, values);
  return { yaml: YAML.stringify(substituted, { lineWidth: 0 }), disabled };
}

function placeholdersIn(v: unknown): (keyof ReceiverValues)[] {
  return [...JSON.stringify(v).matchAll(PLACEHOLDER)].map((m) => m[1] as keyof ReceiverValues);
}

function substitute(v: unknown, values: ReceiverValues): unknown {
  if (typeof v === "string") return v.replace(PLACEHOLDER, (_, name: keyof ReceiverValues) => values[name] ?? "");
  if (Array.isArray(v)) return v.map((x) => substitute(x, values));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, values)]));
  return v;
}

export interface AlertmanagerArgs {
  /** Datacenter name, for the external URL and labels. */
  readonly datacenter: string;
  /** Receiver inputs; secrets stay Pulumi secret outputs. */
  readonly pagerdutyRoutingKey?: pulumi.Input<string>;
  /** Slack incoming-webhook URL (helios:slackWebhookUrl), a secret. */
  readonly slackWebhookUrl?: pulumi.Input<string>;
  /** SMTP password for the email receiver (helios:smtpPassword), a secret. */
  readonly smtpPassword?: pulumi.Input<string>;
  /** Email receiver settings (helios:alertEmail); absent: no email receiver. */
  readonly email?: { to: string; from: string; smarthost: string; username?: string };
  /** Resources that must exist before the CR (the kube-prometheus-stack release with the CRDs). */
  readonly crdsReady?: pulumi.Resource[];
  /** Namespace resource to depend on. */
  readonly namespace?: pulumi.Resource;
}

export class HeliosAlertmanager extends pulumi.ComponentResource {
  public readonly configSecret: k8s.core.v1.Secret;
  public readonly alertmanager: k8s.apiextensions.CustomResource;

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:visualization:Alertmanager", name, {}, opts);
    const ns = NAMESPACES.visualization.name;
    const template = fs.readFileSync(ALERTMANAGER_TEMPLATE, "utf8");

    const present = {
      pagerdutyRoutingKey: args.pagerdutyRoutingKey !== undefined,
      slackWebhookUrl: args.slackWebhookUrl !== undefined,
      smtpPassword: args.smtpPassword !== undefined,
    };
    // Which integrations are off depends only on which inputs exist, so warn now (not in an apply).
    const probe = renderAlertmanagerConfig(template, {
      pagerdutyRoutingKey: present.pagerdutyRoutingKey ? "x" : undefined,
      slackWebhookUrl: present.slackWebhookUrl ? "x" : undefined,
      smtpPassword: present.smtpPassword ? "x" : undefined,
      emailTo: args.email?.to,
      emailFrom: args.email?.from,
      emailSmarthost: args.email?.smarthost,
      emailUsername: args.email?.username,
    });
    for (const d of probe.disabled) heliosWarn(`Alertmanager receiver ${d} is not configured; its alerts are dropped`, this);

    const rendered = pulumi
      .all([args.pagerdutyRoutingKey, args.slackWebhookUrl, args.smtpPassword])
      .apply(([pagerdutyRoutingKey, slackWebhookUrl, smtpPassword]) =>
        renderAlertmanagerConfig(template, {
          pagerdutyRoutingKey,
          slackWebhookUrl,
          smtpPassword,
          emailTo: args.email?.to,
          emailFrom: args.email?.from,
          emailSmarthost: args.email?.smarthost,
          emailUsername: args.email?.username,
        }).yaml,
      );

    const labels = { ...commonLabels("alertmanager"), "app.kubernetes.io/component": "alerting" };
    this.configSecret = new k8s.core.v1.Secret(
      `${name}-helios-config`,
      {
        metadata: { name: "alertmanager-helios-config", namespace: ns, labels },
        type: "Opaque",
        stringData: { "alertmanager.yaml": pulumi.secret(rendered) },
      },
      { parent: this, dependsOn: args.namespace ? [args.namespace] : [] },
    );

    const image = IMAGES.alertmanager;
    this.alertmanager = new k8s.apiextensions.CustomResource(
      `${name}-helios`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "Alertmanager",
        metadata: { name: ALERTMANAGER_NAME, namespace: ns, labels },
        spec: {
          replicas: ALERTMANAGER_REPLICAS,
          image: imageRef(image),
          version: image.tag,
          configSecret: this.configSecret.metadata.name,
          externalUrl: ALERTMANAGER_URL,
          retention: "120h",
          podMetadata: { labels: { "helios.io/datacenter": args.datacenter } },
          resources: FIXED_RESOURCES.alertmanager,
          securityContext: restrictedPod({ user: 65534, group: 65534, fsGroup: 65534 }),
          containers: [
            {
              name: "alertmanager",
              securityContext: RESTRICTED_CONTAINER,
            },
          ],
        },
      },
      { parent: this, dependsOn: [...(args.crdsReady ?? []), this.configSecret] },
    );
    this.registerOutputs({ url: ALERTMANAGER_URL });
  }
}
