/**
 * Alert rules: every config/alerts/*.rules.yaml becomes one PrometheusRule (the storage
 * layer's Prometheus selects them by label). Each file is checked here before anything is
 * deployed: groups and rules well-formed, every alert with a severity Alertmanager routes
 * and a summary, description and runbook_url.
 */
import * as fs from "fs";
import { ConfigError } from "../errors";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { commonLabels } from "../labels";
import { NAMESPACES } from "../namespaces";

export const ALERTS_DIR = path.resolve(__dirname, "..", "..", "config", "alerts");
export const SEVERITIES = ["critical", "warning", "info"] as const;
export const REQUIRED_ANNOTATIONS = ["summary", "description", "runbook_url"] as const;
/**
 * Labels on every PrometheusRule. The storage layer's Prometheus must select them
 * (ruleSelector matching `helios.io/rules: "true"`, ruleNamespaceSelector including
 * helios-visualization).
 */
export const PROMETHEUS_RULE_LABELS = { "helios.io/rules": "true" } as const;

export interface RuleFile {
  /** File name without `.rules.yaml`, e.g. "devices". */
  name: string;
  file: string;
  groups: { name: string; rules: Record<string, unknown>[] }[];
}

/** Parses and checks one rule file; throws an Error naming the file, group and rule. */
export function parseRuleFile(file: string, text: string): RuleFile {
  const where = path.relative(process.cwd(), file) || file;
  let doc: any;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`${where}: not valid YAML: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (!doc || !Array.isArray(doc.groups) || doc.groups.length === 0) {
    throw new ConfigError(`${where}: must have a non-empty top-level "groups" list`);
  }
  const groupNames = new Set<string>();
  for (const [gi, g] of doc.groups.entries()) {
    const gname = typeof g?.name === "string" && g.name ? g.name : undefined;
    if (!gname) problems.push(`groups[${gi}]: needs a name`);
    else if (groupNames.has(gname)) problems.push(`group ${gname}: defined twice`);
    else groupNames.add(gname);
    if (!Array.isArray(g?.rules) || g.rules.length === 0) {
      problems.push(`group ${gname ?? gi}: needs a non-empty rules list`);
      continue;
    }
    for (const [ri, r] of g.rules.entries()) {
      const id = r?.alert ?? r?.record ?? `rules[${ri}]`;
      const at = `group ${gname ?? gi}, rule ${id}`;
      if (typeof r?.expr !== "string" || !r.expr.trim()) problems.push(`${at}: needs an expr`);
      if (r?.alert === undefined && r?.record === undefined) problems.push(`${at}: needs "alert" or "record"`);
      if (r?.alert !== undefined) {
        const severity = r.labels?.severity;
        if (!SEVERITIES.includes(severity)) problems.push(`${at}: labels.severity is ${JSON.stringify(severity)}; must be one of ${SEVERITIES.join(", ")}`);
        for (const a of REQUIRED_ANNOTATIONS) {
          if (typeof r.annotations?.[a] !== "string" || !r.annotations[a].trim()) problems.push(`${at}: needs annotations.${a}`);
        }
        if (typeof r.annotations?.runbook_url === "string" && !/^https:\/\//.test(r.annotations.runbook_url)) {
          problems.push(`${at}: annotations.runbook_url must be an https URL`);
        }
      }
    }
  }
  if (problems.length) throw new ConfigError(`${where}: invalid alert rules:\n  - ${problems.join("\n  - ")}`);
  return { name: path.basename(file).replace(/\.rules\.ya?ml$/, ""), file, groups: doc.groups };
}

/** Every rule file in `dir`, sorted by name. */
export function loadRuleFiles(dir = ALERTS_DIR): RuleFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.rules\.ya?ml$/.test(f))
    .sort();
  if (!files.length) throw new ConfigError(`${dir}: no *.rules.yaml files`);
  return files.map((f) => parseRuleFile(path.join(dir, f), fs.readFileSync(path.join(dir, f), "utf8")));
}

export interface AlertRulesArgs {
  /** Resources that must exist before the CRs (the kube-prometheus-stack release with the CRDs). */
  readonly crdsReady?: pulumi.Resource[];
  /** Directory of *.rules.yaml (default config/alerts). */
  readonly dir?: string;
}

/** One PrometheusRule per rule file, in helios-visualization. */
export class AlertRules extends pulumi.ComponentResource {
  public readonly rules: k8s.apiextensions.CustomResource[];

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:visualization:AlertRules", name, {}, opts);
    const files = loadRuleFiles(args.dir);
    this.rules = files.map(
      (f) =>
        new k8s.apiextensions.CustomResource(
          `helios-${f.name}-rules`,
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: {
              name: `helios-${f.name}`,
              namespace: NAMESPACES.visualization.name,
              labels: { ...commonLabels("alert-rules"), ...PROMETHEUS_RULE_LABELS },
              annotations: { "helios.io/source": `config/alerts/${path.basename(f.file)}` },
            },
            spec: { groups: f.groups },
          },
          { parent: this, dependsOn: args.crdsReady ?? [] },
        ),
    );
    this.registerOutputs({ files: files.map((f) => f.name) });
  }
}
