// Sharded Prometheus (tiers large/xl): the exporter-driven jobs (snmp, blackbox-*) spread their
// devices over the shards. A real Prometheus evaluates our relabel rules followed by the sharding
// rules the Prometheus Operator appends to every ScrapeConfig when `shards` > 1, one scrape pool
// per shard, and reports which targets each pool keeps.
import * as fs from "fs";
import * as path from "path";
import { OPERATOR_SHARD_HASH_LABEL, Relabel, ScrapeJob, scrapeJobs, toPrometheusScrapeConfig } from "../../components/collection/scrape";
import { TAXONOMY_LABELS } from "../../components/labels";
import { ActiveTarget, startPrometheus, waitFor } from "../helpers/collection-engines";
import { tempDir } from "../helpers/tools";

const SHARDS = 3;
const DEVICES = 300;

/**
 * The rules prometheus-operator v0.93 appends to a ScrapeConfig's relabelings when `shards` > 1
 * and none of them is a hashmod (pkg/prometheus/promcfg.go, appendShardingRelabelingWithLabel):
 * `__address__` into `__tmp_hash` unless already set, hashmod by the shard count, keep this
 * shard's (the operator's config reloader puts the pod's shard number where `$(SHARD)` stands).
 */
function operatorShardingRules(shards: number, shard: number): Record<string, unknown>[] {
  return [
    { source_labels: ["__address__", "__tmp_hash"], target_label: "__tmp_hash", regex: "(.+);", replacement: "$1", action: "replace" },
    { source_labels: ["__tmp_hash"], target_label: "__tmp_hash", modulus: shards, action: "hashmod" },
    { source_labels: ["__tmp_hash", "__tmp_disable_sharding"], regex: `${shard};|.+;.+`, action: "keep" },
  ];
}

/** One scrape pool per shard for `job`, as each shard's Prometheus would run it. */
function shardPools(job: ScrapeJob, relabelings: Relabel[], targetsFile: string, name: string) {
  return Array.from({ length: SHARDS }, (_, shard) => {
    const { http_sd_configs: _http, ...cfg } = toPrometheusScrapeConfig(job, []);
    return {
      ...cfg,
      job_name: `${name}-shard-${shard}`,
      scrape_interval: "1h", // only target assignment is checked; nothing needs scraping
      scrape_timeout: "10s",
      file_sd_configs: [{ files: [targetsFile] }],
      relabel_configs: [...relabelings, ...operatorShardingRules(SHARDS, shard)],
    };
  });
}

describe("sharded Prometheus: the exporter-driven jobs spread devices over the shards", () => {
  const dir = tempDir("prom-shards");
  const targetsFile = path.join(dir, "snmp.json");
  const devices = Array.from({ length: DEVICES }, (_, i) => `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  // the target generator's file_sd format, taxonomy labels on every group
  fs.writeFileSync(
    targetsFile,
    JSON.stringify(
      devices.map((d, i) => ({
        targets: [d],
        labels: { __param_module: "arista_eos", __param_auth: "helios_v3", device: `dev-${i}`, site: `site-${i % 7}`, region: "eu-west", vendor: "arista", platform: "eos", role: "leaf", tier: "tier2" },
      })),
    ),
  );
  // exporter addresses nobody listens on: the shards only have to pick their targets
  const jobs = scrapeJobs({ snmp: "127.0.0.1:1", blackbox: "127.0.0.1:1" });
  const snmp = jobs.find((j) => j.jobName === "snmp")!;
  const icmp = jobs.find((j) => j.jobName === "blackbox-icmp")!;
  const withoutHashRule = snmp.relabelings.filter((r) => r.target_label !== OPERATOR_SHARD_HASH_LABEL);
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let targets: ActiveTarget[];

  beforeAll(async () => {
    prom = await startPrometheus([
      ...shardPools(snmp, snmp.relabelings, targetsFile, "snmp"),
      ...shardPools(icmp, icmp.relabelings, targetsFile, "icmp"),
      // control: the same job without our hash rule (as before): every device hashes to the exporter
      ...shardPools(snmp, withoutHashRule, targetsFile, "unsharded"),
    ]);
    targets = await waitFor(
      "every scrape pool to discover its targets",
      async () => {
        const t = await prom.activeTargets();
        const per = (name: string) => t.filter((x) => x.scrapePool.startsWith(`${name}-shard-`)).length;
        return per("snmp") === DEVICES && per("icmp") === DEVICES && per("unsharded") === DEVICES ? t : undefined;
      },
      60_000,
      () => prom.log(),
    );
  }, 120_000);
  afterAll(() => prom?.stop());

  const byShard = (name: string) =>
    Array.from({ length: SHARDS }, (_, s) => targets.filter((t) => t.scrapePool === `${name}-shard-${s}`).map((t) => t.labels.instance));

  it.each(["snmp", "icmp"])("%s: every device is scraped by exactly one shard, and every shard gets a fair share", (name) => {
    const shards = byShard(name);
    process.stderr.write(`[sharding] ${name}: ${shards.map((s) => s.length).join(" / ")} devices per shard\n`);
    const all = shards.flat();
    expect(all.length).toBe(DEVICES);
    expect(new Set(all)).toEqual(new Set(devices)); // each once: no device twice, none missing
    // 300 devices over 3 shards: 100 expected each; a spread by device stays well inside 60..140
    for (const s of shards) {
      expect(s.length).toBeGreaterThan(60);
      expect(s.length).toBeLessThan(140);
    }
  });

  it("keeps the scrape parameters and the taxonomy labels on the sharded targets", () => {
    for (const t of targets.filter((x) => x.scrapePool.startsWith("snmp-shard-"))) {
      expect(t.labels.job).toBe("snmp");
      // scraped through the exporter, for the device, with its module and auth
      const url = new URL(t.scrapeUrl);
      expect(url.host).toBe("127.0.0.1:1");
      expect(url.searchParams.get("target")).toBe(t.labels.instance);
      expect(url.searchParams.get("module")).toBe("if_mib,arista_eos");
      expect(url.searchParams.get("auth")).toBe("helios_v3");
      for (const l of TAXONOMY_LABELS) expect(t.labels[l]).toBeTruthy();
      expect(Object.keys(t.labels)).not.toContain(OPERATOR_SHARD_HASH_LABEL);
    }
  });

  it("without the hash rule, the operator's hash of the exporter address puts every device on one shard", () => {
    const sizes = byShard("unsharded").map((s) => s.length).sort((a, b) => a - b);
    expect(sizes).toEqual([0, 0, DEVICES]);
  });
});
