/**
 * Grafana (grafana-community chart) in helios-visualization: provisioned datasources
 * (Thanos Query, Alertmanager, ClickHouse), PostgreSQL backend, OIDC login with role mapping,
 * and the dashboard sidecar loading ConfigMaps labelled `grafana_dashboard: "1"` into folders.
 * Secrets (admin password, OIDC client secret, database URL) go into Kubernetes Secrets and
 * reach Grafana as environment variables; the chart's values hold none.
 */
import * as k8s from "@pulumi/kubernetes";
import { ConfigError } from "../errors";
import * as pulumi from "@pulumi/pulumi";
import { ACCESS_ROLES, AccessRole, DEFAULT_ACCESS_GROUPS, GRAFANA_ROLES } from "../access";
import { heliosWarn } from "../diagnostics";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { TierSpec } from "../tiers";
import { CHARTS, GRAFANA_PLUGINS, IMAGES, chartSource } from "../versions";
import { ALERTMANAGER_URL } from "./alertmanager";
import { DASHBOARD_LABEL, DATASOURCES, FOLDER_ANNOTATION } from "./dashboards";

/** Environment variable (from the grafana-env Secret) the ClickHouse datasource's password expands from. */
export const CLICKHOUSE_PASSWORD_ENV = "HELIOS_CLICKHOUSE_PASSWORD";
export const CLICKHOUSE_DATABASE = "helios";
/** IdP groups -> Grafana roles (US2 scenario 4), highest role first: the access roles of components/access.ts. */
export function roleGroups(groups: Record<AccessRole, string> = DEFAULT_ACCESS_GROUPS): { group: string; role: string }[] {
  return ACCESS_ROLES.map((r) => ({ group: groups[r], role: GRAFANA_ROLES[r] }));
}
/** The mapping with the default groups (helios:accessGroups unset). */
export const ROLE_GROUPS = roleGroups();

export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  groupsClaim: string;
  /** Endpoints; default to the Keycloak layout under the issuer (`/protocol/openid-connect/...`). */
  authUrl?: string;
  tokenUrl?: string;
  apiUrl?: string;
}

/**
 * JMESPath Grafana evaluates on the ID token / userinfo to pick the role. Users in none of
 * the groups get no role and, with role_attribute_strict, cannot log in.
 */
export function roleAttributePath(groupsClaim: string, groups: Record<AccessRole, string> = DEFAULT_ACCESS_GROUPS): string {
  const claim = /^[A-Za-z_][A-Za-z0-9_]*$/.test(groupsClaim) ? groupsClaim : JSON.stringify(groupsClaim);
  return roleGroups(groups).map(({ group, role }) => `contains(${claim}[*], '${group}') && '${role}'`).join(" || ");
}

export function grafanaDatasources(thanosQueryUrl: string, clickhouse: { host: string; port: number; username: string }, clickhousePassword = false) {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: DATASOURCES.thanos.name,
        uid: DATASOURCES.thanos.uid,
        type: DATASOURCES.thanos.type,
        access: "proxy",
        url: thanosQueryUrl,
        isDefault: true,
        editable: false,
        jsonData: { httpMethod: "POST", timeInterval: "30s", prometheusType: "Thanos", manageAlerts: false },
      },
      {
        name: DATASOURCES.alertmanager.name,
        uid: DATASOURCES.alertmanager.uid,
        type: DATASOURCES.alertmanager.type,
        access: "proxy",
        url: ALERTMANAGER_URL,
        editable: false,
        jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
      },
      {
        name: DATASOURCES.clickhouse.name,
        uid: DATASOURCES.clickhouse.uid,
        type: DATASOURCES.clickhouse.type,
        editable: false,
        jsonData: { host: clickhouse.host, port: clickhouse.port, protocol: "native", secure: false, username: clickhouse.username, defaultDatabase: CLICKHOUSE_DATABASE },
        // Grafana expands $__env{...} in provisioning files; the value lives in the grafana-env Secret.
        ...(clickhousePassword ? { secureJsonData: { password: `$__env{${CLICKHOUSE_PASSWORD_ENV}}` } } : {}),
      },
    ],
  };
}

/** Refuses inputs Grafana cannot start (or log in) with; the message names the stack key to set. */
export function checkGrafanaInputs(args: Pick<GrafanaArgs, "adminPassword" | "oidc" | "oidcClientSecret">): void {
  if (args.adminPassword === undefined) {
    throw new ConfigError("Grafana needs an admin password: set it with `pulumi config set --secret helios:grafanaAdminPassword <password>`");
  }
  if (args.oidc && args.oidcClientSecret === undefined) {
    throw new ConfigError("helios:oidc is set but helios:oidcClientSecret is not; set it with `pulumi config set --secret helios:oidcClientSecret <secret>`");
  }
}

export interface GrafanaArgs {
  /** helios:chartMirror: install the chart from this mirror instead of its upstream repository. */
  readonly chartMirror?: string;
  /** This stack's datacenter (helios:datacenter), for labels and names. */
  readonly datacenter: string;
  /** Scale tier: sizes and replica counts (components/tiers.ts). */
  readonly tier: TierSpec;
  /** OIDC login settings (helios:oidc); absent: admin login only. */
  readonly oidc?: OidcSettings;
  /** OIDC client secret (helios:oidcClientSecret), required with `oidc`. */
  readonly oidcClientSecret?: pulumi.Input<string>;
  /** Grafana admin password (helios:grafanaAdminPassword), a secret. */
  readonly adminPassword?: pulumi.Input<string>;
  /** IdP group of each access role (helios:accessGroups); the same groups the Kubernetes roles are bound to. */
  readonly accessGroups?: Record<AccessRole, string>;
  /** postgres://user:password@host:5432/grafana?sslmode=require; absent: embedded SQLite, one replica. */
  readonly databaseUrl?: pulumi.Input<string>;
  /** Thanos Query's HTTP API (the storage layer's ThanosStack.queryHttpUrl). */
  readonly thanosQueryUrl: string;
  /** ClickHouse's native endpoint and read-only user (the flow layer's ClickHouse.readerEndpoint). */
  readonly clickhouse: { host: string; port: number; username: string };
  /** Password of the ClickHouse user; goes into the grafana-env Secret only. */
  readonly clickhousePassword?: pulumi.Input<string>;
  /** The helios-visualization namespace resource to create after. */
  readonly namespace?: pulumi.Resource;
}

export class Grafana extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  public readonly adminSecret: k8s.core.v1.Secret;
  public readonly envSecret: k8s.core.v1.Secret;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:visualization:Grafana", name, {}, opts);
    const ns = NAMESPACES.visualization.name;
    const labels = commonLabels("grafana");
    const deps = args.namespace ? [args.namespace] : [];

    checkGrafanaInputs(args);
    const adminPassword = args.adminPassword as pulumi.Input<string>;
    if (!args.oidc) heliosWarn("Grafana has no OIDC login (helios:oidc not set); only the admin account can sign in", this);
    const replicas = args.databaseUrl === undefined ? 1 : args.tier.grafana.replicas;
    if (args.databaseUrl === undefined) {
      heliosWarn("Grafana uses its embedded SQLite (helios:grafanaDatabaseUrl not set), so it runs a single replica", this);
    }

    this.adminSecret = new k8s.core.v1.Secret(
      `${name}-admin`,
      { metadata: { name: "grafana-admin", namespace: ns, labels }, type: "Opaque", stringData: { "admin-user": "admin", "admin-password": pulumi.secret(adminPassword) } },
      { parent: this, dependsOn: deps },
    );
    const env: Record<string, pulumi.Input<string>> = {};
    if (args.oidcClientSecret !== undefined) env.GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET = pulumi.secret(args.oidcClientSecret);
    if (args.databaseUrl !== undefined) env.GF_DATABASE_URL = pulumi.secret(args.databaseUrl);
    if (args.clickhousePassword !== undefined) env[CLICKHOUSE_PASSWORD_ENV] = pulumi.secret(args.clickhousePassword);
    this.envSecret = new k8s.core.v1.Secret(
      `${name}-env`,
      { metadata: { name: "grafana-env", namespace: ns, labels }, type: "Opaque", stringData: env },
      { parent: this, dependsOn: deps },
    );

    const ini: Record<string, Record<string, unknown>> = {
      server: { enable_gzip: true },
      analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
      users: { allow_sign_up: false, auto_assign_org_role: "Viewer" },
      "auth.anonymous": { enabled: false },
      dashboards: { min_refresh_interval: "30s" },
    };
    if (args.databaseUrl !== undefined) ini.database = { type: "postgres" };
    if (args.oidc) {
      const issuer = args.oidc.issuerUrl.replace(/\/+$/, "");
      ini["auth.generic_oauth"] = {
        enabled: true,
        name: "Helios SSO",
        client_id: args.oidc.clientId,
        scopes: "openid profile email groups",
        auth_url: args.oidc.authUrl ?? `${issuer}/protocol/openid-connect/auth`,
        token_url: args.oidc.tokenUrl ?? `${issuer}/protocol/openid-connect/token`,
        api_url: args.oidc.apiUrl ?? `${issuer}/protocol/openid-connect/userinfo`,
        use_pkce: true,
        allow_sign_up: true,
        role_attribute_path: roleAttributePath(args.oidc.groupsClaim, args.accessGroups),
        role_attribute_strict: true,
        allow_assign_grafana_admin: false,
      };
    }

    const chart = CHARTS.grafana;
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: "grafana",
        ...chartSource(chart, args.chartMirror),
        namespace: ns,
        values: {
          replicas,
          image: { registry: IMAGES.grafana.repository.split("/")[0], repository: IMAGES.grafana.repository.split("/").slice(1).join("/"), tag: IMAGES.grafana.tag },
          resources: args.tier.grafana.resources,
          rbac: { namespaced: true },
          persistence: { enabled: false },
          podLabels: { "helios.io/datacenter": args.datacenter },
          admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
          envFromSecrets: [{ name: "grafana-env" }],
          plugins: GRAFANA_PLUGINS.map((p) => `${p.id}@${p.version}`),
          "grafana.ini": ini,
          datasources: { "datasources.yaml": grafanaDatasources(args.thanosQueryUrl, args.clickhouse, args.clickhousePassword !== undefined) },
          sidecar: {
            dashboards: {
              enabled: true,
              label: Object.keys(DASHBOARD_LABEL)[0],
              labelValue: Object.values(DASHBOARD_LABEL)[0],
              folderAnnotation: FOLDER_ANNOTATION,
              searchNamespace: null,
              provider: { foldersFromFilesStructure: true, allowUiUpdates: false, disableDelete: false },
            },
          },
        },
      },
      { parent: this, dependsOn: [...deps, this.adminSecret, this.envSecret] },
    );
    this.registerOutputs({ replicas });
  }
}
