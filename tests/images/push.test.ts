/**
 * Push to a real OCI registry (CNCF distribution, the registry engine) on loopback, pull back,
 * compare digests; an unreachable or silent registry fails fast and names itself.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { parseArches } from "../../scripts/images/arch";
import { buildImages, ImageResult } from "../../scripts/images/build";
import { parsePushTarget, pullAndVerify, pushLayout } from "../../scripts/images/push";
import { serviceImage } from "../../scripts/images/services";
import { freePort, waitForPort } from "../helpers/net";
import { REPO_ROOT, run, tempDir, tool } from "../helpers/tools";

jest.setTimeout(900_000);

let registry: ChildProcess;
let addr: string;
let built: ImageResult;
let operator: ImageResult;
const dir = tempDir("registry");
const out = tempDir("images-push");

beforeAll(async () => {
  const port = await freePort();
  addr = `127.0.0.1:${port}`;
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${addr}\n`);
  registry = spawn(tool("registry"), ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  await waitForPort(port, 60_000, () => registry.exitCode === null);
  [built, operator] = buildImages({ services: [serviceImage("target-generator"), serviceImage("runbook-operator")], arches: parseArches("amd64,arm64"), outDir: out, log: () => undefined });
});

afterAll(async () => {
  if (registry && registry.exitCode === null) {
    const exited = new Promise((r) => registry.once("exit", r));
    registry.kill("SIGTERM");
    await exited;
  }
  for (const d of [dir, out]) fs.rmSync(d, { recursive: true, force: true });
});

describe("push to a loopback registry", () => {
  it("stores the index under the tag with the digest it was built with, and pulls back byte-identical", async () => {
    const target = { registry: addr, repository: "helios/target-generator", tag: "0.1.0" };
    expect(await pushLayout(built.layout, target)).toBe(built.indexDigest);
    const back = await pullAndVerify(target);
    expect(back.indexDigest).toBe(built.indexDigest);
    expect(back.manifests).toEqual(built.platforms.map((p) => p.manifestDigest));
    expect(back.blobs).toBe(2 * 5); // per arch: config + 4 layers
    // a second push uploads nothing new and changes nothing
    expect(await pushLayout(built.layout, target)).toBe(built.indexDigest);
  });

  it("runbook-operator (gnmic in a fifth layer): pushed and pulled back by the digest it was built with", async () => {
    const target = { registry: addr, repository: "helios/runbook-operator", tag: "0.1.0" };
    expect(await pushLayout(operator.layout, target)).toBe(operator.indexDigest);
    const back = await pullAndVerify(target);
    expect(back.indexDigest).toBe(operator.indexDigest);
    expect(back.manifests).toEqual(operator.platforms.map((p) => p.manifestDigest));
    expect(back.blobs).toBe(2 * 6); // per arch: config + 5 layers
  });

  it("fails fast naming a registry nobody listens on", async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(pushLayout(built.layout, { registry: `127.0.0.1:${port}`, repository: "x", tag: "t" })).rejects.toThrow(
      new RegExp(`registry 127\\.0\\.0\\.1:${port} unreachable .*ECONNREFUSED`),
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("npm run images -- --push to a dead registry stops before building anything", async () => {
    const port = await freePort();
    const empty = tempDir("images-nopush");
    const t0 = Date.now();
    const r = run("npm", ["run", "--silent", "images", "--", "--out", empty, "--push", `127.0.0.1:${port}/helios`], { cwd: REPO_ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`images: registry 127.0.0.1:${port} unreachable`);
    expect(Date.now() - t0).toBeLessThan(30_000); // npm + tsx start-up; the build itself takes minutes
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it("gives up on a registry that accepts connections but never answers, within its timeout", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    const t0 = Date.now();
    try {
      await expect(pushLayout(built.layout, { registry: `127.0.0.1:${port}`, repository: "x", tag: "t", timeoutMs: 1500 })).rejects.toThrow(
        new RegExp(`registry 127\\.0\\.0\\.1:${port} unreachable`),
      );
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it("refuses a push target that is not host[:port][/prefix]", () => {
    expect(parsePushTarget("127.0.0.1:5000/helios")).toEqual({ registry: "127.0.0.1:5000", prefix: "helios" });
    expect(() => parsePushTarget("https://ghcr.io/acme")).toThrow("expected host[:port][/prefix]");
  });
});
