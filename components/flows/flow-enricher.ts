/**
 * flow-enricher (services/flow-enricher): Deployment + HPA from the tier, NetBox URL and token,
 * Kafka topics, and GeoLite2 City/ASN databases kept current by MaxMind's geoipupdate: an init
 * container fetches them before the enricher starts (it refuses to start without them) and a
 * sidecar refreshes them every 24 h into the shared emptyDir (the enricher reloads changed files).
 */
import { credentialRef, deviceSecret, SecretStoreConfig } from "../secret-store";
import { HeliosServiceImage } from "../config";
import { serviceImageRef } from "../images";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SecretValue } from "../config";
import { commonLabels } from "../labels";
import { FIXED_RESOURCES, TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { FLOWS_NS, KAFKA_BOOTSTRAP, POD_LABELS, TOPICS } from "./names";
import { cpuHpa, podMonitor, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";

export const GEOIP_DIR = "/var/lib/geoip";
export const GEOIP_EDITIONS = "GeoLite2-City GeoLite2-ASN";

/** flows_raw's TTL in days (migrations/0001_flows_raw.sql; a program test checks they agree). */
export const RAW_TTL_DAYS = 7;

export interface FlowEnricherArgs {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Registry of the Helios service images (helios:imageRegistry). */
  readonly imageRegistry: string;
  /** Tag of the Helios service images (helios:imageTag). */
  readonly imageTag: string;
  /** Digest per service image (helios:imageDigests): deploy by digest when set. */
  readonly imageDigests?: Partial<Record<HeliosServiceImage, string>>;
  /** NetBox base URL (helios:netboxUrl). */
  readonly netboxUrl: string;
  /** helios:flowSamplingRates, passed as SAMPLING_RATES */
  readonly samplingRates: { default?: number; exporters: Record<string, { default?: number; override?: number }> };
  /** NetBox API token (helios:netboxToken), a Pulumi secret. */
  readonly netboxToken: SecretValue;
  /** MaxMind account id (helios:maxmindAccountId) for the GeoIP downloads. */
  readonly maxmindAccountId?: string;
  /** MaxMind license key (helios:maxmindLicenseKey), a Pulumi secret. */
  readonly maxmindLicenseKey: SecretValue;
  /** helios:secretStore: device credentials from Pulumi config or from the external store. */
  readonly store: SecretStoreConfig;
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Resource[];
  /** Releases installing the monitoring.coreos.com CRDs (the PodMonitor waits for them). */
  readonly crdsReady?: pulumi.Resource[];
}

export class FlowEnricher extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: FlowEnricherArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:FlowEnricher", name, {}, opts);
    const labels = { ...commonLabels("flow-enricher"), ...POD_LABELS.flowEnricher };
    const secret = deviceSecret(
      `${name}-secrets`,
      {
        store: args.store,
        metadata: { name: "flow-enricher", namespace: FLOWS_NS, labels },
        values: {
          "netbox-token": args.netboxToken ?? pulumi.secret(""),
          "maxmind-account-id": args.maxmindAccountId ?? "",
          "maxmind-license-key": args.maxmindLicenseKey ?? pulumi.secret(""),
        },
        template: {
          "netbox-token": credentialRef("netbox", "token"),
          "maxmind-account-id": args.maxmindAccountId ?? "",
          "maxmind-license-key": credentialRef("maxmind", "licenseKey"),
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const fromSecret = (key: string) => ({ secretKeyRef: { name: "flow-enricher", key } });
    const geoipEnv = (frequencyHours: number) => [
      { name: "GEOIPUPDATE_ACCOUNT_ID", valueFrom: fromSecret("maxmind-account-id") },
      { name: "GEOIPUPDATE_LICENSE_KEY", valueFrom: fromSecret("maxmind-license-key") },
      { name: "GEOIPUPDATE_EDITION_IDS", value: GEOIP_EDITIONS },
      { name: "GEOIPUPDATE_DB_DIR", value: GEOIP_DIR },
      { name: "GEOIPUPDATE_FREQUENCY", value: String(frequencyHours) },
    ];
    const geoipMount = { name: "geoip", mountPath: GEOIP_DIR };

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: "flow-enricher", namespace: FLOWS_NS, labels },
        spec: {
          selector: { matchLabels: POD_LABELS.flowEnricher },
          template: {
            metadata: { labels },
            spec: {
              securityContext: restrictedPod({ user: 65532, group: 65532, fsGroup: 65532 }),
              terminationGracePeriodSeconds: 40,
              volumes: [{ name: "geoip", emptyDir: {} }, { name: "tmp", emptyDir: {} }],
              initContainers: [
                // FREQUENCY 0: download once and exit, so the enricher starts with current databases
                { name: "geoip-init", image: imageRef(IMAGES.geoipupdate), env: geoipEnv(0), volumeMounts: [geoipMount, { name: "tmp", mountPath: "/tmp" }], resources: FIXED_RESOURCES.geoipupdate, securityContext: RESTRICTED_CONTAINER },
              ],
              containers: [
                {
                  name: "flow-enricher",
                  image: serviceImageRef(args, "flow-enricher"),
                  env: [
                    { name: "KAFKA_BROKERS", value: KAFKA_BOOTSTRAP },
                    { name: "KAFKA_TOPIC_RAW", value: TOPICS.raw },
                    { name: "KAFKA_TOPIC_ENRICHED", value: TOPICS.enriched },
                    { name: "KAFKA_TOPIC_DEAD_LETTER", value: TOPICS.deadLetter },
                    { name: "KAFKA_GROUP_ID", value: "helios-flow-enricher" },
                    { name: "NETBOX_URL", value: args.netboxUrl },
                    { name: "NETBOX_TOKEN", valueFrom: fromSecret("netbox-token") },
                    { name: "GEOIP_CITY_PATH", value: `${GEOIP_DIR}/GeoLite2-City.mmdb` },
                    { name: "GEOIP_ASN_PATH", value: `${GEOIP_DIR}/GeoLite2-ASN.mmdb` },
                    { name: "HTTP_PORT", value: "8080" },
                    { name: "SAMPLING_RATES", value: JSON.stringify(args.samplingRates) },
                    // the raw table's TTL (migrations/0001_flows_raw.sql): older flows would be dropped on insert
                    { name: "FLOW_MAX_AGE_SECONDS", value: String(RAW_TTL_DAYS * 86400) },
                  ],
                  ports: [{ name: "http", containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: args.tier.flowEnricher.resources,
                  volumeMounts: [{ ...geoipMount, readOnly: true }],
                  securityContext: RESTRICTED_CONTAINER,
                },
                { name: "geoipupdate", image: imageRef(IMAGES.geoipupdate), env: geoipEnv(24), volumeMounts: [geoipMount, { name: "tmp", mountPath: "/tmp" }], resources: FIXED_RESOURCES.geoipupdate, securityContext: RESTRICTED_CONTAINER },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [...args.dependsOn, secret] },
    );
    cpuHpa(`${name}-hpa`, { name: "flow-enricher", namespace: FLOWS_NS, labels: commonLabels("flow-enricher"), kind: "Deployment", target: "flow-enricher", range: args.tier.flowEnricher.hpa }, { parent: this, dependsOn: [this.deployment] });
    podMonitor(
      `${name}-podmonitor`,
      { name: "flow-enricher", namespace: FLOWS_NS, labels: commonLabels("flow-enricher"), selector: { matchLabels: { "app.kubernetes.io/name": "flow-enricher" } }, endpoints: [{ port: "http" }] },
      { parent: this, dependsOn: [...args.dependsOn, ...(args.crdsReady ?? [])] },
    );
    this.registerOutputs({ deployment: "flow-enricher" });
  }
}
