/**
 * npm run images -- [--arch amd64,arm64] [--service a,b] [--out out/images] [--push host[:port][/prefix] [--tag T]]
 * Builds the OCI layouts and writes <out>/digests.json (service -> image index digest), the
 * lock file the program deploys by (helios:imageDigests, docs/images.md). With --push, each
 * index goes to <registry>/<prefix>/<service>:<tag> (tag: the service's package version) and is
 * pulled back and checked digest by digest.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parseArches } from "./arch";
import { buildImages } from "./build";
import { REPO_ROOT } from "./inputs";
import { checkRegistry, parsePushTarget, pullAndVerify, pushLayout } from "./push";
import { SERVICE_IMAGES, serviceImage } from "./services";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { arch: { type: "string", default: "amd64,arm64" }, service: { type: "string" }, out: { type: "string", default: path.join(REPO_ROOT, "out", "images") }, push: { type: "string" }, tag: { type: "string" } },
  });
  const arches = parseArches(values.arch!);
  const services = values.service ? values.service.split(",").map((s) => serviceImage(s.trim())) : SERVICE_IMAGES;
  const started = Date.now();
  // where to push, parsed before building so a bad argument fails at once
  const push = values.push ? parsePushTarget(values.push) : undefined;
  // an unreachable registry fails before minutes of building, not after
  if (push) await checkRegistry({ registry: push.registry, repository: push.prefix || "helios", tag: "ping" });
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
  if (!push) return;
  for (const r of results) {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "services", r.service, "package.json"), "utf8")) as { version: string }).version;
    const target = { registry: push.registry, repository: [push.prefix, r.service].filter(Boolean).join("/"), tag: values.tag ?? version };
    const pushed = await pushLayout(r.layout, target);
    const back = await pullAndVerify(target);
    if (back.indexDigest !== r.indexDigest) throw new Error(`${target.repository}:${target.tag} pulled back as ${back.indexDigest}, built ${r.indexDigest}`);
    process.stdout.write(`pushed ${target.registry}/${target.repository}:${target.tag}@${pushed} (pulled back: ${back.manifests.length} manifests, ${back.blobs} blobs verified)\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`images: ${e.message}\n`);
  process.exit(1);
});
