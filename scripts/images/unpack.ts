/**
 * Unpacks one platform's image from an OCI layout into a root filesystem and reads its runtime
 * config: what a container runtime does before it starts the entrypoint. Layers are applied in
 * order with the system tar (ours carry no whiteouts; owners are kept when run as root).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readBlob, RuntimeConfig } from "./oci";

interface Manifest {
  config: { digest: string };
  layers: { digest: string; size: number }[];
}

export interface UnpackedImage {
  rootfs: string;
  config: RuntimeConfig;
  manifestDigest: string;
}

export function platformManifest(layout: string, arch: string): { digest: string; manifest: Manifest } {
  const top = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const index = JSON.parse(readBlob(layout, top.manifests[0].digest).toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
  const entry = index.manifests.find((m) => m.platform.architecture === arch);
  if (!entry) throw new Error(`${layout} has no ${arch} image (has ${index.manifests.map((m) => m.platform.architecture).join(", ")})`);
  return { digest: entry.digest, manifest: JSON.parse(readBlob(layout, entry.digest).toString()) as Manifest };
}

export function unpackImage(layout: string, arch: string, rootfs: string): UnpackedImage {
  const { digest, manifest } = platformManifest(layout, arch);
  fs.mkdirSync(rootfs, { recursive: true });
  for (const l of manifest.layers) {
    const blob = path.join(layout, "blobs", "sha256", l.digest.replace(/^sha256:/, ""));
    const r = spawnSync("tar", ["-xzf", blob, "-C", rootfs, "--numeric-owner"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unpacking layer ${l.digest}: ${r.stderr}`);
  }
  const config = (JSON.parse(readBlob(layout, manifest.config.digest).toString()) as { config: RuntimeConfig }).config;
  return { rootfs, config, manifestDigest: digest };
}
