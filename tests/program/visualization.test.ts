// The visualization layer in the plan: Grafana's datasources, dashboard folders and the 14
// dashboard ConfigMaps, OIDC role mapping, the Alertmanager CR with receivers from secret
// config (never in a ConfigMap), PrometheusRules, and every CR after the CRDs' release.
import YAML from "yaml";
import { DASHBOARD_FOLDERS, DATASOURCES } from "../../components/visualization/dashboards";
import { checkGrafanaInputs, roleAttributePath } from "../../components/visualization/grafana";
import { loadRuleFiles } from "../../components/visualization/rules";
import { tierSpec } from "../../components/tiers";
import { CHARTS, GRAFANA_PLUGINS } from "../../components/versions";
import { baseConfig, ofType, synth } from "../helpers/stacks";

const OIDC = { issuerUrl: "https://sso.example.net/realms/helios", clientId: "grafana", groupsClaim: "groups" };
/** Pulumi marks secret values in resource inputs with this signature (the plan keeps the marking). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function secretValue(v: any): any {
  expect(v?.[SECRET_SIG]).toBe("1b47061264138c4ac30d75fd1eb44270");
  return v.value;
}
const EMAIL = { to: "noc@example.net", from: "am@example.net", smarthost: "smtp.example.net:587", username: "am" };

describe("visualization layer (plan)", () => {
  let result: Awaited<ReturnType<typeof synth>>;
  beforeAll(async () => {
    result = await synth(baseConfig({ "helios:oidc": OIDC, "helios:alertEmail": EMAIL, "helios:tier": "medium" }));
  });

  const grafana = () => result.helmReleases.find((h) => h.chart === "grafana")!;
  const byName = (type: string, name: string) => result.resources.find((r) => r.type === type && r.kubernetesName === name)!;

  it("installs the pinned grafana-community chart in helios-visualization", () => {
    expect(grafana()).toMatchObject({ chart: "grafana", version: CHARTS.grafana.version, repository: "https://grafana-community.github.io/helm-charts", namespace: "helios-visualization" });
    expect(grafana().values.plugins).toEqual(GRAFANA_PLUGINS.map((p) => `${p.id}@${p.version}`));
  });

  it("provisions Thanos Query, Alertmanager and ClickHouse datasources", () => {
    const ds = grafana().values.datasources["datasources.yaml"].datasources;
    const byUid = Object.fromEntries(ds.map((d: any) => [d.uid, d]));
    expect(Object.keys(byUid).sort()).toEqual(Object.values(DATASOURCES).map((d) => d.uid).sort());
    expect(byUid["helios-thanos"]).toMatchObject({ type: "prometheus", isDefault: true, url: "http://helios-thanos-query.helios-storage.svc:10902", jsonData: { prometheusType: "Thanos" } });
    expect(byUid["helios-alertmanager"]).toMatchObject({ type: "alertmanager", url: "http://alertmanager-operated.helios-visualization.svc:9093" });
    expect(byUid["helios-clickhouse"]).toMatchObject({
      type: "grafana-clickhouse-datasource",
      jsonData: { host: "clickhouse-helios.helios-flows.svc", port: 9000, username: "grafana", defaultDatabase: "helios", protocol: "native" },
      // the flow layer's read-only password, expanded from the grafana-env Secret at start
      secureJsonData: { password: "$__env{HELIOS_CLICKHOUSE_PASSWORD}" },
    });
    expect(Object.keys(secretValue(byName("kubernetes:core/v1:Secret", "grafana-env").inputs.stringData))).toContain("HELIOS_CLICKHOUSE_PASSWORD");
  });

  it("loads 14 dashboard ConfigMaps labelled grafana_dashboard=1 into the Metrics and Flows folders", () => {
    const maps = ofType(result, "kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.labels?.grafana_dashboard === "1");
    expect(maps).toHaveLength(14);
    for (const m of maps) expect(m.namespace).toBe("helios-visualization");
    const folders = maps.map((m) => m.inputs.metadata.annotations.grafana_folder);
    expect(folders.filter((f) => f === DASHBOARD_FOLDERS.metrics)).toHaveLength(8);
    expect(folders.filter((f) => f === DASHBOARD_FOLDERS.flows)).toHaveLength(6);
    // Flow dashboards are provisioned with their {{flows}} macros expanded into range-picked SQL.
    const flowJson = maps.filter((m) => m.inputs.metadata.annotations.grafana_folder === DASHBOARD_FOLDERS.flows).map((m) => Object.values(m.inputs.data as Record<string, string>)[0]);
    for (const text of flowJson) {
      expect(text).not.toContain("{{flows");
      expect(text).toContain("FROM helios.flows_raw WHERE $__timeFilter(timestamp)");
      expect(() => JSON.parse(text)).not.toThrow();
    }
    const sidecar = grafana().values.sidecar.dashboards;
    expect(sidecar).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: "1", folderAnnotation: "grafana_folder", provider: { foldersFromFilesStructure: true } });
  });

  it("maps IdP groups to Grafana roles with OIDC from stack config", () => {
    const oauth = grafana().values["grafana.ini"]["auth.generic_oauth"];
    expect(oauth).toMatchObject({ enabled: true, client_id: "grafana", role_attribute_strict: true, auth_url: `${OIDC.issuerUrl}/protocol/openid-connect/auth` });
    expect(oauth.role_attribute_path).toBe(
      "contains(groups[*], 'helios-admin') && 'Admin' || contains(groups[*], 'helios-engineer') && 'Editor' || contains(groups[*], 'helios-viewer') && 'Viewer'",
    );
    expect(oauth.client_secret).toBeUndefined();
    expect(roleAttributePath("cognito:groups")).toContain(`contains("cognito:groups"[*], 'helios-admin')`);
  });

  it("keeps every secret out of Helm values and ConfigMaps, in Secrets instead", () => {
    const secretMarkers = /PLAN-PLACEHOLDER\(helios:(pagerdutyRoutingKey|slackWebhookUrl|smtpPassword|oidcClientSecret|grafanaAdminPassword|grafanaDatabaseUrl)\)/;
    expect(JSON.stringify(result.helmReleases.map((h) => h.values))).not.toMatch(secretMarkers);
    for (const c of ofType(result, "kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(c.inputs)).not.toMatch(secretMarkers);
    const values = grafana().values;
    expect(values.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(values.envFromSecrets).toEqual([{ name: "grafana-env" }]);
    const env = byName("kubernetes:core/v1:Secret", "grafana-env");
    expect(secretValue(env.inputs.stringData).GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET).toBe("PLAN-PLACEHOLDER(helios:oidcClientSecret)");
    expect(secretValue(byName("kubernetes:core/v1:Secret", "grafana-admin").inputs.stringData)["admin-password"]).toBe("PLAN-PLACEHOLDER(helios:grafanaAdminPassword)");
  });

  it("renders the Alertmanager receivers from secret config into a Secret the Alertmanager CR reads", () => {
    const secret = byName("kubernetes:core/v1:Secret", "alertmanager-helios-config");
    expect(secret.namespace).toBe("helios-visualization");
    const cfg = YAML.parse(secretValue(secret.inputs.stringData)["alertmanager.yaml"]);
    const receivers = Object.fromEntries(cfg.receivers.map((r: any) => [r.name, r]));
    expect(receivers["helios-critical"].pagerduty_configs[0].routing_key).toBe("PLAN-PLACEHOLDER(helios:pagerdutyRoutingKey)");
    expect(receivers["helios-warning"].slack_configs[0].api_url).toBe("PLAN-PLACEHOLDER(helios:slackWebhookUrl)");
    expect(receivers["helios-info"].email_configs[0]).toMatchObject({ to: EMAIL.to, from: EMAIL.from, smarthost: EMAIL.smarthost, auth_username: "am", auth_password: "PLAN-PLACEHOLDER(helios:smtpPassword)" });
    expect(cfg.route.group_by).toEqual(["datacenter", "site", "alertname"]);
    const am = result.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:Alertmanager")!;
    expect(am).toMatchObject({ namespace: "helios-visualization", kubernetesName: "helios" });
    expect(am.inputs.spec.configSecret).toBe("alertmanager-helios-config");
    expect(am.inputs.spec.image).toBe("quay.io/prometheus/alertmanager:v0.34.0");
  });

  it("creates one PrometheusRule per rule file, and every CR depends on the kube-prometheus-stack release", () => {
    const rules = result.resources.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rules.map((r) => r.kubernetesName).sort()).toEqual(loadRuleFiles().map((f) => `helios-${f.name}`).sort());
    const kps = result.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack")!;
    expect(kps).toBeDefined();
    const am = result.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:Alertmanager")!;
    for (const cr of [am, ...rules]) expect(cr.dependsOn).toContain(`${kps.type}::${kps.name}`);
  });

  it("runs Grafana on PostgreSQL (URL from secret config) with the tier's replicas and resources", () => {
    const medium = tierSpec("medium").grafana;
    expect(grafana().values.replicas).toBe(medium.replicas);
    expect(grafana().values.resources).toEqual(medium.resources);
    expect(grafana().values["grafana.ini"].database).toEqual({ type: "postgres" });
    const env = secretValue(byName("kubernetes:core/v1:Secret", "grafana-env").inputs.stringData);
    expect(env.GF_DATABASE_URL).toBe("PLAN-PLACEHOLDER(helios:grafanaDatabaseUrl)");
  });

  it("warns when no email receiver is configured", async () => {
    const r = await synth(baseConfig());
    expect(r.warnings.join("\n")).toContain("Alertmanager receiver helios-info/email (needs emailTo, emailFrom, emailSmarthost) is not configured");
    expect(r.warnings.join("\n")).toContain("Grafana has no OIDC login");
  });

  it("takes explicit OIDC endpoints from helios:oidc and rejects a bad one", async () => {
    const oidc = { ...OIDC, authUrl: "https://idp.example.net/authorize", tokenUrl: "https://idp.example.net/token", apiUrl: "https://idp.example.net/userinfo" };
    const r = await synth(baseConfig({ "helios:oidc": oidc }));
    const oauth = r.helmReleases.find((h) => h.chart === "grafana")!.values["grafana.ini"]["auth.generic_oauth"];
    expect(oauth).toMatchObject({ auth_url: oidc.authUrl, token_url: oidc.tokenUrl, api_url: oidc.apiUrl });
    await expect(synth(baseConfig({ "helios:oidc": { ...OIDC, tokenUrl: "idp/token" } }))).rejects.toThrow(/helios:oidc\.tokenUrl: .*absolute URL/);
  });

  it("refuses Grafana without an admin password, or OIDC without its client secret", () => {
    expect(() => checkGrafanaInputs({ adminPassword: undefined })).toThrow("helios:grafanaAdminPassword");
    expect(() => checkGrafanaInputs({ adminPassword: "x", oidc: OIDC, oidcClientSecret: undefined })).toThrow("helios:oidcClientSecret");
    expect(() => checkGrafanaInputs({ adminPassword: "x", oidc: OIDC, oidcClientSecret: "s" })).not.toThrow();
  });
});
