/**
 * npm run images -- [--arch amd64,arm64] [--service a,b] [--out out/images]
 * Builds the OCI layouts and writes <out>/digests.json (service -> image index digest), the
 * lock file the program deploys by (helios:imageDigests, README "Images").
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parseArches } from "./arch";
import { buildImages } from "./build";
import { REPO_ROOT } from "./inputs";
import { SERVICE_IMAGES, serviceImage } from "./services";

function main(): void {
  const { values } = parseArgs({
    options: { arch: { type: "string", default: "amd64,arm64" }, service: { type: "string" }, out: { type: "string", default: path.join(REPO_ROOT, "out", "images") } },
  });
  const arches = parseArches(values.arch!);
  const services = values.service ? values.service.split(",").map((s) => serviceImage(s.trim())) : SERVICE_IMAGES;
  const started = Date.now();
  const results = buildImages({ services, arches, outDir: values.out! });
  const digests = Object.fromEntries(results.map((r) => [r.service, r.indexDigest]));
  fs.writeFileSync(path.join(values.out!, "digests.json"), JSON.stringify(digests, null, 2) + "\n");
  for (const r of results) {
    for (const p of r.platforms) {
      process.stdout.write(`${r.service} ${p.arch} ${p.manifestDigest} ${(p.compressedBytes / 1e6).toFixed(1)} MB compressed, ${(p.uncompressedBytes / 1e6).toFixed(1)} MB uncompressed\n`);
    }
    process.stdout.write(`${r.service} index ${r.indexDigest} (${r.layout})\n`);
  }
  process.stdout.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`images: ${(e as Error).message}\n`);
  process.exit(1);
}
