/**
 * Cross-DC federation through StackReferences. Every stack exports a `federation` output
 * (its Thanos gRPC endpoints, bucket, object-storage endpoint, compactor ownership and, for
 * multi-dc-minio, the credentials peers replicate with). Peers read it from
 * `platform.peers` (components/peers.ts): a peer that is not deployed yet has `{}` outputs
 * and is left out (PeerStacks already warns). Reading the peers is also where two
 * compactors on one bucket are caught.
 */
import * as pulumi from "@pulumi/pulumi";
import { HeliosConfig, StorageTopology } from "../config";
import { ConfigError, stackConfigError } from "../errors";
import { heliosWarn, isOfflinePlan } from "../diagnostics";
import { PeerView } from "../peers";
import { PeerEndpoint } from "./thanos";
import { StoragePlan, federationDomain } from "./topology";

/** The `federation` stack output, as peers read it. */
export interface FederationExport {
  datacenter: string;
  region: string;
  role: HeliosConfig["role"];
  storageTopology: StorageTopology;
  /** Thanos gRPC (StoreAPI) endpoints as peers reach them, host:port, TLS. */
  thanos: { query: string; store: string; sidecar: string; tls: boolean };
  objectStorage: { bucket: string; endpoint: string; bucketIdentity: string };
  /** True when this DC runs the compactor for `objectStorage.bucketIdentity`. */
  compactor: boolean;
  /** multi-dc-minio: where and as whom peers replicate into this DC. */
  replication?: { endpoint: string; accessKey: string; secretKey: pulumi.Output<string> | string };
}

export const FEDERATION_GRPC_PORT = 443;

/** This DC's federation output (replication credentials added by the caller). */
export function federationExport(config: HeliosConfig, plan: StoragePlan): FederationExport {
  const domain = federationDomain(config);
  const at = (host: string) => `${host}.${domain}:${FEDERATION_GRPC_PORT}`;
  return {
    datacenter: config.datacenter,
    region: config.region,
    role: config.role,
    storageTopology: config.storageTopology,
    thanos: { query: at("thanos-query"), store: at("thanos-store"), sidecar: at("thanos-sidecar"), tls: true },
    objectStorage: { bucket: plan.bucket, endpoint: plan.publicEndpoint, bucketIdentity: plan.bucketIdentity },
    compactor: plan.runsCompactor,
  };
}

/** A deployed peer's federation output, as read back (secrets already unwrapped by Pulumi). */
export interface PeerFederation {
  stack: string;
  federation: Omit<FederationExport, "replication"> & { replication?: { endpoint: string; accessKey: string; secretKey: string } };
}

/**
 * Rejects a second compactor on one bucket: this DC would compact `plan.bucketIdentity`
 * and so does a deployed peer. Pure, so the rule is tested on its own too.
 */
export function checkCompactorClash(stack: string, plan: StoragePlan, peers: PeerFederation[]): void {
  if (!plan.runsCompactor) return;
  const clash = peers.find((p) => p.federation.compactor && p.federation.objectStorage?.bucketIdentity === plan.bucketIdentity);
  if (clash) {
    throw stackConfigError(stack, [`helios:role: two Thanos compactors would write bucket ${plan.bucketIdentity}: ` +
        `this stack and peer stack ${clash.stack} (role ${clash.federation.role}). Exactly one compactor per bucket (FR-032): ` +
        `set helios:role: secondary on all but one of the stacks sharing the bucket.`]);
  }
}

/** A peer stack that exports this stack's own datacenter: it would federate its own endpoints. */
function checkNotSelf(config: HeliosConfig, peers: PeerFederation[]): void {
  const self = peers.find((p) => p.federation.datacenter === config.datacenter);
  if (self) {
    throw stackConfigError(config.stack, [`helios:peers: peer stack ${self.stack} exports datacenter ${config.datacenter}, ` +
        `this stack's own (helios:datacenter): it would federate its own endpoints; list only other datacenters' stacks`]);
  }
}

/**
 * Whether this DC's compactor may run, given the deployed peers. A clash is a config error:
 * under `pulumi up` it is thrown and fails the update. The offline plan's mock engine
 * cannot surface an error thrown inside an output (it becomes an unhandled rejection), so
 * there the error is recorded in the plan's warnings instead. Either way the compactor is
 * not rendered: the safe side of FR-032.
 */
export function compactorGuard(config: HeliosConfig, plan: StoragePlan, peers: PeerFederation[]): boolean {
  try {
    checkNotSelf(config, peers);
    checkCompactorClash(config.stack, plan, peers);
    return plan.runsCompactor;
  } catch (e) {
    if (!(e instanceof ConfigError) || !isOfflinePlan()) throw e;
    heliosWarn(`error: ${e.message}`);
    return false;
  }
}

/** Deployed peers' federation outputs; peers without outputs are skipped. */
export function readPeerFederation(peers: PeerView[]): pulumi.Output<PeerFederation[]> {
  return pulumi
    .all(peers.map((p) => p.outputs))
    .apply((all) =>
      all.flatMap((outputs, i) => {
        const federation = outputs.federation as PeerFederation["federation"] | undefined;
        return federation ? [{ stack: peers[i].stack, federation }] : [];
      }),
    );
}

/** The global query's peer endpoints: each deployed peer's Thanos query. */
export function peerQueryEndpoints(peers: PeerFederation[]): PeerEndpoint[] {
  return peers.map((p) => ({ datacenter: p.federation.datacenter, address: p.federation.thanos.query, tls: p.federation.thanos.tls }));
}
