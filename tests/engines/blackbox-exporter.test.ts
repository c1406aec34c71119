// Real blackbox_exporter (v0.28.0) with our rendered modules: --config.check, probes of a
// loopback HTTP server and TCP port, and a real Prometheus running our blackbox-http and
// blackbox-tcp jobs that keeps the taxonomy labels plus `module`.
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { BLACKBOX_FILE, PROBE_MODULES, renderBlackboxConfig } from "../../components/collection/blackbox-exporter";
import { scrapeJobs, toPrometheusScrapeConfig } from "../../components/collection/scrape";
import { TAXONOMY_LABELS } from "../../components/labels";
import { alive, FileServer, httpGet, parseMetrics, Proc, startNginxSd, startProc, startPrometheus, waitFor } from "../helpers/collection-engines";
import { freePort, waitForPort } from "../helpers/net";
import { run, tempDir, tool } from "../helpers/tools";

const TAXONOMY = { device: "lab-web-1", site: "lab-1", region: "eu-west", vendor: "paloalto", platform: "panos", role: "firewall", tier: "gold" };

describe("blackbox_exporter with the Helios modules", () => {
  const dir = tempDir("blackbox");
  const cfg = path.join(dir, "blackbox.yml");
  fs.writeFileSync(cfg, renderBlackboxConfig());
  let exporter: Proc;
  let exporterAddr: string;
  let web: http.Server;
  let webPort: number;
  let tcp: net.Server;
  let tcpPort: number;
  let closedPort: number;

  beforeAll(async () => {
    web = http.createServer((req, res) => res.writeHead(req.url === "/missing" ? 404 : 200, { "Content-Type": "text/plain" }).end("ok"));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    webPort = (web.address() as net.AddressInfo).port;
    tcp = net.createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    tcpPort = (tcp.address() as net.AddressInfo).port;
    closedPort = await freePort();
    const port = await freePort();
    exporterAddr = `127.0.0.1:${port}`;
    exporter = startProc(tool("blackbox_exporter"), [`--config.file=${cfg}`, `--web.listen-address=${exporterAddr}`]);
    await waitForPort(port, 30_000, alive(exporter));
  }, 60_000);

  afterAll(async () => {
    await exporter?.stop();
    await new Promise((r) => web?.close(r));
    await new Promise((r) => tcp?.close(r));
  });

  const probe = async (module: string, target: string) => {
    const res = await httpGet(`http://${exporterAddr}/probe?module=${module}&target=${encodeURIComponent(target)}`);
    expect(res.status).toBe(200);
    return parseMetrics(res.body);
  };
  const value = (samples: ReturnType<typeof parseMetrics>, name: string) => samples.find((s) => s.name === name)?.value;

  it("passes blackbox_exporter --config.check, and a broken config does not", () => {
    const ok = run(tool("blackbox_exporter"), [`--config.file=${cfg}`, "--config.check"]);
    expect(`${ok.stdout}${ok.stderr}`).toMatch(/Config file is ok/i);
    expect(ok.status).toBe(0);
    const bad = path.join(dir, "bad.yml");
    fs.writeFileSync(bad, fs.readFileSync(BLACKBOX_FILE, "utf8").replace("timeout: 5s", "timeout: five-seconds"));
    expect(run(tool("blackbox_exporter"), [`--config.file=${bad}`, "--config.check"]).status).not.toBe(0);
  });

  it("defines the module of every probe kind", () => {
    expect(Object.values(PROBE_MODULES).map((m) => m.module)).toEqual(["icmp", "tcp_connect", "http_2xx", "dns_udp"]);
  });

  it("http_2xx: succeeds on a loopback 200, fails on a 404", async () => {
    const good = await probe("http_2xx", `http://127.0.0.1:${webPort}/`);
    expect(value(good, "probe_success")).toBe(1);
    expect(value(good, "probe_http_status_code")).toBe(200);
    expect(value(good, "probe_duration_seconds")).toBeGreaterThan(0);
    expect(value(await probe("http_2xx", `http://127.0.0.1:${webPort}/missing`), "probe_success")).toBe(0);
  });

  it("tcp_connect: succeeds on a listening loopback port, fails on a closed one", async () => {
    expect(value(await probe("tcp_connect", `127.0.0.1:${tcpPort}`), "probe_success")).toBe(1);
    expect(value(await probe("tcp_connect", `127.0.0.1:${closedPort}`), "probe_success")).toBe(0);
  });

  it("icmp: echo to 127.0.0.1 succeeds", async () => {
    // Raw or unprivileged ICMP socket: the test user needs root or net.ipv4.ping_group_range
    // (the pods get the sysctl, components/collection/blackbox-exporter.ts).
    expect(value(await probe("icmp", "127.0.0.1"), "probe_success")).toBe(1);
  });

  describe("through a real Prometheus running our blackbox-http and blackbox-tcp jobs", () => {
    let sd: FileServer;
    let prom: Awaited<ReturnType<typeof startPrometheus>>;

    beforeAll(async () => {
      const root = tempDir("targets-sd");
      const cm = path.join(root, "helios-targets-blackbox");
      fs.mkdirSync(cm);
      // As the target generator writes them: label module = probe kind, __param_module = blackbox module.
      fs.writeFileSync(path.join(cm, "http.json"), `[\n${JSON.stringify({ targets: [`http://127.0.0.1:${webPort}/`], labels: { ...TAXONOMY, module: "http", __param_module: "http_2xx" } })}\n]\n`);
      fs.writeFileSync(path.join(cm, "tcp.json"), `[\n${JSON.stringify({ targets: [`127.0.0.1:${tcpPort}`], labels: { ...TAXONOMY, module: "tcp", __param_module: "tcp_connect" } })}\n]\n`);
      sd = await startNginxSd(root);
      const jobs = scrapeJobs({ snmp: "127.0.0.1:1", blackbox: exporterAddr }).filter((j) => j.jobName === "blackbox-http" || j.jobName === "blackbox-tcp");
      prom = await startPrometheus(
        jobs.map((j) => ({ ...toPrometheusScrapeConfig(j, [`${sd.base}/helios-targets-blackbox/${j.targets.key}`], "5s"), scrape_interval: "3s", scrape_timeout: "3s" })),
      );
    }, 120_000);

    afterAll(async () => {
      await prom?.stop();
      await sd?.stop();
    });

    it("records probe_success 1 with the taxonomy labels, module and the contract job names", async () => {
      for (const [job, module, instance] of [
        ["blackbox-http", "http", `http://127.0.0.1:${webPort}/`],
        ["blackbox-tcp", "tcp", `127.0.0.1:${tcpPort}`],
      ]) {
        const series = await waitFor(`probe_success for ${job}`, async () => {
          const r = await prom.query(`probe_success{job="${job}"}`);
          return r.length ? r : undefined;
        }, 90_000, prom.log);
        expect(series).toHaveLength(1);
        expect(series[0].value[1]).toBe("1");
        expect(series[0].metric.module).toBe(module);
        expect(series[0].metric.instance).toBe(instance);
        for (const l of TAXONOMY_LABELS) expect(series[0].metric[l]).toBe(TAXONOMY[l]);
      }
    }, 120_000);
  });
});
