/**
 * Dashboards: every config/dashboards/<folder>/*.json becomes a ConfigMap labelled
 * `grafana_dashboard: "1"` with the Grafana folder in an annotation; Grafana's dashboard
 * sidecar loads them. `checkDashboards` is the provisioning check (also run by the content
 * tests): valid JSON, unique uids and panel ids, datasource uids that are provisioned, and
 * every `$variable` a query uses defined by the dashboard or built into Grafana.
 */
import * as fs from "fs";
import { ConfigError } from "../errors";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";
import { SERIES_PANEL_POINTS } from "../flows/resolutions";
import { expandFlowTables, hasFlowMacro } from "./flow-tables";

export const DASHBOARDS_DIR = path.resolve(__dirname, "..", "..", "config", "dashboards");

/** Provisioned datasources by uid (grafana.ts provisions exactly these). */
export const DATASOURCES = {
  thanos: { uid: "helios-thanos", type: "prometheus", name: "Thanos" },
  alertmanager: { uid: "helios-alertmanager", type: "alertmanager", name: "Alertmanager" },
  clickhouse: { uid: "helios-clickhouse", type: "grafana-clickhouse-datasource", name: "ClickHouse" },
} as const;

/** Sub-directory of config/dashboards -> Grafana folder. */
export const DASHBOARD_FOLDERS: Record<string, string> = { metrics: "Helios Metrics", flows: "Helios Flows" };
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** Annotation the Grafana sidecar reads the folder name from (chart value sidecar.dashboards.folderAnnotation). */
export const FOLDER_ANNOTATION = "grafana_folder";

/** Variables Grafana defines itself (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables). */
const BUILTIN_VARIABLES = new Set([
  "__interval", "__interval_ms", "__rate_interval", "__range", "__range_s", "__range_ms", "__from", "__to",
  "__dashboard", "__name", "__org", "__user", "timeFilter", "__timeFilter",
]);
/** ClickHouse plugin macros (pkg/macros/macros.go of grafana/clickhouse-datasource). */
const CLICKHOUSE_MACROS = new Set([
  "__fromTime", "__toTime", "__fromTime_ms", "__toTime_ms", "__timeFilter", "__timeFilter_ms", "__dateFilter",
  "__dateTimeFilter", "__dt", "__timeInterval", "__timeInterval_ms", "__interval_s", "__conditionalAll",
]);

export interface DashboardFile {
  folderKey: string;
  folder: string;
  file: string;
  uid: string;
  title: string;
  json: any;
  text: string;
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  refId: string;
  datasource: string;
  /** PromQL `expr` or ClickHouse `rawSql`. */
  query: string;
  /** The panel's maxDataPoints (Grafana derives $__interval from it), when the panel sets one. */
  maxDataPoints?: number;
}

/** Variables a query text references: $name, ${name}, ${name:format}, [[name]]. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)(?::[A-Za-z]+)?\]\]/g)) {
    names.add(m[1] ?? m[2] ?? m[3]);
  }
  return [...names];
}

function allPanels(json: any): any[] {
  const out: any[] = [];
  const walk = (panels: any[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(json.panels);
  return out;
}

/** Every query of every panel and template variable. */
export function dashboardQueries(d: DashboardFile): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(d.json)) {
    for (const t of p.targets ?? []) {
      const ds = t.datasource?.uid ?? p.datasource?.uid;
      out.push({ dashboard: d.uid, panel: p.title, refId: t.refId, datasource: ds, query: t.expr ?? t.rawSql ?? "", ...(typeof p.maxDataPoints === "number" ? { maxDataPoints: p.maxDataPoints } : {}) });
    }
  }
  for (const v of d.json.templating?.list ?? []) {
    if (v.type === "query") {
      const q = typeof v.query === "string" ? v.query : v.query?.query ?? v.query?.rawSql ?? "";
      out.push({ dashboard: d.uid, panel: `variable ${v.name}`, refId: v.name, datasource: v.datasource?.uid, query: q });
    }
  }
  return out;
}

/** Expands `{{flows ...}}` in every ClickHouse panel query in place; true when any was expanded. Problems name file and panel. */
function expandDashboardMacros(json: any, at: string, problems: string[]): boolean {
  let changed = false;
  const expand = (text: string, where: string): string => {
    if (!hasFlowMacro(text)) return text;
    try {
      changed = true;
      return expandFlowTables(text);
    } catch (e) {
      problems.push(`${at}: ${where}: ${(e as Error).message}`);
      return text;
    }
  };
  for (const p of allPanels(json ?? {})) {
    // A flow time series asks for SERIES_PANEL_POINTS points, so long ranges step onto the coarser
    // tables (resolutions.ts); a panel that sets its own maxDataPoints keeps it.
    const series = (p.targets ?? []).some((t: any) => typeof t.rawSql === "string" && /\{\{\s*flows\s+[a-z]+\s+series\b/.test(t.rawSql));
    if (series && p.maxDataPoints === undefined) p.maxDataPoints = SERIES_PANEL_POINTS;
    for (const t of p.targets ?? []) if (typeof t.rawSql === "string") t.rawSql = expand(t.rawSql, `panel ${JSON.stringify(p.title)} query ${t.refId}`);
  }
  for (const v of json?.templating?.list ?? []) if (typeof v.query === "string") v.query = expand(v.query, `variable ${v.name}`);
  return changed;
}

/** Reads and checks every dashboard; throws one Error listing every problem (file and panel named). */
export function loadDashboards(dir = DASHBOARDS_DIR): DashboardFile[] {
  const problems: string[] = [];
  const result: DashboardFile[] = [];
  for (const folderKey of fs.readdirSync(dir).sort()) {
    const sub = path.join(dir, folderKey);
    if (!fs.statSync(sub).isDirectory()) continue;
    const folder = DASHBOARD_FOLDERS[folderKey];
    if (!folder) {
      problems.push(`${sub}: unknown dashboard folder; allowed: ${Object.keys(DASHBOARD_FOLDERS).join(", ")}`);
      continue;
    }
    for (const f of fs.readdirSync(sub).filter((n) => n.endsWith(".json")).sort()) {
      const file = path.join(sub, f);
      const text = fs.readFileSync(file, "utf8");
      let json: any;
      try {
        json = JSON.parse(text);
      } catch (e) {
        problems.push(`${file}: not valid JSON: ${(e as Error).message}`);
        continue;
      }
      // The flow-table macro is expanded here, once, so provisioning, the tests and the bench
      // all see the SQL Grafana runs (flow-tables.ts).
      const expanded = expandDashboardMacros(json, path.relative(dir, file), problems);
      result.push({ folderKey, folder, file, uid: json?.uid, title: json?.title, json, text: expanded ? JSON.stringify(json, null, 2) + "\n" : text });
    }
  }
  problems.push(...checkDashboards(result));
  if (problems.length) throw new ConfigError(`invalid dashboards:\n  - ${problems.join("\n  - ")}`);
  return result;
}

/** The provisioning checks; returns problems (empty when all is well). */
export function checkDashboards(dashboards: DashboardFile[]): string[] {
  const problems: string[] = [];
  const knownUids = new Map<string, string>(Object.values(DATASOURCES).map((d) => [d.uid, d.type]));
  const seen = new Map<string, string>();
  for (const d of dashboards) {
    const at = path.relative(DASHBOARDS_DIR, d.file);
    if (typeof d.uid !== "string" || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) problems.push(`${at}: uid ${JSON.stringify(d.uid)} must be 1-40 characters of letters, digits, - and _`);
    else if (seen.has(d.uid)) problems.push(`${at}: uid ${d.uid} is also used by ${seen.get(d.uid)}`);
    else seen.set(d.uid, at);
    if (typeof d.title !== "string" || !d.title) problems.push(`${at}: needs a title`);
    if (d.json?.id !== undefined && d.json.id !== null) problems.push(`${at}: must not carry a database id (set "id": null or leave it out)`);
    if (!Array.isArray(d.json?.panels) || d.json.panels.length === 0) problems.push(`${at}: needs panels`);

    const variables = new Map<string, any>();
    for (const v of d.json?.templating?.list ?? []) {
      if (!v?.name) problems.push(`${at}: a template variable has no name`);
      else if (variables.has(v.name)) problems.push(`${at}: template variable ${v.name} defined twice`);
      else variables.set(v.name, v);
    }
    const checkRef = (ref: any, where: string) => {
      if (!ref || typeof ref !== "object" || typeof ref.uid !== "string") {
        problems.push(`${at}: ${where}: datasource must be {type, uid} of a provisioned datasource`);
        return;
      }
      const type = knownUids.get(ref.uid);
      if (!type) problems.push(`${at}: ${where}: datasource uid ${ref.uid} is not provisioned (known: ${[...knownUids.keys()].join(", ")})`);
      else if (ref.type !== type) problems.push(`${at}: ${where}: datasource ${ref.uid} has type ${type}, not ${ref.type}`);
    };
    const checkVars = (text: string, where: string, isClickHouse: boolean, ownName?: string) => {
      for (const name of referencedVariables(text)) {
        if (name === ownName) problems.push(`${at}: ${where}: refers to itself`);
        else if (!variables.has(name) && !BUILTIN_VARIABLES.has(name) && !(isClickHouse && CLICKHOUSE_MACROS.has(name))) {
          problems.push(`${at}: ${where}: variable $${name} is not defined`);
        }
      }
    };
    const order = [...variables.keys()];
    for (const [name, v] of variables) {
      if (v.type !== "query") continue;
      checkRef(v.datasource, `variable ${name}`);
      const q = typeof v.query === "string" ? v.query : v.query?.query ?? v.query?.rawSql ?? "";
      if (!q) problems.push(`${at}: variable ${name}: empty query`);
      checkVars(q, `variable ${name}`, v.datasource?.uid === DATASOURCES.clickhouse.uid, name);
      // A variable may only depend on variables defined before it (Grafana resolves in order).
      for (const ref of referencedVariables(q)) {
        if (variables.has(ref) && order.indexOf(ref) > order.indexOf(name)) problems.push(`${at}: variable ${name} uses $${ref}, which is defined after it`);
      }
    }
    const panelIds = new Set<number>();
    for (const p of allPanels(d.json ?? {})) {
      const where = `panel ${JSON.stringify(p.title)}`;
      if (typeof p.id !== "number") problems.push(`${at}: ${where}: needs a numeric id`);
      else if (panelIds.has(p.id)) problems.push(`${at}: ${where}: panel id ${p.id} is used twice`);
      else panelIds.add(p.id);
      if (p.type === "row") continue;
      if (p.datasource !== undefined) checkRef(p.datasource, where);
      for (const t of p.targets ?? []) {
        const ref = t.datasource ?? p.datasource;
        checkRef(ref, `${where} query ${t.refId}`);
        const q = t.expr ?? t.rawSql;
        if (typeof q !== "string" || !q.trim()) problems.push(`${at}: ${where} query ${t.refId}: empty query`);
        else checkVars(q, `${where} query ${t.refId}`, ref?.uid === DATASOURCES.clickhouse.uid);
      }
    }
  }
  return problems;
}

export interface DashboardsArgs {
  /** Directory with one sub-directory per folder (default config/dashboards). */
  readonly dir?: string;
  /** The helios-visualization namespace resource to create after. */
  readonly namespace?: pulumi.Resource;
}

/** One ConfigMap per dashboard in helios-visualization. */
export class Dashboards extends pulumi.ComponentResource {
  public readonly configMaps: k8s.core.v1.ConfigMap[];

  constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:visualization:Dashboards", name, {}, opts);
    const dashboards = loadDashboards(args.dir);
    this.configMaps = dashboards.map(
      (d) =>
        new k8s.core.v1.ConfigMap(
          `dashboard-${d.uid}`,
          {
            metadata: {
              name: `dashboard-${d.uid}`,
              namespace: NAMESPACES.visualization.name,
              labels: { ...commonLabels("grafana-dashboards"), ...DASHBOARD_LABEL },
              annotations: { [FOLDER_ANNOTATION]: d.folder, "helios.io/source": `config/dashboards/${d.folderKey}/${path.basename(d.file)}` },
            },
            data: { [`${d.uid}.json`]: d.text },
          },
          { parent: this, dependsOn: args.namespace ? [args.namespace] : [] },
        ),
    );
    this.registerOutputs({ dashboards: dashboards.map((d) => d.uid) });
  }
}
