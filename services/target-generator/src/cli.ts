#!/usr/bin/env node
/**
 * helios-target-generator: NetBox -> gnmic / SNMP / blackbox / Prometheus targets.
 *
 *   one shot (exit 0 ok, 1 sync failed, 2 bad arguments):
 *     helios-target-generator --netbox-url URL [--output-dir DIR | --namespace helios-collection]
 *       [--address-family ipv4|ipv6|prefer-ipv4|prefer-ipv6] [--max-drop 0.5] [--max-fallback-flip 0.1] [--force]
 *   long-running (what the Deployment runs; serves /metrics and /healthz):
 *     helios-target-generator --netbox-url URL --interval 5m --metrics-port 8080
 *
 * Token: env NETBOX_TOKEN or --token-file (the mounted Secret). Both NetBox token styles work.
 */
import "./version"; // first: `--version` answers before arguments are parsed
import * as fs from "fs";
import * as http from "http";
import pino from "pino";
import { parseArgs } from "util";
import { z } from "zod";
import { DEFAULT_GENERATE, GenerateOptions } from "./generate";
import { SyncMetrics } from "./metrics";
import { NetBoxClient } from "./netbox";
import { DEFAULT_NORMALIZE } from "./normalize";
import { DEFAULT_GUARD } from "./guard";
import { ADDRESS_FAMILIES, AddressFamily } from "./types";
import { NAMESPACE } from "./plan";
import { syncOnce } from "./sync";
import { DirectoryWriter, TargetWriter } from "./writers";

export class UsageError extends Error {}

const DURATION = /^([0-9]+)(ms|s|m|h)$/;
export function parseDuration(s: string, what: string): number {
  const m = DURATION.exec(s.trim());
  if (!m) throw new UsageError(`${what}: ${JSON.stringify(s)} is not a duration such as 30s, 5m or 1h`);
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  if (n <= 0) throw new UsageError(`${what} must be positive`);
  return n;
}

export interface CliConfig {
  netboxUrl: string;
  token: string;
  filters: Record<string, string[]>;
  outputDir?: string;
  namespace: string;
  intervalMs?: number;
  metricsPort: number;
  metricsHost: string;
  metricsFile?: string;
  force: boolean;
  maxDropRatio: number;
  maxFallbackRatio: number;
  addressFamily: AddressFamily;
  timeoutMs: number;
  retries: number;
  pageSize: number;
  snmpAuth: string;
  snmpModule: string;
  generate: GenerateOptions;
  logLevel: string;
}

const profilesSchema = z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.array(z.string().regex(/^[A-Za-z0-9_.-]+$/)).min(1));
const modulesSchema = z.object({ icmp: z.string().min(1), tcp: z.string().min(1), http: z.string().min(1), dns: z.string().min(1) }).strict();

/** argv + env -> config; throws UsageError with a message for the operator. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        "netbox-url": { type: "string" },
        "token-file": { type: "string" },
        filter: { type: "string", multiple: true },
        "output-dir": { type: "string" },
        namespace: { type: "string" },
        interval: { type: "string" },
        "metrics-port": { type: "string" },
        "metrics-host": { type: "string" },
        "metrics-file": { type: "string" },
        force: { type: "boolean" },
        "max-drop": { type: "string" },
        "max-fallback-flip": { type: "string" },
        "address-family": { type: "string" },
        timeout: { type: "string" },
        retries: { type: "string" },
        "page-size": { type: "string" },
        "snmp-auth": { type: "string" },
        "snmp-module": { type: "string" },
        "profiles-file": { type: "string" },
        "blackbox-modules": { type: "string" },
        "log-level": { type: "string" },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const url = v["netbox-url"] ?? env.NETBOX_URL;
  if (!url) throw new UsageError("--netbox-url (or env NETBOX_URL) is required");
  let token = env.NETBOX_TOKEN;
  if (v["token-file"]) {
    try {
      token = fs.readFileSync(v["token-file"], "utf8").trim();
    } catch (e) {
      throw new UsageError(`--token-file: ${(e as Error).message}`);
    }
  }
  if (!token) throw new UsageError("a NetBox token is required: env NETBOX_TOKEN or --token-file");
  const filters: Record<string, string[]> = {};
  for (const f of v.filter ?? []) {
    const m = /^([a-z_][a-z0-9_]*(?:__[a-z]+)?)=(.+)$/.exec(f);
    if (!m) throw new UsageError(`--filter ${JSON.stringify(f)}: expected name=value with a NetBox filter name, e.g. site=dc-a`);
    (filters[m[1]] ??= []).push(m[2]);
  }
  const int = (s: string | undefined, what: string, def: number, min: number, max: number) => {
    if (s === undefined) return def;
    if (!/^[0-9]+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`${what}: ${JSON.stringify(s)} must be an integer ${min}..${max}`);
    return Number(s);
  };
  const maxDrop = v["max-drop"] === undefined ? 0.5 : Number(v["max-drop"]);
  if (!Number.isFinite(maxDrop) || maxDrop <= 0 || maxDrop > 1) throw new UsageError(`--max-drop: ${JSON.stringify(v["max-drop"])} must be a fraction in (0, 1]`);
  const fraction = (s: string | undefined, what: string, def: number) => {
    if (s === undefined) return def;
    const x = Number(s);
    if (!Number.isFinite(x) || x <= 0 || x > 1) throw new UsageError(`${what}: ${JSON.stringify(s)} must be a fraction in (0, 1]`);
    return x;
  };
  const maxFallbackRatio = fraction(v["max-fallback-flip"], "--max-fallback-flip", DEFAULT_GUARD.maxFallbackRatio);
  const addressFamily = v["address-family"] ?? env.HELIOS_ADDRESS_FAMILY ?? DEFAULT_NORMALIZE.addressFamily;
  if (!(ADDRESS_FAMILIES as readonly string[]).includes(addressFamily)) throw new UsageError(`--address-family: ${JSON.stringify(addressFamily)} must be one of ${ADDRESS_FAMILIES.join(", ")}`);
  const generate: GenerateOptions = { profiles: DEFAULT_GENERATE.profiles, blackboxModules: DEFAULT_GENERATE.blackboxModules };
  const jsonFile = <T>(file: string, schema: z.ZodType<T>, what: string): T => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new UsageError(`${what} ${file}: ${(e as Error).message}`);
    }
    const r = schema.safeParse(raw);
    if (!r.success) throw new UsageError(`${what} ${file}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return r.data;
  };
  if (v["profiles-file"]) generate.profiles = jsonFile(v["profiles-file"], profilesSchema, "--profiles-file");
  if (v["blackbox-modules"]) generate.blackboxModules = jsonFile(v["blackbox-modules"], modulesSchema, "--blackbox-modules");
  const label = (s: string | undefined, what: string, def: string) => {
    if (s === undefined) return def;
    if (!/^[A-Za-z0-9_.-]+$/.test(s)) throw new UsageError(`${what}: ${JSON.stringify(s)} is not a valid module/auth name`);
    return s;
  };
  return {
    netboxUrl: url,
    token,
    filters,
    outputDir: v["output-dir"],
    namespace: v.namespace ?? NAMESPACE,
    intervalMs: v.interval !== undefined ? parseDuration(v.interval, "--interval") : undefined,
    metricsPort: int(v["metrics-port"], "--metrics-port", 8080, 0, 65535),
    metricsHost: v["metrics-host"] ?? "0.0.0.0",
    metricsFile: v["metrics-file"],
    force: v.force ?? false,
    maxDropRatio: maxDrop,
    maxFallbackRatio,
    addressFamily: addressFamily as AddressFamily,
    timeoutMs: v.timeout !== undefined ? parseDuration(v.timeout, "--timeout") : 15_000,
    retries: int(v.retries, "--retries", 3, 0, 10),
    pageSize: int(v["page-size"], "--page-size", 500, 1, 1000),
    snmpAuth: label(v["snmp-auth"], "--snmp-auth", DEFAULT_NORMALIZE.defaultSnmpAuth),
    snmpModule: label(v["snmp-module"], "--snmp-module", DEFAULT_NORMALIZE.defaultSnmpModule),
    generate,
    logLevel: v["log-level"] ?? env.LOG_LEVEL ?? "info",
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let cfg: CliConfig;
  let client: NetBoxClient;
  try {
    cfg = parseCli(argv, env);
    client = new NetBoxClient({ url: cfg.netboxUrl, token: cfg.token, timeoutMs: cfg.timeoutMs, retries: cfg.retries, pageSize: cfg.pageSize, filters: cfg.filters });
  } catch (e) {
    process.stderr.write(`helios-target-generator: ${(e as Error).message}\n`);
    return 2;
  }
  const log = pino({ level: cfg.logLevel, base: { service: "target-generator" } }, pino.destination(2));
  let writer: TargetWriter;
  if (cfg.outputDir) writer = new DirectoryWriter(cfg.outputDir);
  else {
    // Loaded here only: @kubernetes/client-node 1.x is ESM (Node >= 20.19 requires it from CJS).
    const { kubernetesWriter } = await import("./k8s-writer");
    writer = kubernetesWriter(cfg.namespace);
  }
  const metrics = new SyncMetrics();
  const run = () =>
    syncOnce({
      client,
      writer,
      metrics,
      log,
      force: cfg.force,
      maxDropRatio: cfg.maxDropRatio,
      maxFallbackRatio: cfg.maxFallbackRatio,
      generate: cfg.generate,
      normalize: { defaultSnmpAuth: cfg.snmpAuth, defaultSnmpModule: cfg.snmpModule, addressFamily: cfg.addressFamily },
    });

  if (cfg.intervalMs === undefined) {
    const r = await run();
    if (cfg.metricsFile) fs.writeFileSync(cfg.metricsFile, await metrics.registry.metrics());
    return r.ok ? 0 : 1;
  }

  // Long-running: sync every interval, serve /metrics (Prometheus scrapes it) and /healthz.
  const server = http.createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === "/healthz") {
      res.end("ok\n");
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(cfg.metricsPort, cfg.metricsHost, resolve));
  log.info({ port: (server.address() as { port: number }).port, intervalMs: cfg.intervalMs }, "serving /metrics; syncing every interval");
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    if (timer) clearTimeout(timer);
    wake?.();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  while (!stopping) {
    await run();
    if (stopping) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, cfg.intervalMs);
    });
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`helios-target-generator: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
