/**
 * Pushes an OCI layout's image index (with its manifests and blobs) to a registry over the OCI
 * distribution API (distribution-spec v1.1: blob upload POST + monolithic PUT, manifests by
 * digest, then the index by tag), and pulls it back to check every digest. A registry that does
 * not answer fails within seconds, naming it. Credentials, when the registry asks (401 with a
 * Bearer challenge), come from REGISTRY_USERNAME / REGISTRY_PASSWORD (users' CI).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { MEDIA, readBlob } from "./oci";

export interface PushTarget {
  /** host[:port], e.g. 127.0.0.1:5000 */
  registry: string;
  /** repository, e.g. helios/flow-enricher */
  repository: string;
  tag: string;
  /** plain http (loopback registries); default: http for localhost/127.0.0.1, else https */
  insecure?: boolean;
  timeoutMs?: number;
}

const sha = (b: Buffer) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

class Registry {
  private token?: string;
  constructor(private readonly t: PushTarget) {}

  private base(): string {
    const insecure = this.t.insecure ?? /^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(this.t.registry);
    return `${insecure ? "http" : "https"}://${this.t.registry}`;
  }

  async request(method: string, urlOrPath: string, init: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = urlOrPath.startsWith("http") ? urlOrPath : `${this.base()}${urlOrPath}`;
    const send = () =>
      fetch(url, {
        method,
        body: init.body,
        headers: { ...(init.headers ?? {}), ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
        signal: AbortSignal.timeout(this.t.timeoutMs ?? 10_000),
        redirect: "follow",
      });
    let res: Response;
    try {
      res = await send();
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`registry ${this.t.registry} unreachable (${method} ${url}): ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    if (res.status === 401 && !this.token) {
      await this.login(res.headers.get("www-authenticate") ?? "");
      return this.request(method, urlOrPath, init);
    }
    return res;
  }

  /** Bearer token flow (registry token auth): realm?service=&scope= with basic credentials. */
  private async login(challenge: string): Promise<void> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!/^Bearer /i.test(challenge) || !params.realm) throw new Error(`registry ${this.t.registry} asks for authentication this client does not speak: ${challenge}`);
    // our own scope: a challenge to a first GET may name pull only, and the push needs both
    const q = new URLSearchParams({ service: params.service ?? "", scope: `repository:${this.t.repository}:pull,push` });
    const user = process.env.REGISTRY_USERNAME;
    const pass = process.env.REGISTRY_PASSWORD;
    const headers: Record<string, string> = user && pass ? { Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` } : {};
    const r = await fetch(`${params.realm}?${q}`, { headers, signal: AbortSignal.timeout(this.t.timeoutMs ?? 10_000) });
    if (!r.ok) throw new Error(`registry ${this.t.registry}: token request failed (${r.status}); set REGISTRY_USERNAME and REGISTRY_PASSWORD`);
    const body = (await r.json()) as { token?: string; access_token?: string };
    this.token = body.token ?? body.access_token;
  }

  async pushBlob(digest: string, bytes: Buffer): Promise<void> {
    const repo = this.t.repository;
    const head = await this.request("HEAD", `/v2/${repo}/blobs/${digest}`);
    if (head.status === 200) return;
    const start = await this.request("POST", `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`registry ${this.t.registry}: starting the upload of ${digest} answered ${start.status} ${await start.text()}`);
    const loc = new URL(start.headers.get("location")!, this.base());
    loc.searchParams.set("digest", digest);
    const put = await this.request("PUT", loc.toString(), { body: bytes, headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) } });
    if (put.status !== 201) throw new Error(`registry ${this.t.registry}: uploading ${digest} answered ${put.status} ${await put.text()}`);
  }

  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const r = await this.request("PUT", `/v2/${this.t.repository}/manifests/${reference}`, { body: bytes, headers: { "Content-Type": mediaType } });
    if (r.status !== 201) throw new Error(`registry ${this.t.registry}: manifest ${reference} answered ${r.status} ${await r.text()}`);
    return r.headers.get("docker-content-digest") ?? sha(bytes);
  }

  async get(pathname: string, accept?: string): Promise<Buffer> {
    const r = await this.request("GET", pathname, { headers: accept ? { Accept: accept } : {} });
    if (r.status !== 200) throw new Error(`registry ${this.t.registry}: GET ${pathname} answered ${r.status}`);
    return Buffer.from(await r.arrayBuffer());
  }
}

interface IndexJson {
  manifests: { digest: string; mediaType: string }[];
}
interface ManifestJson {
  config: { digest: string };
  layers: { digest: string }[];
}

function topIndex(layout: string): { digest: string; bytes: Buffer } {
  const top = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as IndexJson;
  const digest = top.manifests[0].digest;
  return { digest, bytes: readBlob(layout, digest) };
}

/** GET /v2/: throws naming the registry when nothing answers (or not a registry). */
export async function checkRegistry(target: PushTarget): Promise<void> {
  const ping = await new Registry(target).request("GET", "/v2/");
  if (ping.status !== 200 && ping.status !== 401) throw new Error(`registry ${target.registry}: /v2/ answered ${ping.status}; not an OCI registry?`);
}

/** Pushes the layout's image index; returns its digest as the registry reports it. */
export async function pushLayout(layout: string, target: PushTarget): Promise<string> {
  const reg = new Registry(target);
  // fail fast and clearly before any upload when nothing answers
  await checkRegistry(target);
  const index = topIndex(layout);
  const idx = JSON.parse(index.bytes.toString()) as IndexJson;
  for (const m of idx.manifests) {
    const mbytes = readBlob(layout, m.digest);
    const manifest = JSON.parse(mbytes.toString()) as ManifestJson;
    for (const d of [...manifest.layers.map((l) => l.digest), manifest.config.digest]) await reg.pushBlob(d, readBlob(layout, d));
    const got = await reg.putManifest(m.digest, MEDIA.manifest, mbytes);
    if (got !== m.digest) throw new Error(`registry ${target.registry} stored manifest ${m.digest} as ${got}`);
  }
  const got = await reg.putManifest(target.tag, MEDIA.index, index.bytes);
  if (got !== index.digest) throw new Error(`registry ${target.registry} stored index ${index.digest} as ${got}`);
  return got;
}

/** Pulls repository:tag back and checks every byte against its digest; returns the index digest. */
export async function pullAndVerify(target: PushTarget): Promise<{ indexDigest: string; manifests: string[]; blobs: number }> {
  const reg = new Registry(target);
  const repo = target.repository;
  const ibytes = await reg.get(`/v2/${repo}/manifests/${target.tag}`, MEDIA.index);
  const idx = JSON.parse(ibytes.toString()) as IndexJson;
  let blobs = 0;
  const manifests: string[] = [];
  for (const m of idx.manifests) {
    const mbytes = await reg.get(`/v2/${repo}/manifests/${m.digest}`, MEDIA.manifest);
    if (sha(mbytes) !== m.digest) throw new Error(`manifest ${m.digest} pulled back as ${sha(mbytes)}`);
    manifests.push(m.digest);
    const manifest = JSON.parse(mbytes.toString()) as ManifestJson;
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const b = await reg.get(`/v2/${repo}/blobs/${d}`);
      if (sha(b) !== d) throw new Error(`blob ${d} pulled back as ${sha(b)}`);
      blobs++;
    }
  }
  return { indexDigest: sha(ibytes), manifests, blobs };
}

/** host[:port][/prefix] */
export function parsePushTarget(s: string): { registry: string; prefix: string } {
  const m = /^([a-z0-9.-]+(?::[0-9]+)?|\[[0-9a-f:]+\](?::[0-9]+)?)(?:\/([a-z0-9._\/-]+))?$/.exec(s);
  if (!m) throw new Error(`--push ${JSON.stringify(s)}: expected host[:port][/prefix], e.g. 127.0.0.1:5000/helios`);
  return { registry: m[1], prefix: m[2] ?? "" };
}
