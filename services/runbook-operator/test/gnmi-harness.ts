/** Starts the test gNMI target (gnmi-target/target.ts) as its own process on loopback. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort, waitForPort } from "../../../tests/helpers/net";
import { REPO_ROOT } from "../../../tests/helpers/tools";

export interface GnmiTarget {
  port: number;
  setLog: string;
  sets(): any[];
  stop(): Promise<void>;
}

export async function startGnmiTarget(opts: { username?: string; password?: string; interfaces?: string[] } = {}): Promise<GnmiTarget> {
  const port = await freePort();
  const setLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "helios-gnmi-")), "sets.jsonl");
  const args = [path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), path.join(__dirname, "gnmi-target", "target.ts"), "--port", String(port), "--set-log", setLog, "--interfaces", (opts.interfaces ?? ["Ethernet1", "Ethernet2"]).join(",")];
  if (opts.username) args.push("--username", opts.username, "--password", opts.password ?? "");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  await waitForPort(port, 60_000, () => child.exitCode === null).catch((e) => {
    throw new Error(`gNMI target did not start: ${e}\n${out}`);
  });
  return {
    port,
    setLog,
    sets: () => (fs.existsSync(setLog) ? fs.readFileSync(setLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []),
    stop: () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once("exit", () => r()), child.kill("SIGTERM")))),
  };
}
