/**
 * Target resolution through the NetBox REST API (the inventory target-generator also reads).
 * A device that is not there is an error the execution fails with, never a skip.
 */
export interface Device {
  name: string;
  address: string;
  port: number;
  site?: string;
  platform?: string;
}

export interface Inventory {
  /** undefined when NetBox has no device of that name. */
  byName(name: string): Promise<Device | undefined>;
  /** NetBox filters (site, role, tag, platform, status, …) ANDed; at most `max` devices. */
  select(filters: Record<string, string>, max: number): Promise<Device[]>;
}

export class InventoryError extends Error {
  constructor(
    readonly reason: "DeviceNotFound" | "SelectorTooWide" | "SelectorEmpty" | "InventoryUnavailable" | "DeviceUnreachable",
    message: string,
  ) {
    super(message);
  }
}

interface NetBoxDevice {
  name: string | null;
  primary_ip?: { address: string } | null;
  site?: { slug: string } | null;
  platform?: { slug: string } | null;
  custom_fields?: Record<string, unknown>;
}

const DEFAULT_GNMI_PORT = 57400;
/** Name lookups sent to NetBox at once; more names wait and go together in the next request. */
const MAX_LOOKUPS_IN_FLIGHT = 2;
/** Names in one lookup request (a URL of a few KiB at most). */
const MAX_NAMES_PER_LOOKUP = 50;
/** Page size of a lookup: room for every name matching a device in a few sites. */
const LOOKUP_PAGE = 200;

export class NetBoxInventory implements Inventory {
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Lookups in flight, by query: concurrent identical lookups share one request (never a cached answer). */
  private readonly inFlight = new Map<string, Promise<{ count: number; results: NetBoxDevice[] }>>();

  private devices(query: URLSearchParams): Promise<{ count: number; results: NetBoxDevice[] }> {
    const key = query.toString();
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.fetchDevices(query).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async fetchDevices(query: URLSearchParams): Promise<{ count: number; results: NetBoxDevice[] }> {
    const u = `${this.url.replace(/\/$/, "")}/api/dcim/devices/?${query}`;
    let res: Response;
    try {
      res = await fetch(u, { headers: { Authorization: `Token ${this.token}`, Accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new InventoryError("InventoryUnavailable", `NetBox at ${this.url} did not answer: ${(e as Error).message}`);
    }
    if (!res.ok) throw new InventoryError("InventoryUnavailable", `NetBox answered ${res.status} for ${u}`);
    return (await res.json()) as { count: number; results: NetBoxDevice[] };
  }

  private toDevice(d: NetBoxDevice): Device {
    const name = d.name ?? "(unnamed)";
    const ip = d.primary_ip?.address?.split("/")[0];
    if (!ip) throw new InventoryError("DeviceUnreachable", `device ${name} has no primary IP in NetBox`);
    const port = Number(d.custom_fields?.gnmi_port ?? DEFAULT_GNMI_PORT);
    return { name, address: ip, port: Number.isInteger(port) && port > 0 ? port : DEFAULT_GNMI_PORT, site: d.site?.slug, platform: d.platform?.slug };
  }

  /**
   * Name lookups go out together: while MAX_LOOKUPS_IN_FLIGHT requests are in flight, further names
   * wait and leave as one request with a `name=` filter each, so ten executions created at once
   * cost NetBox two or three requests instead of ten (its workers were the dispatch's p99). Each
   * answer is fresh from NetBox: nothing is cached between requests.
   */
  private readonly waiting = new Map<string, { resolve: (d: Device | undefined) => void; reject: (e: unknown) => void }[]>();
  private lookupsInFlight = 0;

  byName(name: string): Promise<Device | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(name);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(name, [{ resolve, reject }]);
      this.sendWaiting();
    });
  }

  private sendWaiting(): void {
    while (this.waiting.size > 0 && this.lookupsInFlight < MAX_LOOKUPS_IN_FLIGHT) {
      const batch = new Map([...this.waiting].slice(0, MAX_NAMES_PER_LOOKUP));
      for (const name of batch.keys()) this.waiting.delete(name);
      this.lookupsInFlight++;
      void this.lookUp(batch).finally(() => {
        this.lookupsInFlight--;
        this.sendWaiting();
      });
    }
  }

  private async lookUp(batch: Map<string, { resolve: (d: Device | undefined) => void; reject: (e: unknown) => void }[]>): Promise<void> {
    const names = [...batch.keys()];
    let results: NetBoxDevice[];
    try {
      const query = new URLSearchParams(names.map((n): [string, string] => ["name", n]));
      // NetBox names are unique per site, so a name may match several devices; a page too short
      // for them all (count above what came back) is asked again name by name.
      query.set("limit", String(LOOKUP_PAGE));
      const r = await this.devices(query);
      results = r.count > r.results.length ? await this.oneByOne(names) : r.results;
    } catch (e) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
      return;
    }
    for (const [name, waiters] of batch) {
      const exact = results.find((d) => d.name === name);
      let device: Device | undefined;
      try {
        device = exact === undefined ? undefined : this.toDevice(exact);
      } catch (e) {
        for (const w of waiters) w.reject(e);
        continue;
      }
      for (const w of waiters) w.resolve(device);
    }
  }

  private async oneByOne(names: string[]): Promise<NetBoxDevice[]> {
    const all: NetBoxDevice[] = [];
    for (const name of names) {
      const r = await this.devices(new URLSearchParams({ name, limit: "2" }));
      const exact = r.results.find((d) => d.name === name);
      if (exact) all.push(exact);
    }
    return all;
  }

  async select(filters: Record<string, string>, max: number): Promise<Device[]> {
    const r = await this.devices(new URLSearchParams({ ...filters, limit: String(max + 1) }));
    if (r.count > max) throw new InventoryError("SelectorTooWide", `selector ${JSON.stringify(filters)} matches ${r.count} devices, more than maxDevices ${max}`);
    if (r.count === 0) throw new InventoryError("SelectorEmpty", `selector ${JSON.stringify(filters)} matches no device in NetBox`);
    return r.results.map((d) => this.toDevice(d)).sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Resolves an execution's target, failing with a reason the status can carry. */
export async function resolveTarget(inv: Inventory, target: { device?: string; selector?: { matchLabels: Record<string, string>; maxDevices?: number } }): Promise<Device[]> {
  if (target.device !== undefined) {
    const d = await inv.byName(target.device);
    if (!d) throw new InventoryError("DeviceNotFound", `device ${target.device} is not in NetBox (removed or renamed?)`);
    return [d];
  }
  if (target.selector) return inv.select(target.selector.matchLabels, target.selector.maxDevices ?? 10);
  throw new InventoryError("DeviceNotFound", "the execution names no target");
}
