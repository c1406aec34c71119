// helios:automation:RunbookOperator: the CRDs exactly as services/runbook-operator/crds ships
// them, a two-replica Deployment with the runner settings, least-privilege RBAC (the same rules
// the operator tests run under), Secrets for device credentials and the NetBox token, and
// NetworkPolicies: devices reachable on gNMI only, the approval API open to the ingress sources.
import { ACCESS_RULES } from "../../components/access";
import { CRD_DIR, requestedByPolicy, runbookCrds, RUNBOOK_OPERATOR_NAME } from "../../components/automation/runbook-operator";
import { GNMI_PORTS } from "../../components/collection/egress-policy";
import { NAMESPACES } from "../../components/namespaces";
import { PlannedResource } from "../../scripts/lib/synthesize";
import { HELIOS_ADMIN_RULES, OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, RUNNER_NAMESPACE_RULES } from "../../services/runbook-operator/src/rbac";
import { baseConfig, synth } from "../helpers/stacks";

const NS = NAMESPACES.automation.name;
const key = (r: PlannedResource) => `${r.type}::${r.name}`;
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any) => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);

describe("runbook operator component", () => {
  const resultP = synth(
    baseConfig({
      "helios:managementCidrs": ["10.10.0.0/16", "fd00:10::/48"],
      "helios:imageRegistry": "registry.example.net/helios",
      "helios:imageTag": "1.2.3",
      "helios:ingressFrom": { namespaces: ["ingress-nginx"], cidrs: [] },
      "helios:runbookScripts": { images: ["registry.example.net/netops/vendor-cli:1.0"], devicePorts: [22, 830] },
    }),
  );
  const all = async (type: string) => (await resultP).resources.filter((r) => r.type === type);
  const one = async (type: string, name: string, namespace?: string) => {
    const r = (await all(type)).filter((x) => x.kubernetesName === name && (namespace === undefined || x.namespace === namespace));
    expect(r).toHaveLength(1);
    return r[0];
  };

  it("deploys both CRDs verbatim from the service's crds/ folder", async () => {
    const crds = await all("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
    const ours = crds.filter((c) => c.kubernetesName?.endsWith(".automation.helios.io"));
    expect(ours.map((c) => c.kubernetesName).sort()).toEqual(["runbookexecutions.automation.helios.io", "runbooks.automation.helios.io"]);
    for (const file of runbookCrds()) {
      const planned = ours.find((c) => c.kubernetesName === file.metadata.name)!;
      expect(planned.inputs.spec).toEqual(file.spec);
    }
    expect(CRD_DIR).toMatch(/services\/runbook-operator\/crds$/);
  });

  it("binds the requested-by ValidatingAdmissionPolicy from the service's admission/ folder", async () => {
    const { policy, binding } = requestedByPolicy();
    const p = await one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "helios-runbook-requested-by");
    expect(p.inputs.spec).toEqual(policy.spec);
    const b = await one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "helios-runbook-requested-by");
    expect(b.inputs.spec).toEqual(binding.spec);
    expect(b.dependsOn).toContain(key(p));
  });

  it("runs two leader-elected replicas of the image from config, with the runner's settings", async () => {
    const dep = await one("kubernetes:apps/v1:Deployment", RUNBOOK_OPERATOR_NAME, NS);
    expect(dep.inputs.spec.replicas).toBe(2);
    const pod = dep.inputs.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("registry.example.net/helios/runbook-operator:1.2.3");
    expect(c.args).toEqual(["operator"]);
    expect(c.env).toContainEqual({ name: "SCRIPT_IMAGES", value: "registry.example.net/netops/vendor-cli:1.0" });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      RUNNER_IMAGE: "registry.example.net/helios/runbook-operator:1.2.3",
      RUNNER_SERVICE_ACCOUNT: "helios-runbook-runner",
      GNMI_CREDENTIALS_SECRET: `${RUNBOOK_OPERATOR_NAME}-gnmi`,
      NETBOX_URL: "https://netbox.example.net",
      GNMI_TLS: "tls",
      POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
      NETBOX_TOKEN: { secretKeyRef: { name: `${RUNBOOK_OPERATOR_NAME}-netbox`, key: "token" } },
    });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    // The CRDs exist before the operator starts watching them.
    const crdKeys = (await all("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")).filter((x) => x.kubernetesName?.endsWith(".automation.helios.io")).map(key);
    expect(dep.dependsOn).toEqual(expect.arrayContaining(crdKeys));
  });

  it("keeps device credentials and the NetBox token in Secrets", async () => {
    const gnmi = await one("kubernetes:core/v1:Secret", `${RUNBOOK_OPERATOR_NAME}-gnmi`, NS);
    expect(Object.keys(unwrap(gnmi.inputs.stringData)).sort()).toEqual(["password", "username"]);
    await one("kubernetes:core/v1:Secret", `${RUNBOOK_OPERATOR_NAME}-netbox`, NS);
    const cms = (await all("kubernetes:core/v1:ConfigMap")).filter((m) => m.namespace === NS);
    expect(JSON.stringify(cms)).not.toMatch(/password|token/i);
  });

  it("grants least privilege: the shared rules, no wildcards, helios-admin holds approve", async () => {
    const cr = await one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", RUNBOOK_OPERATOR_NAME);
    expect(cr.inputs.rules).toEqual(OPERATOR_CLUSTER_RULES);
    const role = await one("kubernetes:rbac.authorization.k8s.io/v1:Role", RUNBOOK_OPERATOR_NAME, NS);
    expect(role.inputs.rules).toEqual(OPERATOR_NAMESPACE_RULES);
    const runner = await one("kubernetes:rbac.authorization.k8s.io/v1:Role", "helios-runbook-runner", NS);
    expect(runner.inputs.rules).toEqual(RUNNER_NAMESPACE_RULES);
    const admin = await one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "helios-admin");
    // The approval rules, then the admin access role's (components/access.ts).
    expect(admin.inputs.rules).toEqual([...HELIOS_ADMIN_RULES, ...ACCESS_RULES.admin]);
    for (const rules of [OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, RUNNER_NAMESPACE_RULES]) {
      expect(JSON.stringify(rules)).not.toContain('"*"');
      expect(rules.flatMap((r) => r.resources)).not.toContain("secrets");
    }
  });

  it("lets runner pods reach the management CIDRs on gNMI ports only, script pods on the script ports only; other egress excludes the devices", async () => {
    const pols = (await all("kubernetes:networking.k8s.io/v1:NetworkPolicy")).filter((p) => p.namespace === NS);
    const byName: Record<string, any> = Object.fromEntries(pols.map((p) => [p.kubernetesName, p.inputs.spec]));
    expect(byName["default-deny-egress"]).toEqual({ podSelector: {}, policyTypes: ["Egress"] });
    const gnmi = byName["egress-gnmi"];
    expect(gnmi.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/component": "runbook-runner" } });
    expect(gnmi.egress).toEqual([{ to: [{ ipBlock: { cidr: "10.10.0.0/16" } }, { ipBlock: { cidr: "fd00:10::/48" } }], ports: GNMI_PORTS.map((port) => ({ port, protocol: "TCP" })) }]);
    const services = byName["egress-services"];
    expect(services.egress[0].to).toEqual([{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.10.0.0/16"] } }, { ipBlock: { cidr: "::/0", except: ["fd00:10::/48"] } }]);
    // Script pods: DNS and the devices on the script ports; none of the services the runner uses.
    const script = { matchLabels: { "app.kubernetes.io/component": "runbook-script" } };
    expect(byName["egress-script-devices"]).toEqual({
      podSelector: script,
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.10.0.0/16" } }, { ipBlock: { cidr: "fd00:10::/48" } }], ports: [22, 830].map((port) => ({ port, protocol: "TCP" })) }],
    });
    expect(services.podSelector).toEqual({ matchExpressions: [{ key: "app.kubernetes.io/component", operator: "NotIn", values: ["runbook-script"] }] });
    expect(byName["egress-dns"].podSelector).toEqual({});
    // Nothing else opens a path to a management CIDR.
    for (const [name, spec] of Object.entries(byName)) {
      if (name === "egress-gnmi" || name === "egress-script-devices") continue;
      expect(JSON.stringify(spec.egress ?? []).match(/"cidr":"10\.10\.0\.0\/16"/g) ?? []).toEqual([]);
    }
    expect(byName["approval-api"].ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }], ports: [{ port: 8080, protocol: "TCP" }] }]);
  });
});
