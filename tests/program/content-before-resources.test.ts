// The program checks content before its first resource: with a content check failing, heliosProgram
// throws the ConfigError and the (mock) engine has seen no resource registration at all. The
// failing check is the real JMX loader pointed at a bad file (jest.mock swaps only which file).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { tempDir } from "../helpers/tools";

const BAD = path.join(tempDir("jmx-bad"), "jmx-exporter.yml");
fs.writeFileSync(BAD, 'rules:\n  - pattern: "x"\n    name: kafka-bad\n');

jest.mock("../../components/flows/kafka-cluster", () => {
  const actual = jest.requireActual("../../components/flows/kafka-cluster");
  return { ...actual, loadJmxRules: () => actual.loadJmxRules(BAD) };
});

import { parseHeliosConfig } from "../../components/config";
import * as configModule from "../../components/config";
import { ConfigError } from "../../components/errors";
import { heliosProgram } from "../../components/program";

describe("heliosProgram: content before the first resource", () => {
  it("throws the content ConfigError with no resource registered", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks({
      newResource: (a) => {
        registered.push(`${a.type}::${a.name}`);
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    });
    const values = { "helios:datacenter": "dc-t", "helios:region": "eu-west", "helios:role": "primary", "helios:tier": "small", "helios:storageTopology": "single-dc-minio", "helios:peers": "[]", "helios:managementCidrs": '["10.10.0.0/16"]', "helios:netboxUrl": "https://netbox.example.net" };
    jest.spyOn(configModule, "loadHeliosConfig").mockReturnValue(parseHeliosConfig({ values, secretKeys: new Set(), stack: "dc-t", planMode: true }));
    let thrown: unknown;
    try {
      heliosProgram();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(`${BAD}: rules[0].name: must be a metric name`);
    await new Promise((r) => setTimeout(r, 50)); // let any registration that had started reach the mocks
    expect(registered).toEqual([]);
  });
});
