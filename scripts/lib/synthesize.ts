/**
 * The offline plan engine: runs the real Helios program under Pulumi's in-process mocks
 * (no cluster, cloud or Pulumi CLI) and returns what the stack would create. Both
 * `npm run plan` and the program tests use it.
 *
 * Pulumi's runtime keeps global state, so one process synthesizes stacks one after the
 * other (never concurrently); `synthesize` serialises calls itself.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { loadHeliosConfig } from "../../components/config";
import { drainWarnings } from "../../components/diagnostics";
import { heliosProgram } from "../../components/program";
import { validateContent } from "../../components/content";
import { FlatConfig, flattenConfig, readStackConfigFile } from "./stack-config";

export const PROJECT = "helios";
export const ORGANIZATION = "organization";

export interface PlannedResource {
  type: string;
  name: string;
  /** Kubernetes namespace, where the resource has one. */
  namespace?: string;
  /** metadata.name in the cluster, for Kubernetes resources. */
  kubernetesName?: string;
  /** True for custom resources, false for ComponentResources. */
  custom: boolean;
  /** `type::name` of the parent resource. */
  parent?: string;
  /** `type::name` of every explicit dependsOn. */
  dependsOn: string[];
  /** `type::name` of the provider, where one was passed explicitly or inherited. */
  provider?: string;
  inputs: Record<string, any>;
}

export interface HelmReleasePlan {
  name: string;
  chart: string;
  version: string;
  repository: string;
  namespace: string;
  values: Record<string, any>;
}

export interface SynthOptions {
  stack: string;
  /** Config map as in a stack file (`helios:tier: medium`); defaults to Pulumi.<stack>.yaml. */
  config?: Record<string, unknown>;
  /** Project root holding Pulumi.<stack>.yaml. */
  projectRoot?: string;
  /** Root of plan outputs (out/); peers' outputs.json are read from here. */
  outRoot?: string;
  /** Write summary, manifests, helm values and outputs under outRoot/<stack>/. */
  write?: boolean;
}

export interface SynthResult {
  stack: string;
  resources: PlannedResource[];
  helmReleases: HelmReleasePlan[];
  images: string[];
  outputs: Record<string, unknown>;
  warnings: string[];
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
let queue: Promise<unknown> = Promise.resolve();

export function synthesize(options: SynthOptions): Promise<SynthResult> {
  const run = queue.then(() => synthesizeNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function synthesizeNow(options: SynthOptions): Promise<SynthResult> {
  const projectRoot = options.projectRoot ?? REPO_ROOT;
  const outRoot = options.outRoot ?? path.join(projectRoot, "out");
  const flat: FlatConfig = options.config
    ? flattenConfig(options.config, `config of ${options.stack}`)
    : readStackConfigFile(path.join(projectRoot, `Pulumi.${options.stack}.yaml`));

  if (!options.config) checkPeersExist(projectRoot, options.stack, flat);
  const recorded: PlannedResource[] = [];
  const byUrnKey = new Map<pulumi.Resource, string>();
  const pendingDeps = new Map<string, { parent?: string; dependsOn: string[] }>();

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const state: Record<string, any> = { ...args.inputs };
        if (args.type === "pulumi:pulumi:StackReference") {
          state.outputs = readPeerOutputs(outRoot, String(args.inputs.name ?? args.name));
          state.secretOutputNames = [];
        } else if (args.type.startsWith("kubernetes:") && !args.type.startsWith("kubernetes:helm.sh")) {
          state.metadata = { ...(state.metadata ?? {}), name: state.metadata?.name ?? args.name };
        } else if (args.type === "kubernetes:helm.sh/v3:Release") {
          state.status = { name: args.inputs.name ?? args.name, namespace: args.inputs.namespace, status: "deployed", version: args.inputs.version };
        }
        const key = `${args.type}::${args.name}`;
        const deps = pendingDeps.get(key) ?? { dependsOn: [] };
        recorded.push({
          type: args.type,
          name: args.name,
          namespace: args.inputs?.metadata?.namespace ?? (args.type === "kubernetes:helm.sh/v3:Release" ? args.inputs.namespace : undefined),
          kubernetesName: args.type.startsWith("kubernetes:") ? state.metadata?.name ?? args.inputs?.name : undefined,
          custom: args.custom !== false,
          parent: deps.parent,
          dependsOn: deps.dependsOn,
          provider: args.provider ? providerKey(args.provider) : undefined,
          // A StackReference's outputs are what a policy sees of the peer (the compactor rule reads them).
          inputs: args.type === "pulumi:pulumi:StackReference" ? { ...args.inputs, outputs: state.outputs } : args.inputs,
        });
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
      },
    },
    PROJECT,
    options.stack,
    false,
    ORGANIZATION,
  );
  pulumi.runtime.setAllConfig(flat.values, flat.secretKeys);
  drainWarnings();

  const previousPlanFlag = process.env.HELIOS_OFFLINE_PLAN;
  process.env.HELIOS_OFFLINE_PLAN = "1";
  let stackOutputs: Record<string, unknown> | undefined;
  try {
    // Validate first: a config error thrown inside the root stack would surface as an
    // unhandled rejection instead of this clean, catchable error.
    validateContent(loadHeliosConfig());
    stackOutputs = (await pulumi.runtime.runInPulumiStack(async () => {
      // Record each resource's parent and explicit dependsOn before it registers.
      pulumi.runtime.registerStackTransformation((t) => {
        const key = `${t.type}::${t.name}`;
        byUrnKey.set(t.resource, key);
        const deps = Array.isArray(t.opts.dependsOn) ? t.opts.dependsOn : t.opts.dependsOn ? [t.opts.dependsOn] : [];
        pendingDeps.set(key, {
          parent: t.opts.parent ? byUrnKey.get(t.opts.parent) : undefined,
          dependsOn: deps.map((d) => byUrnKey.get(d as pulumi.Resource) ?? "<unresolved>"),
        });
        return undefined;
      });
      return heliosProgram();
    })) as Record<string, unknown> | undefined;
    // Let every outstanding registration finish before the next synthesis resets the mocks.
    await pulumi.runtime.disconnect();
  } finally {
    if (previousPlanFlag === undefined) delete process.env.HELIOS_OFFLINE_PLAN;
    else process.env.HELIOS_OFFLINE_PLAN = previousPlanFlag;
  }

  const resources = recorded.filter((r) => r.type !== "pulumi:pulumi:Stack");
  const helmReleases: HelmReleasePlan[] = resources
    .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
    .map((r) => ({
      name: r.inputs.name ?? r.name,
      chart: r.inputs.chart,
      version: r.inputs.version,
      repository: r.inputs.repositoryOpts?.repo ?? "",
      namespace: r.inputs.namespace,
      values: r.inputs.values ?? {},
    }));
  const images = [...new Set(resources.flatMap((r) => collectImages(r.inputs)))].sort();
  const result: SynthResult = {
    stack: options.stack,
    resources,
    helmReleases,
    images,
    outputs: stackOutputs ?? {},
    warnings: drainWarnings(),
  };
  if (options.write) writePlan(path.join(outRoot, options.stack), result);
  return result;
}

function providerKey(providerRef: string): string {
  // "urn:pulumi:<stack>::<project>::<parent types>$pulumi:providers:kubernetes::<name>::<id>"
  const parts = providerRef.split("::");
  const type = parts[parts.length - 3].split("$").pop();
  return `${type}::${parts[parts.length - 2]}`;
}

/**
 * A peer must be a stack of this project: a typo in helios:peers would otherwise read as a peer
 * "not deployed yet" and be federated silently never.
 */
function checkPeersExist(projectRoot: string, stack: string, flat: FlatConfig): void {
  const raw = flat.values["helios:peers"];
  let peers: unknown;
  try {
    peers = raw ? JSON.parse(raw) : [];
  } catch {
    return; // the config validation reports it
  }
  if (!Array.isArray(peers)) return;
  for (const peer of peers) {
    if (typeof peer === "string" && !fs.existsSync(path.join(projectRoot, `Pulumi.${peer}.yaml`))) {
      throw new Error(`Pulumi.${stack}.yaml: helios:peers: ${peer} is not a stack of this project (no Pulumi.${peer}.yaml): a typo, or a stack not set up yet`);
    }
  }
}

function readPeerOutputs(outRoot: string, reference: string): Record<string, unknown> {
  const peer = reference.split("/").pop() as string;
  const file = path.join(outRoot, peer, "outputs.json");
  if (!fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Finds container images in manifests and Helm values: `image: "repo:tag"` or `{registry?, repository, tag}`. */
export function collectImages(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x));
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.repository === "string" && (typeof o.tag === "string" || typeof o.digest === "string") && /image/i.test(key ?? "image")) {
        const repo = typeof o.registry === "string" && o.registry ? `${o.registry}/${o.repository}` : o.repository;
        found.push(o.digest ? `${repo}@${o.digest}` : `${repo}:${o.tag}`);
      }
      for (const [k, child] of Object.entries(o)) walk(child, k);
      return;
    }
    if (typeof v === "string" && key !== undefined && /^image$/i.test(key) && /[:@]/.test(v)) found.push(v);
  };
  walk(value);
  return found;
}

/** The key by which the Pulumi SDK marks a serialized secret value (`{<sig>: <secret sig>, value}`). */
const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";

/**
 * An input as the Kubernetes API receives it. Pulumi's mocks hand secret inputs over in their wire
 * wrapper, which no API server accepts; a manifest carries the value instead. Only the plan's own
 * markers (PLAN-PLACEHOLDER, GENERATED-AT-DEPLOY) are ever secret values here, and a real secret that
 * reached the plan is written as a marker, never in clear.
 */
export function manifestValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(manifestValue);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (SECRET_SIGNATURE_KEY in o) {
      const inner = o.value;
      return typeof inner === "string" && !/PLAN-PLACEHOLDER\(|GENERATED-AT-DEPLOY\(/.test(inner) ? "REDACTED-SECRET" : manifestValue(inner);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, manifestValue(v)]));
  }
  return value;
}

function writePlan(dir: string, result: SynthResult): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "manifests"), { recursive: true });
  fs.mkdirSync(path.join(dir, "helm"), { recursive: true });
  const summary = {
    stack: result.stack,
    resources: result.resources.map(({ type, name, namespace, kubernetesName, custom, parent, dependsOn, provider }) => ({
      type,
      name,
      namespace,
      kubernetesName,
      custom,
      parent,
      dependsOn,
      provider,
    })),
    helmReleases: result.helmReleases.map(({ name, chart, version, repository, namespace }) => ({ name, chart, version, repository, namespace })),
    images: result.images,
    warnings: result.warnings,
  };
  fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(result.outputs, null, 2) + "\n");
  for (const r of result.resources) {
    if (!r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh") || r.type === "pulumi:providers:kubernetes") continue;
    const kind = r.inputs.kind ?? r.type.split(":").pop();
    const file = [r.namespace ?? "_cluster", kind, r.kubernetesName ?? r.name].join("__").replace(/[^A-Za-z0-9_.-]/g, "_");
    fs.writeFileSync(path.join(dir, "manifests", `${file}.yaml`), YAML.stringify(manifestValue(r.inputs)));
  }
  for (const h of result.helmReleases) {
    fs.writeFileSync(path.join(dir, "helm", `${h.name}.values.yaml`), YAML.stringify(h.values));
  }
}
