/**
 * A realistic inventory in a REAL NetBox (tests/helpers/netbox.ts; seeded by
 * inventory-seed.ts): every monitored device is accounted for (written, or skipped with a
 * reason, a log line with its NetBox id and display, and the skip metric), duplicate names
 * lose nothing, address families pick the right primary IP.
 *
 * Schema drift: a small HTTP proxy in front of the same real NetBox removes one field the
 * generator reads from every object of the response (or nulls it). For each field the CLI run
 * must either exit 1 with the outputs byte-identical (stage schema or guard, the field named),
 * or make an intended, counted change (optional custom fields).
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { DEVICE_FIELD_PATHS, OPTIONAL_CUSTOM_FIELDS, SITE_FIELD_PATHS } from "../src/schema";
import { builtCli, runCli } from "./fixtures";
import { expectEveryDeviceAccounted, InventoryDevice, seedInventory } from "./inventory-seed";

type Json = Record<string, unknown>;
type Group = { targets: string[]; labels: Record<string, string> };
const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
import { logLines } from "./inventory-seed";

/** Applies `mutate` to every object in `results` of the NetBox list endpoint `endpoint`. */
interface Mutation {
  endpoint: "/api/dcim/devices/" | "/api/dcim/sites/";
  mutate: (o: Json) => void;
}

/** Deletes a dotted path from o, if its parent is an object. */
function deletePath(o: Json, dotted: string): void {
  const keys = dotted.split(".");
  let cur: unknown = o;
  for (const k of keys.slice(0, -1)) cur = typeof cur === "object" && cur !== null ? (cur as Json)[k] : undefined;
  if (typeof cur === "object" && cur !== null) delete (cur as Json)[keys[keys.length - 1]];
}

function setPath(o: Json, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur: unknown = o;
  for (const k of keys.slice(0, -1)) cur = typeof cur === "object" && cur !== null ? (cur as Json)[k] : undefined;
  if (typeof cur === "object" && cur !== null) (cur as Json)[keys[keys.length - 1]] = value;
}

/** A proxy to the real NetBox that rewrites list responses with the current mutation. */
async function startProxy(upstream: string) {
  let mutation: Mutation | undefined;
  const server = http.createServer(async (req, res) => {
    try {
      const r = await fetch(upstream + (req.url ?? "/"), { headers: { Authorization: String(req.headers.authorization ?? ""), Accept: "application/json" } });
      let body = await r.text();
      const u = new URL(req.url ?? "/", "http://x");
      if (r.ok && mutation && u.pathname === mutation.endpoint) {
        const page = JSON.parse(body) as { results: Json[] };
        for (const o of page.results) mutation.mutate(o);
        body = JSON.stringify(page);
      }
      res.writeHead(r.status, { "Content-Type": "application/json" });
      res.end(body);
    } catch (e) {
      res.writeHead(502);
      res.end(String(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    set: (m: Mutation | undefined) => (mutation = m),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("a realistic inventory in a real NetBox", () => {
  let nb: NetBox;
  let inventory: InventoryDevice[];
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-inv-"));
  const metricsFile = path.join(dir, "..", `${path.basename(dir)}.prom`);
  beforeAll(async () => {
    builtCli();
    nb = await startNetBox();
    inventory = await seedInventory(nb);
    proxy = await startProxy(nb.url);
  }, 600_000);
  afterAll(async () => {
    await proxy?.close();
    await nb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(metricsFile, { force: true });
  });
  jest.setTimeout(300_000);
  const cli = (out: string, ...extra: string[]) => runCli(["--netbox-url", proxy.url, "--output-dir", out, "--metrics-file", metricsFile, "--retries", "0", ...extra], { NETBOX_TOKEN: nb.tokens.v2 });
  const readJson = (out: string, f: string) => JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as Group[];

  it("accounts for every monitored device: written, or skipped with reason, NetBox id, display and metric", async () => {
    await expectEveryDeviceAccounted(nb, inventory, await cli(dir), dir, metricsFile);
  });

  it("the same name in two sites: both devices in every output, the later one's gnmic key qualified by site", async () => {
    const cores = inventory.filter((d) => d.name === "core-1").sort((a, b) => a.id - b.id);
    const gnmic = YAML.parse(fs.readFileSync(path.join(dir, "targets.yaml"), "utf8")) as Record<string, { address: string; "event-tags": Json }>;
    expect(gnmic["core-1"]["event-tags"].site).toBe(cores[0].site);
    expect(gnmic[`core-1@${cores[1].site}`]["event-tags"]).toMatchObject({ device: "core-1", site: cores[1].site });
    for (const f of ["prometheus.json", "snmp.json", "icmp.json"]) {
      expect(readJson(dir, f).filter((g) => g.labels.device === "core-1").map((g) => g.labels.site).sort()).toEqual(cores.map((c) => c.site).sort());
    }
    expect(fs.readFileSync(metricsFile, "utf8")).toContain('helios_target_sync_renamed_targets{reason="duplicate_name",scope="gnmic"} 1');
  });

  it("address family: dual stack takes IPv4 by default, IPv6 by the device's custom field or --address-family; IPv6 is bracketed", async () => {
    const gnmic = YAML.parse(fs.readFileSync(path.join(dir, "targets.yaml"), "utf8")) as Record<string, { address: string }>;
    expect(gnmic["edge-v6"].address).toBe("[fd00:20::4]:57400");
    expect(gnmic["dual-v6"].address).toBe("[fd00:20::3]:57400");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-inv-v6-"));
    try {
      const r = await cli(out, "--address-family", "ipv6");
      expect(r.status).toBe(0);
      const prom = readJson(out, "prometheus.json");
      const withV6 = inventory.filter((d) => d.expect.written && d.ip6);
      expect(prom.map((g) => g.targets[0]).sort()).toEqual(withV6.map((d) => d.ip6).sort());
      const noV6 = logLines(r.stderr).filter((l) => l.reason === "no_address_in_family").map((l) => l.id);
      // IPv4-only devices that pass the earlier checks (named, active); the address is judged
      // before the site's region, so lab-1 is reported for its address here.
      const ipv4Only = inventory.filter((d) => d.ip4 && !d.ip6 && (d.expect.written || d.expect.reason === "missing_region"));
      expect(noV6.sort()).toEqual(ipv4Only.map((d) => d.id).sort());
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  describe("schema drift through a proxy: each field the generator reads, removed", () => {
    afterEach(() => proxy.set(undefined));
    const required = DEVICE_FIELD_PATHS.filter((p) => !OPTIONAL_CUSTOM_FIELDS.some((f) => p === `custom_fields.${f}`));
    it.each(required.map((p) => [p]))("device field %s removed: exit 1, stage schema naming it, outputs byte-identical", async (field) => {
      const before = snapshot(dir);
      proxy.set({ endpoint: "/api/dcim/devices/", mutate: (o) => deletePath(o, field) });
      const r = await cli(dir);
      expect(r.status).toBe(1);
      const err = logLines(r.stderr).find((l) => l.stage === "schema");
      expect(err?.field).toBe(field);
      expect(String(err?.err)).toContain(`field ${field} is missing`);
      expect(snapshot(dir)).toEqual(before);
      expect(fs.readFileSync(metricsFile, "utf8")).toContain('helios_target_sync_errors_total{stage="schema"} 1');
    });

    it.each(SITE_FIELD_PATHS.map((p) => [p]))("site field %s removed: exit 1, stage schema, outputs byte-identical", async (field) => {
      const before = snapshot(dir);
      proxy.set({ endpoint: "/api/dcim/sites/", mutate: (o) => deletePath(o, field) });
      const r = await cli(dir);
      expect(r.status).toBe(1);
      expect(logLines(r.stderr).find((l) => l.stage === "schema")?.field).toBe(`site.${field}`);
      expect(snapshot(dir)).toEqual(before);
    });

    it("optional custom field address_family removed: an intended, counted change (dual-v6 back to IPv4)", async () => {
      proxy.set({ endpoint: "/api/dcim/devices/", mutate: (o) => deletePath(o, "custom_fields.address_family") });
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-inv-af-"));
      try {
        fs.cpSync(dir, out, { recursive: true });
        const r = await cli(out);
        expect(r.status).toBe(0);
        const dual = readJson(out, "prometheus.json").find((g) => g.labels.device === "dual-v6")!;
        expect(dual.targets).toEqual([inventory.find((d) => d.name === "dual-v6")!.ip4]);
        const metrics = fs.readFileSync(metricsFile, "utf8");
        const written = inventory.filter((d) => d.expect.written).length;
        expect(metrics).toContain(`helios_target_sync_label_fallbacks{field="custom_fields.address_family"} ${written}`);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    it.each([
      ["custom_fields.snmp_enabled", "snmp targets dropped"],
      ["custom_fields.gnmi_enabled", "gnmic targets dropped"],
      ["custom_fields.blackbox_probes", "blackbox-icmp targets dropped"],
      ["platform", "fell back to the default for field platform"],
      ["custom_fields.snmp_module", "fell back to the default for field custom_fields.snmp_module"],
    ])("%s present but null on every device: exit 1, stage guard naming it, outputs byte-identical", async (field, message) => {
      const before = snapshot(dir);
      proxy.set({ endpoint: "/api/dcim/devices/", mutate: (o) => setPath(o, field, null) });
      const r = await cli(dir);
      expect(r.status).toBe(1);
      const err = logLines(r.stderr).find((l) => l.stage === "guard");
      expect(String(err?.err)).toContain(message);
      expect(String(err?.err)).toContain(field);
      expect(snapshot(dir)).toEqual(before);
    });

    it("with the proxy passing NetBox through unchanged, the run writes nothing new (the faults left no trace)", async () => {
      const before = snapshot(dir);
      const r = await cli(dir);
      expect(r.status).toBe(0);
      expect(snapshot(dir)).toEqual(before);
    });
  });
});
