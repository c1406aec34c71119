/**
 * The Kubernetes writer: ConfigMaps in one namespace via @kubernetes/client-node 1.x. It only
 * GETs, creates, replaces (with resourceVersion: a concurrent change is a conflict, not a lost
 * update) and deletes the generator's named ConfigMaps: no list, matching the Role, which
 * names them (plan.ts allConfigMapNames).
 */
import * as k8s from "@kubernetes/client-node";
import { Kind, KINDS } from "./generate";
import { ANN_CONFIGMAPS, configMapName, ExistingConfigMap, MAX_EXTRA_CONFIGMAPS, WriteAction } from "./plan";
import { TargetWriter } from "./writers";

export class ConfigMapWriter implements TargetWriter {
  private readonly api: k8s.CoreV1Api;
  constructor(
    kc: k8s.KubeConfig,
    private readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(k8s.CoreV1Api);
  }

  describe(): string {
    return `ConfigMaps in namespace ${this.namespace}`;
  }

  private async read(name: string): Promise<ExistingConfigMap | undefined> {
    try {
      const cm = await this.api.readNamespacedConfigMap({ name, namespace: this.namespace });
      return {
        name,
        data: cm.data ?? {},
        annotations: cm.metadata?.annotations ?? {},
        resourceVersion: cm.metadata?.resourceVersion,
      };
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  async readExisting(): Promise<Map<string, ExistingConfigMap>> {
    const out = new Map<string, ExistingConfigMap>();
    for (const kind of KINDS as readonly Kind[]) {
      const base = await this.read(configMapName(kind));
      if (!base) continue;
      out.set(base.name, base);
      const n = Number(base.annotations[ANN_CONFIGMAPS] ?? "1");
      const count = Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_EXTRA_CONFIGMAPS + 1) : 1;
      for (let i = 1; i < count; i++) {
        const extra = await this.read(configMapName(kind, i));
        if (extra) out.set(extra.name, extra);
      }
    }
    return out;
  }

  async apply(actions: WriteAction[]): Promise<number> {
    let n = 0;
    for (const a of actions) {
      if (a.op === "unchanged") continue;
      if (a.op === "delete") {
        try {
          await this.api.deleteNamespacedConfigMap({ name: a.name, namespace: this.namespace });
        } catch (e) {
          if ((e as { code?: number }).code !== 404) throw e;
        }
      } else {
        const body: k8s.V1ConfigMap = {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: a.cm.name,
            namespace: this.namespace,
            labels: a.cm.labels,
            annotations: a.cm.annotations,
            ...(a.op === "replace" && a.resourceVersion ? { resourceVersion: a.resourceVersion } : {}),
          },
          data: a.cm.data,
        };
        if (a.op === "create") await this.api.createNamespacedConfigMap({ namespace: this.namespace, body });
        else await this.api.replaceNamespacedConfigMap({ name: a.cm.name, namespace: this.namespace, body });
      }
      n++;
    }
    return n;
  }
}


/** In-cluster service account, else KUBECONFIG / ~/.kube/config. */
export function kubernetesWriter(namespace: string): TargetWriter {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return new ConfigMapWriter(kc, namespace);
}
