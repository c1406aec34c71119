/**
 * The few API calls the operator and the runner make, over @kubernetes/client-node 1.x (an ESM
 * package: Node >= 20.19 loads it from this CommonJS build). Status writes are JSON merge
 * patches carrying metadata.resourceVersion, so two writers never silently overwrite each other:
 * the loser gets a 409 and re-reads.
 */
import * as k8s from "@kubernetes/client-node";
import { EXECUTIONS, GROUP, Runbook, RunbookExecution, RUNBOOKS, VERSION } from "./types";

const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export function statusCode(e: unknown): number | undefined {
  return (e as { code?: number }).code;
}

export function loadKubeConfig(kubeconfig?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export class Kube {
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  readonly authn: k8s.AuthenticationV1Api;
  readonly authz: k8s.AuthorizationV1Api;
  constructor(readonly kc: k8s.KubeConfig) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    this.authn = kc.makeApiClient(k8s.AuthenticationV1Api);
    this.authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  }

  async getRunbook(name: string): Promise<Runbook | undefined> {
    try {
      return (await this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: RUNBOOKS, name })) as Runbook;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  async getExecution(namespace: string, name: string): Promise<RunbookExecution | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: EXECUTIONS, namespace, name })) as RunbookExecution;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  async patchRunbookStatus(name: string, resourceVersion: string | undefined, status: unknown): Promise<Runbook> {
    const body = { metadata: { resourceVersion }, status };
    return (await this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: RUNBOOKS, name, body }, merge)) as Runbook;
  }

  /** Merge-patches status; with a resourceVersion the write is refused (409) if the object moved. */
  async patchExecutionStatus(ex: RunbookExecution, status: unknown, checkVersion = true): Promise<RunbookExecution> {
    const body = { metadata: checkVersion ? { resourceVersion: ex.metadata.resourceVersion } : {}, status };
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, plural: EXECUTIONS, namespace: ex.metadata.namespace!, name: ex.metadata.name, body },
      merge,
    )) as RunbookExecution;
  }

  async patchConfigMapData(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    await this.core.patchNamespacedConfigMap({ namespace, name, body: { data } }, merge);
  }
}

/**
 * A raw JSON request with the kubeconfig's credentials. Used for Leases: the generated client
 * serialises MicroTime fields with millisecond precision, which the API server's RFC3339Micro
 * parser refuses, so lease bodies are sent as we write them.
 */
export async function rawRequest(kc: k8s.KubeConfig, method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: any }> {
  const https = await import("https");
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(apiPath, cluster.server);
  const opts: import("https").RequestOptions = { method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers: { Accept: "application/json" } };
  await kc.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) opts.headers = { ...opts.headers, "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) };
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = { message: text };
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
