/**
 * A real Prometheus server (Debian 2.42, tool("prometheus")) on 127.0.0.1 whose TSDB holds
 * synthetic series loaded with `promtool tsdb create-blocks-from openmetrics`.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort, waitForPort } from "../helpers/net";
import { run, tempDir, tool } from "../helpers/tools";

export interface PrometheusServer {
  url: string;
  /** GET /api/v1/<path>; throws on an API error (the message is Prometheus' own). */
  api(pathAndQuery: string): Promise<any>;
  stop(): Promise<void>;
}

/**
 * externalLabels: the server's global external_labels (a Thanos sidecar refuses a Prometheus
 * without any); none by default.
 */
export async function startPrometheusWithSeries(openMetrics: string, externalLabels: Record<string, string> = {}): Promise<PrometheusServer> {
  const dir = tempDir("prometheus");
  const dataDir = path.join(dir, "data");
  const input = path.join(dir, "series.om.txt");
  fs.writeFileSync(input, openMetrics);
  const created = run(tool("promtool"), ["tsdb", "create-blocks-from", "openmetrics", input, dataDir], { timeoutMs: 300_000 });
  if (created.status !== 0) throw new Error(`promtool create-blocks-from openmetrics failed: ${created.stderr || created.stdout}`);
  const config = path.join(dir, "prometheus.yml");
  // JSON is a YAML flow mapping: label values are quoted as they must be.
  const labels = Object.keys(externalLabels).length ? `  external_labels: ${JSON.stringify(externalLabels)}\n` : "";
  fs.writeFileSync(config, `global:\n  scrape_interval: 30s\n  evaluation_interval: 30s\n${labels}scrape_configs: []\n`);
  const port = await freePort();
  const log = fs.openSync(path.join(dir, "prometheus.log"), "a");
  const proc: ChildProcess = spawn(
    tool("prometheus"),
    [`--config.file=${config}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=30d", "--log.level=warn"],
    { stdio: ["ignore", log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(port, 60_000, () => proc.exitCode === null);
    const deadline = Date.now() + 60_000;
    while ((await fetch(`${url}/-/ready`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error("Prometheus not ready within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${fs.readFileSync(path.join(dir, "prometheus.log"), "utf8").slice(-3000)}`);
  }
  return {
    url,
    stop,
    api: async (pathAndQuery: string) => {
      const res = await fetch(`${url}/api/v1/${pathAndQuery}`);
      const body = (await res.json()) as { status: string; data: any; error?: string };
      if (body.status !== "success") throw new Error(`Prometheus ${pathAndQuery}: ${body.error}`);
      return body.data;
    },
  };
}
