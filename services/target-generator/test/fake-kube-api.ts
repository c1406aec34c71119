/**
 * FAKE Kubernetes API server: no Kubernetes API server can run on this machine (no cluster,
 * no kube-apiserver/etcd from the allowed registries), so the ConfigMap writer is exercised
 * against this small HTTP server that implements exactly the ConfigMap endpoints
 * @kubernetes/client-node calls (read, create, replace, delete), with resourceVersion
 * conflicts and 404s as the real API server answers them. The decisions about WHAT to write
 * live in src/plan.ts and are unit-tested without any server.
 */
import * as http from "http";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Stored {
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

export interface FakeKubeApi {
  url: string;
  /** A kubeconfig file pointing at the fake (for the CLI's KUBECONFIG). */
  kubeconfigFile: string;
  store: Map<string, Stored>;
  /** Every request as "METHOD name" (name or "-" for collection calls). */
  calls: string[];
  /** Makes the next N write requests fail with HTTP 500. */
  failWrites(n: number): void;
  close(): Promise<void>;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const store = new Map<string, Stored>();
  const calls: string[] = [];
  let rv = 100;
  let failing = 0;
  const status = (res: http.ServerResponse, code: number, reason: string, message: string) => {
    res.statusCode = code;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code }));
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/?]+))?(?:\?.*)?$/.exec(req.url ?? "");
      if (!m) return status(res, 404, "NotFound", `no route ${req.url}`);
      const [, ns, name] = m;
      const key = `${ns}/${name ?? ""}`;
      calls.push(`${req.method} ${name ?? "-"}`);
      if (req.method !== "GET" && failing > 0) {
        failing--;
        return status(res, 500, "InternalError", "injected failure");
      }
      const send = (code: number, obj: unknown) => {
        res.statusCode = code;
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify(obj));
      };
      const withKind = (s: Stored) => ({ apiVersion: "v1", kind: "ConfigMap", ...s });
      if (req.method === "GET" && name) {
        const s = store.get(key);
        return s ? send(200, withKind(s)) : status(res, 404, "NotFound", `configmaps "${name}" not found`);
      }
      if (req.method === "POST" && !name) {
        const obj = JSON.parse(body) as Stored;
        const k = `${ns}/${obj.metadata.name}`;
        if (store.has(k)) return status(res, 409, "AlreadyExists", `configmaps "${obj.metadata.name}" already exists`);
        const s: Stored = { metadata: { ...obj.metadata, namespace: ns, resourceVersion: String(++rv) }, data: obj.data };
        store.set(k, s);
        return send(201, withKind(s));
      }
      if (req.method === "PUT" && name) {
        const cur = store.get(key);
        if (!cur) return status(res, 404, "NotFound", `configmaps "${name}" not found`);
        const obj = JSON.parse(body) as Stored;
        if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
          return status(res, 409, "Conflict", `Operation cannot be fulfilled on configmaps "${name}": the object has been modified`);
        }
        const s: Stored = { metadata: { ...obj.metadata, namespace: ns, resourceVersion: String(++rv) }, data: obj.data };
        store.set(key, s);
        return send(200, withKind(s));
      }
      if (req.method === "DELETE" && name) {
        if (!store.delete(key)) return status(res, 404, "NotFound", `configmaps "${name}" not found`);
        return send(200, { kind: "Status", apiVersion: "v1", status: "Success" });
      }
      return status(res, 405, "MethodNotAllowed", `${req.method} not supported by the fake`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const kubeconfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "helios-kube-")), "config");
  fs.writeFileSync(
    kubeconfigFile,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: fake\n  context: {cluster: fake, user: fake}\ncurrent-context: fake\nusers:\n- name: fake\n  user: {}\n`,
  );
  return {
    url,
    kubeconfigFile,
    store,
    calls,
    failWrites: (n) => (failing = n),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
