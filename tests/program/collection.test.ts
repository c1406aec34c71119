// Collection layer: sizes per tier, directory mounts, egress exactly as configured, scrapes
// that keep the taxonomy, CRs after the CRD release, clustering wiring, secrets in Secrets.
import YAML from "yaml";
import { EGRESS_RULES, GNMI_PORTS } from "../../components/collection/egress-policy";
import { GNMIC_API_PORT, GNMIC_API_SERVICE } from "../../components/collection/gnmic";
import { GENERATED_TARGETS, STATIC_TARGETS } from "../../components/collection/scrape";
import { TAXONOMY_LABELS } from "../../components/labels";
import { NAMESPACES } from "../../components/namespaces";
import { TIER_NAMES, TIERS } from "../../components/tiers";
import { PlannedResource, SynthResult } from "../../scripts/lib/synthesize";
import { baseConfig, ofType, synth } from "../helpers/stacks";

const NS = NAMESPACES.collection.name;
const inNs = (r: SynthResult, type: string) => ofType(r, type).filter((x) => x.namespace === NS);
const named = (r: SynthResult, type: string, name: string) => {
  const found = inNs(r, type).find((x) => x.kubernetesName === name);
  if (!found) throw new Error(`${type} ${name} not in the plan`);
  return found;
};
const CIDRS = ["10.10.0.0/16", "192.0.2.0/24"];
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** Plan inputs with Pulumi secret wrappers replaced by their values. */
function reveal(v: any): any {
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") {
    if (SECRET_SIG in v) return reveal(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

describe("collection layer", () => {
  const resultP = synth(baseConfig({ "helios:managementCidrs": CIDRS, "helios:tier": "medium" }));

  it.each(TIER_NAMES)("sizes gnmic (HPA), snmp_exporter and blackbox_exporter from tier %s", async (tier) => {
    const r = tier === "medium" ? await resultP : await synth(baseConfig({ "helios:tier": tier }));
    const spec = TIERS[tier];
    const sts = named(r, "kubernetes:apps/v1:StatefulSet", "gnmic");
    expect(sts.inputs.spec.replicas).toBe(spec.gnmic.hpa.min);
    expect(sts.inputs.spec.template.spec.containers.find((c: { name: string }) => c.name === "gnmic").resources).toEqual(spec.gnmic.resources);
    const hpa = named(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "gnmic");
    expect(hpa.inputs.spec.minReplicas).toBe(spec.gnmic.hpa.min);
    expect(hpa.inputs.spec.maxReplicas).toBe(spec.gnmic.hpa.max);
    expect(hpa.inputs.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "StatefulSet", name: "gnmic" });
    expect(hpa.inputs.spec.metrics[0].resource.target.averageUtilization).toBe(spec.gnmic.hpa.targetCpuPercent);
    const snmp = named(r, "kubernetes:apps/v1:Deployment", "snmp-exporter");
    expect(snmp.inputs.spec.replicas).toBe(spec.snmpExporter.replicas);
    expect(snmp.inputs.spec.template.spec.containers[0].resources).toEqual(spec.snmpExporter.resources);
    const bb = named(r, "kubernetes:apps/v1:Deployment", "blackbox-exporter");
    expect(bb.inputs.spec.replicas).toBe(spec.blackboxExporter.replicas);
    expect(bb.inputs.spec.template.spec.containers[0].resources).toEqual(spec.blackboxExporter.resources);
  });

  it("mounts every config and target volume as a directory (no subPath), targets from the generator's ConfigMaps", async () => {
    const r = await resultP;
    const workloads = [...inNs(r, "kubernetes:apps/v1:Deployment"), ...inNs(r, "kubernetes:apps/v1:StatefulSet")];
    expect(workloads.map((w) => w.kubernetesName).sort()).toEqual(["blackbox-exporter", "gnmic", "helios-targets-sd", "snmp-exporter"]);
    for (const w of workloads) {
      const spec = w.inputs.spec.template.spec;
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        for (const m of c.volumeMounts ?? []) expect(m.subPath).toBeUndefined();
      }
    }
    // All of a kind's ConfigMaps (the generator's base one and its -1..-8 overflow) in one
    // projected directory, optional until the generator's first sync.
    const sources = (base: string) => ({ sources: [base, ...Array.from({ length: 8 }, (_, i) => `${base}-${i + 1}`)].map((name) => ({ configMap: { name, optional: true } })) });
    const gnmic = named(r, "kubernetes:apps/v1:StatefulSet", "gnmic").inputs.spec.template.spec;
    expect(gnmic.volumes).toContainEqual({ name: "targets", projected: sources("helios-targets-gnmic") });
    expect(gnmic.volumes).toContainEqual({ name: "config", configMap: { name: "gnmic-config" } });
    expect(gnmic.volumes).toContainEqual({ name: "targets-merged", emptyDir: {} });
    // The merge loop (init + sidecar) reads the directory, gnmic reads the merged file.
    const byName = (list: { name: string }[], n: string) => list.find((c) => c.name === n) as any;
    for (const c of [byName(gnmic.initContainers, "targets-merge-init"), byName(gnmic.containers, "targets-merge")]) {
      expect(c.volumeMounts).toContainEqual({ name: "targets", mountPath: "/etc/gnmic/targets", readOnly: true });
      expect(c.command[2]).toContain("/var/run/gnmic/targets/targets.yaml");
    }
    expect(byName(gnmic.containers, "gnmic").volumeMounts).toContainEqual({ name: "targets-merged", mountPath: "/var/run/gnmic/targets", readOnly: true });
    expect(byName(gnmic.containers, "gnmic").volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/gnmic/config", readOnly: true });
    // The rendered config points the file loader at the merged file and re-reads it.
    const cfg = YAML.parse(named(r, "kubernetes:core/v1:ConfigMap", "gnmic-config").inputs.data["gnmic.yaml"]);
    expect(cfg.loader).toMatchObject({ type: "file", path: "/var/run/gnmic/targets/targets.yaml", interval: "30s" });
    const sd = named(r, "kubernetes:apps/v1:Deployment", "helios-targets-sd").inputs.spec.template.spec;
    for (const kind of ["snmp", "blackbox", "prometheus"] as const) {
      expect(sd.volumes).toContainEqual({ name: kind, projected: sources(GENERATED_TARGETS[kind].configMap) });
    }
    expect(sd.volumes).toContainEqual({ name: "nginx-conf", configMap: { name: "helios-targets-sd-nginx" } });
    // Every part of a job's file is listed for http_sd.
    const snmpSc = named(r, "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig", "helios-snmp");
    expect(snmpSc.inputs.spec.httpSDConfigs.map((c: { url: string }) => c.url)).toEqual(
      ["snmp.json", ...Array.from({ length: 8 }, (_, i) => `snmp-${i + 1}.json`)].map((k) => `http://helios-targets-sd.${NS}.svc:8080/helios-targets-snmp/${k}`),
    );
    const snmp = named(r, "kubernetes:apps/v1:Deployment", "snmp-exporter").inputs.spec.template.spec;
    expect(snmp.volumes).toContainEqual({ name: "modules", configMap: { name: "snmp-exporter-modules" } });
    expect(snmp.volumes).toContainEqual({ name: "auth", secret: { secretName: "snmp-exporter-auth" } });
  });

  it("uses the static targets ConfigMaps, in the generator's format, when helios:collectionTargets is static", async () => {
    const r = await synth(baseConfig({ "helios:collectionTargets": "static" }));
    for (const [kind, name] of Object.entries(STATIC_TARGETS)) {
      const cm = named(r, "kubernetes:core/v1:ConfigMap", name);
      for (const key of GENERATED_TARGETS[kind as keyof typeof GENERATED_TARGETS].keys) {
        if (kind !== "prometheus") expect(Object.keys(cm.inputs.data)).toContain(key);
      }
    }
    const gnmic = named(r, "kubernetes:apps/v1:StatefulSet", "gnmic").inputs.spec.template.spec;
    expect(gnmic.volumes).toContainEqual({ name: "targets", projected: { sources: [{ configMap: { name: STATIC_TARGETS.gnmic, optional: false } }] } });
    const sc = named(r, "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig", "helios-snmp");
    expect(sc.inputs.spec.httpSDConfigs).toEqual([{ url: `http://helios-targets-sd.${NS}.svc:8080/${STATIC_TARGETS.snmp}/snmp.json`, refreshInterval: "60s" }]);
  });

  it("limits egress to exactly the configured management CIDRs and ports", async () => {
    const r = await resultP;
    const policies = inNs(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.spec.policyTypes.includes("Egress"));
    expect(policies.map((p) => p.kubernetesName).sort()).toEqual(["default-deny-egress", ...EGRESS_RULES.map((e) => e.name)].sort());
    expect(policies.find((p) => p.kubernetesName === "default-deny-egress")!.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Egress"] });
    const egress = (name: string) => policies.find((p) => p.kubernetesName === name)!.inputs.spec.egress;
    const cidrPeers = CIDRS.map((cidr) => ({ ipBlock: { cidr } }));
    expect(egress("egress-gnmi")).toEqual([{ to: cidrPeers, ports: GNMI_PORTS.map((port) => ({ port, protocol: "TCP" })) }]);
    expect(GNMI_PORTS).toEqual([6030, 57400, 9339]);
    expect(egress("egress-snmp")).toEqual([{ to: cidrPeers, ports: [{ port: 161, protocol: "UDP" }] }]);
    expect(egress("egress-probes")).toEqual([{ to: cidrPeers }]);
    expect(egress("egress-dns")).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
        ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
      },
    ]);
    expect(egress("egress-gnmic-cluster")).toEqual([{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "gnmic" } } }], ports: [{ port: GNMIC_API_PORT, protocol: "TCP" }] }]);
    // Every rule that reaches the management networks names exactly the configured CIDRs.
    const mgmtRules = policies.filter((p) => JSON.stringify(p.inputs.spec).includes("ipBlock") && p.kubernetesName !== "egress-gnmic-kube-api");
    for (const p of mgmtRules) expect(p.inputs.spec.egress[0].to).toEqual(cidrPeers);
  });

  it("keeps the seven taxonomy labels on every scrape and uses the contract job names", async () => {
    const r = await resultP;
    const scrapeConfigs = inNs(r, "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig");
    const jobs: string[] = [];
    for (const sc of scrapeConfigs) {
      const rules = sc.inputs.spec.relabelings as { targetLabel?: string; action: string; replacement?: string }[];
      for (const rule of rules) {
        expect(["labeldrop", "labelkeep", "labelmap", "keep", "drop"]).not.toContain(rule.action);
        expect(TAXONOMY_LABELS).not.toContain(rule.targetLabel);
      }
      jobs.push(rules.find((x) => x.targetLabel === "job")!.replacement!);
      expect(rules).toContainEqual({ sourceLabels: ["__address__"], targetLabel: "__param_target", action: "replace" });
      expect(rules).toContainEqual({ sourceLabels: ["__param_target"], targetLabel: "instance", action: "replace" });
      // sharded by device (tests/engines/prometheus-sharding.test.ts); no hashmod of our own, so
      // the operator still appends its sharding rules
      expect(rules).toContainEqual({ sourceLabels: ["__param_target"], targetLabel: "__tmp_hash", action: "replace" });
      expect(rules.map((x) => x.action)).not.toContain("hashmod");
    }
    const sm = named(r, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "helios-gnmic");
    const ep = sm.inputs.spec.endpoints[0];
    expect(ep.honorLabels).toBe(true);
    expect(ep.metricRelabelings).toBeUndefined();
    jobs.push(ep.relabelings.find((x: { targetLabel: string }) => x.targetLabel === "job").replacement);
    expect(jobs.sort()).toEqual(["blackbox-dns", "blackbox-http", "blackbox-icmp", "blackbox-tcp", "gnmic", "snmp"]);
    // The ServiceMonitor selects the gnmic metrics Service on the prom-output port.
    const svc = named(r, "kubernetes:core/v1:Service", "gnmic");
    expect(svc.inputs.metadata.labels).toMatchObject(sm.inputs.spec.selector.matchLabels);
    expect(svc.inputs.spec.ports).toEqual([{ name: "prom-output", port: 9804, targetPort: "prom-output" }]);
  });

  it("creates every custom resource after the kube-prometheus-stack release that installs its CRDs", async () => {
    const r = await resultP;
    const release = ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.inputs.chart === "kube-prometheus-stack");
    expect(release).toBeDefined();
    const crs = r.resources.filter((x: PlannedResource) => x.namespace === NS && x.type.startsWith("kubernetes:monitoring.coreos.com"));
    expect(crs.length).toBe(6);
    for (const cr of crs) expect(cr.dependsOn).toContain(`kubernetes:helm.sh/v3:Release::${release!.name}`);
  });

  it("wires gnmic clustering: Lease locker in the namespace, the API Service it watches, RBAC, pod-name instances", async () => {
    const r = await resultP;
    const cfg = YAML.parse(named(r, "kubernetes:core/v1:ConfigMap", "gnmic-config").inputs.data["gnmic.yaml"]);
    expect(cfg.clustering["cluster-name"]).toBe("helios");
    expect(cfg.clustering.locker).toMatchObject({ type: "k8s", namespace: NS });
    expect(GNMIC_API_SERVICE).toBe(`${cfg.clustering["cluster-name"]}-gnmic-api`);
    const api = named(r, "kubernetes:core/v1:Service", GNMIC_API_SERVICE);
    expect(api.inputs.spec.ports[0].port).toBe(GNMIC_API_PORT);
    expect(cfg["api-server"].address).toBe(`:${GNMIC_API_PORT}`);
    const pod = named(r, "kubernetes:apps/v1:StatefulSet", "gnmic").inputs.spec.template;
    expect(pod.metadata.labels).toMatchObject(api.inputs.spec.selector);
    expect(pod.metadata.labels.app).toBe("gnmic");
    expect(pod.spec.serviceAccountName).toBe("gnmic");
    expect(pod.spec.containers.find((c: { name: string }) => c.name === "gnmic").env).toContainEqual({ name: "GNMIC_CLUSTERING_INSTANCE_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    const role = named(r, "kubernetes:rbac.authorization.k8s.io/v1:Role", "gnmic");
    const can = (group: string, resource: string, verb: string) =>
      role.inputs.rules.some((x: { apiGroups: string[]; resources: string[]; verbs: string[] }) => x.apiGroups.includes(group) && x.resources.includes(resource) && x.verbs.includes(verb));
    for (const verb of ["get", "list", "create", "update", "delete"]) expect(can("coordination.k8s.io", "leases", verb)).toBe(true);
    for (const res of ["services", "endpoints", "pods"]) expect(can("", res, "list")).toBe(true);
    expect(named(r, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "gnmic").inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "gnmic", namespace: NS }]);
    expect(cfg.outputs.prometheus).toMatchObject({ type: "prometheus", listen: ":9804", "metric-prefix": "gnmic" });
  });

  it("keeps credentials in Secrets, never in ConfigMaps, and pins the collection images", async () => {
    const r = await synth(baseConfig({ "helios:gnmiTlsSkipVerify": false }));
    const creds = reveal(named(r, "kubernetes:core/v1:Secret", "gnmic-credentials").inputs);
    expect(Object.keys(creds.stringData).sort()).toEqual(["GNMIC_PASSWORD", "GNMIC_USERNAME"]);
    expect(reveal(named(r, "kubernetes:core/v1:Secret", "gnmic-tls").inputs).stringData["ca.crt"]).toContain("helios:gnmiTlsCa");
    const auths = YAML.parse(reveal(named(r, "kubernetes:core/v1:Secret", "snmp-exporter-auth").inputs).stringData["auths.yml"]);
    expect(auths.auths.public_v2.community).toContain("helios:snmpCommunity");
    expect(auths.auths.helios_v3.priv_password).toContain("helios:snmpPrivPassword");
    const sts = named(r, "kubernetes:apps/v1:StatefulSet", "gnmic").inputs.spec.template.spec;
    expect(sts.containers.find((c: { name: string }) => c.name === "gnmic").envFrom).toEqual([{ secretRef: { name: "gnmic-credentials" } }]);
    for (const cm of inNs(r, "kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(cm.inputs.data)).not.toContain("PLAN-PLACEHOLDER");
    for (const img of ["ghcr.io/openconfig/gnmic:", "quay.io/prometheus/snmp-exporter:v0.30.1", "quay.io/prometheus/blackbox-exporter:v0.28.0"]) {
      expect(r.images.some((i) => i.startsWith(img))).toBe(true);
    }
  });
});
