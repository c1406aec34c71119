/**
 * Automation API driver for CI: `npm run deploy -- <preview|up|destroy> [stack ...]`.
 * Needs the Pulumi CLI and a logged-in backend (`pulumi login`), unlike `npm run plan`.
 * Every stack named (or every Pulumi.<stack>.yaml) is created if missing before anything runs.
 *
 * - preview: runs `pulumi preview --diff` for each stack and writes the diff as Markdown to
 *   out/preview/<stack>.md, ready to post on a pull request.
 * - up: deploys the stacks in federation order (secondaries first, then primaries; a stack
 *   deployed before a peer is updated once more at the end so it federates that peer).
 *
 * - destroy: destroys the stacks, primaries first.
 *
 * Without stack names it takes every Pulumi.<stack>.yaml in the repo. Each run appends what it did
 * (seconds, change counts) to out/deploy/runs.jsonl.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { parseHeliosConfig } from "../components/config";
import { planDeployOrder, StackRole } from "./lib/deploy-order";
import { readStackConfigFile } from "./lib/stack-config";

const root = path.resolve(__dirname, "..");

function stackRole(stack: string): StackRole {
  const flat = readStackConfigFile(path.join(root, `Pulumi.${stack}.yaml`));
  const config = parseHeliosConfig({ values: flat.values, secretKeys: new Set(flat.secretKeys), stack, planMode: true });
  return { stack, role: config.role, peers: config.peers };
}

/** What one `up`/`preview`/`destroy` of one stack did, written to out/deploy/ for tests and docs/testing.md. */
export interface StackRunRecord {
  command: "up" | "preview" | "destroy";
  stack: string;
  /** Pass 1 or 2 (the federation pass), for `up`. */
  pass?: number;
  seconds: number;
  /** Pulumi's change summary: create/update/delete/same/replace counts. */
  changes: Record<string, number>;
  finishedAt: string;
}

function record(entry: StackRunRecord): void {
  const dir = path.join(root, "out", "deploy");
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, "runs.jsonl"), JSON.stringify(entry) + "\n");
  const counts = Object.entries(entry.changes).map(([op, n]) => `${op} ${n}`).join(", ");
  console.log(`\n=== ${entry.command} ${entry.stack}${entry.pass ? ` (pass ${entry.pass})` : ""}: ${counts || "no changes"} in ${entry.seconds.toFixed(1)} s`);
}

async function main(): Promise<void> {
  const [command, ...requested] = process.argv.slice(2);
  if (command !== "preview" && command !== "up" && command !== "destroy") {
    console.error("usage: npm run deploy -- <preview|up|destroy> [stack ...]");
    process.exit(2);
  }
  const stacks = requested.length
    ? requested
    : fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
  const roles = stacks.map(stackRole);
  const plan = planDeployOrder(roles);
  const known = new Set(fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s));
  const peers = [...new Set(roles.flatMap((r) => r.peers))].filter((p) => !stacks.includes(p));
  for (const p of peers) {
    if (!known.has(p)) throw new Error(`a stack peers with ${p}, but there is no Pulumi.${p}.yaml: a typo, or a stack not set up here`);
  }

  // Every stack exists before any runs: a StackReference to a stack that was never created fails the
  // whole preview, while one to a created but not yet deployed stack reads as "not deployed" and
  // federates it on the next pass.
  const selected = new Map<string, Stack>();
  for (const name of [...plan.order, ...peers]) selected.set(name, await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: root }));
  const onOutput = (o: string) => process.stdout.write(o);

  if (command === "preview") {
    fs.mkdirSync(path.join(root, "out", "preview"), { recursive: true });
    for (const name of plan.order) {
      const started = Date.now();
      const result = await selected.get(name)!.preview({ diff: true, onOutput });
      const changes = result.changeSummary as Record<string, number>;
      record({ command, stack: name, seconds: (Date.now() - started) / 1000, changes, finishedAt: new Date().toISOString() });
      const counts = Object.entries(changes).map(([op, n]) => `${op}: ${n}`).join(", ");
      const md = `### Helios preview: \`${name}\`\n\n${counts}\n\n<details><summary>diff</summary>\n\n\`\`\`diff\n${result.stdout}\n\`\`\`\n</details>\n`;
      fs.writeFileSync(path.join(root, "out", "preview", `${name}.md`), md);
    }
    return;
  }

  if (command === "destroy") {
    // Primaries first: nothing federates a stack that is already gone.
    for (const name of [...plan.order].reverse()) {
      const started = Date.now();
      const result = await selected.get(name)!.destroy({ onOutput });
      const changes = (result.summary.resourceChanges ?? {}) as Record<string, number>;
      record({ command, stack: name, seconds: (Date.now() - started) / 1000, changes, finishedAt: new Date().toISOString() });
    }
    return;
  }

  const passes = [...plan.order.map((name) => ({ name, pass: 1 })), ...plan.secondPass.map((name) => ({ name, pass: 2 }))];
  for (const { name, pass } of passes) {
    console.log(`\n=== pulumi up -s ${name}${pass === 2 ? " (second pass: federate the peers deployed after it)" : ""}`);
    const started = Date.now();
    const result = await selected.get(name)!.up({ onOutput });
    const changes = (result.summary.resourceChanges ?? {}) as Record<string, number>;
    record({ command, stack: name, pass, seconds: (Date.now() - started) / 1000, changes, finishedAt: new Date().toISOString() });
  }
}

main().catch((e: Error) => {
  console.error(`deploy failed: ${e.message}`);
  process.exit(1);
});
