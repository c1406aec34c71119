/**
 * Starts scripts/test-infra/clickhouse_http_front.py: real embedded ClickHouse (chdb-core)
 * behind a thin HTTP front on 127.0.0.1, because no ClickHouse server binary can be installed
 * on these machines. Used by the migrator tests and tests/engines/clickhouse*.test.ts.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { freePort } from "../../../tests/helpers/net";
import { REPO_ROOT, tempDir, venvPython } from "../../../tests/helpers/tools";

export interface ClickHouseFront {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startClickHouseFront(opts: { formatSchemaDir?: string } = {}): Promise<ClickHouseFront> {
  const port = await freePort();
  const dataDir = tempDir("chfront");
  const script = path.join(REPO_ROOT, "scripts", "test-infra", "clickhouse_http_front.py");
  const proc: ChildProcess = spawn(
    venvPython(),
    [script, "--port", String(port), "--path", dataDir, "--format-schema-dir", opts.formatSchemaDir ?? path.join(REPO_ROOT, "proto")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr!.on("data", (d) => {
    stderr += d.toString();
    if (process.env.CH_FRONT_DEBUG) process.stderr.write(d);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ClickHouse front did not start within 60 s: ${stderr}`)), 60_000);
    proc.stdout!.on("data", (d) => {
      if (d.toString().includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ClickHouse front exited (${code}): ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
