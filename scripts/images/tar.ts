/**
 * A deterministic tar writer (POSIX ustar + PAX headers for long names), enough for OCI layers.
 * Why our own: the layer digest must depend only on the files' content, names, modes and the
 * owners we choose, never on the build machine's clock, users or directory order (OCI image
 * spec, "Image Layer Filesystem Changeset": a layer is a tar archive; reproducibility is ours).
 */
import * as crypto from "crypto";
import * as zlib from "zlib";

export type TarEntry =
  | { type: "dir"; path: string; mode: number; uid: number; gid: number }
  | { type: "file"; path: string; mode: number; uid: number; gid: number; data: Buffer }
  | { type: "symlink"; path: string; target: string; uid: number; gid: number };

const BLOCK = 512;

function octal(n: number, width: number): string {
  // width includes the terminating NUL
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function writeString(buf: Buffer, s: string, offset: number, width: number): void {
  const b = Buffer.from(s, "utf8");
  if (b.length > width) throw new Error(`tar: ${JSON.stringify(s)} does not fit in ${width} bytes`);
  b.copy(buf, offset);
}

function header(name: string, size: number, typeflag: string, mode: number, uid: number, gid: number, linkname: string): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  writeString(h, name, 0, 100);
  writeString(h, octal(mode & 0o7777, 8), 100, 8);
  writeString(h, octal(uid, 8), 108, 8);
  writeString(h, octal(gid, 8), 116, 8);
  writeString(h, octal(size, 12), 124, 12);
  writeString(h, octal(0, 12), 136, 12); // mtime: the epoch, always
  h.fill(" ", 148, 156); // checksum field counts as spaces while summing
  writeString(h, typeflag, 156, 1);
  writeString(h, linkname, 157, 100);
  writeString(h, "ustar\0", 257, 6);
  writeString(h, "00", 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, octal(sum, 7) + " ", 148, 8);
  return h;
}

function pad(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** A PAX record "<len> key=value\n", where len counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function fitsUstar(s: string): boolean {
  return Buffer.byteLength(s) < 100 && /^[\x20-\x7e]*$/.test(s);
}

/** Tar bytes of the entries, sorted by path so input order never matters. */
export function tarball(entries: TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  for (const e of sorted) {
    if (seen.has(e.path)) throw new Error(`tar: duplicate entry ${e.path}`);
    seen.add(e.path);
    const name = e.type === "dir" ? `${e.path}/` : e.path;
    const link = e.type === "symlink" ? e.target : "";
    const pax: string[] = [];
    if (!fitsUstar(name)) pax.push(paxRecord("path", name));
    if (!fitsUstar(link)) pax.push(paxRecord("linkpath", link));
    if (pax.length > 0) {
      const data = Buffer.from(pax.join(""), "utf8");
      parts.push(header("PaxHeader", data.length, "x", 0o644, 0, 0, ""), data, pad(data.length));
    }
    const shortName = fitsUstar(name) ? name : name.slice(0, 99).replace(/[^\x20-\x7e]/g, "_");
    const shortLink = fitsUstar(link) ? link : "";
    if (e.type === "file") {
      parts.push(header(shortName, e.data.length, "0", e.mode, e.uid, e.gid, ""), e.data, pad(e.data.length));
    } else if (e.type === "dir") {
      parts.push(header(shortName, 0, "5", e.mode, e.uid, e.gid, ""));
    } else {
      parts.push(header(shortName, 0, "2", 0o777, e.uid, e.gid, shortLink));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

export interface Layer {
  /** gzip bytes: the blob pushed and stored */
  blob: Buffer;
  /** sha256 of the blob (the descriptor's digest) */
  digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids) */
  diffId: string;
  /** uncompressed size in bytes */
  tarSize: number;
}

export const sha256 = (b: Buffer | string): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/**
 * A gzip layer. Node's zlib writes a zero mtime and a fixed OS byte in the gzip header, so the
 * same tar and level give the same bytes (the digest then depends on the zlib release, which the
 * pinned Node fixes).
 */
export function layer(entries: TarEntry[]): Layer {
  const tar = tarball(entries);
  const blob = zlib.gzipSync(tar, { level: 6 });
  return { blob, digest: sha256(blob), diffId: sha256(tar), tarSize: tar.length };
}
