// Collection config content (config/gnmic, config/snmp, config/blackbox, config/targets/static):
// the shipped content renders, and bad content fails with a message naming the file and problem.
import * as fs from "fs";
import { ConfigError } from "../../components/errors";
import * as path from "path";
import YAML from "yaml";
import { renderBlackboxConfig } from "../../components/collection/blackbox-exporter";

import { GNMIC_DIR, loadGnmicSubscriptions, renderGnmicConfig } from "../../components/collection/gnmic";
import { keepsTaxonomy, scrapeJobs } from "../../components/collection/scrape";
import { loadSnmpModules, renderSnmpAuths, renderSnmpAuthsWithOmissions, SNMP_DIR } from "../../components/collection/snmp-exporter";
import { loadStaticTargets, STATIC_TARGETS_DIR, validateFileSd } from "../../components/collection/static-targets";
import { tempDir } from "../helpers/tools";

const AUTH = { SNMP_COMMUNITY: "c", SNMP_USERNAME: "u", SNMP_AUTH_PASSWORD: "a", SNMP_PRIV_PASSWORD: "p" };

/** Copies a config directory to a temp dir, applies `edit`, returns the copy. */
function variant(src: string, edit: (dir: string) => void): string {
  const dir = tempDir("content");
  fs.cpSync(src, dir, { recursive: true });
  edit(dir);
  return dir;
}
const rewrite = (file: string, fn: (s: string) => string) => fs.writeFileSync(file, fn(fs.readFileSync(file, "utf8")));
const fails = (fn: () => unknown, ...fragments: string[]) => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
};

describe("snmp content", () => {
  it("loads the five modules with the contract IF-MIB names", () => {
    const modules = loadSnmpModules();
    expect(Object.keys(modules).sort()).toEqual(["arista_eos", "cisco_iosxe", "if_mib", "juniper_junos", "paloalto_panos"]);
    const names = (modules.if_mib.metrics as { name: string }[]).map((m) => m.name);
    expect(names.sort()).toEqual(["ifHCInOctets", "ifHCOutOctets", "ifHighSpeed", "ifInDiscards", "ifInErrors", "ifOperStatus", "ifOutDiscards", "ifOutErrors", "sysUpTime"].sort());
  });

  it("rejects a metric whose OID is neither walked nor fetched", () => {
    const dir = variant(path.join(SNMP_DIR, "modules"), (d) => rewrite(path.join(d, "juniper_junos.yml"), (s) => s.replace("      - 1.3.6.1.4.1.2636.3.1.13.1.8    # jnxOperatingCPU\n", "")));
    fails(() => loadSnmpModules(dir), "juniper_junos.yml", "jnxOperatingCPU", "neither walk nor get");
  });

  it("rejects a module defined twice, a non-numeric OID, an unknown type and a missing base module", () => {
    fails(() => loadSnmpModules(variant(path.join(SNMP_DIR, "modules"), (d) => fs.copyFileSync(path.join(d, "if_mib.yml"), path.join(d, "zz_copy.yml")))), 'module "if_mib" is already defined');
    fails(() => loadSnmpModules(variant(path.join(SNMP_DIR, "modules"), (d) => rewrite(path.join(d, "if_mib.yml"), (s) => s.replace("oid: 1.3.6.1.2.1.1.3\n", "oid: sysUpTime\n")))), "non-numeric oid");
    fails(() => loadSnmpModules(variant(path.join(SNMP_DIR, "modules"), (d) => rewrite(path.join(d, "if_mib.yml"), (s) => s.replace("type: counter", "type: counterz")))), 'unknown type "counterz"');
    fails(() => loadSnmpModules(variant(path.join(SNMP_DIR, "modules"), (d) => fs.rmSync(path.join(d, "if_mib.yml")))), 'base module "if_mib" is missing');
    fails(() => loadSnmpModules(variant(path.join(SNMP_DIR, "modules"), (d) => fs.writeFileSync(path.join(d, "broken.yml"), "modules: [1, 2\n"))), "broken.yml", "invalid YAML");
  });

  it("leaves out, and names, an auth profile whose secrets are not set (snmp_exporter would refuse to start)", () => {
    const { text, omitted } = renderSnmpAuthsWithOmissions({ ...AUTH, SNMP_AUTH_PASSWORD: "", SNMP_PRIV_PASSWORD: "" });
    expect(omitted).toEqual(["helios_v3"]);
    expect(Object.keys(YAML.parse(text).auths)).toEqual(["public_v2"]);
  });

  it("fills the auth placeholders and refuses an unknown one", () => {
    const auths = YAML.parse(renderSnmpAuths(AUTH)).auths;
    expect(auths.public_v2).toEqual({ version: 2, community: "c" });
    expect(auths.helios_v3).toMatchObject({ username: "u", password: "a", priv_password: "p", security_level: "authPriv" });
    const file = path.join(variant(SNMP_DIR, (d) => rewrite(path.join(d, "auths.yml"), (s) => s.replace("${SNMP_COMMUNITY}", "${SNMP_COMUNITY}"))), "auths.yml");
    fails(() => renderSnmpAuths(AUTH, file), "unknown placeholder ${SNMP_COMUNITY}");
  });
});

describe("blackbox content", () => {
  it("defines icmp, tcp_connect, http_2xx and dns_udp", () => {
    expect(Object.keys(YAML.parse(renderBlackboxConfig()).modules).sort()).toEqual(["dns_udp", "http_2xx", "icmp", "tcp_connect"]);
  });

  it("refuses a config missing a probe kind's module or using the wrong prober", () => {
    const src = path.dirname(path.join(GNMIC_DIR, "..", "blackbox", "blackbox.yml"));
    fails(() => renderBlackboxConfig(path.join(variant(src, (d) => rewrite(path.join(d, "blackbox.yml"), (s) => s.replace("  dns_udp:", "  dns:"))), "blackbox.yml")), 'module "dns_udp" (probe kind dns) is missing');
    fails(() => renderBlackboxConfig(path.join(variant(src, (d) => rewrite(path.join(d, "blackbox.yml"), (s) => s.replace("prober: tcp", "prober: http"))), "blackbox.yml")), 'module "tcp_connect" must use prober "tcp"');
  });
});

describe("gnmic content", () => {
  it("has the three subscriptions the target generator's profiles name", () => {
    expect(Object.keys(loadGnmicSubscriptions()).sort()).toEqual(["bgp", "interfaces", "system"]);
  });

  it("refuses an output that uses an undefined processor, a relative path and a sample subscription without interval", () => {
    fails(() => renderGnmicConfig({ targetsFile: "/t", tls: { skipVerify: false } }, variant(GNMIC_DIR, (d) => rewrite(path.join(d, "gnmic.yaml"), (s) => s.replace("- helios-cpu-total", "- helios-cpu-totals")))), 'uses processor "helios-cpu-totals"');
    fails(() => loadGnmicSubscriptions(path.join(variant(GNMIC_DIR, (d) => rewrite(path.join(d, "subscriptions", "bgp.yaml"), (s) => s.replace("- /network-instances", "- network-instances"))), "subscriptions")), "bgp.yaml", "absolute gNMI paths");
    fails(() => loadGnmicSubscriptions(path.join(variant(GNMIC_DIR, (d) => rewrite(path.join(d, "subscriptions", "system.yaml"), (s) => s.replace("  sample-interval: 30s\n", ""))), "subscriptions")), "system.yaml", "sample-interval");
    fails(() => loadGnmicSubscriptions(path.join(variant(GNMIC_DIR, (d) => fs.rmSync(path.join(d, "subscriptions", "bgp.yaml"))), "subscriptions")), 'subscription "bgp" is missing');
  });

  it("renders clustering only when a namespace is given", () => {
    const clustered = YAML.parse(renderGnmicConfig({ targetsFile: "/t/targets.yaml", clusterNamespace: "ns", tls: { skipVerify: false, caFile: "/ca" } }));
    expect(clustered.clustering.locker).toMatchObject({ type: "k8s", namespace: "ns" });
    expect(clustered["tls-ca"]).toBe("/ca");
    expect(clustered["skip-verify"]).toBeUndefined();
    expect(YAML.parse(renderGnmicConfig({ targetsFile: "/t", tls: { skipVerify: true } })).clustering).toBeUndefined();
  });
});

describe("static targets and scrape jobs", () => {
  it("loads the static targets in the generator's format", () => {
    const t = loadStaticTargets();
    expect(Object.keys(t.blackbox).sort()).toEqual(["dns.json", "http.json", "icmp.json", "tcp.json"]);
    expect(YAML.parse(t.gnmic["targets.yaml"])["lab-arista-1"]["event-tags"].device).toBe("lab-arista-1");
  });

  it("refuses a target group without a taxonomy label, an snmp group without __param_auth, and a gnmic target with credentials", () => {
    fails(() => validateFileSd("x.json", JSON.stringify([{ targets: ["a"], labels: { device: "d" } }])), "x.json", 'label "site" is missing');
    fails(() => validateFileSd("x.json", "{not json"), "not JSON");
    const noAuth = variant(STATIC_TARGETS_DIR, (d) => rewrite(path.join(d, "snmp.json"), (s) => s.replace(/,"__param_auth":"[a-z0-9_]+"/g, "")));
    fails(() => loadStaticTargets(noAuth), "snmp.json", 'label "__param_auth" is missing');
    const creds = variant(STATIC_TARGETS_DIR, (d) => rewrite(path.join(d, "targets.yaml"), (s) => s.replace('  address: "192.0.2.11:6030"\n', '  address: "192.0.2.11:6030"\n  password: "x"\n')));
    fails(() => loadStaticTargets(creds), "credentials do not belong");
    const badSub = variant(STATIC_TARGETS_DIR, (d) => rewrite(path.join(d, "targets.yaml"), (s) => s.replace('"bgp"]', '"ospf"]')));
    fails(() => loadStaticTargets(badSub), 'unknown subscription "ospf"');
  });

  it("never relabels a taxonomy label away in any job", () => {
    for (const job of scrapeJobs()) expect(keepsTaxonomy(job.relabelings)).toBe(true);
    expect(keepsTaxonomy([{ action: "labeldrop", regex: "site" }])).toBe(false);
    expect(keepsTaxonomy([{ target_label: "device", replacement: "x" }])).toBe(false);
  });
});
