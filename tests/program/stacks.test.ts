// The repo's stacks and the tier × topology matrix synthesize; every Kubernetes resource
// uses the stack's explicit provider; the plan's files are written as documented.
import * as fs from "fs";
import * as path from "path";
import { STORAGE_TOPOLOGIES } from "../../components/config";
import { NAMESPACES } from "../../components/namespaces";
import { TIER_NAMES } from "../../components/tiers";
import { baseConfig, ofType, synth, synthRepoStack } from "../helpers/stacks";
import { tempDir } from "../helpers/tools";

describe("repo stacks", () => {
  const outRoot = tempDir("plan-repo");

  it("dc-a plans without dc-b deployed (warning, not failure), then sees dc-b once it is", async () => {
    const first = await synthRepoStack("dc-a", outRoot);
    expect(first.warnings.join("\n")).toMatch(/peer stack dc-b has no outputs yet/);
    expect(first.outputs.peers).toEqual({ "dc-b": "not-deployed" });

    const b = await synthRepoStack("dc-b", outRoot);
    expect(b.outputs.role).toBe("secondary");
    expect(b.outputs.peers).toEqual({ "dc-a": "deployed" });

    const second = await synthRepoStack("dc-a", outRoot);
    expect(second.warnings).toEqual([]);
    expect(second.outputs.peers).toEqual({ "dc-b": "deployed" });
  });

  it("writes summary.json, outputs.json, manifests and lists namespaces and NetworkPolicies", () => {
    const dir = path.join(outRoot, "dc-a");
    const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8"));
    expect(summary.stack).toBe("dc-a");
    expect(Array.isArray(summary.helmReleases)).toBe(true);
    expect(Array.isArray(summary.images)).toBe(true);
    const namespaces = summary.resources.filter((r: { type: string }) => r.type === "kubernetes:core/v1:Namespace").map((r: { kubernetesName: string }) => r.kubernetesName);
    expect(namespaces.sort()).toEqual(Object.values(NAMESPACES).map((n) => n.name).sort());
    const policies = summary.resources.filter((r: { type: string }) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(policies.length).toBeGreaterThanOrEqual(12);
    const outputs = JSON.parse(fs.readFileSync(path.join(dir, "outputs.json"), "utf8"));
    expect(outputs.datacenter).toBe("dc-a");
    const manifests = fs.readdirSync(path.join(dir, "manifests"));
    expect(manifests).toContain("_cluster__Namespace__helios-flows.yaml");
    expect(manifests).toContain("helios-flows__NetworkPolicy__default-deny-ingress.yaml");
  });
});

describe("tier × topology matrix", () => {
  const cases = TIER_NAMES.flatMap((tier) => STORAGE_TOPOLOGIES.map((topology) => [tier, topology] as const));
  it.each(cases)("%s / %s synthesizes with every Kubernetes resource on the explicit provider", async (tier, topology) => {
    const result = await synth(
      baseConfig({ "helios:tier": tier, "helios:storageTopology": topology, "helios:peers": topology === "multi-dc-minio" ? ["dc-peer"] : [] }),
    );
    expect(result.outputs.tier).toBe(tier);
    expect(ofType(result, "kubernetes:core/v1:Namespace")).toHaveLength(6);
    const providers = ofType(result, "pulumi:providers:kubernetes");
    expect(providers).toHaveLength(1);
    const k8sResources = result.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    for (const r of k8sResources) expect(r.provider).toBe(`pulumi:providers:kubernetes::${providers[0].name}`);
  });
});
