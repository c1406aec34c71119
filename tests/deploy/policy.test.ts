/**
 * The policy pack (policy/) run by the real Pulumi CLI on `npm run deploy -- up` (scripts/deploy.ts
 * passes `--policy-pack policy/run-pack`), into a real kube-apiserver: a mandatory violation fails the
 * preview and stops the update, naming the resource and the rule; the real dc-a program (tier medium)
 * then deploys with its advisories printed only. The CLI starts the pack through policy/run-pack.
 *
 * Declared fakes, as in stacks.test.ts: the random, minio and aws providers are our stand-in plugin.
 */
import * as fs from "fs";
import * as path from "path";
import { prepareDeployProject, DeployProject } from "../helpers/deploy";
import { CHART_MIRROR, installChartCrds, installEsoCrds, KubeCluster, startCluster } from "../helpers/kube";
import { REPO_ROOT, run, tool } from "../helpers/tools";
import { esoStore } from "../helpers/secret-store";

jest.setTimeout(1_200_000);

const TEST_CONFIG = {
  "helios:chartMirror": CHART_MIRROR,
  "helios:awaitWorkloads": false,
  "helios:maxmindAccountId": "123456",
};
/** dc-a takes its device credentials from an External Secrets store (helios:secretStore). */
const DC_A_CONFIG = { ...TEST_CONFIG, "helios:secretStore": esoStore("dc-a") };
/** Not a device credential among them: with the store, the stack must hold none. */
const SECRETS: Record<string, string> = {
  "helios:minioRootPassword": "minio-root-password-for-tests",
  "helios:grafanaAdminPassword": "grafana-admin-password-for-tests",
  "helios:oidcClientSecret": "oidc-client-secret-for-tests",
};

/**
 * Two objects the rules refuse, added to the copy's index.ts after the real program: a LoadBalancer
 * the design does not need, and a credential in a ConfigMap.
 */
const VIOLATIONS = `
import * as k8s from "@pulumi/kubernetes";
new k8s.core.v1.Service("policy-test-lb", { metadata: { name: "policy-test-lb", namespace: "default" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } });
new k8s.core.v1.ConfigMap("policy-test-config", { metadata: { name: "policy-test-config", namespace: "default" }, data: { password: "hunter2" } });
`;

let cluster: KubeCluster;
let project: DeployProject;
let programSource: string;

/** Helios namespaces in the cluster. */
function heliosNamespaces(): string[] {
  return (JSON.parse(cluster.kubectl(["get", "namespaces", "-o", "json"]).stdout).items as any[]).map((n) => n.metadata.name).filter((n: string) => n.startsWith("helios-"));
}

beforeAll(async () => {
  cluster = await startCluster("dc-a");
  installChartCrds(cluster);
  installEsoCrds(cluster);
  project = prepareDeployProject([cluster], { "dc-a": DC_A_CONFIG, "dc-b": TEST_CONFIG });
  for (const stack of ["dc-a", "dc-b"]) {
    const init = project.pulumi(["stack", "init", stack]);
    if (init.status !== 0) throw new Error(`pulumi stack init ${stack}: ${init.stderr}`);
  }
  for (const [key, value] of Object.entries(SECRETS)) {
    const set = project.pulumi(["config", "set", "--secret", "-s", "dc-a", key, value]);
    if (set.status !== 0) throw new Error(`pulumi config set ${key}: ${set.stderr}`);
  }
  programSource = fs.readFileSync(path.join(project.dir, "index.ts"), "utf8");
});

afterAll(async () => {
  await cluster?.stop();
});

describe("the policy pack on `pulumi up` (real CLI, real API server)", () => {
  it("a mandatory violation fails `preview` naming every offending resource and rule, and stops `up`", () => {
    fs.writeFileSync(path.join(project.dir, "index.ts"), programSource + VIOLATIONS);
    try {
      const preview = project.deploy(["preview", "dc-a"]);
      const out = preview.stdout + preview.stderr;
      expect(preview.status).not.toBe(0);
      // Rule, level and the offending object, for each of the two violations.
      expect(out).toMatch(/\[mandatory\]\s+load-balancer-services\s+\(kubernetes:core\/v1:Service: policy-test-lb\)/);
      expect(out).toContain("Service default/policy-test-lb: type LoadBalancer is allowed only for helios-flows/goflow2");
      expect(out).toMatch(/\[mandatory\]\s+no-plaintext-secrets\s+\(kubernetes:core\/v1:ConfigMap: policy-test-config\)/);
      expect(out).toContain("ConfigMap default/policy-test-config: key password looks like a credential");
      // The real program itself violates no mandatory rule: only the two added objects are named.
      // (The CLI prints each violation more than once: as it happens and in the summary.)
      const named = new Set([...out.matchAll(/\[mandatory\]\s+([a-z-]+)\s+\(([^)]*)\)/g)].map((m) => `${m[1]} ${m[2]}`));
      expect([...named].sort()).toEqual(["load-balancer-services kubernetes:core/v1:Service: policy-test-lb", "no-plaintext-secrets kubernetes:core/v1:ConfigMap: policy-test-config"]);
      console.log(`policy preview: exit ${preview.status} after ${preview.seconds.toFixed(1)} s`);

      // `up` previews with the pack first (scripts/deploy.ts): the violation stops it before any change.
      const up = project.deploy(["up", "dc-a"]);
      const upOut = up.stdout + up.stderr;
      expect(up.status).not.toBe(0);
      expect(upOut).toContain("=== policy gate: pulumi preview -s dc-a");
      expect(upOut).toMatch(/\[mandatory\]\s+load-balancer-services\s+\(kubernetes:core\/v1:Service: policy-test-lb\)/);
      expect(upOut).not.toContain("=== up dc-a");
      console.log(`policy stop: exit ${up.status} after ${up.seconds.toFixed(1)} s`);
    } finally {
      fs.writeFileSync(path.join(project.dir, "index.ts"), programSource);
    }
    expect(cluster.kubectl(["get", "service", "policy-test-lb", "-n", "default"]).status).not.toBe(0);
    expect(cluster.kubectl(["get", "configmap", "policy-test-config", "-n", "default"]).status).not.toBe(0);
    // Nothing was created: no Helios namespace, and the stack's state holds no resource.
    expect(heliosNamespaces()).toEqual([]);
    const state = JSON.parse(project.pulumi(["stack", "export", "-s", "dc-a"]).stdout);
    expect(state.deployment.resources ?? []).toEqual([]);
  });

  it("advisory violations only warn: the real dc-a program (tier medium) deploys, its advisories printed", () => {
    const r = project.deploy(["up", "dc-a"]);
    const out = r.stdout + r.stderr;
    if (r.status !== 0) throw new Error(`deploy up failed:\n${out.slice(-6000)}`);
    expect(out).toMatch(/advisory\]?\s+anti-affinity-medium-and-above/);
    expect(out).toContain("StatefulSet helios-collection/gnmic runs 2 replicas at tier medium without pod anti-affinity");
    expect(out).toMatch(/advisory\]?\s+pdb-for-replicated-statefulsets/);
    expect(out).not.toMatch(/mandatory\]?\s+[a-z]/);
    const up = project.runs().filter((x) => x.command === "up");
    expect(up).toHaveLength(1);
    expect(up[0].changes.create).toBeGreaterThan(100);
    expect(up[0].changes.same ?? 0).toBe(0);
    expect(heliosNamespaces().length).toBeGreaterThanOrEqual(6);
    console.log(`up with advisories: ${JSON.stringify(up[0].changes)} in ${up[0].seconds.toFixed(1)} s`);
  });

  it("with an External Secrets store, the API server stored ExternalSecrets (real CRDs) and the state holds no device credential", () => {
    const state = project.pulumi(["stack", "export", "-s", "dc-a", "--show-secrets"]);
    if (state.status !== 0) throw new Error(state.stderr);
    const resources = JSON.parse(state.stdout).deployment.resources as any[];
    const secretNames = resources.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => r.inputs?.metadata?.name);
    for (const device of ["gnmic-credentials", "snmp-exporter-auth", "flow-enricher", "helios-target-generator-netbox", "helios-runbook-operator-netbox", "helios-runbook-operator-gnmi"]) {
      expect(secretNames).not.toContain(device);
      const es = cluster.kubectl(["get", "externalsecrets.external-secrets.io", "-A", "--field-selector", `metadata.name=${device}`, "-o", "json"]);
      expect(JSON.parse(es.stdout).items).toHaveLength(1);
    }
    // Nothing that looks like a device credential value or key is in the state.
    expect(state.stdout).not.toMatch(/GNMIC_PASSWORD"\s*:\s*"[^{]|"netbox-token"\s*:\s*"[^{]|"maxmind-license-key"\s*:\s*"[^{]|PLAN-PLACEHOLDER/);
    // No ESO controller runs here: the connectivity check says so for each credential Secret.
    const check = run(process.execPath, [path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/check-secrets.ts", "--kubeconfig", cluster.kubeconfig], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: `${path.dirname(tool("kubectl"))}:${process.env.PATH}` },
      timeoutMs: 120_000,
    });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("FAIL helios-collection/gnmic-credentials: not synced: no status from the External Secrets Operator (is it running, and does ClusterSecretStore helios-vault exist?); needs helios/dc-a/gnmi.password");
    expect(check.stderr).toContain("6 of 6 device credential Secrets are missing or unsynced");
  });
});
