/**
 * Turns directories on disk into tar entries under an image path, with owners and modes we
 * choose (root-owned, 0755/0644 keeping only the execute bit) rather than whatever the build
 * machine left: part of what makes the layer digest reproducible.
 */
import * as fs from "fs";
import * as path from "path";
import { TarEntry } from "./tar";

export interface TreeOptions {
  uid?: number;
  gid?: number;
  /** keep the source's permission bits (Debian payloads: setuid-free, modes are part of the package) */
  keepModes?: boolean;
  /** image-relative paths (no leading slash) to leave out, with everything below them */
  skip?: (imagePath: string) => boolean;
}

/** Entries for everything under `dir`, placed at `imageDir` (relative, e.g. "app/node_modules"). */
export function treeEntries(dir: string, imageDir: string, opts: TreeOptions = {}): TarEntry[] {
  const uid = opts.uid ?? 0;
  const gid = opts.gid ?? 0;
  const out: TarEntry[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of fs.readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (opts.skip?.(r)) continue;
      const st = fs.lstatSync(a);
      const mode = opts.keepModes ? st.mode & 0o7777 : st.mode & 0o111 ? 0o755 : 0o644;
      if (st.isSymbolicLink()) out.push({ type: "symlink", path: r, target: fs.readlinkSync(a), uid, gid });
      else if (st.isDirectory()) {
        out.push({ type: "dir", path: r, mode: opts.keepModes ? mode : 0o755, uid, gid });
        walk(a, r);
      } else if (st.isFile()) out.push({ type: "file", path: r, mode, uid, gid, data: fs.readFileSync(a) });
      else throw new Error(`${a}: neither file, directory nor symlink; refusing to put it in an image`);
    }
  };
  const base = imageDir.replace(/^\/+|\/+$/g, "");
  walk(dir, base);
  return out;
}

/** Directory entries for every parent of the given paths that is not already listed. */
export function withParents(entries: TarEntry[]): TarEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const extra: TarEntry[] = [];
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!have.has(p)) {
        have.add(p);
        extra.push({ type: "dir", path: p, mode: 0o755, uid: 0, gid: 0 });
      }
    }
  }
  return [...entries, ...extra];
}
