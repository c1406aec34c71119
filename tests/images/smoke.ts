/**
 * Shared by the image run test and the start-up bench: builds the images once into a temporary
 * layout directory and starts one under runc (scripts/images/run.ts), timing it to ready.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArches } from "../../scripts/images/arch";
import { buildImages, ImageResult } from "../../scripts/images/build";
import { Prepared, prepare, RunOptions, Running, startImage } from "../../scripts/images/run";
import { SERVICE_IMAGES } from "../../scripts/images/services";
import { tempDir } from "../helpers/tools";

export function buildAll(): { out: string; results: ImageResult[] } {
  const out = tempDir("images-run");
  const results = buildImages({ services: SERVICE_IMAGES, arches: parseArches("amd64,arm64"), outDir: out, log: () => undefined });
  return { out, results };
}

/** Unpacked under the build's own directory, so removing it removes the root filesystems too. */
export function prepared(out: string, service: string, arch: string): Prepared {
  return prepare(path.join(out, service), arch, path.join(out, ".roots"));
}

/** Polls url until it answers 200; returns the milliseconds since `since`. Throws with the container's output. */
export async function waitReady(url: string, c: Running, since: number, timeoutMs = 180_000): Promise<number> {
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return Date.now() - since;
    if (c.child.exitCode !== null) throw new Error(`container exited ${c.child.exitCode} before ${url} answered:\n${c.output()}`);
    if (Date.now() - since > timeoutMs) throw new Error(`${url} not ready within ${timeoutMs} ms:\n${c.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the container and times it to ready. */
export async function startTimed(p: Prepared, opts: RunOptions, url: string): Promise<{ c: Running; readyMs: number }> {
  const t0 = Date.now();
  const c = startImage(p, opts);
  try {
    return { c, readyMs: await waitReady(url, c, t0) };
  } catch (e) {
    await c.stop();
    throw e;
  }
}

export const removeDir = (d: string) => fs.rmSync(d, { recursive: true, force: true });
