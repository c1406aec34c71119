/**
 * A service's production node_modules, from the root package-lock.json (npm workspaces share
 * it): the closure of the service's dependencies and optional dependencies, resolved the way
 * Node resolves them (nearest node_modules upward), never devDependencies. Packages that declare
 * os/cpu/libc (native addons) are taken only for linux, the target CPU and glibc; the target's
 * package is downloaded and checked against the lockfile's integrity when the machine installed
 * another CPU's. Any other .node file in the closure fails the build: it would be built for the
 * build machine, not for the image.
 */
import * as fs from "fs";
import * as path from "path";
import { Arch } from "./arch";
import { checkIntegrity, npmPack, untarPackage } from "./node-runtime";

interface LockPackage {
  version?: string;
  integrity?: string;
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

export interface ResolvedPackage {
  /** lockfile key, e.g. node_modules/pino or services/x/node_modules/y */
  key: string;
  /** place under the image's node_modules, e.g. "pino" or "a/node_modules/b" */
  dest: string;
  name: string;
  version: string;
  integrity?: string;
  native: boolean;
}

function fitsPlatform(p: LockPackage, arch: Arch): boolean {
  if (p.os && !p.os.includes("linux")) return false;
  if (p.cpu && !p.cpu.includes(arch.npm)) return false;
  if (p.libc && !p.libc.includes("glibc")) return false;
  return true;
}

/** The production closure of workspace `wsDir` (e.g. "services/flow-enricher") for one architecture. */
export function productionClosure(lockFile: string, wsDir: string, arch: Arch): ResolvedPackage[] {
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages: Record<string, LockPackage> };
  const pkgs = lock.packages;
  const ws = pkgs[wsDir];
  if (!ws) throw new Error(`${wsDir} is not a workspace in ${lockFile}`);
  const resolve = (from: string, name: string): string | undefined => {
    // from: a lockfile key; look in from/node_modules, then each ancestor's node_modules, then the root
    let dir = from;
    for (;;) {
      const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (pkgs[key]) return key;
      if (!dir) return undefined;
      const i = dir.lastIndexOf("/node_modules/");
      // a nested package resolves next from its parent package; a top-level one or the workspace, from the root
      dir = i >= 0 ? dir.slice(0, i) : "";
    }
  };
  const out = new Map<string, ResolvedPackage>();
  const visit = (from: string, deps: Record<string, string>, optional: boolean) => {
    for (const name of Object.keys(deps).sort()) {
      const key = resolve(from, name);
      if (!key) {
        if (optional) continue;
        throw new Error(`${from || "root"} needs ${name}, which the lockfile does not have (run npm install)`);
      }
      if (out.has(key)) continue;
      const p = pkgs[key];
      if (p.link) throw new Error(`${key} is a workspace link; a service depending on another workspace is not supported`);
      if (!fitsPlatform(p, arch)) continue;
      const dest = key.startsWith(`${wsDir}/node_modules/`) ? key.slice(`${wsDir}/node_modules/`.length) : key.slice("node_modules/".length);
      out.set(key, { key, dest, name, version: p.version ?? "", integrity: p.integrity, native: Boolean(p.cpu || p.os) });
      visit(key, p.dependencies ?? {}, false);
      visit(key, p.optionalDependencies ?? {}, true);
    }
  };
  visit(wsDir, ws.dependencies ?? {}, false);
  visit(wsDir, ws.optionalDependencies ?? {}, true);
  const dests = new Map<string, string>();
  for (const r of out.values()) {
    const prev = dests.get(r.dest);
    if (prev) throw new Error(`${prev} and ${r.key} would both land at node_modules/${r.dest}`);
    dests.set(r.dest, r.key);
  }
  return [...out.values()].sort((a, b) => (a.dest < b.dest ? -1 : 1));
}

/**
 * Package files Node never reads at run time, left out of every image: type declarations, source
 * maps of JavaScript (the images run without --enable-source-maps) and prebuilt addons for the Bare
 * runtime (`.bare`: Node cannot load them; the bare-* packages are what tar-fs & co. use under Bare).
 * They were 41 MB of the runbook-operator's 69 MB node_modules (@kubernetes/client-node's .d.ts).
 */
export function unusedAtRuntime(file: string): boolean {
  return /\.d\.[cm]?ts(\.map)?$|\.[cm]?js\.map$|\.bare$/.test(file);
}

function findNodeFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".node")) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/**
 * Copies the closure into outDir (the image's node_modules). Pure packages come from the
 * installed tree (npm ci checked their integrity); platform packages for another CPU are fetched.
 */
export function assembleNodeModules(repo: string, closure: ResolvedPackage[], arch: Arch, outDir: string, cacheDir: string): void {
  fs.mkdirSync(outDir, { recursive: true });
  for (const r of closure) {
    const dest = path.join(outDir, r.dest);
    const installed = path.join(repo, r.key);
    const installedVersion = fs.existsSync(path.join(installed, "package.json"))
      ? (JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as { version: string }).version
      : undefined;
    if (installedVersion === r.version) {
      // nested node_modules of a package are separate closure entries (or dev-only): not copied here
      fs.cpSync(installed, dest, { recursive: true, filter: (src) => !src.slice(installed.length).includes("/node_modules") });
    } else if (r.native) {
      if (!r.integrity) throw new Error(`${r.key}@${r.version} has no integrity in the lockfile`);
      const tgz = npmPack(`${r.name}@${r.version}`, `${r.name.replace("/", "+")}-${r.version}.tgz`, cacheDir);
      checkIntegrity(`npm package ${r.name}@${r.version}`, tgz, r.integrity);
      untarPackage(tgz, dest);
    } else {
      throw new Error(`npm package ${r.name}@${r.version} is missing from ${installed} (found ${installedVersion ?? "nothing"}); run npm ci`);
    }
  }
  const allowed = new Set(closure.filter((r) => r.native).map((r) => path.join(outDir, r.dest)));
  for (const f of findNodeFiles(outDir)) {
    if (![...allowed].some((a) => f.startsWith(a + path.sep))) {
      throw new Error(`native addon ${path.relative(outDir, f)} is not from a per-architecture package; it would not run on ${arch.oci}`);
    }
  }
}
