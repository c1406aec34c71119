/**
 * A pod network for the pod runner: every pod gets its own network namespace (its own loopback and
 * ports, as in a real pod) with one interface on a bridge, and an /etc/hosts that resolves the
 * cluster's Service names to the pods behind them, standing in for cluster DNS and kube-proxy.
 *
 * The bridge lives in a namespace of its own ("node"), so no address of this network is ever routed
 * from the machine's own namespace: all traffic stays between the namespaces made here.
 * `ip netns exec` bind-mounts /etc/netns/<pod>/hosts over /etc/hosts for the processes it starts.
 */
import * as fs from "fs";
import { run } from "./tools";

const SUBNET_PREFIX = "10.213.0";

function ip(args: string[]): void {
  const r = run("ip", args, { timeoutMs: 15_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

export interface PodNetns {
  /** The namespace name, for `ip netns exec`. */
  netns: string;
  /** The pod's address on the bridge. */
  address: string;
}

export class PodNetwork {
  private readonly node: string;
  private nextHost = 2;
  private readonly pods: PodNetns[] = [];
  /** Service DNS names → the address of the pod that serves them. */
  private readonly names = new Map<string, string>();

  constructor(private readonly id: string = `${process.pid}`) {
    this.node = `hnode-${id}`;
    ip(["netns", "add", this.node]);
    ip(["-n", this.node, "link", "set", "lo", "up"]);
    ip(["-n", this.node, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", this.node, "link", "set", "br0", "up"]);
  }

  /** A new pod namespace with loopback and an address on the bridge. */
  addPod(): PodNetns {
    const n = this.nextHost++;
    if (n > 250) throw new Error("pod network full");
    const netns = `hpod-${this.id}-${n}`;
    ip(["netns", "add", netns]);
    ip(["-n", this.node, "link", "add", `veth${n}`, "type", "veth", "peer", "name", "eth0", "netns", netns]);
    ip(["-n", this.node, "link", "set", `veth${n}`, "master", "br0", "up"]);
    ip(["-n", netns, "link", "set", "lo", "up"]);
    ip(["-n", netns, "addr", "add", `${SUBNET_PREFIX}.${n}/24`, "dev", "eth0"]);
    ip(["-n", netns, "link", "set", "eth0", "up"]);
    const pod = { netns, address: `${SUBNET_PREFIX}.${n}` };
    this.pods.push(pod);
    this.writeHosts();
    return pod;
  }

  /**
   * Publishes a Service: `name.namespace` and its longer forms (name.namespace.svc,
   * name.namespace.svc.cluster.local), or any other host name, resolve to `address`.
   */
  publish(hostNames: string[], address: string): void {
    for (const h of hostNames) this.names.set(h, address);
    this.writeHosts();
  }

  static serviceNames(name: string, namespace: string): string[] {
    return [`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
  }

  private writeHosts(): void {
    const lines = ["127.0.0.1 localhost", "::1 localhost"];
    for (const [name, address] of this.names) lines.push(`${address} ${name}`);
    for (const pod of this.pods) {
      fs.mkdirSync(`/etc/netns/${pod.netns}`, { recursive: true });
      fs.writeFileSync(`/etc/netns/${pod.netns}/hosts`, lines.join("\n") + "\n");
    }
  }

  /** The argv prefix that runs a command inside a pod's namespace. */
  static exec(pod: PodNetns): string[] {
    return ["ip", "netns", "exec", pod.netns];
  }

  destroy(): void {
    for (const pod of this.pods) {
      run("ip", ["netns", "del", pod.netns]);
      fs.rmSync(`/etc/netns/${pod.netns}`, { recursive: true, force: true });
    }
    run("ip", ["netns", "del", this.node]);
  }
}

/** Resolves once something accepts TCP connections on host:port inside the pod's namespace. */
export async function waitForPortInPod(pod: PodNetns, host: string, port: number, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = run("ip", ["netns", "exec", pod.netns, "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`], { timeoutMs: 5_000 });
    if (r.status === 0) return;
    if (!isAlive()) throw new Error(`process exited before listening on ${host}:${port} in ${pod.netns}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} in ${pod.netns} within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
