// Every workload Helios renders itself uses the builders of components/k8s/workload.ts and takes
// its sizes from components/tiers.ts (issue 18): checked on the planned objects of a repository
// stack and of a large-tier config, and in the source (no second spelling of a builder's shape).
// Workloads installed by Helm charts (Prometheus, Thanos, Grafana, the operators) are the charts'.
import * as fs from "fs";
import * as path from "path";
import { RESTRICTED_CONTAINER } from "../../components/k8s/workload";
import { FIXED_RESOURCES, TIERS, TierName } from "../../components/tiers";
import { PlannedResource, SynthResult } from "../../scripts/lib/synthesize";
import { baseConfig, synth, synthRepoStack } from "../helpers/stacks";
import { tempDir } from "../helpers/tools";

const ROOT = path.resolve(__dirname, "..", "..");
/** JSON with sorted keys: the engine hands inputs over with their keys in another order. */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const POD_TEMPLATE_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job"];

/** Every Resources value in a tier's table and in FIXED_RESOURCES. */
function knownSizes(tier: TierName): unknown[] {
  const out: unknown[] = [...Object.values(FIXED_RESOURCES)];
  const visit = (v: unknown) => {
    if (v && typeof v === "object") {
      if ("requests" in v && "limits" in v) out.push(v);
      else Object.values(v).forEach(visit);
    }
  };
  visit(TIERS[tier]);
  return out;
}

interface PodUnit {
  readonly where: string;
  readonly podSecurity: Record<string, unknown> | undefined;
  readonly containers: { name: string; securityContext?: unknown; resources?: unknown }[];
}

/** Pod specs of Helios' own workloads (and the Alertmanager CR, whose pod spec Helios writes). */
function pods(r: SynthResult): PodUnit[] {
  const out: PodUnit[] = [];
  for (const x of r.resources as PlannedResource[]) {
    const kind = x.type.split(":").pop() ?? "";
    const inputs = x.inputs as any;
    if (POD_TEMPLATE_KINDS.includes(kind) && x.type.startsWith("kubernetes:")) {
      const spec = inputs.spec.template.spec;
      out.push({ where: `${kind} ${x.namespace}/${x.kubernetesName}`, podSecurity: spec.securityContext, containers: [...(spec.initContainers ?? []), ...spec.containers] });
    } else if (inputs?.kind === "Alertmanager") {
      out.push({ where: `Alertmanager ${x.namespace}/${x.kubernetesName}`, podSecurity: inputs.spec.securityContext, containers: inputs.spec.containers.map((c: object) => ({ ...c, resources: inputs.spec.resources })) });
    }
  }
  return out;
}

describe.each([
  ["dc-a (repository stack)", () => synthRepoStack("dc-a", tempDir("plan"), false), "medium"],
  ["a large-tier config", () => synth(baseConfig({ "helios:tier": "large", "helios:maxmindAccountId": "123456" })), "large"],
] as const)("workload builders on %s", (_label, make, tier) => {
  let units: PodUnit[] = [];
  beforeAll(async () => {
    units = pods(await make());
  });

  it("finds the workloads (collection, flows, integration, automation, storage, visualization)", () => {
    const namespaces = new Set(units.map((u) => u.where.split(" ")[1].split("/")[0]));
    expect([...namespaces].sort()).toEqual(expect.arrayContaining(["helios-collection", "helios-flows", "helios-integration", "helios-storage", "helios-visualization"]));
    expect(units.length).toBeGreaterThanOrEqual(8);
  });

  it("every container is restricted on its own, every pod non-root with RuntimeDefault seccomp", () => {
    for (const u of units) {
      expect({ where: u.where, pod: { runAsNonRoot: u.podSecurity?.runAsNonRoot, seccompProfile: u.podSecurity?.seccompProfile } }).toEqual({ where: u.where, pod: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } });
      for (const c of u.containers) expect({ where: `${u.where} ${c.name}`, securityContext: c.securityContext }).toEqual({ where: `${u.where} ${c.name}`, securityContext: RESTRICTED_CONTAINER });
    }
  });

  it("every container's size comes from tiers.ts (the tier's table or FIXED_RESOURCES)", () => {
    const sizes = knownSizes(tier).map(canonical);
    for (const u of units) for (const c of u.containers) expect({ where: `${u.where} ${c.name}`, known: sizes.includes(canonical(c.resources)) }).toEqual({ where: `${u.where} ${c.name}`, known: true });
  });
});

describe("builders are the only spelling of their shapes (source check)", () => {
  const files: { rel: string; code: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) files.push({ rel: path.relative(ROOT, p), code: fs.readFileSync(p, "utf8") });
    }
  };
  walk(path.join(ROOT, "components"));

  it.each([
    ["a container securityContext", /allowPrivilegeEscalation/, "components/k8s/workload.ts"],
    ["a pod seccomp profile", /seccompProfile/, "components/k8s/workload.ts"],
    ["a PodMonitor", /kind: "PodMonitor"/, "components/k8s/workload.ts"],
    ["an HPA", /HorizontalPodAutoscaler\(/, "components/k8s/workload.ts"],
    ["a PDB", /PodDisruptionBudget\(/, "components/k8s/workload.ts"],
    ["a CPU or memory size", /\b(cpu|memory):\s*"[0-9]/, "components/tiers.ts"],
  ])("%s is written only in its builder", (_what, pattern, home) => {
    expect(files.filter((f) => f.rel !== home && pattern.test(f.code)).map((f) => f.rel)).toEqual([]);
    expect(files.find((f) => f.rel === home)?.code).toMatch(pattern);
  });
});
