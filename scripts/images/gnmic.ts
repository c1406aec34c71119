/**
 * The gnmic binary of the runbook-operator image (its runner drives gNMI through the gnmic CLI,
 * services/runbook-operator/src/steps.ts). Built from the Go module proxy for each architecture
 * by scripts/test-infra/engines/gnmic.sh (gnmic_image_build): the same module, version and go.mod
 * as the gnmic engine the operator's tests run, cross-compiled with CGO_ENABLED=0 (static, so it
 * needs nothing from the image's libc), -trimpath, -buildvcs=false, an empty build ID and fixed
 * version/date ldflags: the same module and Go toolchain give the same bytes.
 *
 * Why not the release components/versions.ts pins for the collector (ghcr.io/openconfig/gnmic
 * 0.42.0): the module proxy reachable here refuses github.com/openconfig/gnmic at every version
 * (engines/gnmic.sh), so the newest gnmic that can be built and tested here is
 * github.com/karimra/gnmic v0.26.0. The image says which one it carries (io.helios.gnmic).
 *
 * The Go toolchain is pinned too (HELIOS_GNMIC_IMAGE_GO, through GOTOOLCHAIN). Built binaries are
 * cached per (engines/gnmic.sh content, architecture); a cached binary is checked again (module,
 * version, toolchain, GOARCH, CGO_ENABLED, ELF machine) before use.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Arch } from "./arch";
import { REPO_ROOT } from "./inputs";

export const GNMIC_SCRIPT = path.join(REPO_ROOT, "scripts", "test-infra", "engines", "gnmic.sh");

/**
 * Module and version of the gnmic engine and the Go toolchain of the images' build
 * (HELIOS_GNMIC_MODULE, HELIOS_GNMIC_VERSION, HELIOS_GNMIC_IMAGE_GO in engines/gnmic.sh).
 */
export function gnmicPin(): { module: string; version: string; go: string } {
  const text = fs.readFileSync(GNMIC_SCRIPT, "utf8");
  const get = (name: string) => {
    const m = text.match(new RegExp(`^${name}="([^"]+)"`, "m"));
    if (!m) throw new Error(`${name} not found in ${GNMIC_SCRIPT}`);
    return m[1];
  };
  return { module: get("HELIOS_GNMIC_MODULE"), version: get("HELIOS_GNMIC_VERSION"), go: get("HELIOS_GNMIC_IMAGE_GO") };
}

/** ELF e_machine of each architecture (EM_X86_64, EM_AARCH64). */
const ELF_MACHINE: Record<string, number> = { amd64: 0x3e, arm64: 0xb7 };

/** Throws naming the file when it is not a static gnmic of the pinned module for arch. */
export function checkGnmicBinary(file: string, arch: Arch): void {
  const { module, version, go } = gnmicPin();
  let head: Buffer;
  try {
    head = fs.readFileSync(file).subarray(0, 20);
  } catch (e) {
    throw new Error(`gnmic for ${arch.oci} is unreadable at ${file}: ${(e as Error).message}`);
  }
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`gnmic for ${arch.oci} at ${file} is not an ELF executable`);
  const machine = head.readUInt16LE(18);
  if (machine !== ELF_MACHINE[arch.oci]) throw new Error(`gnmic at ${file} is built for ELF machine 0x${machine.toString(16)}, not ${arch.oci}`);
  const r = spawnSync("go", ["version", "-m", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`go version -m ${file}: ${r.stderr.trim()}`);
  const info = r.stdout;
  const want = [new RegExp(`: ${go.replace(/\./g, "\\.")}\n`), new RegExp(`^\\s+mod\\s+${module.replace(/\./g, "\\.")}\\s+${version.replace(/\./g, "\\.")}\\s`, "m"), new RegExp(`^\\s+build\\s+GOARCH=${arch.oci}$`, "m"), /^\s+build\s+CGO_ENABLED=0$/m];
  for (const w of want) if (!w.test(info)) throw new Error(`gnmic at ${file} is not ${module}@${version} built by ${go} for ${arch.oci} without cgo (build info lacks ${w.source})`);
}

export interface GnmicBuild {
  /** the binary */
  bin: string;
  /** the module's LICENSE (Apache-2.0), shipped next to it */
  license: string;
  /** what the image records: module@version, GOARCH, Go toolchain */
  description: string;
}

/**
 * gnmic for arch, from the cache under cacheDir when there, otherwise built (minutes per
 * architecture on this machine). `fresh` builds into a new directory whatever the cache holds
 * (the reproducibility test compares the two).
 */
export function gnmicBinary(arch: Arch, cacheDir: string, opts: { fresh?: boolean; log?: (m: string) => void } = {}): GnmicBuild {
  const { module, version, go } = gnmicPin();
  if (spawnSync("go", ["version"]).status !== 0) throw new Error(`go (>= 1.21; it fetches ${go}) is needed to build gnmic for the runbook-operator image`);
  const key = crypto.createHash("sha256").update(fs.readFileSync(GNMIC_SCRIPT)).update(arch.oci).digest("hex").slice(0, 16);
  const description = `${module}@${version} linux/${arch.oci} ${go} CGO_ENABLED=0`;
  fs.mkdirSync(cacheDir, { recursive: true });
  const dir = opts.fresh ? fs.mkdtempSync(path.join(cacheDir, `.fresh-${arch.oci}-`)) : path.join(cacheDir, `${version}-${arch.oci}-${key}`);
  const bin = path.join(dir, "gnmic");
  const license = path.join(dir, "LICENSE");
  if (!opts.fresh && fs.existsSync(`${dir}.ok`)) {
    checkGnmicBinary(bin, arch);
    return { bin, license, description };
  }
  opts.log?.(`building gnmic ${version} for ${arch.oci} with ${go} (cached afterwards)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // The build function lives with the engine's (one go.mod, one module pin); it needs only go.
  const r = spawnSync("bash", ["-c", 'set -euo pipefail; source "$0"; gnmic_image_build "$1" "$2"', GNMIC_SCRIPT, arch.oci, dir], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`building gnmic ${module}@${version} for ${arch.oci} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ")}`);
  }
  checkGnmicBinary(bin, arch);
  if (!fs.existsSync(license)) throw new Error(`gnmic build for ${arch.oci} left no LICENSE in ${dir}`);
  if (!opts.fresh) fs.writeFileSync(`${dir}.ok`, "");
  return { bin, license, description };
}
