/**
 * The whole Helios program for one stack: read config once, make this DC's Kubernetes
 * provider, build the platform, return the stack outputs. index.ts exports the result;
 * the offline plan (scripts/lib/synthesize.ts) calls the same function under mocks.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadHeliosConfig } from "./config";
import { validateContent } from "./content";
import { skipAwaitTransformation } from "./k8s/await";
import { NAMESPACES, NAMESPACE_KEYS } from "./namespaces";
import { HeliosPlatform } from "./platform";

export function heliosProgram(): Record<string, unknown> {
  const config = loadHeliosConfig();
  // Content files too, before the first resource: a bad one must not leave a partial update.
  validateContent(config);

  // One explicit provider per stack; never the ambient default (DESIGN.md, Conventions).
  const provider = new k8s.Provider(`k8s-${config.datacenter}`, {
    kubeconfig: config.kubeconfig,
    context: config.kubeContext,
    enableServerSideApply: true,
    // Every ConfigMap and Secret has a fixed name that other objects refer to. Updated in place, a
    // changed one keeps its name; replaced (the default), the new copy is created before the old one
    // is deleted, and server-side apply refuses the name the old one still holds.
    enableConfigMapMutable: true,
    enableSecretMutable: true,
  });

  const platform = new HeliosPlatform(
    "helios",
    { config },
    { providers: { kubernetes: provider }, transformations: config.awaitWorkloads ? [] : [skipAwaitTransformation] },
  );

  return {
    datacenter: config.datacenter,
    region: config.region,
    role: config.role,
    tier: config.tier,
    storageTopology: config.storageTopology,
    namespaces: Object.fromEntries(NAMESPACE_KEYS.map((k) => [k, NAMESPACES[k].name])),
    // What peer stacks read (components/storage/federation.ts).
    federation: platform.storage.federation,
    peers: pulumi
      .all(platform.peers.peers.map((p) => p.deployed))
      .apply((d) => Object.fromEntries(platform.peers.peers.map((p, i) => [p.stack, d[i] ? "deployed" : "not-deployed"]))),
  };
}
