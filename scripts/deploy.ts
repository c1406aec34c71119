/**
 * Automation API driver for CI: `npm run deploy -- <preview|up> [stack ...]`.
 * Needs the Pulumi CLI and a logged-in backend (`pulumi login`), unlike `npm run plan`.
 *
 * - preview: runs `pulumi preview --diff` for each stack and writes the diff as Markdown to
 *   out/preview/<stack>.md, ready to post on a pull request.
 * - up: deploys the stacks in federation order (secondaries first, then primaries; a stack
 *   deployed before a peer is updated once more at the end so it federates that peer).
 *
 * Without stack names it takes every Pulumi.<stack>.yaml in the repo.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parseHeliosConfig } from "../components/config";
import { planDeployOrder, StackRole } from "./lib/deploy-order";
import { readStackConfigFile } from "./lib/stack-config";

const root = path.resolve(__dirname, "..");

function stackRole(stack: string): StackRole {
  const flat = readStackConfigFile(path.join(root, `Pulumi.${stack}.yaml`));
  const config = parseHeliosConfig({ values: flat.values, secretKeys: new Set(flat.secretKeys), stack, planMode: true });
  return { stack, role: config.role, peers: config.peers };
}

async function main(): Promise<void> {
  const [command, ...requested] = process.argv.slice(2);
  if (command !== "preview" && command !== "up") {
    console.error("usage: npm run deploy -- <preview|up> [stack ...]");
    process.exit(2);
  }
  const stacks = requested.length
    ? requested
    : fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
  const plan = planDeployOrder(stacks.map(stackRole));

  if (command === "preview") {
    fs.mkdirSync(path.join(root, "out", "preview"), { recursive: true });
    for (const name of plan.order) {
      const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: root });
      const result = await stack.preview({ diff: true, onOutput: (o) => process.stdout.write(o) });
      const counts = Object.entries(result.changeSummary).map(([op, n]) => `${op}: ${n}`).join(", ");
      const md = `### Helios preview: \`${name}\`\n\n${counts}\n\n<details><summary>diff</summary>\n\n\`\`\`diff\n${result.stdout}\n\`\`\`\n</details>\n`;
      fs.writeFileSync(path.join(root, "out", "preview", `${name}.md`), md);
    }
    return;
  }

  for (const name of [...plan.order, ...plan.secondPass]) {
    console.log(`\n=== pulumi up -s ${name}`);
    const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: root });
    await stack.up({ onOutput: (o) => process.stdout.write(o) });
  }
}

main().catch((e: Error) => {
  console.error(`deploy failed: ${e.message}`);
  process.exit(1);
});
