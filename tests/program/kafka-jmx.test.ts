// The Kafka JMX exporter rules are data (config/kafka/jmx-exporter.yml): the file parses, its
// rules are well formed, and it is exactly what the Kafka component deploys (the kafka-metrics
// ConfigMap that the Kafka CR's metricsConfig names). Bad content names the file and the rule.
//
// No JMX exporter engine runs here (it is a Java agent inside the Strimzi Kafka image, which this
// machine cannot run); tests/deploy and the images suite exercise Strimzi itself.
import * as fs from "fs";
import { ConfigError } from "../../components/errors";
import * as path from "path";
import YAML from "yaml";

import { JMX_RULES_FILE, KAFKA_METRICS_CONFIGMAP, KAFKA_METRICS_KEY, loadJmxRules } from "../../components/flows/kafka-cluster";
import { FLOWS_NS } from "../../components/flows/names";
import { baseConfig, synth } from "../helpers/stacks";
import { tempDir } from "../helpers/tools";

describe("Kafka JMX exporter rules (config/kafka/jmx-exporter.yml)", () => {
  it("parses, and every rule has a pattern, a name and a type", () => {
    const doc = YAML.parse(fs.readFileSync(JMX_RULES_FILE, "utf8")) as { lowercaseOutputName: boolean; rules: { pattern: string; name: string; type: string }[] };
    expect(doc.lowercaseOutputName).toBe(true);
    expect(doc.rules.length).toBeGreaterThanOrEqual(5);
    for (const r of doc.rules) {
      expect(() => new RegExp(r.pattern)).not.toThrow();
      expect(r.name).toMatch(/^kafka_/);
      expect(["GAUGE", "COUNTER"]).toContain(r.type);
    }
    // the deployed text is the file's rules, the same YAML once the reader's header is dropped
    expect(YAML.parse(loadJmxRules())).toEqual(doc);
    expect(loadJmxRules().startsWith("lowercaseOutputName: true\nrules:\n")).toBe(true);
  });

  it("is what the Kafka component deploys, and the Kafka CR reads it from there", async () => {
    const r = await synth(baseConfig({ "helios:maxmindAccountId": "123456" }));
    const cm = r.resources.find((x) => x.type === "kubernetes:core/v1:ConfigMap" && x.namespace === FLOWS_NS && x.kubernetesName === KAFKA_METRICS_CONFIGMAP);
    expect(cm?.inputs.data).toEqual({ [KAFKA_METRICS_KEY]: loadJmxRules() });
    const kafka = r.resources.find((x) => x.custom && x.inputs?.kind === "Kafka");
    expect(kafka?.inputs.spec.kafka.metricsConfig).toEqual({ type: "jmxPrometheusExporter", valueFrom: { configMapKeyRef: { name: KAFKA_METRICS_CONFIGMAP, key: KAFKA_METRICS_KEY } } });
  });

  describe("bad content: a clear error naming the file and the rule", () => {
    const dir = tempDir("jmx");
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    };
    it.each([
      ["no rules", "lowercaseOutputName: true\n", /no-rules\.yml: rules: must be a non-empty list/],
      ["empty rules", "rules: []\n", /empty-rules\.yml: rules: must be a non-empty list/],
      ["a rule not a mapping", "rules:\n  - just-a-string\n", /rules\[0\]: must be a mapping/],
      ["no pattern", "rules:\n  - name: kafka_x\n    type: GAUGE\n", /rules\[0\]\.pattern: must be a non-empty string/],
      ["a broken pattern", 'rules:\n  - pattern: "kafka.server<type=(.+>"\n    name: kafka_x\n', /rules\[0\]\.pattern: not a regular expression/],
      ["a bad metric name", 'rules:\n  - pattern: "x"\n    name: "kafka-x"\n', /rules\[0\]\.name: must be a metric name/],
      ["an unknown type", 'rules:\n  - pattern: "x"\n    name: kafka_x\n  - pattern: "y"\n    name: kafka_y\n    type: HISTOGRAM\n', /rules\[1\]\.type: must be one of GAUGE, COUNTER, UNTYPED/],
      ["not YAML", "rules: [\n", /invalid YAML/],
    ])("%s", (label, text, message) => {
      const file = write(`${label.replace(/ /g, "-")}.yml`, text);
      expect(() => loadJmxRules(file)).toThrow(ConfigError);
      expect(() => loadJmxRules(file)).toThrow(message);
      expect(() => loadJmxRules(file)).toThrow(file);
    });
  });
});
