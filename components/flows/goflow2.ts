/**
 * goflow2: NetFlow v5/v9 and IPFIX on one `netflow://` listener (2055; it decodes by version, and a
 * second netflow listener would register goflow2's /templates handler twice and panic; the
 * Service maps 4739 to it) and sFlow (6343) on UDP, each decoded sample written to Kafka
 * helios-flows-raw as length-delimited FlowMessage (-format=bin). A UDP LoadBalancer Service
 * with externalTrafficPolicy Local keeps the exporter's source address (no SNAT), which the
 * enricher needs to find the device in NetBox. Metrics on 8080.
 *
 * The mapping file (-mapping, a ConfigMap) does two things goflow2's flags cannot:
 * - `formatter.key: [sampler_address]`: the Kafka key is a hash of the exporter address, so
 *   with -transport.kafka.hashing each exporter stays on one partition, in order, and many
 *   exporters spread over all partitions (without a key every flow hashes the empty key).
 * - NetFlow v9/IPFIX fields goflow2 does not map are carried as extra FlowMessage fields
 *   (GOFLOW2_CUSTOM_FIELDS, numbers shared with proto/flow.proto): the sampling rate sent in
 *   data records (34/35, 305/306, 50), the sampler id (48/302) and the physical ingress
 *   interface (252). goflow2 itself only reads the rate from options data, per observation
 *   domain, and overwrites sampling_rate with it, so those fields must not map to sampling_rate.
 */
import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { commonLabels } from "../labels";
import { TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { FLOWS_NS, GOFLOW2_SERVICE, KAFKA_BOOTSTRAP, POD_LABELS, TOPICS } from "./names";
import { cpuHpa, podMonitor, RESTRICTED_CONTAINER, restrictedPod } from "../k8s/workload";

export const FLOW_PORTS = { netflow: 2055, ipfix: 4739, sflow: 6343 } as const;

export interface Goflow2Args {
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** Namespace and Kafka topic. */
  readonly dependsOn: pulumi.Resource[];
  /** Releases installing the monitoring.coreos.com CRDs (the PodMonitor waits for them). */
  readonly crdsReady?: pulumi.Resource[];
}

/** Where the mapping ConfigMap is mounted. */
export const GOFLOW2_MAPPING_DIR = "/etc/goflow2";
export const GOFLOW2_MAPPING_FILE = "mapping.yaml";

/**
 * Extra FlowMessage fields goflow2 fills from NetFlow v9 / IPFIX data records (proto/flow.proto
 * declares the same numbers). Information element numbers: IANA IPFIX registry / RFC 3954.
 */
export const GOFLOW2_CUSTOM_FIELDS = [
  { name: "sampling_interval", index: 200, netflowv9: [34], ipfix: [34], why: "samplingInterval (NFv9 SAMPLING_INTERVAL)" },
  { name: "sampling_algorithm", index: 201, netflowv9: [35], ipfix: [35], why: "samplingAlgorithm (1 deterministic, 2 random)" },
  { name: "sampler_packet_interval", index: 202, netflowv9: [], ipfix: [305], why: "samplingPacketInterval: packets selected" },
  { name: "sampler_packet_space", index: 203, netflowv9: [], ipfix: [306], why: "samplingPacketSpace: packets skipped; rate = (interval + space) / interval" },
  { name: "sampler_random_interval", index: 204, netflowv9: [50], ipfix: [50], why: "samplerRandomInterval (NFv9 FLOW_SAMPLER_RANDOM_INTERVAL)" },
  { name: "sampler_id", index: 205, netflowv9: [48], ipfix: [48, 302], why: "samplerId / selectorId: which sampler of the exporter" },
  { name: "in_if_physical", index: 206, netflowv9: [252], ipfix: [252], why: "ingressPhysicalInterface" },
] as const;

/** goflow2's -mapping file (producer config of goflow2 v2.2.6, producer/proto/config_impl.go). */
export function goflow2Mapping(): string {
  const map = (kind: "netflowv9" | "ipfix") => GOFLOW2_CUSTOM_FIELDS.flatMap((f) => f[kind].map((field) => ({ field, destination: f.name })));
  return YAML.stringify({
    formatter: {
      key: ["sampler_address"],
      protobuf: GOFLOW2_CUSTOM_FIELDS.map((f) => ({ name: f.name, index: f.index, type: "varint" })),
    },
    netflowv9: { mapping: map("netflowv9") },
    ipfix: { mapping: map("ipfix") },
  });
}

export function goflow2Args(): string[] {
  return [
    `-listen=netflow://:${FLOW_PORTS.netflow},sflow://:${FLOW_PORTS.sflow}`,
    `-mapping=${GOFLOW2_MAPPING_DIR}/${GOFLOW2_MAPPING_FILE}`,
    "-transport=kafka",
    `-transport.kafka.brokers=${KAFKA_BOOTSTRAP}`,
    `-transport.kafka.topic=${TOPICS.raw}`,
    "-transport.kafka.hashing=true",
    "-format=bin",
    "-addr=:8080",
    "-loglevel=info",
  ];
}

export class Goflow2 extends pulumi.ComponentResource {
  public readonly service: k8s.core.v1.Service;

  constructor(name: string, args: Goflow2Args, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:Goflow2", name, {}, opts);
    const labels = { ...commonLabels("goflow2"), ...POD_LABELS.goflow2 };
    const mapping = new k8s.core.v1.ConfigMap(
      `${name}-mapping`,
      { metadata: { name: "goflow2-mapping", namespace: FLOWS_NS, labels }, data: { [GOFLOW2_MAPPING_FILE]: goflow2Mapping() } },
      { parent: this, dependsOn: args.dependsOn },
    );
    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: "goflow2", namespace: FLOWS_NS, labels },
        spec: {
          selector: { matchLabels: POD_LABELS.goflow2 },
          template: {
            // a changed mapping file rolls the pods (goflow2 reads it only at start)
            metadata: { labels, annotations: { "helios.io/mapping-sha256": createHash("sha256").update(goflow2Mapping()).digest("hex") } },
            spec: {
              securityContext: restrictedPod({ user: 65534 }),
              containers: [
                {
                  name: "goflow2",
                  image: imageRef(IMAGES.goflow2),
                  args: goflow2Args(),
                  ports: [
                    { name: "netflow", containerPort: FLOW_PORTS.netflow, protocol: "UDP" },
                    { name: "sflow", containerPort: FLOW_PORTS.sflow, protocol: "UDP" },
                    { name: "metrics", containerPort: 8080, protocol: "TCP" },
                  ],
                  resources: args.tier.goflow2.resources,
                  readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 10 },
                  securityContext: RESTRICTED_CONTAINER,
                  volumeMounts: [{ name: "mapping", mountPath: GOFLOW2_MAPPING_DIR, readOnly: true }],
                },
              ],
              volumes: [{ name: "mapping", configMap: { name: "goflow2-mapping" } }],
            },
          },
        },
      },
      { parent: this, dependsOn: [...args.dependsOn, mapping] },
    );
    this.service = new k8s.core.v1.Service(
      `${name}-udp`,
      {
        metadata: { name: GOFLOW2_SERVICE, namespace: FLOWS_NS, labels },
        spec: {
          type: "LoadBalancer",
          externalTrafficPolicy: "Local",
          selector: POD_LABELS.goflow2,
          ports: [
            { name: "netflow", port: FLOW_PORTS.netflow, targetPort: "netflow", protocol: "UDP" },
            { name: "ipfix", port: FLOW_PORTS.ipfix, targetPort: FLOW_PORTS.netflow, protocol: "UDP" },
            { name: "sflow", port: FLOW_PORTS.sflow, targetPort: "sflow", protocol: "UDP" },
          ],
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    cpuHpa(`${name}-hpa`, { name: "goflow2", namespace: FLOWS_NS, labels: commonLabels("goflow2"), kind: "Deployment", target: "goflow2", range: args.tier.goflow2.hpa }, { parent: this, dependsOn: [deployment] });
    podMonitor(
      `${name}-podmonitor`,
      { name: "goflow2", namespace: FLOWS_NS, labels: commonLabels("goflow2"), selector: { matchLabels: { "app.kubernetes.io/name": "goflow2" } }, endpoints: [{ port: "metrics" }] },
      { parent: this, dependsOn: [...args.dependsOn, ...(args.crdsReady ?? [])] },
    );
    this.registerOutputs({ service: "goflow2" });
  }
}
