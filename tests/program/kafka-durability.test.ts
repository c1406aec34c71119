// Issue 12: a broker restart loses nothing at any tier. Each tier's Kafka, as the plan renders it,
// must be roll-safe (the small tier's roll is proven on real engines in
// services/flow-enricher/test/goflow2-kafka-roll.test.ts); a tier edit that breaks it fails here.
import * as fs from "fs";
import * as path from "path";
import { assertKafkaRollSafe, kafkaDurability, kafkaFootprint, kafkaRollSafetyProblems } from "../../components/flows/kafka-cluster";
import { goflow2Args } from "../../components/flows/goflow2";
import { TOPICS } from "../../components/flows/names";
import { TIER_NAMES, TIERS } from "../../components/tiers";
import { startKafkaCluster } from "../helpers/kafka-cluster";
import { kafkaFromPlan, renderedKafka } from "../helpers/kafka-rendered";
import { REPO_ROOT, run, tool } from "../helpers/tools";

describe.each(TIER_NAMES)("Kafka durability as rendered, tier %s", (tierName) => {
  it("is roll-safe: RF ≥ 3 on as many brokers, min ISR RF−1, odd quorum ≥ 3, no unclean election", async () => {
    const k = await renderedKafka(tierName);
    const brokers = k.pools.filter((p) => p.roles.includes("broker")).reduce((n, p) => n + p.replicas, 0);
    const voters = k.pools.filter((p) => p.roles.includes("controller")).reduce((n, p) => n + p.replicas, 0);
    const rf = Number(k.brokerConfig["default.replication.factor"]);
    expect(rf).toBeGreaterThanOrEqual(3);
    expect(brokers).toBeGreaterThanOrEqual(rf);
    expect(voters).toBeGreaterThanOrEqual(3);
    expect(voters % 2).toBe(1);
    expect(k.brokerConfig).toMatchObject({
      "min.insync.replicas": rf - 1,
      "offsets.topic.replication.factor": rf,
      "transaction.state.log.replication.factor": rf,
      "transaction.state.log.min.isr": rf - 1,
      "unclean.leader.election.enable": false,
    });
    for (const name of Object.values(TOPICS)) {
      const t = k.topics[name];
      expect(t.replicas).toBe(rf);
      expect(t.replicas).toBeLessThanOrEqual(brokers);
      expect(Number(t.config["min.insync.replicas"])).toBe(t.replicas - 1);
      expect(t.config["unclean.leader.election.enable"]).not.toBe(true);
    }
    expect(kafkaRollSafetyProblems(TIERS[tierName].kafka)).toEqual([]);
  });
});

describe("Kafka roll-safety rules", () => {
  const small = TIERS.small.kafka;

  it("names the field of every tier edit that would make a roll lose or refuse writes", () => {
    expect(kafkaRollSafetyProblems({ ...small, brokers: 1, replicationFactor: 1 }).join("\n")).toMatch(/kafka\.replicationFactor is 1[\s\S]*min\.insync\.replicas would be 1[\s\S]*quorum has 1 voters \(kafka\.brokers, dual-role\)/);
    expect(kafkaRollSafetyProblems({ ...small, brokers: 2 }).join("\n")).toMatch(/kafka\.brokers is 2: at least kafka\.replicationFactor \(3\)/);
    expect(kafkaRollSafetyProblems({ ...small, brokers: 4 })).toEqual([expect.stringMatching(/4 voters \(kafka\.brokers, dual-role\): an odd number/)]);
    expect(kafkaRollSafetyProblems({ ...TIERS.medium.kafka, quorum: { ...(TIERS.medium.kafka.quorum as object), controllers: 2 } as never })).toEqual([
      expect.stringMatching(/2 voters \(kafka\.quorum\.controllers\)/),
    ]);
    expect(kafkaDurability({ replicationFactor: 3 })).toEqual({ minInsyncReplicas: 2, uncleanLeaderElection: false });
  });

  it("KafkaCluster refuses a tier that is not roll-safe, naming the tier and the fields (assertKafkaRollSafe, its first statement)", () => {
    expect(() => assertKafkaRollSafe({ name: "small", kafka: { ...small, brokers: 1, replicationFactor: 1 } })).toThrow(
      /^tier small: its Kafka is not roll-safe: kafka\.replicationFactor is 1: at least 3.*min\.insync\.replicas would be 1.*the KRaft quorum has 1 voters/,
    );
    for (const name of TIER_NAMES) expect(() => assertKafkaRollSafe(TIERS[name])).not.toThrow();
  });

  it("reads the rendered Kafka strictly: a plan without the Kafka resource or node pools is an error", () => {
    expect(() => kafkaFromPlan({ resources: [] } as never)).toThrow(/renders 0 Kafka resources in helios-flows, expected 1/);
    const kafka = { custom: true, namespace: "helios-flows", kubernetesName: "helios-kafka", inputs: { kind: "Kafka", spec: { kafka: { config: {} } } } };
    expect(() => kafkaFromPlan({ resources: [kafka] } as never)).toThrow(/renders no KafkaNodePool/);
  });

  it("docs/flows.md states each tier's Kafka cost as the tier table computes it", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "flows.md"), "utf8");
    const section = doc.split(/^## /m).find((s) => s.startsWith("Kafka durability per tier"));
    if (!section) throw new Error('docs/flows.md has no "## Kafka durability per tier" section');
    const n = (x: number) => x.toLocaleString("en-US");
    for (const name of TIER_NAMES) {
      const k = TIERS[name].kafka;
      const f = kafkaFootprint(k);
      const row = section.split("\n").find((l) => l.startsWith(`| ${name} |`));
      if (!row) throw new Error(`the Kafka cost table has no ${name} row`);
      const cells = row.split("|").slice(1, -1).map((c) => c.trim());
      expect({ name, nodes: cells[1], rf: cells[3], cores: cells[4], memory: cells[5], disk: cells[6] }).toEqual({
        name,
        nodes: String(f.nodes),
        rf: `${k.replicationFactor} / ${kafkaDurability(k).minInsyncReplicas}`,
        cores: `${n(f.cores)} cores`,
        memory: `${n(f.memoryGi)} GiB`,
        disk: `${n(f.diskGi)} GiB`,
      });
    }
  });

  it("the test cluster helper refuses node pools it does not run instead of approximating them", async () => {
    const separate = { brokerConfig: {}, topics: {}, pools: [{ name: "controllers", replicas: 3, roles: ["controller" as const] }, { name: "brokers", replicas: 3, roles: ["broker" as const] }] };
    await expect(startKafkaCluster(separate)).rejects.toThrow(/runs one dual-role node pool; the plan renders controllers \[controller\], brokers \[broker\]/);
    await expect(startKafkaCluster({ ...separate, pools: [{ name: "dual-role", replicas: 0, roles: ["controller", "broker"] }] })).rejects.toThrow(/KafkaNodePool dual-role: replicas must be a positive integer, got 0/);
  });

  // goflow2 v2.2.6 produces with sarama's default acks=1 and has no flag for it; a goflow2 upgrade that
  // adds one must be noticed so the deployment sets acks=all (docs/flows.md, "Kafka durability per tier")
  it("goflow2 as pinned exposes no producer acks or retry flag, and the rendered args set none", () => {
    const help = run(tool("goflow2"), ["-h"]);
    const kafkaFlags = [...`${help.stdout}${help.stderr}`.matchAll(/^\s+-(transport\.kafka\.[\w.]+)/gm)].map((m) => m[1]);
    expect(kafkaFlags.length).toBeGreaterThan(5);
    expect(kafkaFlags.filter((f) => /ack|retr|idempot|buffer/i.test(f))).toEqual([]);
    expect(goflow2Args().filter((a) => /ack|retr/i.test(a))).toEqual([]);
  });
});
