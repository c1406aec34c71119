// The target generator's outputs read by REAL consumers: a real Prometheus (Debian 2.42) loads
// the generated file_sd files with the collection layer's own relabel rules (scrapeJobs) and,
// through a real blackbox_exporter with the Helios modules, probes loopback targets: up == 1 and
// probe_success == 1 with all seven taxonomy labels. A real gnmic (with the Helios config)
// accepts the generated targets file and streams from a real gNMI server with those labels.
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { renderBlackboxConfig } from "../../components/collection/blackbox-exporter";
import { GNMIC_SUBSCRIPTIONS, renderGnmicConfig } from "../../components/collection/gnmic";
import { scrapeJobs } from "../../components/collection/scrape";
import { validateGnmicTargets } from "../../components/collection/static-targets";
import { TAXONOMY_LABELS } from "../../components/labels";
import { DEFAULT_GENERATE, generate, render } from "../../services/target-generator/src/generate";
import { DEFAULT_NORMALIZE, normalizeDevice } from "../../services/target-generator/src/normalize";
import { siteMap } from "../../services/target-generator/src/sync";
import { Device } from "../../services/target-generator/src/types";
import { alive, parseMetrics, Proc, startPrometheus, startProc } from "../helpers/collection-engines";
import { freePort, waitForPort } from "../helpers/net";
import { run, tempDir, tool } from "../helpers/tools";

/** NetBox-shaped device JSON (as /api/dcim/devices/ returns it). */
function raw(id: number, name: string, ip: string, site: number, vendor: string, platform: string, role: string, cf: Record<string, unknown>) {
  return {
    id,
    name,
    display: name,
    status: { value: "active" },
    site: { id: site, slug: `site-${site}` },
    role: { id: 1, slug: role },
    platform: { id: 1, slug: platform },
    device_type: { id: 1, manufacturer: { id: 1, slug: vendor } },
    // The generator reads primary_ip4/primary_ip6 by address family, not NetBox's computed primary_ip.
    primary_ip4: { id, address: `${ip}/32` },
    primary_ip6: null,
    custom_fields: { helios_monitor: true, monitoring_tier: "gold", ...cf },
  };
}

function generateFiles(raws: unknown[], dir: string): Record<string, Device> {
  const sites = siteMap([
    { id: 1, slug: "ams1", region: { slug: "eu-west" } },
    { id: 2, slug: "nyc1", region: { slug: "us-east" } },
  ]);
  const devices = raws.map((r) => normalizeDevice(r, { ...DEFAULT_NORMALIZE, sites }).device as Device);
  const g = generate(devices, DEFAULT_GENERATE);
  for (const list of Object.values(g.files)) for (const f of list) fs.writeFileSync(path.join(dir, f.key), render(f.format, f.records));
  return Object.fromEntries(devices.map((d) => [d.labels.device, d]));
}

describe("generated targets in a real Prometheus with a real blackbox_exporter", () => {
  const dir = tempDir("tg-consumers");
  let web: http.Server;
  let tcp: net.Server;
  let exporter: Proc;
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let devices: Record<string, Device>;

  beforeAll(async () => {
    web = http.createServer((_req, res) => res.writeHead(200, { "Content-Type": "text/plain" }).end("ok"));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const webPort = (web.address() as net.AddressInfo).port;
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    devices = generateFiles(
      [
        raw(1, "lb-1", "127.0.0.1", 1, "f5", "tmos", "loadbalancer", { snmp_enabled: true, snmp_module: "f5", blackbox_probes: `icmp, tcp:${tcpPort}, http:${webPort}/` }),
        raw(2, "leaf-1", "127.0.0.2", 1, "arista", "eos", "leaf", { snmp_enabled: true, blackbox_probes: "icmp" }),
        raw(3, "edge-1", "127.0.0.3", 2, "cisco", "iosxr", "edge", { gnmi_enabled: true, blackbox_probes: ["icmp"] }),
      ],
      dir,
    );
    const bbPort = await freePort();
    fs.writeFileSync(path.join(dir, "blackbox.yml"), renderBlackboxConfig());
    exporter = startProc(tool("blackbox_exporter"), [`--config.file=${path.join(dir, "blackbox.yml")}`, `--web.listen-address=127.0.0.1:${bbPort}`]);
    await waitForPort(bbPort, 30_000, alive(exporter));
    // The collection layer's jobs (same relabel rules as the ScrapeConfig CRs), fed by file_sd.
    const jobs = scrapeJobs({ snmp: "127.0.0.1:9", blackbox: `127.0.0.1:${bbPort}` });
    prom = await startPrometheus(
      jobs.map((j) => ({
        job_name: j.jobName,
        metrics_path: j.metricsPath,
        scrape_interval: "2s",
        scrape_timeout: "1s",
        file_sd_configs: [{ files: [path.join(dir, j.targets.key)], refresh_interval: "5s" }],
        relabel_configs: j.relabelings,
      })),
    );
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await exporter?.stop();
    await new Promise((r) => web?.close(r));
    await new Promise((r) => tcp?.close(r));
  });

  const waitQuery = async (q: string, n: number) => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      // Prometheus answers 503 until its TSDB is ready: keep asking.
      const r = await prom.query(q).catch(() => [] as Awaited<ReturnType<typeof prom.query>>);
      if (r.length >= n) return r;
      if (Date.now() > deadline) throw new Error(`${q}: ${r.length} of ${n} series\n${prom.log().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  };

  it.each([
    ["blackbox-icmp", ["lb-1", "leaf-1", "edge-1"]],
    ["blackbox-tcp", ["lb-1"]],
    ["blackbox-http", ["lb-1"]],
  ])("%s: up == 1 and probe_success == 1 with all seven taxonomy labels", async (job, names) => {
    const up = await waitQuery(`up{job="${job}"} == 1`, names.length);
    const ok = await waitQuery(`probe_success{job="${job}"} == 1`, names.length);
    expect(ok.map((s) => s.metric.device).sort()).toEqual([...names].sort());
    for (const s of [...up, ...ok]) {
      const d = devices[s.metric.device];
      for (const l of TAXONOMY_LABELS) expect(s.metric[l]).toBe(d.labels[l]);
      expect(s.metric.module).toBe(job.replace("blackbox-", ""));
    }
  });

  it("SNMP targets are discovered with module, auth and the taxonomy (no SNMP agent here: up is 0)", async () => {
    const up = await waitQuery('up{job="snmp"}', 2);
    expect(up.map((s) => s.metric.device).sort()).toEqual(["lb-1", "leaf-1"]);
    for (const s of up) for (const l of TAXONOMY_LABELS) expect(s.metric[l]).toBe(devices[s.metric.device].labels[l]);
  });
});

describe("generated gnmic targets file in a real gnmic", () => {
  it("passes the collection layer's validation and streams from a real gNMI server with the taxonomy labels", () => {
    const dir = tempDir("tg-gnmic");
    const targetsDir = path.join(dir, "targets");
    fs.mkdirSync(targetsDir);
    // One gNMI device on loopback port 57400 (inside a private network namespace, see below).
    const devs = generateFiles([raw(7, "core-1", "127.0.0.1", 2, "arista", "eos", "spine", { gnmi_enabled: true, gnmi_port: 57400, telemetry_profile: "full" })], targetsDir);
    for (const f of fs.readdirSync(targetsDir)) if (f !== "targets.yaml") fs.rmSync(path.join(targetsDir, f));
    const targetsFile = path.join(targetsDir, "targets.yaml");
    validateGnmicTargets(targetsFile);
    expect(DEFAULT_GENERATE.profiles.full).toEqual([...GNMIC_SUBSCRIPTIONS]);

    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "server.key"), "-out", path.join(dir, "server.crt"), "-days", "1", "-subj", "/CN=127.0.0.1"]);
    const ts = BigInt(Date.now()) * 1_000_000n;
    const upd = `update: { timestamp: ${ts} update: { path: { elem: { name: "interfaces" } elem: { name: "interface" key: { key: "name" value: "Ethernet1" } } elem: { name: "state" } elem: { name: "counters" } elem: { name: "in-octets" } } val: { uint_val: 1234 } } }`;
    fs.writeFileSync(path.join(dir, "fake.pb.txt"), ['target: "core-1"', "client_type: GRPC_GNMI", "disable_eof: true", "fixed: {", `  responses: { ${upd} }`, "  responses: { sync_response: true }", "}", ""].join("\n"));
    fs.writeFileSync(path.join(dir, "gnmic.yaml"), renderGnmicConfig({ targetsFile, promListen: "127.0.0.1:9804", apiListen: "127.0.0.1:7890", loaderInterval: "2s", tls: { skipVerify: true } }));
    // gnmi_server binds every interface, so everything runs in a private network namespace
    // whose only interface is loopback (as tests/engines/gnmic.test.ts does).
    const script = `
set -u
cd ${JSON.stringify(dir)}
ip link set lo up
${tool("gnmi_server")} --config fake.pb.txt --text --port 57400 --server_crt server.crt --server_key server.key --allow_no_client_auth --logtostderr > fake.log 2>&1 &
F=$!
GNMIC_USERNAME=helios GNMIC_PASSWORD=test-password ${tool("gnmic")} --config gnmic.yaml subscribe > gnmic.log 2>&1 &
G=$!
for i in $(seq 1 120); do
  curl -s http://127.0.0.1:9804/metrics > m.txt 2>/dev/null
  if grep -q '^gnmic_interface_in_octets{' m.txt; then break; fi
  sleep 0.5
done
kill $G $F 2>/dev/null
wait
`;
    const r = run("unshare", ["-rn", "sh", "-c", script], { timeoutMs: 180_000 });
    const metricsFile = path.join(dir, "m.txt");
    const samples = fs.existsSync(metricsFile) ? parseMetrics(fs.readFileSync(metricsFile, "utf8")) : [];
    const s = samples.find((x) => x.name === "gnmic_interface_in_octets");
    if (!s) throw new Error(`gnmic exposed nothing from the generated targets file:\n${r.stdout}${r.stderr}\n${fs.existsSync(path.join(dir, "gnmic.log")) ? fs.readFileSync(path.join(dir, "gnmic.log"), "utf8").slice(-4000) : ""}`);
    expect(s.value).toBe(1234);
    for (const l of TAXONOMY_LABELS) expect(s.labels[l]).toBe(devs["core-1"].labels[l]);
  }, 240_000);
});
