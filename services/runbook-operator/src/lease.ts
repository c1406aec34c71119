/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews
 * every period; another replica takes over only after leaseDurationSeconds without renewal, with
 * resourceVersion-checked writes so two replicas can never both win. A leader that cannot renew
 * in time steps down by exiting, and its pod restarts as a follower.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { rawRequest } from "./kube";

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  leading = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly o: LeaseOptions,
  ) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
  }

  /** One attempt to acquire or renew; true when this replica holds the lease afterwards. */
  async tryAcquireOrRenew(now = new Date()): Promise<boolean> {
    const got = await rawRequest(this.kc, "GET", `${this.path}/${this.o.name}`);
    const spec = { holderIdentity: this.o.identity, leaseDurationSeconds: this.o.leaseDurationSeconds, renewTime: microTime(now) };
    if (got.status === 404) {
      const created = await rawRequest(this.kc, "POST", this.path, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return created.status === 201;
    }
    if (got.status !== 200) throw new Error(`reading lease ${this.o.name}: ${got.status} ${got.json?.message ?? ""}`);
    const lease = got.json;
    const holder: string | undefined = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    const mine = holder === this.o.identity;
    if (!mine && holder && renewed + duration > now.getTime()) return false;
    const next = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        ...(mine ? {} : { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 }),
      },
    };
    const put = await rawRequest(this.kc, "PUT", `${this.path}/${this.o.name}`, next);
    return put.status === 200;
  }

  /** Blocks until leading; then keeps renewing, calling onLost if a renewal deadline passes. */
  async acquire(onLost: () => void): Promise<void> {
    const period = Math.max(1000, (this.o.leaseDurationSeconds * 1000) / 3);
    for (;;) {
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch {
        // API server unreachable: keep trying; a follower has nothing to lose.
      }
      await new Promise((r) => setTimeout(r, period));
    }
    this.leading = true;
    this.lastRenew = Date.now();
    this.timer = setInterval(async () => {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch {
        ok = false;
      }
      if (ok) this.lastRenew = Date.now();
      else if (Date.now() - this.lastRenew > this.o.leaseDurationSeconds * 1000) {
        this.stop();
        onLost();
      }
    }, period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.leading = false;
  }
}
