// Namespaces carry Pod Security labels; every namespace is default-deny with the documented allows.
import * as fs from "fs";
import * as path from "path";
import { ALLOW_RULES } from "../../components/network-baseline";
import { NAMESPACES, NAMESPACE_KEYS } from "../../components/namespaces";
import { baseConfig, ofType, synth } from "../helpers/stacks";
import { REPO_ROOT } from "../helpers/tools";

describe("namespaces and network baseline", () => {
  const resultP = synth(baseConfig({ "helios:managementCidrs": ["10.10.0.0/16", "192.0.2.0/24"] }));

  it("labels each namespace with its Pod Security level", async () => {
    const result = await resultP;
    for (const key of NAMESPACE_KEYS) {
      const ns = ofType(result, "kubernetes:core/v1:Namespace").find((r) => r.kubernetesName === NAMESPACES[key].name);
      expect(ns?.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe(NAMESPACES[key].podSecurity);
      expect(ns?.inputs.metadata.labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
    }
  });

  it("puts a default-deny ingress policy in every namespace, created after the namespace", async () => {
    const result = await resultP;
    const policies = ofType(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    for (const key of NAMESPACE_KEYS) {
      const ns = NAMESPACES[key].name;
      const deny = policies.find((p) => p.namespace === ns && p.kubernetesName === "default-deny-ingress");
      expect(deny?.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
      expect(deny?.dependsOn).toContain(`kubernetes:core/v1:Namespace::${ns}`);
    }
  });

  it("allows exactly the documented cross-namespace ports", async () => {
    const result = await resultP;
    const policies = ofType(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    for (const rule of ALLOW_RULES) {
      const p = policies.find((x) => x.namespace === NAMESPACES[rule.to].name && x.kubernetesName === rule.name);
      expect(p).toBeDefined();
      const ports = p!.inputs.spec.ingress.flatMap((i: { ports: { port: number; protocol: string }[] }) => i.ports);
      for (const port of rule.ports) expect(ports).toContainEqual(port);
    }
  });

  it("opens flow export ports only to the management CIDRs", async () => {
    const result = await resultP;
    const p = ofType(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((x) => x.kubernetesName === "flow-export-from-devices");
    expect(p!.inputs.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: "10.10.0.0/16" } }, { ipBlock: { cidr: "192.0.2.0/24" } }]);
  });

  it("is documented in the README's allow matrix", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    for (const rule of ALLOW_RULES) {
      const row = readme.split("\n").find((l) => l.includes(`\`${rule.name}\``) && l.includes(NAMESPACES[rule.to].name));
      expect(row).toBeDefined();
      for (const port of rule.ports) expect(row).toContain(String(port.port));
    }
  });
});
