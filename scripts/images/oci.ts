/**
 * OCI image layout writer (image-spec v1.1: image-layout.md, manifest.md, image-index.md,
 * config.md). JSON is written with a fixed key order and no timestamps, so the same layers give
 * the same config, manifest and index digests. The layout is written to a temporary directory
 * and renamed into place: a failed build leaves no partial image.
 */
import * as fs from "fs";
import * as path from "path";
import { Layer, sha256 } from "./tar";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface RuntimeConfig {
  User: string;
  Entrypoint: string[];
  Cmd?: string[];
  Env: string[];
  WorkingDir: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels?: Record<string, string>;
}

export interface Blob {
  digest: string;
  bytes: Buffer;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), "utf8");
const blob = (bytes: Buffer): Blob => ({ digest: sha256(bytes), bytes });

export interface PlatformImage {
  architecture: string;
  manifest: Blob;
  config: Blob;
  layers: Layer[];
}

/** Config + manifest of one platform's image. */
export function platformImage(architecture: string, runtime: RuntimeConfig, layers: Layer[], annotations: Record<string, string>): PlatformImage {
  const config = blob(
    json({
      // "created" is left out: optional in the spec, and a clock would break reproducibility
      architecture,
      os: "linux",
      config: runtime,
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const manifest = blob(
    json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: config.digest, size: config.bytes.length },
      layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.blob.length })),
      annotations,
    }),
  );
  return { architecture, manifest, config, layers };
}

/** The image index over the platform images. */
export function imageIndex(images: PlatformImage[], annotations: Record<string, string>): Blob {
  return blob(
    json({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: images.map((i) => ({
        mediaType: MEDIA.manifest,
        digest: i.manifest.digest,
        size: i.manifest.bytes.length,
        platform: { architecture: i.architecture, os: "linux" },
      })),
      annotations,
    }),
  );
}

/** Writes an OCI layout at dir (replacing it): oci-layout, index.json -> the image index, blobs/sha256/*. */
export function writeLayout(dir: string, index: Blob, images: PlatformImage[], refName: string): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const blobs = path.join(tmp, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const put = (digest: string, bytes: Buffer) => fs.writeFileSync(path.join(blobs, digest.slice("sha256:".length)), bytes);
    for (const img of images) {
      for (const l of img.layers) put(l.digest, l.blob);
      put(img.config.digest, img.config.bytes);
      put(img.manifest.digest, img.manifest.bytes);
    }
    put(index.digest, index.bytes);
    fs.writeFileSync(path.join(tmp, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(
      path.join(tmp, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.index,
        manifests: [{ mediaType: MEDIA.index, digest: index.digest, size: index.bytes.length, annotations: { "org.opencontainers.image.ref.name": refName } }],
      }),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a blob of a layout (tests, run, push). */
export function readBlob(layout: string, digest: string): Buffer {
  return fs.readFileSync(path.join(layout, "blobs", "sha256", digest.replace(/^sha256:/, "")));
}
