/**
 * A real `pulumi up` of the stacks: the Pulumi CLI, Node.js language host and Kubernetes provider
 * built by scripts/test-infra/engines/pulumi.sh, a local file backend, and the Automation API driver
 * (`npm run deploy`, scripts/deploy.ts) run in a copy of the project, so that stack init, encrypted
 * secrets and test-only config never touch the checkout's Pulumi.<stack>.yaml files.
 */
import * as fs from "fs";
import * as path from "path";
import { KubeCluster, kubeconfigText } from "./kube";
import { REPO_ROOT, run, tempDir, TOOLS_DIR, tool } from "./tools";

export interface DeployProject {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `npm run deploy -- <args>` (tsx scripts/deploy.ts) in the copy. */
  deploy(args: string[], timeoutMs?: number): { status: number; stdout: string; stderr: string; seconds: number };
  /** Runs the Pulumi CLI in the copy. */
  pulumi(args: string[], timeoutMs?: number): { status: number; stdout: string; stderr: string };
  /** What out/deploy/runs.jsonl recorded so far. */
  runs(): { command: string; stack: string; pass?: number; seconds: number; changes: Record<string, number> }[];
}

/** Files of the program a deployment needs (the rest of the repo stays out of the copy). */
const PROJECT_ENTRIES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "components", "config", "migrations", "policy", "proto", "scripts", "services"];

export function prepareDeployProject(clusters: KubeCluster[], stackConfig: Record<string, Record<string, unknown>>): DeployProject {
  const dir = tempDir("deploy");
  for (const entry of PROJECT_ENTRIES) {
    fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true, filter: (src) => !/\/node_modules(\/|$)|\/dist(\/|$)/.test(src) });
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  for (const f of fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
    const stack = f.slice("Pulumi.".length, -".yaml".length);
    let text = fs.readFileSync(path.join(REPO_ROOT, f), "utf8");
    // Test-only settings, appended as YAML to the stack's own config block.
    for (const [k, v] of Object.entries(stackConfig[stack] ?? {})) text += `  ${k}: ${JSON.stringify(v)}\n`;
    fs.writeFileSync(path.join(dir, f), text);
  }
  const state = path.join(dir, ".state");
  fs.mkdirSync(state);
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, kubeconfigText(clusters));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(TOOLS_DIR, "bin")}:${path.dirname(process.execPath)}:${process.env.PATH}`,
    PULUMI_HOME: path.join(TOOLS_DIR, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "helios-deploy-test",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The provider binaries are on PATH (tools bin) too; use the installed plugins only.
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    KUBECONFIG: kubeconfig,
    HELIOS_OFFLINE_PLAN: "",
  };
  tool("pulumi");
  return {
    dir,
    env,
    deploy(args, timeoutMs = 900_000) {
      const started = Date.now();
      const r = run(process.execPath, [path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/deploy.ts", ...args], { cwd: dir, env, timeoutMs });
      return { ...r, seconds: (Date.now() - started) / 1000 };
    },
    pulumi(args, timeoutMs = 300_000) {
      return run(tool("pulumi"), [...args, "--non-interactive"], { cwd: dir, env, timeoutMs });
    },
    runs() {
      const file = path.join(dir, "out", "deploy", "runs.jsonl");
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}
