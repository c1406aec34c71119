/**
 * Where device credentials come from (`helios:secretStore`, FR-028):
 * - `pulumi` (the default): Pulumi secret config, rendered by the program into Kubernetes Secrets.
 * - an External Secrets Operator store (Vault, AWS Secrets Manager, ...): the program renders
 *   ExternalSecrets (external-secrets.io/v1) instead, which ESO turns into the same Secrets (same
 *   names and keys, so the workloads do not change). The stack then holds no device credential:
 *   config.ts refuses the device secret keys, and nothing here reads them.
 *
 * Device credentials: gNMI password, SNMP community and v3 passwords, NetBox token, MaxMind licence
 * key. Other secrets (Grafana, MinIO, alert receivers) stay with Pulumi.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { NAMESPACES, NamespaceKey } from "./namespaces";

/** The External Secrets API version Helios renders (and the CRDs the tests validate against). */
export const ESO_API_VERSION = "external-secrets.io/v1";

export const DEVICE_CREDENTIALS = ["gnmi", "snmp", "netbox", "maxmind"] as const;
export type DeviceCredential = (typeof DEVICE_CREDENTIALS)[number];

/** Properties each credential's entry in the external store holds. */
export const CREDENTIAL_PROPERTIES: Record<DeviceCredential, readonly string[]> = {
  gnmi: ["password"],
  snmp: ["community", "authPassword", "privPassword"],
  netbox: ["token"],
  maxmind: ["licenseKey"],
};

/** The Pulumi secret keys that are device credentials: refused in config under an ESO store. */
export const DEVICE_SECRET_KEYS = ["gnmiPassword", "snmpCommunity", "snmpAuthPassword", "snmpPrivPassword", "netboxToken", "maxmindLicenseKey"] as const;

/** Namespaces whose workloads read device credentials (a namespaced SecretStore is made in each). */
export const CREDENTIAL_NAMESPACES: readonly NamespaceKey[] = ["collection", "flows", "integration", "automation"];

export interface PulumiSecretStore {
  readonly type: "pulumi";
}

export interface ExternalSecretStore {
  readonly type: "external-secrets";
  /** SecretStore (one per credential namespace) or ClusterSecretStore. */
  readonly kind: "SecretStore" | "ClusterSecretStore";
  readonly name: string;
  /** The store's spec (provider, ...); Helios creates the store when given, else references an existing one. */
  readonly spec?: Record<string, any>;
  readonly refreshInterval: string;
  /** Key in the external store of each credential's entry (its properties: CREDENTIAL_PROPERTIES). */
  readonly remoteKeys: Record<DeviceCredential, string>;
}

export type SecretStoreConfig = PulumiSecretStore | ExternalSecretStore;

/** Fields a provider spec cannot do without, for the providers Helios documents; others are left to the CRD. */
const PROVIDER_REQUIRED: Record<string, readonly string[]> = {
  vault: ["server", "path", "auth"],
  aws: ["service", "region"],
  gcpsm: ["projectID"],
  azurekv: ["vaultUrl"],
  kubernetes: ["remoteNamespace", "server", "auth"],
};

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `helios:secretStore`: "pulumi" or {kind, name, spec?, refreshInterval?, remoteKeys}; every problem names its field. */
export const secretStoreSchema = z
  .unknown()
  .describe("`pulumi` or object {kind, name, spec, refreshInterval, remoteKeys}")
  .transform((v, ctx): SecretStoreConfig => {
  if (v === undefined || v === "pulumi") return { type: "pulumi" };
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (!isObject(v)) {
    issue([], 'must be "pulumi" or an External Secrets store {kind, name, spec, remoteKeys}');
    return z.NEVER;
  }
  const known = ["kind", "name", "spec", "refreshInterval", "remoteKeys"];
  for (const k of Object.keys(v)) if (!known.includes(k)) issue([k], `unknown field; allowed: ${known.join(", ")}`);
  if (v.kind === undefined) issue(["kind"], "is required: SecretStore or ClusterSecretStore");
  else if (v.kind !== "SecretStore" && v.kind !== "ClusterSecretStore") issue(["kind"], "must be SecretStore or ClusterSecretStore");
  if (v.name === undefined) issue(["name"], "is required: the store's name");
  else if (typeof v.name !== "string" || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(v.name)) issue(["name"], "must be a Kubernetes object name");
  if (v.refreshInterval !== undefined && (typeof v.refreshInterval !== "string" || !/^([0-9]+(s|m|h))+$/.test(v.refreshInterval))) issue(["refreshInterval"], "must be a duration such as 1h or 15m");
  if (!isObject(v.remoteKeys)) issue(["remoteKeys"], `is required: the store's key of each device credential {${DEVICE_CREDENTIALS.join(", ")}}`);
  else {
    for (const c of DEVICE_CREDENTIALS) {
      if (v.remoteKeys[c] === undefined) issue(["remoteKeys", c], `is required (an entry with properties ${CREDENTIAL_PROPERTIES[c].join(", ")})`);
      else if (typeof v.remoteKeys[c] !== "string" || v.remoteKeys[c] === "") issue(["remoteKeys", c], "must be a non-empty key");
    }
    for (const k of Object.keys(v.remoteKeys)) if (!(DEVICE_CREDENTIALS as readonly string[]).includes(k)) issue(["remoteKeys", k], `unknown credential; allowed: ${DEVICE_CREDENTIALS.join(", ")}`);
  }
  if (v.spec !== undefined) {
    if (!isObject(v.spec)) issue(["spec"], "must be a SecretStore spec {provider: {...}}");
    else if (!isObject(v.spec.provider)) issue(["spec", "provider"], "is required: one provider such as vault, aws, gcpsm, azurekv");
    else {
      const providers = Object.keys(v.spec.provider);
      if (providers.length !== 1) issue(["spec", "provider"], `must name exactly one provider, got ${providers.length ? providers.join(", ") : "none"}`);
      for (const p of providers) {
        const spec = v.spec.provider[p];
        if (!isObject(spec)) issue(["spec", "provider", p], "must be a mapping");
        else for (const f of PROVIDER_REQUIRED[p] ?? []) if (spec[f] === undefined) issue(["spec", "provider", p, f], "is required");
      }
    }
  }
  return { type: "external-secrets", kind: v.kind, name: v.name, spec: v.spec, refreshInterval: v.refreshInterval ?? "1h", remoteKeys: v.remoteKeys };
});

/** The template variable an ExternalSecret fills from a credential property: {{ .gnmi_password }}. */
export function credentialRef(credential: DeviceCredential, property: string): string {
  if (!CREDENTIAL_PROPERTIES[credential].includes(property)) throw new Error(`credential ${credential} has no property ${property}`);
  return `{{ .${credential}_${property} }}`;
}

export interface DeviceSecretArgs {
  readonly store: SecretStoreConfig;
  readonly metadata: { name: string; namespace: string; labels: Record<string, string> };
  /** Under the pulumi store: the Secret's values (today's behaviour). */
  readonly values: Record<string, pulumi.Input<string>>;
  /**
   * Under an ESO store: each key's template over credential properties (credentialRef), or a
   * fixed non-secret value. The same keys as `values`.
   */
  readonly template: Record<string, string>;
}

/** The manifest of one ExternalSecret for a device credential Secret. Pure, for tests. */
export function externalSecretManifest(store: ExternalSecretStore, metadata: DeviceSecretArgs["metadata"], template: Record<string, string>): Record<string, any> {
  const refs = new Map<string, { key: string; property: string }>();
  for (const text of Object.values(template)) {
    for (const m of text.matchAll(/\{\{ \.([a-z]+)_([A-Za-z]+) \}\}/g)) {
      const [credential, property] = [m[1] as DeviceCredential, m[2]];
      if (!(DEVICE_CREDENTIALS as readonly string[]).includes(credential)) throw new Error(`${metadata.name}: template names unknown credential ${credential}`);
      refs.set(`${credential}_${property}`, { key: store.remoteKeys[credential], property });
    }
  }
  return {
    apiVersion: ESO_API_VERSION,
    kind: "ExternalSecret",
    metadata: { ...metadata, labels: { ...metadata.labels, "helios.io/device-credentials": "true" } },
    spec: {
      refreshInterval: store.refreshInterval,
      secretStoreRef: { kind: store.kind, name: store.name },
      target: { name: metadata.name, creationPolicy: "Owner", template: { engineVersion: "v2", data: template } },
      data: [...refs].map(([secretKey, remoteRef]) => ({ secretKey, remoteRef })),
    },
  };
}

/**
 * A Secret of device credentials: a Kubernetes Secret from Pulumi config, or an ExternalSecret that
 * makes the same Secret from the external store.
 */
export function deviceSecret(name: string, args: DeviceSecretArgs, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  if (args.store.type === "pulumi") {
    return new k8s.core.v1.Secret(name, { metadata: args.metadata, type: "Opaque", stringData: args.values }, opts);
  }
  const manifest = externalSecretManifest(args.store, args.metadata, args.template);
  return new k8s.apiextensions.CustomResource(`${name}-external`, manifest as k8s.apiextensions.CustomResourceArgs, opts);
}

export interface SecretStoresArgs {
  readonly store: ExternalSecretStore;
  readonly namespaces: Record<NamespaceKey, pulumi.Resource>;
  readonly labels: Record<string, string>;
}

/** The store(s) Helios creates when helios:secretStore gives a spec: one ClusterSecretStore, or a SecretStore per credential namespace. */
export class SecretStores extends pulumi.ComponentResource {
  public readonly stores: pulumi.Resource[] = [];

  constructor(name: string, args: SecretStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:foundation:SecretStores", name, {}, opts);
    const { store } = args;
    if (store.spec) {
      const make = (id: string, namespace?: string, dependsOn: pulumi.Resource[] = []) =>
        new k8s.apiextensions.CustomResource(
          id,
          { apiVersion: ESO_API_VERSION, kind: store.kind, metadata: { name: store.name, namespace, labels: args.labels }, spec: store.spec },
          { parent: this, dependsOn },
        );
      if (store.kind === "ClusterSecretStore") this.stores.push(make(`${name}-cluster`));
      else for (const key of CREDENTIAL_NAMESPACES) this.stores.push(make(`${name}-${NAMESPACES[key].name}`, NAMESPACES[key].name, [args.namespaces[key]]));
    }
    this.registerOutputs({});
  }
}
