// helios:integration:TargetGenerator: Deployment (--interval), token Secret, RBAC limited to the
// target ConfigMaps, PodMonitor after the CRDs, NetBox URL and filters from stack config.
import { TargetGenerator, targetConfigMapNames, TARGET_GENERATOR_NAME } from "../../components/integration/target-generator";
import { NAMESPACES } from "../../components/namespaces";
import { TIERS, TIER_NAMES } from "../../components/tiers";
import { PlannedResource } from "../../scripts/lib/synthesize";
import { baseConfig, ofType, synth } from "../helpers/stacks";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any) => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);
const key = (r: PlannedResource) => `${r.type}::${r.name}`;
const INT = NAMESPACES.integration.name;
const COL = NAMESPACES.collection.name;

describe("target generator component", () => {
  const resultP = synth(
    baseConfig({
      "helios:tier": "large",
      "helios:netboxUrl": "https://netbox.dc-t.example.net",
      "helios:netboxFilters": { site: ["dc-t-1", "dc-t-2"], tag: "core" },
      "helios:imageRegistry": "registry.example.net/helios",
      "helios:imageTag": "1.2.3",
    }),
  );
  const one = async (type: string, name: string) => {
    const r = (await resultP).resources.filter((x) => x.type === type && x.kubernetesName === name);
    expect(r).toHaveLength(1);
    return r[0];
  };

  it("is a helios:integration:TargetGenerator component", async () => {
    const comp = (await resultP).resources.filter((r) => r.type === "helios:integration:TargetGenerator");
    expect(comp).toHaveLength(1);
  });

  it("runs one replica in --interval mode with the NetBox URL, filters, token file and image from config", async () => {
    const dep = await one("kubernetes:apps/v1:Deployment", TARGET_GENERATOR_NAME);
    expect(dep.namespace).toBe(INT);
    expect(dep.inputs.spec.replicas).toBe(1);
    expect(dep.inputs.spec.strategy.type).toBe("Recreate");
    const pod = dep.inputs.spec.template.spec;
    expect(pod.serviceAccountName).toBe(TARGET_GENERATOR_NAME);
    const c = pod.containers[0];
    expect(c.image).toBe("registry.example.net/helios/target-generator:1.2.3");
    expect(c.args).toEqual([
      "--netbox-url", "https://netbox.dc-t.example.net",
      "--token-file", "/var/run/secrets/helios/netbox/token",
      "--namespace", COL,
      "--interval", "5m",
      "--metrics-port", "8080",
      "--filter", "site=dc-t-1", "--filter", "site=dc-t-2", "--filter", "tag=core",
    ]);
    expect(c.resources).toEqual(TIERS.large.targetGenerator.resources);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.volumes[0].secret.secretName).toBe(`${TARGET_GENERATOR_NAME}-netbox`);
    expect(JSON.stringify(dep.inputs)).not.toContain("PLAN-PLACEHOLDER");
  });

  it("puts the token in a Secret (never a ConfigMap)", async () => {
    const s = await one("kubernetes:core/v1:Secret", `${TARGET_GENERATOR_NAME}-netbox`);
    expect(s.namespace).toBe(INT);
    expect(unwrap(s.inputs.stringData).token ?? unwrap(s.inputs.stringData.token)).toBeDefined();
    const cms = ofType(await resultP, "kubernetes:core/v1:ConfigMap").filter((c) => c.namespace === INT);
    for (const cm of cms) expect(JSON.stringify(cm.inputs)).not.toContain("netboxToken");
  });

  it("RBAC: the Role may touch only the target ConfigMaps (by name), in helios-collection, no list/watch", async () => {
    const role = await one("kubernetes:rbac.authorization.k8s.io/v1:Role", TARGET_GENERATOR_NAME);
    expect(role.namespace).toBe(COL);
    expect(role.inputs.rules).toEqual([
      { apiGroups: [""], resources: ["configmaps"], resourceNames: targetConfigMapNames(), verbs: ["get", "update", "delete"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
    ]);
    expect(targetConfigMapNames()).toEqual(expect.arrayContaining(["helios-targets-gnmic", "helios-targets-snmp", "helios-targets-blackbox", "helios-targets-prometheus", "helios-targets-snmp-8"]));
    const rb = await one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", TARGET_GENERATOR_NAME);
    expect(rb.namespace).toBe(COL);
    expect(rb.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: TARGET_GENERATOR_NAME, namespace: INT }]);
  });

  it("the PodMonitor (job helios-target-generator) waits for the release that installs its CRD", async () => {
    const r = await resultP;
    const pm = r.resources.filter((x) => x.custom && x.inputs?.kind === "PodMonitor" && x.namespace === INT);
    expect(pm).toHaveLength(1);
    expect(pm[0].inputs.spec.jobLabel).toBe("helios.io/job");
    const dep = await one("kubernetes:apps/v1:Deployment", TARGET_GENERATOR_NAME);
    expect(dep.inputs.spec.template.metadata.labels["helios.io/job"]).toBe("helios-target-generator");
    const kps = ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.inputs.chart === "kube-prometheus-stack")!;
    expect(pm[0].dependsOn).toContain(key(kps));
  });

  it("sizes come from the tier", async () => {
    for (const t of TIER_NAMES) expect(TIERS[t].targetGenerator.resources.limits.memory).toMatch(/Mi|Gi/);
  });

  it("rejects a bad interval", () => {
    expect(
      () => new TargetGenerator("x", { tier: TIERS.small, imageRegistry: "r", imageTag: "t", netboxUrl: "https://n", netboxToken: undefined, store: { type: "pulumi" }, netboxFilters: {}, interval: "often", dependsOn: [], crdsReady: [] }),
    ).toThrow(/must be a duration/);
  });
});
