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
    // a stack where every conditional rule applies too (federated, multi-dc-minio)
    const result = await synth(baseConfig({ "helios:peers": ["dc-x"], "helios:storageTopology": "multi-dc-minio" }));
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

  it("opens Grafana's UI to anywhere unless helios:ingressFrom names the ingress", async () => {
    const ui = (r: Awaited<typeof resultP>) => ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((x) => x.kubernetesName === "grafana-ui")!.inputs.spec.ingress[0];
    expect(ui(await resultP).from).toEqual([{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }]);
    const named = await synth(baseConfig({ "helios:ingressFrom": { namespaces: ["ingress-nginx"], cidrs: ["198.51.100.0/24"] } }));
    expect(ui(named).from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }, { ipBlock: { cidr: "198.51.100.0/24" } }]);
    expect(ui(named).ports).toEqual([{ port: 3000, protocol: "TCP" }]);
  });

  it("lets peers' Thanos gRPC in only when the stack federates, and MinIO replication only for multi-dc-minio", async () => {
    const storagePolicies = (r: Awaited<typeof resultP>) =>
      ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((x) => x.namespace === NAMESPACES.storage.name);
    const names = (r: Awaited<typeof resultP>) => storagePolicies(r).map((p) => p.kubernetesName);
    // a single DC: no cross-DC door in the default-deny
    expect(names(await resultP)).not.toContain("federation-from-peers");
    expect(names(await resultP)).not.toContain("replication-from-peers");
    const ingressFrom = { namespaces: ["ingress-nginx"] };
    const federated = await synth(baseConfig({ "helios:peers": ["dc-x"], "helios:ingressFrom": ingressFrom }));
    expect(names(federated)).toContain("federation-from-peers");
    expect(names(federated)).not.toContain("replication-from-peers");
    const grpc = storagePolicies(federated).find((p) => p.kubernetesName === "federation-from-peers")!.inputs.spec;
    expect(grpc).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }], ports: [{ port: 10901, protocol: "TCP" }] }],
    });
    const replicated = await synth(baseConfig({ "helios:peers": ["dc-x"], "helios:storageTopology": "multi-dc-minio", "helios:ingressFrom": ingressFrom }));
    const minio = storagePolicies(replicated).find((p) => p.kubernetesName === "replication-from-peers")!.inputs.spec;
    expect(minio.ingress[0].ports).toEqual([{ port: 9000, protocol: "TCP" }]);
    expect(minio.ingress[0].from).toEqual(grpc.ingress[0].from);
  });

  it("is documented in docs/architecture.md's allow matrix", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "docs", "architecture.md"), "utf8");
    for (const rule of ALLOW_RULES) {
      const row = readme.split("\n").find((l) => l.includes(`\`${rule.name}\``) && l.includes(NAMESPACES[rule.to].name));
      expect(row).toBeDefined();
      for (const port of rule.ports) expect(row).toContain(String(port.port));
    }
  });
});
