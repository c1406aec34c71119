// Real gnmic driven by our rendered config (config/gnmic: subscriptions + processors), against
// openconfig's fake gNMI server streaming OpenConfig-shaped notifications over TLS. gnmic's
// Prometheus output must expose the contract metric names (docs/collection.md, contract A)
// with the taxonomy labels from the targets file, and pick up a target added to the targets
// file while running (the file loader re-reads the mounted ConfigMap directory), and
// subscribe again on its own after a device drops mid-stream and comes back.
//
// The fake server can only listen on every interface (it binds ":port"), so both servers and
// gnmic run in a private network namespace (`unshare -rn`) whose only interface is loopback;
// nothing is reachable from, or reaches, anything outside it.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { GNMIC_DIR as REPO_GNMIC_DIR, GNMIC_SUBSCRIPTIONS, GNMIC_TARGETS_MERGE_SCRIPT, renderGnmicConfig } from "../../components/collection/gnmic";
import { validateGnmicTargets } from "../../components/collection/static-targets";
import { TAXONOMY_LABELS } from "../../components/labels";
import { parseMetrics } from "../helpers/collection-engines";
import { pinnedVersion, run, tempDir, tool } from "../helpers/tools";

const CONTRACT = [
  "gnmic_interface_in_octets",
  "gnmic_interface_out_octets",
  "gnmic_interface_in_errors",
  "gnmic_interface_out_errors",
  "gnmic_interface_in_discards",
  "gnmic_interface_out_discards",
  "gnmic_interface_in_pkts",
  "gnmic_interface_out_pkts",
  "gnmic_interface_oper_status",
  "gnmic_bgp_neighbor_established",
  "gnmic_system_cpu_utilization_percent",
  "gnmic_system_memory_utilized_bytes",
  "gnmic_system_memory_physical_bytes",
];

const taxonomy = (device: string) => ({ device, site: "lab-1", region: "eu-west", vendor: "arista", platform: "eos", role: "leaf", tier: "gold" });

// gnmi.SubscribeResponse text protos.
const elem = (name: string, keys: Record<string, string> = {}) =>
  `elem: { name: "${name}" ${Object.entries(keys).map(([k, v]) => `key: { key: "${k}" value: "${v}" }`).join(" ")} }`;
const ifPath = (ifName: string, ...rest: string[]) => [elem("interfaces"), elem("interface", { name: ifName }), elem("state"), ...rest.map((r) => elem(r))].join(" ");
const upd = (pathText: string, val: string) => `update: { path: { ${pathText} } val: { ${val} } }`;
function notifications(ts: bigint, base1 = 1000): string[] {
  const counters = (ifName: string, base: number) =>
    ["in-octets", "out-octets", "in-errors", "out-errors", "in-discards", "out-discards", "in-pkts", "out-pkts"].map((c, i) => upd(ifPath(ifName, "counters", c), `uint_val: ${base + i}`));
  const bgp = (addr: string, state: string) =>
    upd(
      [elem("network-instances"), elem("network-instance", { name: "default" }), elem("protocols"), elem("protocol", { identifier: "BGP", name: "BGP" }), elem("bgp"), elem("neighbors"), elem("neighbor", { "neighbor-address": addr }), elem("state"), elem("session-state")].join(" "),
      `string_val: "${state}"`,
    );
  const cpu = (index: string, pct: number) => upd([elem("system"), elem("cpus"), elem("cpu", { index }), elem("state"), elem("total"), elem("instant")].join(" "), `uint_val: ${pct}`);
  const mem = (leaf: string, v: number) => upd([elem("system"), elem("memory"), elem("state"), elem(leaf)].join(" "), `uint_val: ${v}`);
  return [
    `update: { timestamp: ${ts} ${counters("Ethernet1", base1).join(" ")} ${upd(ifPath("Ethernet1", "oper-status"), 'string_val: "UP"')} }`,
    `update: { timestamp: ${ts} ${counters("Ethernet2", 2000).join(" ")} ${upd(ifPath("Ethernet2", "oper-status"), 'string_val: "DOWN"')} }`,
    `update: { timestamp: ${ts} ${bgp("192.0.2.1", "ESTABLISHED")} ${bgp("192.0.2.2", "ACTIVE")} }`,
    `update: { timestamp: ${ts} ${cpu("ALL", 42)} ${cpu("0", 40)} ${mem("physical", 8589934592)} ${mem("used", 4294967296)} }`,
    "sync_response: true",
  ];
}

function fakeConfig(target: string, responses: string[]): string {
  return [`target: "${target}"`, "client_type: GRPC_GNMI", "disable_eof: true", "fixed: {", ...responses.map((r) => `  responses: { ${r} }`), "}", ""].join("\n");
}

function targetEntry(device: string, port: number): string {
  const tags = TAXONOMY_LABELS.map((l) => `    ${l}: ${JSON.stringify(taxonomy(device)[l])}`).join("\n");
  // Exactly the target generator's format (services/target-generator/src/generate.ts).
  return `${JSON.stringify(device)}:\n  address: "127.0.0.1:${port}"\n  subscriptions: [${GNMIC_SUBSCRIPTIONS.map((s) => JSON.stringify(s)).join(", ")}]\n  event-tags:\n${tags}\n`;
}

describe("gnmic with the Helios config against a real gNMI server", () => {
  const dir = tempDir("gnmic");
  let metrics1: ReturnType<typeof parseMetrics>;
  let metrics2: ReturnType<typeof parseMetrics>;
  let metrics3: ReturnType<typeof parseMetrics>;
  let scriptOut = "";
  let logs = "";

  beforeAll(() => {
    const ssl = run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "server.key"), "-out", path.join(dir, "server.crt"), "-days", "1", "-subj", "/CN=127.0.0.1"]);
    expect(ssl.status).toBe(0);
    const ts = BigInt(Date.now()) * 1_000_000n;
    fs.writeFileSync(path.join(dir, "fake1.pb.txt"), fakeConfig("lab-gnmi-1", notifications(ts)));
    fs.writeFileSync(path.join(dir, "fake2.pb.txt"), fakeConfig("lab-gnmi-2", notifications(ts)));
    // the same device after it comes back: its counters moved on (Ethernet1 in-octets 5000)
    fs.writeFileSync(path.join(dir, "fake1-back.pb.txt"), fakeConfig("lab-gnmi-1", notifications(ts, 5000)));
    const [p1, p2, prom, api] = [57400, 57401, 9804, 7890];
    // The mounted ConfigMap directory (the generator's parts) and the merged file gnmic reads,
    // produced by the same merge script the pod runs beside gnmic.
    const targetsDir = path.join(dir, "targets");
    const mergedDir = path.join(dir, "merged");
    fs.mkdirSync(targetsDir);
    fs.mkdirSync(mergedDir);
    fs.writeFileSync(path.join(targetsDir, "targets.yaml"), targetEntry("lab-gnmi-1", p1));
    validateGnmicTargets(path.join(targetsDir, "targets.yaml"));
    fs.writeFileSync(path.join(dir, "part1.yaml"), targetEntry("lab-gnmi-2", p2));
    fs.writeFileSync(path.join(dir, "merge.sh"), GNMIC_TARGETS_MERGE_SCRIPT);
    fs.writeFileSync(
      path.join(dir, "gnmic.yaml"),
      renderGnmicConfig({
        targetsFile: path.join(mergedDir, "targets.yaml"),
        promListen: `127.0.0.1:${prom}`,
        apiListen: `127.0.0.1:${api}`,
        loaderInterval: "2s",
        // The fake server's certificate is self-signed; production verifies (helios:gnmiTlsCa).
        tls: { skipVerify: true },
      }),
    );
    // Every name, and the last series of each notification the server sends.
    const want = [
      ...CONTRACT.map((n) => `grep -q '^${n}{' m.txt`),
      `grep '^gnmic_interface_oper_status{' m.txt | grep -q 'interface="Ethernet2"'`,
      `grep '^gnmic_interface_out_discards{' m.txt | grep -q 'interface="Ethernet2"'`,
      `grep '^gnmic_bgp_neighbor_established{' m.txt | grep -q 'neighbor_address="192.0.2.2"'`,
      `grep -q '^gnmic_system_cpu_utilization_percent{cpu="0"' m.txt`,
    ].join(" && ");
    const wantSecond = CONTRACT.map((n) => `grep '^${n}{' m.txt | grep -q 'device="lab-gnmi-2"'`).join(" && ");
    const script = `
set -u
cd ${JSON.stringify(dir)}
ip link set lo up
merge() { ONCE=1 SRC=targets OUT=merged/targets.yaml sh merge.sh; }
merge
${tool("gnmi_server")} --config fake1.pb.txt --text --port ${p1} --server_crt server.crt --server_key server.key --allow_no_client_auth --logtostderr > fake1.log 2>&1 &
F1=$!
${tool("gnmi_server")} --config fake2.pb.txt --text --port ${p2} --server_crt server.crt --server_key server.key --allow_no_client_auth --logtostderr > fake2.log 2>&1 &
F2=$!
GNMIC_USERNAME=helios GNMIC_PASSWORD=test-password ${tool("gnmic")} --config gnmic.yaml subscribe > gnmic.log 2>&1 &
G=$!
for i in $(seq 1 120); do
  curl -s http://127.0.0.1:${prom}/metrics > m.txt 2>/dev/null
  if ${want}; then cp m.txt metrics1.txt; break; fi
  sleep 0.5
done
# The generator's overflow part appears in the mounted directory (plus an empty part, "{}");
# one pass of the merge loop rewrites the merged file, which gnmic's loader re-reads.
cp part1.yaml targets/targets-1.yaml
printf '{}\n' > targets/targets-2.yaml
merge
for i in $(seq 1 120); do
  curl -s http://127.0.0.1:${prom}/metrics > m.txt 2>/dev/null
  if ${wantSecond}; then cp m.txt metrics2.txt; break; fi
  sleep 0.5
done
# Edge case: a device drops mid-stream. The first server goes away; gnmic must stay up and
# subscribe again on its own (its retry timer) once the device is back, without a restart.
kill $F1
wait $F1 2>/dev/null
sleep 2
kill -0 $G 2>/dev/null && echo "GNMIC_ALIVE_AFTER_DROP"
BACK=$(date +%s)
${tool("gnmi_server")} --config fake1-back.pb.txt --text --port ${p1} --server_crt server.crt --server_key server.key --allow_no_client_auth --logtostderr > fake1-back.log 2>&1 &
F1=$!
for i in $(seq 1 120); do
  curl -s http://127.0.0.1:${prom}/metrics > m.txt 2>/dev/null
  if grep '^gnmic_interface_in_octets{' m.txt | grep 'device="lab-gnmi-1"' | grep 'interface="Ethernet1"' | grep -q ' 5000$'; then
    cp m.txt metrics3.txt
    echo "RESUBSCRIBED_AFTER_SECONDS=$(( $(date +%s) - BACK ))"
    break
  fi
  sleep 0.5
done
kill $G $F1 $F2 2>/dev/null
wait
`;
    const r = run("unshare", ["-rn", "sh", "-c", script], { timeoutMs: 300_000 });
    scriptOut = r.stdout;
    logs = `${r.stdout}${r.stderr}\n--- gnmic.log ---\n${fs.existsSync(path.join(dir, "gnmic.log")) ? fs.readFileSync(path.join(dir, "gnmic.log"), "utf8").slice(-5000) : ""}`;
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? parseMetrics(fs.readFileSync(path.join(dir, f), "utf8")) : []);
    metrics1 = read("metrics1.txt");
    metrics2 = read("metrics2.txt");
    metrics3 = read("metrics3.txt");
  }, 360_000);

  it("is the pinned gnmic", () => {
    const v = run("go", ["version", "-m", tool("gnmic")]);
    expect(v.stdout).toMatch(new RegExp(`\\bmod\\s+github.com/karimra/gnmic\\s+${pinnedVersion("HELIOS_GNMIC_VERSION").replace(/\./g, "\\.")}\\b`));
  });

  it("exposes every contract metric name with the seven taxonomy labels", () => {
    if (!metrics1.length) throw new Error(`gnmic exposed no contract metrics:\n${logs}`);
    for (const name of CONTRACT) {
      const series = metrics1.filter((s) => s.name === name);
      expect(series.length).toBeGreaterThan(0);
      for (const s of series) {
        for (const l of TAXONOMY_LABELS) expect(s.labels[l]).toBe(taxonomy("lab-gnmi-1")[l]);
        // gnmic's own tags are dropped; only contract labels remain.
        expect(Object.keys(s.labels).filter((l) => !(TAXONOMY_LABELS as readonly string[]).includes(l)).sort()).toEqual(
          name.startsWith("gnmic_interface") ? ["interface"] : name.startsWith("gnmic_bgp") ? ["neighbor_address", "network_instance"] : name === "gnmic_system_cpu_utilization_percent" ? ["cpu"] : [],
        );
      }
    }
  });

  it("streams the values: counters, oper-status 1/0, BGP established 1/0, CPU total, memory", () => {
    const v = (name: string, labels: Record<string, string> = {}) =>
      metrics1.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v("gnmic_interface_in_octets", { interface: "Ethernet1" })).toBe(1000);
    expect(v("gnmic_interface_out_octets", { interface: "Ethernet1" })).toBe(1001);
    expect(v("gnmic_interface_in_errors", { interface: "Ethernet2" })).toBe(2002);
    expect(v("gnmic_interface_out_discards", { interface: "Ethernet2" })).toBe(2005);
    expect(v("gnmic_interface_in_pkts", { interface: "Ethernet1" })).toBe(1006);
    expect(v("gnmic_interface_out_pkts", { interface: "Ethernet2" })).toBe(2007);
    expect(v("gnmic_interface_oper_status", { interface: "Ethernet1" })).toBe(1);
    expect(v("gnmic_interface_oper_status", { interface: "Ethernet2" })).toBe(0);
    expect(v("gnmic_bgp_neighbor_established", { neighbor_address: "192.0.2.1", network_instance: "default" })).toBe(1);
    expect(v("gnmic_bgp_neighbor_established", { neighbor_address: "192.0.2.2" })).toBe(0);
    expect(v("gnmic_system_cpu_utilization_percent", { cpu: "total" })).toBe(42);
    expect(v("gnmic_system_cpu_utilization_percent", { cpu: "0" })).toBe(40);
    expect(v("gnmic_system_memory_physical_bytes")).toBe(8589934592);
    expect(v("gnmic_system_memory_utilized_bytes")).toBe(4294967296);
  });

  it("subscribes to a target added in another part of the targets directory while running, without a restart", () => {
    if (!metrics2.length) throw new Error(`the second target never appeared:\n${logs}`);
    const added = metrics2.filter((s) => s.labels.device === "lab-gnmi-2");
    expect(new Set(added.map((s) => s.name))).toEqual(new Set(CONTRACT));
    expect(metrics2.some((s) => s.labels.device === "lab-gnmi-1")).toBe(true);
    expect(Object.keys(YAML.parse(fs.readFileSync(path.join(dir, "merged", "targets.yaml"), "utf8"))).sort()).toEqual(["lab-gnmi-1", "lab-gnmi-2"]);
  });

  it("survives a device dropping mid-stream and subscribes again on its own when it is back", () => {
    expect(scriptOut).toContain("GNMIC_ALIVE_AFTER_DROP");
    if (!metrics3.length) throw new Error(`gnmic never streamed from the device again:\n${logs}`);
    const seconds = Number(/RESUBSCRIBED_AFTER_SECONDS=(\d+)/.exec(scriptOut)![1]);
    process.stderr.write(`[gnmic] re-subscribed ${seconds} s after the device came back (retry timer ${YAML.parse(fs.readFileSync(path.join(REPO_GNMIC_DIR, "gnmic.yaml"), "utf8")).retry})\n`);
    const back = metrics3.filter((m) => m.labels.device === "lab-gnmi-1");
    expect(back.find((m) => m.name === "gnmic_interface_in_octets" && m.labels.interface === "Ethernet1")?.value).toBe(5000);
    // every contract metric of the device streams again, with its labels
    expect(new Set(back.map((m) => m.name))).toEqual(new Set(CONTRACT));
    // the other device was not disturbed
    expect(metrics3.some((m) => m.labels.device === "lab-gnmi-2")).toBe(true);
  });
});
