/**
 * A minimal OpenConfig gNMI target for tests, written for Helios because no Set-capable target
 * can be installed here (google/gnxi and openconfig/lemming are refused by the Go proxy; the
 * openconfig fake_server only streams Subscribe). It speaks real gNMI over gRPC (checked with
 * the real gnmic CLI in gnmi.test.ts): Capabilities, Get, Set (update/replace/delete, as one
 * transaction), Subscribe (ONCE, STREAM on-change/sample, POLL), with username/password
 * metadata when configured. Its data tree is leaves keyed by canonical path; writing
 * /interfaces/interface[name=X]/config/enabled moves that interface's state/admin-status at once
 * and state/oper-status after a short delay, like a link renegotiating.
 *   npx tsx target.ts --port P [--username U --password W] [--set-log FILE] [--oper-delay-ms N]
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";

interface PathElem {
  name: string;
  key?: Record<string, string>;
}
interface GnmiPath {
  origin?: string;
  elem?: PathElem[];
}
interface TypedValue {
  value?: string;
  [k: string]: unknown;
}

export function pathToString(prefix: GnmiPath | null | undefined, p: GnmiPath | null | undefined): string {
  const elems = [...(prefix?.elem ?? []), ...(p?.elem ?? [])];
  return (
    "/" +
    elems
      .map((e) => e.name + Object.keys(e.key ?? {}).sort().map((k) => `[${k}=${e.key![k]}]`).join(""))
      .join("/")
  );
}

export function stringToPath(s: string): GnmiPath {
  const elem: PathElem[] = [];
  for (const part of s.split("/").filter(Boolean)) {
    const m = part.match(/^([^[]+)(.*)$/)!;
    const key: Record<string, string> = {};
    for (const k of m[2].matchAll(/\[([^=\]]+)=([^\]]*)\]/g)) key[k[1]] = k[2];
    elem.push({ name: m[1], key });
  }
  return { elem };
}

function decode(v: TypedValue | undefined): unknown {
  if (!v) throw new Error("update without a value");
  switch (v.value) {
    case "json_ietf_val":
    case "json_val":
      return JSON.parse(Buffer.from(v[v.value] as Buffer).toString("utf8"));
    case "string_val":
    case "ascii_val":
      return v[v.value];
    case "bool_val":
      return v.bool_val;
    case "int_val":
    case "uint_val":
      return Number(v[v.value]);
    case "float_val":
      return v.float_val;
    default:
      throw new Error(`unsupported value type ${v.value}`);
  }
}

/** Leaves under a JSON subtree; object keys that are lists are not modelled (tests set leaves or containers). */
function flatten(base: string, value: unknown, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${base === "/" ? "" : base}/${k.replace(/^[a-z-]+:/, "")}`, v, out);
  } else out.set(base, value);
}

const under = (leaf: string, root: string) => root === "/" || leaf === root || leaf.startsWith(root + "/");

export class Target {
  readonly leaves = new Map<string, unknown>();
  private readonly watchers = new Set<(changed: string[], deleted: string[]) => void>();
  readonly setLog: unknown[] = [];

  constructor(private readonly operDelayMs = 300) {}

  private commit(changed: string[], deleted: string[]): void {
    for (const w of this.watchers) w(changed, deleted);
  }

  /** One Set transaction: deletes, then replaces, then updates (gNMI spec 3.4.3). */
  set(deletes: string[], replaces: [string, unknown][], updates: [string, unknown][]): void {
    const next = new Map(this.leaves);
    const changed: string[] = [];
    const deleted: string[] = [];
    const del = (root: string) => {
      for (const k of [...next.keys()]) if (under(k, root)) (next.delete(k), deleted.push(k));
    };
    for (const d of deletes) del(d);
    for (const [p, v] of replaces) {
      del(p);
      const m = new Map<string, unknown>();
      flatten(p, v, m);
      for (const [k, x] of m) (next.set(k, x), changed.push(k));
    }
    for (const [p, v] of updates) {
      const m = new Map<string, unknown>();
      flatten(p, v, m);
      for (const [k, x] of m) (next.set(k, x), changed.push(k));
    }
    this.leaves.clear();
    for (const [k, v] of next) this.leaves.set(k, v);
    this.commit(changed, deleted);
    for (const k of changed) {
      const m = k.match(/^(\/interfaces\/interface\[name=[^\]]+\])\/config\/enabled$/);
      if (!m) continue;
      const up = this.leaves.get(k) === true;
      this.leaves.set(`${m[1]}/state/admin-status`, up ? "UP" : "DOWN");
      this.commit([`${m[1]}/state/admin-status`], []);
      setTimeout(() => {
        this.leaves.set(`${m[1]}/state/oper-status`, up ? "UP" : "DOWN");
        this.commit([`${m[1]}/state/oper-status`], []);
      }, this.operDelayMs);
    }
  }

  get(root: string): [string, unknown][] {
    return [...this.leaves].filter(([k]) => under(k, root)).sort(([a], [b]) => a.localeCompare(b));
  }

  watch(fn: (changed: string[], deleted: string[]) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }
}

const jsonIetf = (v: unknown) => ({ json_ietf_val: Buffer.from(JSON.stringify(v)) });
const now = () => (BigInt(Date.now()) * 1_000_000n).toString();

function notification(leaves: [string, unknown][], deleted: string[] = []) {
  return { timestamp: now(), update: leaves.map(([p, v]) => ({ path: stringToPath(p), val: jsonIetf(v) })), delete: deleted.map(stringToPath) };
}

export function serve(target: Target, port: number, creds?: { username: string; password: string }, setLog?: string): Promise<grpc.Server> {
  const def = protoLoader.loadSync(path.join(__dirname, "gnmi-subset.proto"), { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const auth = (md: grpc.Metadata): boolean => !creds || (md.get("username")[0] === creds.username && md.get("password")[0] === creds.password);
  const denied = { code: grpc.status.UNAUTHENTICATED, details: "bad username or password" };
  const server = new grpc.Server();
  server.addService(pkg.gnmi.gNMI.service, {
    Capabilities(call: any, cb: any) {
      if (!auth(call.metadata)) return cb(denied);
      cb(null, { supported_models: [{ name: "openconfig-interfaces", organization: "OpenConfig working group", version: "3.0.0" }], supported_encodings: ["JSON", "JSON_IETF"], gNMI_version: "0.7.0" });
    },
    Get(call: any, cb: any) {
      if (!auth(call.metadata)) return cb(denied);
      const req = call.request;
      const paths = (req.path?.length ? req.path : [{}]).map((p: GnmiPath) => pathToString(req.prefix, p));
      const found = paths.map((p: string) => [p, target.get(p)] as const);
      const missing = found.find(([, l]: readonly [string, [string, unknown][]]) => l.length === 0);
      if (missing) return cb({ code: grpc.status.NOT_FOUND, details: `no data at ${missing[0]}` });
      cb(null, { notification: found.map(([, l]: readonly [string, [string, unknown][]]) => notification(l)) });
    },
    Set(call: any, cb: any) {
      if (!auth(call.metadata)) return cb(denied);
      const req = call.request;
      try {
        const dels = (req.delete ?? []).map((p: GnmiPath) => pathToString(req.prefix, p));
        const reps = (req.replace ?? []).map((u: any) => [pathToString(req.prefix, u.path), decode(u.val)] as [string, unknown]);
        const ups = (req.update ?? []).map((u: any) => [pathToString(req.prefix, u.path), decode(u.val)] as [string, unknown]);
        target.set(dels, reps, ups);
        const entry = { at: new Date().toISOString(), delete: dels, replace: reps, update: ups };
        target.setLog.push(entry);
        if (setLog) fs.appendFileSync(setLog, JSON.stringify(entry) + "\n");
        const result = (p: string, op: string) => ({ path: stringToPath(p), op });
        cb(null, { timestamp: now(), response: [...dels.map((p: string) => result(p, "DELETE")), ...reps.map(([p]: [string]) => result(p, "REPLACE")), ...ups.map(([p]: [string]) => result(p, "UPDATE"))] });
      } catch (e) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
      }
    },
    Subscribe(call: any) {
      if (!auth(call.metadata)) return call.destroy({ code: grpc.status.UNAUTHENTICATED, details: "bad username or password" } as any);
      let stop: (() => void) | undefined;
      const timers: NodeJS.Timeout[] = [];
      call.on("data", (req: any) => {
        if (req.poll !== undefined && req.request === "poll") return;
        const list = req.subscribe;
        if (!list) return;
        const subs = (list.subscription?.length ? list.subscription : [{}]).map((s: any) => ({ root: pathToString(list.prefix, s.path), mode: s.mode, interval: Number(s.sample_interval ?? 0) }));
        const snapshot = () => subs.flatMap((s: any) => target.get(s.root));
        if (!list.updates_only) {
          const leaves = snapshot();
          if (leaves.length) call.write({ update: notification(leaves) });
        }
        call.write({ sync_response: true });
        if (list.mode === "ONCE") return call.end();
        if (list.mode === "POLL") {
          call.on("data", (r: any) => r.request === "poll" && (call.write({ update: notification(snapshot()) }), call.write({ sync_response: true })));
          return;
        }
        for (const s of subs) {
          if (s.mode === "SAMPLE") {
            timers.push(setInterval(() => call.write({ update: notification(target.get(s.root)) }), Math.max(100, s.interval / 1e6)));
          }
        }
        stop = target.watch((changed, deleted) => {
          const onChange = subs.filter((s: any) => s.mode !== "SAMPLE");
          const c = changed.filter((k) => onChange.some((s: any) => under(k, s.root))).map((k) => [k, target.leaves.get(k)] as [string, unknown]);
          const d = deleted.filter((k) => onChange.some((s: any) => under(k, s.root)));
          if (c.length || d.length) call.write({ update: notification(c, d) });
        });
      });
      const end = () => {
        stop?.();
        timers.forEach(clearInterval);
      };
      call.on("cancelled", end);
      call.on("end", () => (end(), call.end()));
      call.on("error", end);
    },
  });
  return new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve(server))),
  );
}

if (require.main === module) {
  const { values } = parseArgs({ options: { port: { type: "string" }, username: { type: "string" }, password: { type: "string" }, "set-log": { type: "string" }, "oper-delay-ms": { type: "string" }, interfaces: { type: "string", default: "Ethernet1,Ethernet2" } } });
  const t = new Target(Number(values["oper-delay-ms"] ?? 300));
  for (const name of values.interfaces!.split(",")) {
    const base = `/interfaces/interface[name=${name}]`;
    t.leaves.set(`${base}/config/name`, name);
    t.leaves.set(`${base}/config/enabled`, true);
    t.leaves.set(`${base}/state/admin-status`, "UP");
    t.leaves.set(`${base}/state/oper-status`, "UP");
    t.leaves.set(`${base}/state/counters/in-octets`, "1000");
  }
  serve(t, Number(values.port), values.username ? { username: values.username, password: values.password ?? "" } : undefined, values["set-log"]).then(() => process.stdout.write(`gnmi target on 127.0.0.1:${values.port}\n`));
}
