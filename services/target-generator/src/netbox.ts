/**
 * NetBox REST client (NetBox >= 4.0: the device's `role`, not 3.x `device_role`): lists monitored devices and the sites (for their region).
 *
 * - Pagination by `limit`/`offset` until `count` is reached. The `next` link is ignored on
 *   purpose: behind a proxy NetBox often advertises its internal host there.
 * - Every request has a timeout (AbortController) and is retried with exponential backoff on
 *   network errors, timeouts, 429 and 5xx. Other 4xx (401, 403, 400, 404) fail at once.
 * - Tokens: v1 `Token <40 chars>` and v2 `Bearer nbt_<key>.<token>` (NetBox >= 4.5). A bare
 *   value is recognised: `nbt_...` is sent as Bearer, anything else as `Token`.
 * - A read that cannot be completed throws NetBoxError; callers never see partial lists.
 */
import { z } from "zod";

export type NetBoxErrorKind = "http" | "timeout" | "network" | "parse" | "inconsistent";

export class NetBoxError extends Error {
  constructor(
    message: string,
    public readonly kind: NetBoxErrorKind,
    public readonly status?: number,
  ) {
    super(message);
    this.name = "NetBoxError";
  }
}

export interface NetBoxClientOptions {
  /** Base URL, e.g. https://netbox.example.net (a trailing slash or /api is tolerated). */
  url: string;
  token: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, timeouts, 429, 5xx). */
  retries?: number;
  /** First backoff; doubles each retry (with jitter up to +25%). */
  backoffMs?: number;
  pageSize?: number;
  /** Extra device filters (NetBox filter names), e.g. { site: ["dc-a"], tag: "core" }. */
  filters?: Record<string, string | string[]>;
  /** For tests: replaces the sleep between retries. */
  sleep?: (ms: number) => Promise<void>;
}

/** The Authorization header for a token in either NetBox style. Throws on an empty/odd token. */
export function authorizationHeader(token: string): string {
  const t = token.trim();
  if (!t) throw new Error("NetBox token is empty");
  if (/\s/.test(t.replace(/^(Token|Bearer) /, ""))) throw new Error("NetBox token must be `Token <key>`, `Bearer nbt_<key>.<token>` or a bare key");
  if (/^Token \S+$/.test(t)) return t;
  if (/^Bearer nbt_[A-Za-z0-9]+\.\S+$/.test(t)) return t;
  if (/^Bearer /.test(t)) throw new Error("NetBox v2 tokens look like `Bearer nbt_<key>.<token>`");
  if (/^nbt_[A-Za-z0-9]+\.\S+$/.test(t)) return `Bearer ${t}`;
  if (/^nbt_/.test(t)) throw new Error("NetBox v2 token must be nbt_<key>.<token>");
  return `Token ${t}`;
}

const pageSchema = z.object({ count: z.number().int().nonnegative(), results: z.array(z.unknown()) });

/**
 * Default device filter: the monitoring flag only. Status and primary IP are deliberately NOT
 * filtered server-side (status=active, has_primary_ip=true would make NetBox drop monitored
 * devices unseen): the generator reads every monitored device and accounts for each one,
 * skipping a planned device or one without an address with a logged and counted reason.
 */
export const DEVICE_FILTERS: Record<string, string> = { cf_helios_monitor: "true" };

export class NetBoxClient {
  private readonly base: string;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly pageSize: number;
  private readonly filters: Record<string, string | string[]>;
  private readonly sleep: (ms: number) => Promise<void>;
  /** HTTP requests made (for logs and the benchmark). */
  public requests = 0;

  constructor(opts: NetBoxClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new Error(`NetBox URL ${JSON.stringify(opts.url)} is not an absolute URL`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`NetBox URL must be http(s): ${opts.url}`);
    this.base = u.origin + u.pathname.replace(/\/+$/, "").replace(/\/api$/, "");
    this.auth = authorizationHeader(opts.token);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.pageSize = opts.pageSize ?? 500;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > 1000) throw new Error("pageSize must be 1..1000");
    this.filters = { ...DEVICE_FILTERS, ...(opts.filters ?? {}) };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Every monitored device (raw NetBox JSON), or throws. */
  listDevices(): Promise<unknown[]> {
    return this.listAll("/api/dcim/devices/", { ...this.filters, exclude: "config_context", ordering: "id" });
  }

  /** Every site (raw NetBox JSON), or throws. */
  listSites(): Promise<unknown[]> {
    return this.listAll("/api/dcim/sites/", { ordering: "id" });
  }

  /** GETs every page of a list endpoint by offset until `count`. */
  async listAll(path: string, params: Record<string, string | string[]>): Promise<unknown[]> {
    const out: unknown[] = [];
    const seen = new Set<unknown>();
    let expected: number | undefined;
    let offset = 0;
    for (;;) {
      const page = await this.getPage(path, params, offset);
      if (expected === undefined) expected = page.count;
      for (const r of page.results) {
        const id = typeof r === "object" && r !== null ? (r as { id?: unknown }).id : undefined;
        if (id !== undefined) {
          if (seen.has(id)) continue; // an object shifted across pages while we read
          seen.add(id);
        }
        out.push(r);
      }
      offset += page.results.length;
      if (offset >= expected || out.length >= expected) break;
      if (page.results.length === 0) {
        throw new NetBoxError(`${path}: page at offset ${offset} is empty but count is ${expected}`, "inconsistent");
      }
    }
    if (out.length < (expected ?? 0)) throw new NetBoxError(`${path}: read ${out.length} objects, count said ${expected}`, "inconsistent");
    return out;
  }

  private async getPage(path: string, params: Record<string, string | string[]>, offset: number): Promise<z.infer<typeof pageSchema>> {
    const q = new URLSearchParams();
    for (const k of Object.keys(params).sort()) {
      const v = params[k];
      for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    }
    q.set("limit", String(this.pageSize));
    q.set("offset", String(offset));
    const body = await this.get(`${this.base}${path}?${q.toString()}`);
    const parsed = pageSchema.safeParse(body);
    if (!parsed.success) throw new NetBoxError(`${path}: response is not a NetBox list page (count/results): ${parsed.error.issues[0]?.message}`, "parse");
    return parsed.data;
  }

  private async get(url: string): Promise<unknown> {
    let last: NetBoxError | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        const base = this.backoffMs * 2 ** (attempt - 1);
        await this.sleep(base + Math.floor(Math.random() * base * 0.25));
      }
      try {
        return await this.once(url);
      } catch (e) {
        last = e instanceof NetBoxError ? e : new NetBoxError(String(e), "network");
        const retriable = last.kind === "timeout" || last.kind === "network" || (last.kind === "http" && (last.status === 429 || (last.status ?? 0) >= 500));
        if (!retriable) throw last;
      }
    }
    throw last as NetBoxError;
  }

  private async once(url: string): Promise<unknown> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.timeoutMs);
    this.requests++;
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers: { Authorization: this.auth, Accept: "application/json" }, signal: ctl.signal });
      } catch (e) {
        if (ctl.signal.aborted) throw new NetBoxError(`GET ${redact(url)} timed out after ${this.timeoutMs} ms`, "timeout");
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new NetBoxError(`GET ${redact(url)} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`, "network");
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        if (ctl.signal.aborted) throw new NetBoxError(`GET ${redact(url)} timed out after ${this.timeoutMs} ms (reading body)`, "timeout");
        throw new NetBoxError(`GET ${redact(url)}: reading body failed: ${(e as Error).message}`, "network");
      }
      if (!res.ok) {
        throw new NetBoxError(`GET ${redact(url)}: HTTP ${res.status}: ${text.slice(0, 200)}`, "http", res.status);
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new NetBoxError(`GET ${redact(url)}: response is not JSON: ${text.slice(0, 100)}`, "parse");
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

function redact(url: string): string {
  return url.replace(/\?.*$/, (q) => (q.length > 120 ? q.slice(0, 120) + "…" : q));
}
