/**
 * helios:imageDigests: a service with a digest is deployed by it (tag@digest, which the kubelet
 * pulls by digest); without one the tag alone is used. The keys are the service names.
 */
import { synth, baseConfig, ofType } from "../helpers/stacks";
import { SynthResult } from "../../scripts/lib/synthesize";
import { serviceImageRef } from "../../components/images";
import { HELIOS_SERVICE_IMAGES } from "../../components/config";

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** image of every container running a Helios service image, by service name (the operator's RUNNER_IMAGE too: its Jobs run it) */
function serviceImages(r: SynthResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const service = new RegExp(`/(${HELIOS_SERVICE_IMAGES.join("|")})[:@]`);
  for (const res of r.resources) {
    const spec = res.inputs?.spec?.template?.spec ?? res.inputs?.spec?.jobTemplate?.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      const refs = [c.image, ...(c.env ?? []).filter((e: { name: string }) => e.name === "RUNNER_IMAGE").map((e: { value: string }) => e.value)];
      for (const ref of refs) {
        const m = service.exec(String(ref));
        if (m) (out[m[1]] ??= []).push(String(ref));
      }
    }
  }
  return out;
}

describe("helios:imageDigests", () => {
  it("deploys each listed service by its digest, the others by tag", async () => {
    const r = await synth(baseConfig({ "helios:imageTag": "1.2.3", "helios:imageDigests": { "flow-enricher": D("a"), "clickhouse-migrator": D("b") } }));
    expect(serviceImages(r)).toEqual({
      "flow-enricher": [`ghcr.io/helios-observability/flow-enricher:1.2.3@${D("a")}`],
      "clickhouse-migrator": [`ghcr.io/helios-observability/clickhouse-migrator:1.2.3@${D("b")}`],
      "target-generator": ["ghcr.io/helios-observability/target-generator:1.2.3"],
      // the operator's container and the runner Jobs it creates (RUNNER_IMAGE)
      "runbook-operator": ["ghcr.io/helios-observability/runbook-operator:1.2.3", "ghcr.io/helios-observability/runbook-operator:1.2.3"],
    });
  });

  it("deploys the runbook operator and its runner Jobs by the same digest", async () => {
    const r = await synth(baseConfig({ "helios:imageDigests": { "runbook-operator": D("e") } }));
    expect(serviceImages(r)["runbook-operator"]).toEqual(Array(2).fill(`ghcr.io/helios-observability/runbook-operator:0.1.0@${D("e")}`));
  });

  it("renames the migration Job when the migrator's digest changes under the same tag", async () => {
    const job = async (digests: Record<string, string>) =>
      ofType(await synth(baseConfig({ "helios:imageDigests": digests })), "kubernetes:batch/v1:Job").find((j) => String(j.kubernetesName).startsWith("clickhouse-migrate-"))!.kubernetesName;
    const a = await job({ "clickhouse-migrator": D("1") });
    expect(await job({ "clickhouse-migrator": D("2") })).not.toBe(a);
    // no digest: the name depends on migrations and tag only, as before
    expect(await job({})).not.toBe(a);
  });

  it("builds the reference from registry, tag and digest", () => {
    expect(serviceImageRef({ imageRegistry: "r.example/x", imageTag: "t" }, "target-generator")).toBe("r.example/x/target-generator:t");
    expect(serviceImageRef({ imageRegistry: "r", imageTag: "t", imageDigests: { "target-generator": D("c") } }, "target-generator")).toBe(`r/target-generator:t@${D("c")}`);
  });
});
