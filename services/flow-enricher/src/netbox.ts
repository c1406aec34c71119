/**
 * NetBox 4.x cache: exporter IP → device metadata, (device, ifIndex) → interface.
 *
 * NetBox has no ifIndex on interfaces; Helios uses a custom field on dcim.interface named
 * `snmp_ifindex` (integer; the name is configurable). Interface `speed` in NetBox is kbit/s;
 * we convert to bit/s. Exporter addresses come from each device's primary_ip4/primary_ip6 and
 * from every IP address assigned to one of its interfaces (ipam/ip-addresses).
 * The tier comes from a device custom field (default `monitoring_tier`, as the target
 * generator uses), falling back to the site's.
 *
 * Pagination follows the path and query of `next` (NetBox's `count/next/previous/results`
 * envelope) on the configured URL's scheme, host and port. Auth: legacy
 * tokens as `Token <key>`, NetBox 4.5 v2 tokens (`nbt_...`) as `Bearer <token>`.
 * The snapshot is built off the hot path and swapped by the caller in one assignment.
 */
import { z } from "zod";

export interface InterfaceInfo {
  name: string;
  description: string;
  /** bit/s, 0 unknown */
  speed: number;
}

export interface DeviceInfo {
  id: number;
  name: string;
  site: string;
  region: string;
  role: string;
  tenant: string;
  vendor: string;
  platform: string;
  tier: string;
  /** default sampling rate from the device's custom field (0/absent: none); see resolve.ts */
  samplingRate?: number;
  /** by SNMP ifIndex */
  interfaces: Map<number, InterfaceInfo>;
}

const positiveInt = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : 0);

export interface NetBoxSnapshot {
  /** exporter address text ("192.0.2.1", "2001:db8::1" in canonical lower-case form) → device */
  byAddress: Map<string, DeviceInfo>;
  devices: number;
  interfaces: number;
  builtAt: number;
}

const named = z.object({ name: z.string() }).passthrough().nullable().optional();
const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ count: z.number(), next: z.string().nullable(), results: z.array(item) }).passthrough();
const ipRef = z.object({ address: z.string() }).passthrough().nullable().optional();
const customFields = z.record(z.unknown()).nullable().optional();

const siteSchema = z.object({ id: z.number(), name: z.string(), region: named, custom_fields: customFields }).passthrough();
const deviceSchema = z
  .object({
    id: z.number(),
    name: z.string().nullable(),
    role: named,
    device_type: z.object({ manufacturer: named }).passthrough().nullable().optional(),
    platform: named,
    tenant: named,
    site: z.object({ id: z.number(), name: z.string() }).passthrough(),
    primary_ip4: ipRef,
    primary_ip6: ipRef,
    custom_fields: customFields,
  })
  .passthrough();
const interfaceSchema = z
  .object({
    id: z.number(),
    device: z.object({ id: z.number() }).passthrough(),
    name: z.string(),
    description: z.string().optional().default(""),
    speed: z.number().nullable().optional(),
    custom_fields: customFields,
  })
  .passthrough();
const ipSchema = z
  .object({
    address: z.string(),
    assigned_object_type: z.string().nullable().optional(),
    assigned_object: z.object({ device: z.object({ id: z.number() }).passthrough().optional() }).passthrough().nullable().optional(),
  })
  .passthrough();

export interface NetBoxClientOptions {
  url: string;
  token: string;
  ifIndexField?: string;
  tierField?: string;
  /** device custom field holding the exporter's default sampling rate */
  samplingRateField?: string;
  pageSize?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** Canonical text of an address (strips "/len", lower-cases, compresses IPv6 like the enricher's key). */
export function canonicalAddress(cidrOrIp: string): string {
  const ip = cidrOrIp.split("/")[0].trim().toLowerCase();
  if (!ip.includes(":")) return ip;
  // Expand to 8 groups without leading zeros: the same text addressToString() produces.
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => parseInt(g || "0", 16).toString(16)).join(":");
}

export class NetBoxClient {
  private readonly base: string;
  private readonly origin: string;
  private readonly auth: string;
  constructor(private readonly opts: NetBoxClientOptions) {
    this.base = opts.url.replace(/\/+$/, "");
    this.origin = new URL(this.base).origin;
    this.auth = opts.token.startsWith("nbt_") ? `Bearer ${opts.token}` : `Token ${opts.token}`;
  }

  private async list<T extends z.ZodTypeAny>(pathAndQuery: string, item: T): Promise<z.infer<T>[]> {
    const f = this.opts.fetchImpl ?? fetch;
    const out: z.infer<T>[] = [];
    const sep = pathAndQuery.includes("?") ? "&" : "?";
    let next: string | null = `${this.base}${pathAndQuery}${sep}limit=${this.opts.pageSize ?? 1000}`;
    const schema = page(item);
    let pages = 0;
    while (next) {
      if (++pages > 10_000) throw new Error(`NetBox ${pathAndQuery}: more than 10000 pages`);
      const url: string = next;
      let status: number;
      let body: string;
      try {
        const res = await f(url, {
          headers: { Authorization: this.auth, Accept: "application/json" },
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
        status = res.status;
        body = await res.text();
      } catch (e) {
        // fetch reports a refused connection, DNS failure or reset as a bare "fetch failed"; the
        // reason is in `cause` (an AggregateError with only a `code` when several addresses failed).
        // Without it the refresher's log would not say what is down.
        const cause = (e as { cause?: { message?: string; code?: string } }).cause;
        const why = cause?.message || cause?.code;
        throw new Error(`NetBox GET ${url}: ${(e as Error).message}${why ? `: ${why}` : ""}`);
      }
      if (status < 200 || status > 299) throw new Error(`NetBox GET ${url} -> HTTP ${status}: ${body.slice(0, 200)}`);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new Error(`NetBox GET ${url}: response is not JSON: ${body.slice(0, 200)}`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new Error(`NetBox GET ${url}: unexpected response shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      }
      out.push(...parsed.data.results);
      // NetBox builds `next` from the scheme and Host header it received. Behind a reverse proxy
      // those are often not the address we use (nginx's $host drops a non-default port; TLS
      // terminated in front gives http://), so only its path and query are taken.
      const n = parsed.data.next ? new URL(parsed.data.next) : undefined;
      next = n ? `${this.origin}${n.pathname}${n.search}` : null;
    }
    return out;
  }

  /** Builds a complete snapshot; throws on any error (the caller keeps the previous one). */
  async snapshot(): Promise<NetBoxSnapshot> {
    const ifField = this.opts.ifIndexField ?? "snmp_ifindex";
    const tierField = this.opts.tierField ?? "monitoring_tier";
    // `fields=` (NetBox >= 4.0) has NetBox serialize only what is read here. Measured on NetBox
    // 4.7.3: a page of 1000 full interfaces (cable paths, link peers, ...) took 4.1-4.9 s and
    // 1.3 MB, with `fields` 0.4 s and 225 kB; at 100k interfaces the full list would outlast the
    // refresh interval.
    const [sites, devices, interfaces, ips] = await Promise.all([
      this.list("/api/dcim/sites/?fields=id,name,region,custom_fields", siteSchema),
      this.list("/api/dcim/devices/?fields=id,name,role,device_type,platform,tenant,site,primary_ip4,primary_ip6,custom_fields", deviceSchema),
      this.list("/api/dcim/interfaces/?fields=id,device,name,description,speed,custom_fields", interfaceSchema),
      this.list("/api/ipam/ip-addresses/?assigned_to_interface=true&fields=id,address,assigned_object_type,assigned_object", ipSchema),
    ]);
    const siteById = new Map(sites.map((s) => [s.id, s]));
    const byId = new Map<number, DeviceInfo>();
    const byAddress = new Map<string, DeviceInfo>();
    const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));
    for (const d of devices) {
      const site = siteById.get(d.site.id);
      const info: DeviceInfo = {
        id: d.id,
        name: d.name ?? "",
        site: d.site.name,
        region: site?.region?.name ?? "",
        role: d.role?.name ?? "",
        tenant: d.tenant?.name ?? "",
        vendor: d.device_type?.manufacturer?.name ?? "",
        platform: d.platform?.name ?? "",
        tier: str(d.custom_fields?.[tierField] ?? site?.custom_fields?.[tierField]),
        samplingRate: positiveInt(d.custom_fields?.[this.opts.samplingRateField ?? "flow_sampling_rate"]),
        interfaces: new Map(),
      };
      byId.set(d.id, info);
      for (const ip of [d.primary_ip4, d.primary_ip6]) if (ip) byAddress.set(canonicalAddress(ip.address), info);
    }
    for (const ip of ips) {
      if (ip.assigned_object_type !== "dcim.interface") continue;
      const dev = ip.assigned_object?.device ? byId.get(ip.assigned_object.device.id) : undefined;
      const key = canonicalAddress(ip.address);
      if (dev && !byAddress.has(key)) byAddress.set(key, dev);
    }
    let nIf = 0;
    for (const i of interfaces) {
      const dev = byId.get(i.device.id);
      const idx = i.custom_fields?.[ifField];
      if (!dev || typeof idx !== "number" || !Number.isInteger(idx) || idx < 0) continue;
      dev.interfaces.set(idx, { name: i.name, description: i.description ?? "", speed: (i.speed ?? 0) * 1000 });
      nIf++;
    }
    return { byAddress, devices: byId.size, interfaces: nIf, builtAt: Date.now() / 1000 };
  }
}

/** Periodic refresher: keeps the last good snapshot when NetBox fails and counts the failure. */
export class NetBoxRefresher {
  current: NetBoxSnapshot | undefined;
  failures = 0;
  successes = 0;
  lastError = "";
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly client: Pick<NetBoxClient, "snapshot">,
    private readonly onSwap: (s: NetBoxSnapshot) => void,
    private readonly onFailure: (e: Error) => void = () => undefined,
  ) {}

  /** One refresh; never throws. */
  refresh(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const snap = await this.client.snapshot();
        this.current = snap;
        this.successes++;
        this.onSwap(snap);
      } catch (e) {
        this.failures++;
        this.lastError = (e as Error).message;
        this.onFailure(e as Error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
