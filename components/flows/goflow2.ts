/**
 * goflow2: NetFlow v5/v9 (2055), IPFIX (4739) and sFlow (6343) on UDP, each decoded sample
 * written to Kafka helios-flows-raw as length-delimited FlowMessage (-format=bin). A UDP
 * LoadBalancer Service with externalTrafficPolicy Local keeps the exporter's source address
 * (no SNAT), which the enricher needs to find the device in NetBox. Metrics on 8080.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { TierSpec } from "../tiers";
import { IMAGES, imageRef } from "../versions";
import { FLOWS_NS, KAFKA_BOOTSTRAP, POD_LABELS, TOPICS } from "./names";
import { cpuHpa, podMonitor, RESTRICTED_CONTAINER } from "./workload";

export const FLOW_PORTS = { netflow: 2055, ipfix: 4739, sflow: 6343 } as const;

export interface Goflow2Args {
  tier: TierSpec;
  /** Namespace and Kafka topic. */
  dependsOn: pulumi.Resource[];
  crdsReady?: pulumi.Resource[];
}

export function goflow2Args(): string[] {
  return [
    `-listen=netflow://:${FLOW_PORTS.netflow},netflow://:${FLOW_PORTS.ipfix},sflow://:${FLOW_PORTS.sflow}`,
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
    const deployment = new k8s.apps.v1.Deployment(
      "goflow2",
      {
        metadata: { name: "goflow2", namespace: FLOWS_NS, labels },
        spec: {
          selector: { matchLabels: POD_LABELS.goflow2 },
          template: {
            metadata: { labels },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "goflow2",
                  image: imageRef(IMAGES.goflow2),
                  args: goflow2Args(),
                  ports: [
                    { name: "netflow", containerPort: FLOW_PORTS.netflow, protocol: "UDP" },
                    { name: "ipfix", containerPort: FLOW_PORTS.ipfix, protocol: "UDP" },
                    { name: "sflow", containerPort: FLOW_PORTS.sflow, protocol: "UDP" },
                    { name: "metrics", containerPort: 8080, protocol: "TCP" },
                  ],
                  resources: args.tier.goflow2.resources,
                  readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 10 },
                  securityContext: RESTRICTED_CONTAINER,
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.service = new k8s.core.v1.Service(
      "goflow2-udp",
      {
        metadata: { name: "goflow2", namespace: FLOWS_NS, labels },
        spec: {
          type: "LoadBalancer",
          externalTrafficPolicy: "Local",
          selector: POD_LABELS.goflow2,
          ports: [
            { name: "netflow", port: FLOW_PORTS.netflow, targetPort: "netflow", protocol: "UDP" },
            { name: "ipfix", port: FLOW_PORTS.ipfix, targetPort: "ipfix", protocol: "UDP" },
            { name: "sflow", port: FLOW_PORTS.sflow, targetPort: "sflow", protocol: "UDP" },
          ],
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    cpuHpa("goflow2-hpa", "goflow2", args.tier.goflow2.hpa, this, [deployment]);
    podMonitor("goflow2-podmonitor", "goflow2", "metrics", this, [...args.dependsOn, ...(args.crdsReady ?? [])]);
    this.registerOutputs({ service: "goflow2" });
  }
}
