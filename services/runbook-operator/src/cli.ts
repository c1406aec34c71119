#!/usr/bin/env node
/**
 * helios-runbook-operator <command>
 *   operator                 the controller (leader-elected) + approval API + /metrics
 *   run --namespace N --execution E    the Job's runner
 *   approve|reject <execution> [--namespace N] [--comment C] [--server URL]
 *                            the approval CLI: sends your kubeconfig identity's token to the
 *                            operator's approval API (it never decides anything itself)
 * Settings come from the environment (see docs/runbooks.md): POD_NAMESPACE, RUNNER_IMAGE,
 * RUNNER_SERVICE_ACCOUNT, GNMI_CREDENTIALS_SECRET, NETBOX_URL, NETBOX_TOKEN(_SECRET),
 * THANOS_QUERY_URL, ALERTMANAGER_URL, GNMI_TLS, GNMIC_BIN, HTTP_PORT, KUBECONFIG.
 */
import * as os from "os";
import { parseArgs } from "util";
import { Inventory, NetBoxInventory } from "./inventory";
import { StepEnv } from "./steps";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === "") throw new Error(`environment variable ${name} is required`);
  return v;
}

function stepEnv(): StepEnv {
  const tls = process.env.GNMI_TLS ?? "tls";
  if (!["insecure", "skip-verify", "tls"].includes(tls)) throw new Error(`GNMI_TLS must be insecure, skip-verify or tls, not ${tls}`);
  return {
    gnmicBin: process.env.GNMIC_BIN ?? "gnmic",
    gnmiTls: tls as StepEnv["gnmiTls"],
    gnmiCaFile: process.env.GNMI_CA_FILE,
    gnmiUsername: process.env.GNMI_USERNAME,
    gnmiPassword: process.env.GNMI_PASSWORD,
    thanosQueryUrl: process.env.THANOS_QUERY_URL,
    alertmanagerUrl: process.env.ALERTMANAGER_URL,
  };
}

function inventory(): Inventory | undefined {
  const url = process.env.NETBOX_URL;
  return url ? new NetBoxInventory(url, env("NETBOX_TOKEN")) : undefined;
}

async function operator(): Promise<number> {
  // Loaded here: @kubernetes/client-node 1.x is ESM (Node >= 20.19 requires it from CJS).
  const { Kube, loadKubeConfig } = await import("./kube");
  const { Operator } = await import("./operator");
  const { OperatorMetrics } = await import("./metrics");
  const { ApprovalService } = await import("./approval");
  const { startServer } = await import("./server");
  const { LeaderElector } = await import("./lease");
  const namespace = env("POD_NAMESPACE", "helios-automation");
  const kube = new Kube(loadKubeConfig(process.env.KUBECONFIG));
  const metrics = new OperatorMetrics();
  const inv = inventory();
  if (!inv) throw new Error("NETBOX_URL is required: targets are resolved in NetBox");
  const passthrough: Record<string, string> = {};
  for (const k of ["NETBOX_URL", "THANOS_QUERY_URL", "ALERTMANAGER_URL", "GNMI_TLS"]) if (process.env[k]) passthrough[k] = process.env[k]!;
  const op = new Operator({
    namespace,
    kube,
    inventory: inv,
    metrics,
    job: {
      image: env("RUNNER_IMAGE"),
      serviceAccountName: env("RUNNER_SERVICE_ACCOUNT", "helios-runbook-runner"),
      credentialsSecret: process.env.GNMI_CREDENTIALS_SECRET,
      netboxTokenSecret: process.env.NETBOX_TOKEN_SECRET,
      env: passthrough,
    },
    resyncMs: Number(process.env.RESYNC_MS ?? 30_000),
  });
  const elector = new LeaderElector(kube.kc, { namespace, name: "helios-runbook-operator", identity: process.env.POD_NAME ?? `${os.hostname()}-${process.pid}`, leaseDurationSeconds: Number(process.env.LEASE_SECONDS ?? 15) });
  await startServer(Number(process.env.HTTP_PORT ?? 8080), process.env.HTTP_HOST ?? "0.0.0.0", new ApprovalService(kube, metrics), metrics, () => elector.leading);
  await elector.acquire(() => {
    process.stderr.write("lost the leader lease; exiting so a follower takes over\n");
    process.exit(3);
  });
  await op.start();
  const stop = async () => {
    await op.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return new Promise<number>(() => undefined);
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { namespace: { type: "string" }, execution: { type: "string" } } });
  if (!values.namespace || !values.execution) throw new Error("run needs --namespace and --execution");
  const { Kube, loadKubeConfig } = await import("./kube");
  const { Runner } = await import("./runner");
  const runner = new Runner({ kube: new Kube(loadKubeConfig(process.env.KUBECONFIG)), namespace: values.namespace, execution: values.execution, env: stepEnv(), inventory: inventory() });
  const phase = await runner.run();
  process.stdout.write(`${values.execution}: ${phase}\n`);
  return phase === "Completed" || phase === "RolledBack" ? 0 : phase === "Failed" ? 1 : 0;
}

async function decide(decision: "approve" | "reject", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { namespace: { type: "string", default: "helios-automation" }, comment: { type: "string" }, server: { type: "string" } } });
  if (positionals.length !== 1) throw new Error(`${decision} needs exactly one execution name`);
  const server = values.server ?? process.env.RUNBOOK_OPERATOR_URL;
  if (!server) throw new Error("--server or RUNBOOK_OPERATOR_URL: the operator's approval API URL");
  const { loadKubeConfig } = await import("./kube");
  const kc = loadKubeConfig(process.env.KUBECONFIG);
  const token = kc.getCurrentUser()?.token;
  if (!token) throw new Error("the current kubeconfig user has no bearer token; the approval API authenticates by token");
  const res = await fetch(`${server.replace(/\/$/, "")}/v1/namespaces/${values.namespace}/runbookexecutions/${positionals[0]}/${decision}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(values.comment ? { comment: values.comment } : {}),
  });
  const body = (await res.json()) as { ok: boolean; message: string; phase?: string };
  (body.ok ? process.stdout : process.stderr).write(`${body.message}${body.phase ? ` (phase ${body.phase})` : ""}\n`);
  return body.ok ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "operator":
        return await operator();
      case "run":
        return await run(rest);
      case "approve":
      case "reject":
        return await decide(cmd, rest);
      default:
        process.stderr.write("usage: helios-runbook-operator operator | run --namespace N --execution E | approve|reject <execution> [--namespace N] [--comment C] [--server URL]\n");
        return 2;
    }
  } catch (e) {
    process.stderr.write(`helios-runbook-operator: ${(e as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
