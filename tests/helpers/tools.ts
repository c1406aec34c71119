/**
 * Where the real engines live (installed by scripts/test-infra/install-tools.sh) and how
 * tests reach them. A missing engine is a test failure with the install command in the
 * message; tests never skip.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const TOOLS_DIR = process.env.HELIOS_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "helios-tools");
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Reads a pinned version (e.g. HELIOS_KAFKA_VERSION) from scripts/test-infra/engines/*.sh. */
export function pinnedVersion(name: string): string {
  const dir = path.join(REPO_ROOT, "scripts", "test-infra", "engines");
  const files = [...fs.readdirSync(dir).map((f) => path.join(dir, f)), path.join(REPO_ROOT, "scripts", "test-infra", "node.sh")];
  for (const file of files) {
    const m = fs.readFileSync(file, "utf8").match(new RegExp(`^${name}="([^"]+)"`, "m"));
    if (m) return m[1];
  }
  throw new Error(`${name} is not pinned in scripts/test-infra/engines/*.sh or node.sh`);
}

/** Absolute path of an engine binary in the tools cache; throws if it is not installed. */
export function tool(name: string): string {
  const file = path.join(TOOLS_DIR, "bin", name);
  if (!fs.existsSync(file)) {
    throw new Error(`engine ${name} is not installed at ${file}; run: bash scripts/test-infra/install-tools.sh`);
  }
  return file;
}

/** Python of the tools venv (chdb-core and other PyPI engines). */
export function venvPython(): string {
  const file = path.join(TOOLS_DIR, "venv", "bin", "python");
  if (!fs.existsSync(file)) {
    throw new Error(`tools venv missing at ${file}; run: bash scripts/test-infra/install-tools.sh`);
  }
  return file;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell). */
export function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory under the OS temp dir. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `helios-${prefix}-`));
}
