// All config is validated before any resource (issue 18): content files under config/ are read
// and checked by components/content.ts before the program registers its first resource, and
// every problem is one ConfigError naming the file and the path inside it.
import * as fs from "fs";
import * as path from "path";
import { contentChecks, validateContent } from "../../components/content";
import { ConfigError, stackConfigError } from "../../components/errors";
import { loadJmxRules } from "../../components/flows/kafka-cluster";
import { loadRuleFiles } from "../../components/visualization/rules";
import { tempDir } from "../helpers/tools";

describe("content validated before any resource", () => {
  afterEach(() => jest.restoreAllMocks());

  it("the repository's content passes every check, static targets included", () => {
    expect(() => validateContent({ collectionTargets: "static" })).not.toThrow();
    expect(contentChecks({ collectionTargets: "static" }).map((c) => c.what)).toEqual(expect.arrayContaining(["gnmic config", "SNMP modules", "Kafka JMX exporter rules", "alert rules", "dashboards", "Alertmanager template", "static targets"]));
    expect(contentChecks({ collectionTargets: "generator" }).map((c) => c.what)).not.toContain("static targets");
  });

  it("lists every problem in one ConfigError, each with its file and path", () => {
    const dir = tempDir("content");
    const jmx = path.join(dir, "jmx.yml");
    fs.writeFileSync(jmx, 'rules:\n  - pattern: "("\n    name: kafka_x\n');
    fs.mkdirSync(path.join(dir, "alerts"));
    const rules = path.join(dir, "alerts", "bad.rules.yaml");
    fs.writeFileSync(rules, "groups: []\n");
    const run = () => validateContent({ collectionTargets: "generator" }, [
      { what: "Kafka JMX exporter rules", run: () => loadJmxRules(jmx) },
      { what: "alert rules", run: () => loadRuleFiles(path.join(dir, "alerts")) },
      { what: "something else", run: () => { throw new TypeError("boom"); } },
    ]);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`${jmx}: rules[0].pattern: not a regular expression`);
    expect(run).toThrow(rules);
    expect(run).toThrow("something else: boom");
  });

  it("stack config errors name the stack's file", () => {
    expect(stackConfigError("dc-a", ["helios:tier: invalid value"]).message).toBe('invalid Helios stack config for stack "dc-a" (Pulumi.dc-a.yaml):\n  - helios:tier: invalid value');
  });
});
