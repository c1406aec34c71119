/**
 * Peer datacenters through StackReferences. Each stack exports its federation endpoints
 * (see program.ts); peers read them here. A peer whose stack has no outputs yet has not
 * been deployed: that is normal on the very first `pulumi up` of a pair of DCs, so it is a
 * warning and the peer is simply left out until the next update.
 */
import * as pulumi from "@pulumi/pulumi";
import { heliosWarn } from "./diagnostics";

export interface PeerStacksArgs {
  /** Stack names of the peers (`helios:peers`). */
  readonly peers: string[];
  /** `<organization>/<project>` the peer stacks live under. */
  readonly stackPrefix: string;
}

export interface PeerView {
  stack: string;
  /** True once the peer stack has exported its outputs. */
  deployed: pulumi.Output<boolean>;
  /** The peer's exported outputs; `{}` while it is not deployed. */
  outputs: pulumi.Output<Record<string, unknown>>;
}

export class PeerStacks extends pulumi.ComponentResource {
  public readonly peers: PeerView[];

  constructor(name: string, args: PeerStacksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:federation:PeerStacks", name, {}, opts);
    this.peers = args.peers.map((stack) => {
      const ref = new pulumi.StackReference(`${args.stackPrefix}/${stack}`, {}, { parent: this });
      const outputs = ref.outputs.apply((o) => (o ?? {}) as Record<string, unknown>);
      const deployed = outputs.apply((o) => {
        const isDeployed = Object.keys(o).length > 0;
        if (!isDeployed) {
          heliosWarn(`peer stack ${stack} has no outputs yet (not deployed); federating without it until the next update`, this);
        }
        return isDeployed;
      });
      return { stack, deployed, outputs };
    });
    this.registerOutputs({
      peers: pulumi.all(this.peers.map((p) => p.deployed)).apply((d) => Object.fromEntries(this.peers.map((p, i) => [p.stack, d[i] ? "deployed" : "not-deployed"]))),
    });
  }
}
