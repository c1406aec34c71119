/**
 * What a kubelet gives every pod to reach the API server, for the pod runner: the service account's
 * token, the cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount (bind-
 * mounted in the pod's own mount namespace, since client-go reads that fixed path), and
 * KUBERNETES_SERVICE_HOST/PORT. The API server listens on the machine's loopback, which a pod's
 * network namespace cannot reach: a forwarder inside the pod (127.0.0.1:6443) relays through a
 * Unix socket, which crosses namespaces, to a relay here that dials the API server.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { KubeCluster } from "./kube";
import { PodNetns, PodNetwork } from "./pod-network";
import { tempDir } from "./tools";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const IN_POD_API_PORT = 6443;

/** The relay on this side: a Unix socket that dials the cluster's API server. */
export class ApiRelay {
  readonly socket: string;
  private readonly server: net.Server;

  constructor(cluster: KubeCluster) {
    this.socket = path.join(tempDir("api-relay"), "api.sock");
    const { hostname, port } = new URL(cluster.server);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(port), hostname);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close);
      upstream.on("error", close);
    });
    this.server.listen(this.socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts the in-pod end of the relay: 127.0.0.1:6443 inside the pod's network namespace. */
export function startPodForwarder(pod: PodNetns, relay: ApiRelay): ChildProcess {
  const script = `
    const net = require("net");
    net.createServer((c) => { const u = net.connect(${JSON.stringify(relay.socket)}); c.pipe(u).pipe(c);
      const close = () => { c.destroy(); u.destroy(); }; c.on("error", close); u.on("error", close); })
      .listen(${IN_POD_API_PORT}, "127.0.0.1");`;
  const argv = [...PodNetwork.exec(pod), process.execPath, "-e", script];
  return spawn(argv[0], argv.slice(1), { stdio: "ignore" });
}

/**
 * The service account files for a pod: a real token from the TokenRequest API, so the pod acts with
 * exactly the RBAC the stack gives its service account. Throws when the account does not exist (a
 * kubelet would not start the pod either).
 */
export function serviceAccountFiles(cluster: KubeCluster, namespace: string, serviceAccount: string): string {
  const r = cluster.kubectl(["create", "token", serviceAccount, "-n", namespace, "--duration=2h"]);
  if (r.status !== 0) throw new Error(`service account ${namespace}/${serviceAccount}: ${r.stderr.trim()}`);
  const dir = tempDir("serviceaccount");
  fs.writeFileSync(path.join(dir, "token"), r.stdout.trim());
  fs.copyFileSync(cluster.caFile, path.join(dir, "ca.crt"));
  fs.writeFileSync(path.join(dir, "namespace"), namespace);
  return dir;
}

/** argv that bind-mounts `dir` at the service account path in the process' own mount namespace, then runs `argv`. */
export function withServiceAccount(dir: string, argv: string[]): string[] {
  // `ip netns exec` has already given the process a private mount namespace.
  fs.mkdirSync(SERVICE_ACCOUNT_DIR, { recursive: true });
  return ["sh", "-c", `mount --bind "$0" ${SERVICE_ACCOUNT_DIR} && exec "$@"`, dir, ...argv];
}
