/**
 * `npm run check-secrets -- [--context CTX] [--kubeconfig FILE]`: the connectivity check for
 * helios:secretStore with an External Secrets store. Lists the ExternalSecrets Helios rendered
 * (label helios.io/device-credentials=true) and says, for each, whether its device credentials
 * arrived: exit 0 when all are synced, 1 naming each missing or unsynced one. Needs kubectl.
 */
import { spawnSync } from "child_process";
import { assessExternalSecrets } from "./lib/secret-sync";

function kubectl(args: string[], base: string[]): Record<string, any> {
  const r = spawnSync("kubectl", [...base, ...args, "-o", "json"], { encoding: "utf8" });
  if (r.error) throw new Error(`kubectl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

function main(): void {
  const argv = process.argv.slice(2);
  const base: string[] = [];
  for (const flag of ["--context", "--kubeconfig"]) {
    const i = argv.indexOf(flag);
    if (i >= 0) {
      if (!argv[i + 1]) throw new Error(`${flag} needs a value`);
      base.push(flag, argv[i + 1]);
    }
  }
  const es = kubectl(["get", "externalsecrets.external-secrets.io", "-A", "-l", "helios.io/device-credentials=true"], base).items as Record<string, any>[];
  if (es.length === 0) {
    console.log("no Helios ExternalSecrets: helios:secretStore is pulumi (credentials are Pulumi secrets), or the stack is not deployed");
    return;
  }
  const namespaces = [...new Set(es.map((e) => e.metadata.namespace as string))];
  const secrets = new Set<string>();
  for (const ns of namespaces) {
    for (const s of kubectl(["get", "secrets", "-n", ns], base).items as Record<string, any>[]) secrets.add(`${ns}/${s.metadata.name}`);
  }
  const report = assessExternalSecrets(es, secrets);
  for (const r of report) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.message}`);
  const bad = report.filter((r) => !r.ok).length;
  if (bad) {
    console.error(`${bad} of ${report.length} device credential Secrets are missing or unsynced`);
    process.exit(1);
  }
}

try {
  main();
} catch (e) {
  console.error(`check-secrets failed: ${(e as Error).message}`);
  process.exit(2);
}
