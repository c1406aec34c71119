// Real snmp_exporter (v0.30.x) with our rendered config: the config check, a scrape of a real
// net-snmp snmpd on loopback, and a real Prometheus running our `snmp` scrape job (http_sd +
// multi-target relabeling) that keeps the seven taxonomy labels.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { MAX_TARGET_PARTS, partKey, scrapeJobs, toPrometheusScrapeConfig } from "../../components/collection/scrape";
import { renderSnmpAuths, renderSnmpConfig, renderSnmpModules, SnmpAuthValues } from "../../components/collection/snmp-exporter";
import { TAXONOMY_LABELS } from "../../components/labels";
import { alive, httpGet, parseMetrics, Proc, Snmpd, startNginxSd, startProc, startPrometheus, startSnmpd, waitFor, FileServer } from "../helpers/collection-engines";
import { freePort, waitForPort } from "../helpers/net";
import { pinnedVersion, run, tempDir, tool } from "../helpers/tools";

const AUTH: SnmpAuthValues = {
  SNMP_COMMUNITY: "helios-test-community",
  SNMP_USERNAME: "helios",
  SNMP_AUTH_PASSWORD: "auth-password-123",
  SNMP_PRIV_PASSWORD: "priv-password-456",
};
const TAXONOMY = { device: "lab-snmpd-1", site: "lab-1", region: "eu-west", vendor: "arista", platform: "eos", role: "leaf", tier: "gold" };

function dryRun(files: string[]) {
  return run(tool("snmp_exporter"), [...files.map((f) => `--config.file=${f}`), "--dry-run"]);
}

describe("snmp_exporter with the Helios modules", () => {
  const dir = tempDir("snmp-exporter");
  const modules = path.join(dir, "modules.yml");
  const auths = path.join(dir, "auths.yml");
  fs.writeFileSync(modules, renderSnmpModules());
  fs.writeFileSync(auths, renderSnmpAuths(AUTH));
  let snmpd: Snmpd;
  let exporter: Proc;
  let exporterAddr: string;

  beforeAll(async () => {
    snmpd = await startSnmpd(AUTH.SNMP_COMMUNITY);
    const port = await freePort();
    exporterAddr = `127.0.0.1:${port}`;
    // The same two files, via two --config.file flags, as the Deployment runs it.
    exporter = startProc(tool("snmp_exporter"), [`--config.file=${modules}`, `--config.file=${auths}`, `--web.listen-address=${exporterAddr}`]);
    await waitForPort(port, 30_000, alive(exporter));
  }, 120_000);

  afterAll(async () => {
    await exporter?.stop();
    await snmpd?.stop();
  });

  it("is the pinned snmp_exporter", () => {
    const v = run("go", ["version", "-m", tool("snmp_exporter")]);
    expect(v.stdout).toMatch(new RegExp(`\\bmod\\s+github.com/prometheus/snmp_exporter\\s+${pinnedVersion("HELIOS_SNMP_EXPORTER_VERSION").replace(/\./g, "\\.")}\\b`));
    expect(pinnedVersion("HELIOS_SNMP_EXPORTER_VERSION")).toMatch(/^v0\.30\./);
  });

  it("accepts the combined rendered snmp.yml and the two-file split (--dry-run)", () => {
    const combined = path.join(dir, "snmp.yml");
    fs.writeFileSync(combined, renderSnmpConfig(AUTH));
    const parsed = YAML.parse(fs.readFileSync(combined, "utf8"));
    expect(Object.keys(parsed.modules).sort()).toEqual(["arista_eos", "cisco_iosxe", "if_mib", "juniper_junos", "paloalto_panos"]);
    expect(Object.keys(parsed.auths).sort()).toEqual(["helios_v3", "public_v2"]);
    for (const files of [[combined], [modules, auths]]) {
      const r = dryRun(files);
      expect(`${r.stdout}${r.stderr}`).toContain("Configuration parsed successfully");
      expect(r.status).toBe(0);
    }
  });

  it("rejects a broken config in the same check (the check has teeth)", () => {
    const bad = path.join(dir, "bad.yml");
    fs.writeFileSync(bad, renderSnmpConfig(AUTH).replace("walk:", "wlak:"));
    const r = dryRun([bad]);
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/wlak|not found/);
  });

  it("scrapes a real snmpd with the IF-MIB module: ifHCInOctets (with ifName) and sysUpTime", async () => {
    const url = `http://${exporterAddr}/snmp?target=${snmpd.target}&module=if_mib&auth=public_v2`;
    const res = await httpGet(url);
    expect(res.status).toBe(200);
    const samples = parseMetrics(res.body);
    const upTime = samples.find((s) => s.name === "sysUpTime");
    expect(upTime!.value).toBeGreaterThan(0);
    const lo = samples.find((s) => s.name === "ifHCInOctets" && s.labels.ifName === "lo");
    expect(lo).toBeDefined();
    expect(lo!.labels.ifIndex).toMatch(/^[0-9]+$/);
    expect(lo!.value).toBeGreaterThanOrEqual(0);
    for (const name of ["ifHCOutOctets", "ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards", "ifOperStatus", "ifHighSpeed"]) {
      expect(samples.some((s) => s.name === name && s.labels.ifName === "lo")).toBe(true);
    }
    expect(samples.find((s) => s.name === "ifOperStatus" && s.labels.ifName === "lo")!.value).toBe(1);
  });

  it("refuses a wrong community (the auth comes from our rendered auths, not a default)", async () => {
    const other = path.join(dir, "other-auths.yml");
    fs.writeFileSync(other, renderSnmpAuths({ ...AUTH, SNMP_COMMUNITY: "wrong" }));
    const port = await freePort();
    const p = startProc(tool("snmp_exporter"), [`--config.file=${modules}`, `--config.file=${other}`, `--web.listen-address=127.0.0.1:${port}`]);
    try {
      await waitForPort(port, 30_000, alive(p));
      const res = await httpGet(`http://127.0.0.1:${port}/snmp?target=${snmpd.target}&module=if_mib&auth=public_v2&snmp.timeout=1s`);
      expect(res.body).not.toMatch(/^sysUpTime /m);
    } finally {
      await p.stop();
    }
  }, 60_000);

  describe("through a real Prometheus running our `snmp` scrape job", () => {
    let sd: FileServer;
    let prom: Awaited<ReturnType<typeof startPrometheus>>;

    beforeAll(async () => {
      // A targets file exactly as the target generator writes it (helios-targets-snmp/snmp.json).
      const root = tempDir("targets-sd");
      fs.mkdirSync(path.join(root, "helios-targets-snmp"));
      fs.writeFileSync(
        path.join(root, "helios-targets-snmp", "snmp.json"),
        `[\n${JSON.stringify({ targets: [snmpd.target], labels: { ...TAXONOMY, __param_module: "arista_eos", __param_auth: "public_v2" } })}\n]\n`,
      );
      sd = await startNginxSd(root);
      const job = scrapeJobs({ snmp: exporterAddr, blackbox: "127.0.0.1:1" }).find((j) => j.jobName === "snmp")!;
      // Every part URL, as the ScrapeConfig lists them; parts the generator did not write are `[]`.
      const urls = Array.from({ length: MAX_TARGET_PARTS }, (_, i) => `${sd.base}/helios-targets-snmp/${partKey("snmp.json", i)}`);
      const cfg = { ...toPrometheusScrapeConfig(job, urls, "5s"), scrape_interval: "3s", scrape_timeout: "3s" };
      prom = await startPrometheus([cfg]);
    }, 120_000);

    afterAll(async () => {
      await prom?.stop();
      await sd?.stop();
    });

    it("the SD server (real nginx, our server block) serves parts as JSON and a missing part as []", async () => {
      const present = await httpGet(`${sd.base}/helios-targets-snmp/snmp.json`);
      expect(present.status).toBe(200);
      expect(present.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(present.body)[0].labels.device).toBe(TAXONOMY.device);
      const missing = await httpGet(`${sd.base}/helios-targets-snmp/snmp-3.json`);
      expect(missing.status).toBe(200);
      expect(missing.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(missing.body)).toEqual([]);
    });

    it("stores IF-MIB and vendor-module series with every taxonomy label, job snmp and the device as instance", async () => {
      const series = await waitFor("ifHCInOctets in Prometheus", async () => {
        const r = await prom.query('ifHCInOctets{job="snmp", ifName="lo"}');
        return r.length ? r : undefined;
      }, 90_000, prom.log);
      for (const s of series) {
        for (const l of TAXONOMY_LABELS) expect(s.metric[l]).toBe(TAXONOMY[l]);
        expect(s.metric.instance).toBe(snmpd.target);
      }
      expect((await prom.query('sysUpTime{job="snmp"}'))[0].metric.device).toBe(TAXONOMY.device);
      // module=if_mib,arista_eos: the vendor module's HOST-RESOURCES-MIB series came too.
      expect((await prom.query('hrStorageSize{job="snmp"}')).length).toBeGreaterThan(0);
      expect((await prom.query('up{job="snmp"}'))[0].value[1]).toBe("1");
    }, 120_000);
  });
});
