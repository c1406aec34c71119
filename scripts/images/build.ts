/**
 * Builds the service images as OCI layouts, daemonless: Debian runtime packages + the npm
 * registry's Node binary + our compiled service and its production node_modules, four layers per
 * architecture (base, node, node_modules, app: a code change rebuilds only the last), one image
 * index per service. See docs/images.md.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Arch } from "./arch";
import { caBundle, extractDebs, fetchDeb, DebInfo, skipDebPath } from "./debs";
import { DEBIAN_PACKAGES, nodeVersion, REPO_ROOT } from "./inputs";
import { nodeRuntime } from "./node-runtime";
import { assembleNodeModules, productionClosure } from "./npm-deps";
import { imageIndex, platformImage, PlatformImage, RuntimeConfig, writeLayout } from "./oci";
import { NODE_PATH, NONROOT, PATH_ENV, ServiceImage } from "./services";
import { layer, Layer, TarEntry } from "./tar";
import { treeEntries, withParents } from "./tree";

export interface BuildOptions {
  services: ServiceImage[];
  arches: Arch[];
  /** where the layouts go: <outDir>/<service>/ */
  outDir: string;
  /** downloaded .deb and .tgz files (default ~/.cache/helios-tools/images) */
  cacheDir?: string;
  log?: (msg: string) => void;
  /** Debian packages of the base layer (default DEBIAN_PACKAGES; tests name a missing one) */
  debianPackages?: string[];
}

export interface PlatformResult {
  arch: string;
  manifestDigest: string;
  compressedBytes: number;
  uncompressedBytes: number;
}

export interface ImageResult {
  service: string;
  layout: string;
  indexDigest: string;
  platforms: PlatformResult[];
}

export function defaultCacheDir(): string {
  return path.join(process.env.HELIOS_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "helios-tools"), "images");
}

const text = (p: string, s: string, mode = 0o644): TarEntry => ({ type: "file", path: p, mode, uid: 0, gid: 0, data: Buffer.from(s) });

/** Files the packages' maintainer scripts or base-files would have made, as distroless writes them. */
function systemFiles(rootfs: string): TarEntry[] {
  return [
    text("etc/passwd", `root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`),
    text("etc/group", `root:x:0:\nnobody:x:65534:\nnonroot:x:${NONROOT}:\n`),
    text("etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n"),
    { type: "file", path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, uid: 0, gid: 0, data: caBundle(rootfs) },
    { type: "dir", path: "tmp", mode: 0o1777, uid: 0, gid: 0 },
    { type: "dir", path: "root", mode: 0o700, uid: 0, gid: 0 },
    { type: "dir", path: "home/nonroot", mode: 0o700, uid: NONROOT, gid: NONROOT },
    { type: "dir", path: "app", mode: 0o755, uid: 0, gid: 0 },
  ];
}

/** Later entries replace earlier ones with the same path. */
function merge(...lists: TarEntry[][]): TarEntry[] {
  const m = new Map<string, TarEntry>();
  for (const l of lists) for (const e of l) m.set(e.path, e);
  return withParents([...m.values()]);
}

function tsc(service: ServiceImage, outDir: string): void {
  const project = path.join(REPO_ROOT, "services", service.name, "tsconfig.build.json");
  const tscBin = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tscBin, "-p", project, "--outDir", outDir, "--sourceMap", "false", "--declaration", "false", "--declarationMap", "false"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tsc failed for ${service.name}:\n${r.stdout}${r.stderr}`);
}

function imageEnv(service: ServiceImage): string[] {
  return [`PATH=${PATH_ENV}`, ...Object.entries(service.env).map(([k, v]) => `${k}=${v}`), "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"];
}

export function runtimeConfig(service: ServiceImage): RuntimeConfig {
  const cfg: RuntimeConfig = {
    User: `${NONROOT}:${NONROOT}`,
    Entrypoint: service.entrypoint,
    Env: imageEnv(service),
    WorkingDir: "/app",
  };
  if (service.cmd) cfg.Cmd = service.cmd;
  if (service.ports.length > 0) cfg.ExposedPorts = Object.fromEntries(service.ports.map((p) => [`${p}/tcp`, {}]));
  return cfg;
}

/** Builds every requested image; a failure anywhere leaves no new layout behind. */
export function buildImages(opts: BuildOptions): ImageResult[] {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[images] ${m}\n`));
  const cache = opts.cacheDir ?? defaultCacheDir();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "helios-images-"));
  const version = nodeVersion();
  try {
    // Inputs first, for every architecture: a missing package or bad checksum fails before any layout is written.
    const perArch = new Map<string, { debs: DebInfo[]; base: Layer; node: Layer }>();
    for (const arch of opts.arches) {
      const debs = (opts.debianPackages ?? DEBIAN_PACKAGES).map((name) => fetchDeb(name, arch, path.join(cache, "debs")));
      log(`${arch.oci}: ${debs.map((d) => `${d.name} ${d.version}`).join(", ")}`);
      const rootfs = path.join(work, `rootfs-${arch.oci}`);
      extractDebs(debs, rootfs);
      const base = layer(merge(treeEntries(rootfs, "", { keepModes: true, skip: skipDebPath }), systemFiles(rootfs)));
      const nodeDir = nodeRuntime(version, arch, path.join(cache, "npm"), work);
      const node = layer(
        withParents([
          { type: "file", path: NODE_PATH.slice(1), mode: 0o755, uid: 0, gid: 0, data: fs.readFileSync(path.join(nodeDir, "bin", "node")) },
          { type: "file", path: "usr/local/share/doc/node/LICENSE", mode: 0o644, uid: 0, gid: 0, data: fs.readFileSync(path.join(nodeDir, "LICENSE")) },
        ]),
      );
      perArch.set(arch.oci, { debs, base, node });
    }
    const prepared: { service: ServiceImage; images: PlatformImage[]; annotations: Record<string, string> }[] = [];
    for (const service of opts.services) {
      const svcDir = path.join(REPO_ROOT, "services", service.name);
      const pkg = JSON.parse(fs.readFileSync(path.join(svcDir, "package.json"), "utf8")) as { name: string; version: string };
      const dist = path.join(work, service.name, "dist");
      tsc(service, dist);
      const appEntries: TarEntry[] = [
        ...treeEntries(dist, "app/dist"),
        { type: "file", path: "app/package.json", mode: 0o644, uid: 0, gid: 0, data: fs.readFileSync(path.join(svcDir, "package.json")) },
        ...Object.entries(service.extraDirs ?? {}).flatMap(([from, to]) => treeEntries(path.join(REPO_ROOT, from), to)),
      ];
      const app = layer(withParents(appEntries));
      const images: PlatformImage[] = [];
      for (const arch of opts.arches) {
        const { debs, base, node } = perArch.get(arch.oci)!;
        const closure = productionClosure(path.join(REPO_ROOT, "package-lock.json"), `services/${service.name}`, arch);
        const nm = path.join(work, service.name, `node_modules-${arch.oci}`);
        assembleNodeModules(REPO_ROOT, closure, arch, nm, path.join(cache, "npm"));
        const deps = layer(withParents(treeEntries(nm, "app/node_modules")));
        const annotations = {
          "org.opencontainers.image.title": service.name,
          "org.opencontainers.image.version": pkg.version,
          "io.helios.debian-packages": debs.map((d) => `${d.name}=${d.version}`).join(","),
          "io.helios.node": `node-linux-${arch.npm}@${version}`,
          "io.helios.native-packages": closure.filter((c) => c.native).map((c) => `${c.name}@${c.version}`).join(",") || "none",
        };
        images.push(platformImage(arch.oci, runtimeConfig(service), [base, node, deps, app], annotations));
        log(`${service.name} ${arch.oci}: ${images[images.length - 1].manifest.digest}`);
      }
      prepared.push({ service, images, annotations: { "org.opencontainers.image.title": service.name, "org.opencontainers.image.version": pkg.version } });
    }
    // Everything built: only now are layouts written (each atomically).
    return prepared.map(({ service, images, annotations }) => {
      const index = imageIndex(images, annotations);
      const layout = path.join(opts.outDir, service.name);
      writeLayout(layout, index, images, service.name);
      return {
        service: service.name,
        layout,
        indexDigest: index.digest,
        platforms: images.map((i) => ({
          arch: i.architecture,
          manifestDigest: i.manifest.digest,
          compressedBytes: i.layers.reduce((n, l) => n + l.blob.length, 0) + i.config.bytes.length + i.manifest.bytes.length,
          uncompressedBytes: i.layers.reduce((n, l) => n + l.tarSize, 0),
        })),
      };
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
