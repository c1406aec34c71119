/**
 * Collection bench: scrape latency of a real snmp_exporter (our modules, module=if_mib,arista_eos
 * as the `snmp` job sends it) against a real net-snmp snmpd, and blackbox_exporter http_2xx /
 * tcp_connect probe latency against loopback servers. Sequential requests, loopback only.
 * Writes bench/results/collection.json. Run: npm run bench collection
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { renderBlackboxConfig } from "../components/collection/blackbox-exporter";
import { renderSnmpAuths, renderSnmpModules } from "../components/collection/snmp-exporter";
import { alive, httpGet, parseMetrics, startProc, startSnmpd } from "../tests/helpers/collection-engines";
import { freePort, waitForPort } from "../tests/helpers/net";
import { tempDir, tool } from "../tests/helpers/tools";

const N = Number(process.env.BENCH_N ?? 50);

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1));
  return { n: s.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: Number(s[s.length - 1].toFixed(1)) };
}

async function timed(url: string, check: (body: string) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    const r = await httpGet(url);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    check(r.body);
  }
  return out;
}

async function main() {
  const dir = tempDir("bench-collection");
  const community = "bench-community";
  const snmpd = await startSnmpd(community);
  fs.writeFileSync(path.join(dir, "modules.yml"), renderSnmpModules());
  fs.writeFileSync(path.join(dir, "auths.yml"), renderSnmpAuths({ SNMP_COMMUNITY: community, SNMP_USERNAME: "u", SNMP_AUTH_PASSWORD: "aaaaaaaa", SNMP_PRIV_PASSWORD: "bbbbbbbb" }));
  fs.writeFileSync(path.join(dir, "blackbox.yml"), renderBlackboxConfig());
  const [sp, bp] = [await freePort(), await freePort()];
  const snmpExp = startProc(tool("snmp_exporter"), [`--config.file=${dir}/modules.yml`, `--config.file=${dir}/auths.yml`, `--web.listen-address=127.0.0.1:${sp}`]);
  const bbExp = startProc(tool("blackbox_exporter"), [`--config.file=${dir}/blackbox.yml`, `--web.listen-address=127.0.0.1:${bp}`]);
  const web = http.createServer((_, res) => res.end("ok"));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  const tcp = net.createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  try {
    await waitForPort(sp, 30_000, alive(snmpExp));
    await waitForPort(bp, 30_000, alive(bbExp));
    let series = 0;
    const snmp = await timed(`http://127.0.0.1:${sp}/snmp?target=${snmpd.target}&module=if_mib,arista_eos&auth=public_v2`, (b) => {
      const s = parseMetrics(b);
      if (!s.some((x) => x.name === "ifHCInOctets")) throw new Error("scrape without ifHCInOctets");
      series = s.filter((x) => !x.name.startsWith("snmp_")).length;
    });
    const webPort = (web.address() as net.AddressInfo).port;
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    const ok = (b: string) => {
      if (!/^probe_success 1$/m.test(b)) throw new Error("probe failed");
    };
    const httpProbe = await timed(`http://127.0.0.1:${bp}/probe?module=http_2xx&target=http://127.0.0.1:${webPort}/`, ok);
    const tcpProbe = await timed(`http://127.0.0.1:${bp}/probe?module=tcp_connect&target=127.0.0.1:${tcpPort}`, ok);
    const result = {
      machine: "2 cores shared, loopback",
      snmp_scrape_if_mib_arista_eos: { ...stats(snmp), series_per_scrape: series },
      blackbox_http_2xx_probe: stats(httpProbe),
      blackbox_tcp_connect_probe: stats(tcpProbe),
    };
    console.log(JSON.stringify(result, null, 2));
    const out = path.resolve(__dirname, "results", "collection.json");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  } finally {
    await snmpExp.stop();
    await bbExp.stop();
    await snmpd.stop();
    web.close();
    tcp.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
