/** The Strimzi cluster operator (Helm), watching helios-flows only. Installs the kafka.strimzi.io/v1 CRDs. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, chartSource } from "../versions";
import { FIXED_RESOURCES } from "../tiers";
import { FLOWS_NS } from "./names";

export interface StrimziOperatorArgs {
  /** helios:chartMirror: install the chart from this mirror instead of its upstream repository. */
  readonly chartMirror?: string;
  /** Resources to create the release after (the namespace). */
  readonly dependsOn: pulumi.Resource[];
}

export class StrimziOperator extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: StrimziOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:flows:StrimziOperator", name, {}, opts);
    const pin = CHARTS.strimzi;
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: "strimzi",
        ...chartSource(pin, args.chartMirror),
        namespace: FLOWS_NS,
        values: {
          watchNamespaces: [],
          watchAnyNamespace: false,
          resources: FIXED_RESOURCES.strimziOperator,
        },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ release: this.release.name });
  }
}
