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
import YAML from "yaml";
import { KubeCluster } from "../helpers/kube";
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

/**
 * Writes the cluster's kubeconfig with its CA inline into dir (made readable by the image's user,
 * 65532): the container sees only its mounts, not the CA file the original names.
 */
export function mountableKubeconfig(cluster: KubeCluster, dir: string): void {
  const kc = YAML.parse(fs.readFileSync(cluster.kubeconfig, "utf8"));
  for (const c of kc.clusters) {
    c.cluster["certificate-authority-data"] = fs.readFileSync(c.cluster["certificate-authority"]).toString("base64");
    delete c.cluster["certificate-authority"];
  }
  fs.writeFileSync(path.join(dir, "kubeconfig"), YAML.stringify(kc), { mode: 0o644 });
  fs.chmodSync(dir, 0o755);
}

/** The runbook operator's settings (as the Deployment sets them) against the kubeconfig in kubeDir; ready at /readyz once it leads. */
export function operatorRun(kubeDir: string, namespace: string, podName: string, port: number): RunOptions {
  return {
    env: {
      KUBECONFIG: "/var/run/helios/kubeconfig",
      POD_NAMESPACE: namespace,
      POD_NAME: podName,
      NETBOX_URL: "http://127.0.0.1:9",
      NETBOX_TOKEN: "t",
      RUNNER_IMAGE: "registry.example/runbook-operator:0.1.0",
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(port),
    },
    mounts: [{ source: kubeDir, destination: "/var/run/helios" }],
  };
}
