/**
 * `npm run plan -- <stack> [--out DIR]`: the offline synthesis of a stack. Runs the real
 * program under mocks and writes out/<stack>/{summary.json,outputs.json,manifests/,helm/}.
 * Exit 1 with the program's message on invalid config, a mandatory policy violation
 * (policy/rules.ts) or any other failure; advisory policy violations are printed.
 */
import * as path from "path";
import { checkPlanPolicies, formatViolation } from "./lib/policy-check";
import { synthesize, SynthResult } from "./lib/synthesize";

function usage(): never {
  console.error("usage: npm run plan -- <stack> [--out DIR]   e.g. npm run plan -- dc-a");
  process.exit(2);
}

function printSummary(result: SynthResult, dir: string): void {
  const byType = new Map<string, number>();
  const byNamespace = new Map<string, number>();
  for (const r of result.resources.filter((x) => x.custom)) {
    byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    if (r.namespace) byNamespace.set(r.namespace, (byNamespace.get(r.namespace) ?? 0) + 1);
  }
  const table = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${String(n).padStart(4)}  ${k}`).join("\n");
  console.log(`Helios plan for stack ${result.stack} → ${dir}`);
  console.log(`\nResources by type (${result.resources.filter((x) => x.custom).length}):\n${table(byType)}`);
  console.log(`\nResources by namespace:\n${table(byNamespace)}`);
  console.log(`\nHelm releases (${result.helmReleases.length}):`);
  for (const h of result.helmReleases) console.log(`  ${h.namespace}/${h.name}: ${h.chart}@${h.version}  (${h.repository})`);
  console.log(`\nImages (${result.images.length}):`);
  for (const i of result.images) console.log(`  ${i}`);
  if (result.warnings.length) {
    console.log(`\nWarnings (${result.warnings.length}):`);
    for (const w of result.warnings) console.log(`  ! ${w}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stack = args.find((a) => !a.startsWith("--"));
  if (!stack) usage();
  const outIdx = args.indexOf("--out");
  const outRoot = path.resolve(outIdx >= 0 ? args[outIdx + 1] ?? usage() : path.join(__dirname, "..", "out"));
  const result = await synthesize({ stack, outRoot, write: true });
  printSummary(result, path.join(outRoot, stack));
  // The policy pack, as `pulumi preview --policy-pack policy/` runs it: mandatory stops, advisory warns.
  const policy = checkPlanPolicies(result.resources);
  if (policy.advisory.length) {
    console.log(`\nPolicy advisories (${policy.advisory.length}):`);
    for (const v of policy.advisory) console.log(`  ! ${formatViolation(v)}`);
  }
  if (policy.mandatory.length) {
    console.error(`\nPolicy violations (${policy.mandatory.length} mandatory):`);
    for (const v of policy.mandatory) console.error(`  x ${formatViolation(v)}`);
    throw new Error(`${policy.mandatory.length} mandatory policy violation(s) in stack ${stack}`);
  }
  console.log(`\nPolicies: ${policy.mandatory.length} mandatory violations, ${policy.advisory.length} advisories`);
}

main().catch((e: Error) => {
  console.error(`plan failed: ${e.message}`);
  process.exit(1);
});
