/**
 * Static targets (config/targets/static/) as ConfigMaps in the target generator's format, for
 * stacks with `helios:collectionTargets: static` (labs, or before the generator runs).
 * Validated on the way in: file_sd groups with the seven taxonomy labels, gnmic targets with an
 * address, known subscriptions and the taxonomy event-tags.
 */
import * as fs from "fs";
import { ConfigError } from "../errors";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { commonLabels, TAXONOMY_LABELS } from "../labels";
import { NAMESPACES } from "../namespaces";
import { CONFIG_DIR, isObject, readYamlObject } from "./content";
import { GNMIC_SUBSCRIPTIONS } from "./gnmic";
import { GENERATED_TARGETS, STATIC_TARGETS, TargetKind } from "./scrape";

export const STATIC_TARGETS_DIR = path.join(CONFIG_DIR, "targets", "static");

/** Checks one file_sd JSON text; returns it unchanged. */
export function validateFileSd(file: string, text: string, required: string[] = []): string {
  let groups: unknown;
  try {
    groups = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(groups)) throw new ConfigError(`${file}: file_sd must be a JSON list of {targets, labels} groups`);
  groups.forEach((g, i) => {
    const where = `${file}: group ${i}`;
    if (!isObject(g) || !Array.isArray(g.targets) || !g.targets.length || g.targets.some((t) => typeof t !== "string" || !t)) {
      throw new ConfigError(`${where}: needs a non-empty "targets" list of strings`);
    }
    const labels = g.labels;
    if (!isObject(labels) || Object.values(labels).some((v) => typeof v !== "string")) throw new ConfigError(`${where}: "labels" must map names to strings`);
    for (const l of [...TAXONOMY_LABELS, ...required]) {
      if (!labels[l]) throw new ConfigError(`${where}: label "${l}" is missing or empty`);
    }
  });
  return text;
}

/** Checks a gnmic file-loader targets file; returns it unchanged. */
export function validateGnmicTargets(file: string, subscriptions: readonly string[] = GNMIC_SUBSCRIPTIONS): string {
  const doc = readYamlObject(file);
  for (const [name, t] of Object.entries(doc)) {
    const where = `${file}: target "${name}"`;
    if (!isObject(t) || typeof t.address !== "string" || !/^[^\s:]+:[0-9]+$|^\[[0-9a-fA-F:]+\]:[0-9]+$/.test(t.address)) {
      throw new ConfigError(`${where}: needs an address host:port`);
    }
    if (t.username !== undefined || t.password !== undefined) {
      throw new ConfigError(`${where}: credentials do not belong in a targets file (gnmic takes them from its Secret)`);
    }
    for (const s of (t.subscriptions ?? []) as string[]) {
      if (!subscriptions.includes(s)) throw new ConfigError(`${where}: unknown subscription "${s}" (known: ${subscriptions.join(", ")})`);
    }
    const tags = t["event-tags"];
    for (const l of TAXONOMY_LABELS) {
      if (!isObject(tags) || typeof tags[l] !== "string" || !tags[l]) throw new ConfigError(`${where}: event-tags.${l} is missing`);
    }
  }
  return fs.readFileSync(file, "utf8");
}

/** ConfigMap data per kind, read and validated from the static directory. */
export function loadStaticTargets(dir = STATIC_TARGETS_DIR): Record<TargetKind, Record<string, string>> {
  const read = (key: string, required: string[] = []) => {
    const file = path.join(dir, key);
    if (!fs.existsSync(file)) throw new ConfigError(`${file}: missing`);
    return key.endsWith(".json") ? validateFileSd(file, fs.readFileSync(file, "utf8"), required) : validateGnmicTargets(file);
  };
  const out = {} as Record<TargetKind, Record<string, string>>;
  for (const kind of Object.keys(GENERATED_TARGETS) as TargetKind[]) {
    const keys = GENERATED_TARGETS[kind].keys as readonly string[];
    const present = keys.filter((k) => fs.existsSync(path.join(dir, k)));
    if (kind !== "prometheus" && present.length !== keys.length) {
      throw new ConfigError(`${dir}: ${kind} needs ${keys.join(", ")}`);
    }
    out[kind] = Object.fromEntries(present.map((k) => [k, read(k, kind === "snmp" ? ["__param_module", "__param_auth"] : kind === "blackbox" ? ["module", "__param_module"] : [])]));
  }
  return out;
}

export interface StaticTargetsArgs {
  /** Resources to create after (the namespace, and operator releases where named). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class StaticTargets extends pulumi.ComponentResource {
  public readonly configMaps: Record<TargetKind, string> = STATIC_TARGETS;

  constructor(name: string, args: StaticTargetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("helios:collection:StaticTargets", name, {}, opts);
    const data = loadStaticTargets();
    for (const kind of Object.keys(STATIC_TARGETS) as TargetKind[]) {
      new k8s.core.v1.ConfigMap(
        `${name}-${kind}`,
        { metadata: { name: STATIC_TARGETS[kind], namespace: NAMESPACES.collection.name, labels: commonLabels("static-targets") }, data: data[kind] },
        { parent: this, dependsOn: args.dependsOn },
      );
    }
    this.registerOutputs({ configMaps: STATIC_TARGETS });
  }
}
