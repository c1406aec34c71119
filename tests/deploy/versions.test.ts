/**
 * Version parity: every engine a test runs is the release components/versions.ts deploys, except the
 * differences scripts/test-infra/engine-parity.ts lists with their reasons.
 */
import * as fs from "fs";
import * as path from "path";
import { ENGINE_EXCEPTIONS, ENGINE_PINS } from "../../scripts/test-infra/engine-parity";
import { CHARTS } from "../../components/versions";
import { CHART_MIRROR } from "../helpers/kube";
import { pinnedVersion, REPO_ROOT } from "../helpers/tools";

describe("engines run the versions the program deploys", () => {
  it.each(ENGINE_PINS.map((p) => [p.deployed, p] as const))("%s", (deployed, pin) => {
    const engine = pinnedVersion(pin.engineVariable);
    const normalized = (pin.normalize ?? ((v: string) => v.replace(/^v/, "")))(engine);
    const same = normalized === pin.deployedVersion || pin.deployedVersion.startsWith(`${normalized}.`);
    if (same) {
      expect(ENGINE_EXCEPTIONS[deployed]).toBeUndefined(); // a fixed difference leaves the list
    } else {
      expect({ deployed, engine, deployedVersion: pin.deployedVersion, reason: ENGINE_EXCEPTIONS[deployed] ?? "NOT LISTED" }).toEqual(
        expect.objectContaining({ reason: expect.not.stringMatching(/^NOT LISTED$/) }),
      );
    }
  });

  it("lists no exception for something it does not pin", () => {
    expect(Object.keys(ENGINE_EXCEPTIONS).filter((k) => !ENGINE_PINS.some((p) => p.deployed === k))).toEqual([]);
  });

  it("every pinned chart is in the chart mirror the deployment tests install from", () => {
    const archives = fs.readdirSync(CHART_MIRROR);
    for (const pin of Object.values(CHARTS)) expect(archives).toContain(`${pin.chart}-${pin.version}.tgz`);
  });

  it("the services' images run the Node.js the tests run", () => {
    const node = pinnedVersion("HELIOS_NODE_VERSION");
    for (const service of fs.readdirSync(path.join(REPO_ROOT, "services"))) {
      const dockerfile = path.join(REPO_ROOT, "services", service, "Dockerfile");
      if (!fs.existsSync(dockerfile)) continue;
      const froms = [...fs.readFileSync(dockerfile, "utf8").matchAll(/^FROM\s+(?:--platform=\S+\s+)?node:([0-9.]+)/gm)].map((m) => m[1]);
      expect(froms.length).toBeGreaterThan(0);
      for (const from of froms) expect({ service, from, node: node.startsWith(`${from}.`) || node === from }).toEqual({ service, from, node: true });
    }
  });
});
