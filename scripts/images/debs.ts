/**
 * Debian packages of the runtime, for one architecture: downloaded through apt (bookworm's
 * signed indexes give each .deb's SHA256), verified again here, and unpacked with
 * `dpkg-deb -x` (the data archive only: no preinst/postinst, as distroless does). What the
 * maintainer scripts would have generated and the image needs is written by us instead
 * (the CA bundle, /etc/passwd).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Arch } from "./arch";

export interface DebInfo {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  file: string;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

/** What apt's indexes say about the candidate of name:arch; a package apt does not know is an error naming it. */
export function debMetadata(name: string, arch: Arch): { version: string; sha256: string; filename: string; arch: string } {
  // Architecture: all packages (ca-certificates, tzdata) have no name:<arch> entry; the same .deb serves both
  let r = spawnSync("apt-cache", ["show", "--no-all-versions", `${name}:${arch.oci}`], { encoding: "utf8" });
  if (r.status !== 0 || !/^SHA256: /m.test(r.stdout)) {
    const all = spawnSync("apt-cache", ["show", "--no-all-versions", name], { encoding: "utf8" });
    if (all.status === 0 && /^Architecture: all$/m.test(all.stdout)) r = all;
  }
  const field = (f: string) => r.stdout.match(new RegExp(`^${f}: (.+)$`, "m"))?.[1].trim();
  const version = field("Version");
  const sha256 = field("SHA256");
  const filename = field("Filename");
  if (r.status !== 0 || !version || !sha256 || !filename) {
    throw new Error(
      `Debian package ${name}:${arch.oci} is not known to apt (${(r.stderr || "no SHA256/Version").trim()}); ` +
        `run: dpkg --add-architecture ${arch.oci} && apt-get update`,
    );
  }
  return { version, sha256, filename, arch: field("Architecture") ?? arch.oci };
}

export function fileSha256(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Downloads name:arch into cacheDir (once) and checks its SHA256 against apt's index. */
export function fetchDeb(name: string, arch: Arch, cacheDir: string): DebInfo {
  const meta = debMetadata(name, arch);
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, path.basename(meta.filename));
  if (!fs.existsSync(file)) {
    // apt-get download writes <name>_<version>_<arch>.deb (epoch ':' escaped) into its cwd
    const tmp = fs.mkdtempSync(path.join(cacheDir, ".dl-"));
    try {
      sh("apt-get", ["download", "-qq", `${meta.arch === "all" ? name : `${name}:${arch.oci}`}=${meta.version}`], tmp);
      const got = fs.readdirSync(tmp).filter((f) => f.endsWith(".deb"));
      if (got.length !== 1) throw new Error(`apt-get download ${name}:${arch.oci} left ${got.length} .deb files`);
      fs.renameSync(path.join(tmp, got[0]), file);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const deb = { name, version: meta.version, arch: meta.arch, sha256: meta.sha256, file };
  verifyDeb(deb);
  return deb;
}

/** Throws naming the package when the file is unreadable or its SHA256 differs from apt's. */
export function verifyDeb(d: DebInfo): void {
  let got: string;
  try {
    got = fileSha256(d.file);
  } catch (e) {
    throw new Error(`Debian package ${d.name}:${d.arch} ${d.version} is unreadable at ${d.file}: ${(e as Error).message}`);
  }
  if (got !== d.sha256) {
    throw new Error(`checksum mismatch for Debian package ${d.name}:${d.arch} ${d.version} (${d.file}): sha256 ${got}, apt's index says ${d.sha256}`);
  }
}

/** Unpacks the data archive of each package into dir (no maintainer scripts run). */
export function extractDebs(debs: DebInfo[], dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const d of debs) sh("dpkg-deb", ["-x", d.file, dir]);
}

/** Paths of the Debian payload an image does not need (documentation; the licences stay). */
export function skipDebPath(p: string): boolean {
  if (/^usr\/share\/(man|info|lintian|locale|bug|gcc|gdb)(\/|$)/.test(p)) return true;
  if (/^usr\/share\/doc\/[^/]+\/.+/.test(p) && !/\/copyright$/.test(p)) return true;
  // ca-certificates' update tool (a shell/perl script; neither interpreter exists in the image)
  if (/^usr\/sbin(\/|$)/.test(p)) return true;
  // libc6's helper programs are for a shell that is not there; ldconfig and iconvconfig stay out too
  if (/^(usr\/)?(s?bin)\//.test(p) && !p.endsWith("/")) return true;
  return false;
}

/** /etc/ssl/certs/ca-certificates.crt as update-ca-certificates would write it: every Mozilla cert, sorted. */
export function caBundle(rootfs: string): Buffer {
  const dir = path.join(rootfs, "usr", "share", "ca-certificates", "mozilla");
  if (!fs.existsSync(dir)) throw new Error(`ca-certificates payload missing ${dir}`);
  const certs = fs.readdirSync(dir).filter((f) => f.endsWith(".crt")).sort();
  if (certs.length < 50) throw new Error(`only ${certs.length} certificates in ${dir}`);
  return Buffer.concat(certs.map((c) => {
    const pem = fs.readFileSync(path.join(dir, c));
    return pem[pem.length - 1] === 0x0a ? pem : Buffer.concat([pem, Buffer.from("\n")]);
  }));
}
