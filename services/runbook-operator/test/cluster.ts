/**
 * A real kube-apiserver (tests/helpers/kube.ts) with our CRDs installed from
 * services/runbook-operator/crds, exactly the files the Pulumi component deploys.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { KubeCluster, StaticUser, startCluster } from "../../../tests/helpers/kube";

export const CRD_DIR = path.resolve(__dirname, "..", "crds");
export const RUNBOOK_DIR = path.resolve(__dirname, "..", "..", "..", "config", "runbooks");

export async function clusterWithCrds(name: string, users: StaticUser[] = []): Promise<KubeCluster> {
  const cluster = await startCluster(name, { users });
  try {
    const applied = cluster.kubectl(["apply", "--server-side", "--field-manager=helios-test", "-f", CRD_DIR]);
    if (applied.status !== 0) throw new Error(`CRDs refused: ${applied.stderr}`);
    const ready = cluster.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/runbooks.automation.helios.io", "crd/runbookexecutions.automation.helios.io"]);
    if (ready.status !== 0) throw new Error(`CRDs not established: ${ready.stderr}`);
    return cluster;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

/** Creates an object from a JS value; returns kubectl's result (strict field validation). */
export function create(cluster: KubeCluster, obj: unknown, extra: string[] = []) {
  return cluster.kubectl(["create", "--validate=strict", "-o", "json", ...extra, "-f", "-"], { input: JSON.stringify(obj) });
}

export function sampleFiles(): string[] {
  return fs.readdirSync(RUNBOOK_DIR).filter((f) => f.endsWith(".yaml")).sort();
}

export function readSample(file: string): any {
  return YAML.parse(fs.readFileSync(path.join(RUNBOOK_DIR, file), "utf8"));
}
