/**
 * helios:imageDigests: a service with a digest is deployed by it (tag@digest, which the kubelet
 * pulls by digest); without one the tag alone is used. The keys are the service names.
 */
import { synth, baseConfig, ofType } from "../helpers/stacks";
import { SynthResult } from "../../scripts/lib/synthesize";
import { serviceImageRef } from "../../components/images";

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** image of every container running a Helios service image, by service name */
function serviceImages(r: SynthResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const res of r.resources) {
    const spec = res.inputs?.spec?.template?.spec ?? res.inputs?.spec?.jobTemplate?.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      const m = /\/(flow-enricher|target-generator|clickhouse-migrator)[:@]/.exec(String(c.image));
      if (m) (out[m[1]] ??= []).push(String(c.image));
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
    });
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
