/**
 * dc-a's distributed MinIO pool (medium tier: 4 servers × 4 drives) started as the API server stores
 * it, without the whole deploy suite: the repo's dc-a plan is rendered, its MinIO objects (namespace,
 * root Secret, Services, StatefulSet) are applied to one real kube-apiserver, and the StatefulSet's 4
 * pods run through the pod runner (a network namespace each, stable DNS names) with the pinned minio
 * binary. The pool must form: every server and drive online, an object written through one server
 * read back through another, each drive in its own pod's volume.
 */
import * as fs from "fs";
import * as path from "path";
import { KubeCluster, startCluster } from "../helpers/kube";
import { PodNetwork } from "../helpers/pod-network";
import { RunningPod, runPod, runWorkload, storedWorkloads } from "../helpers/pod-runner";
import { synthRepoStack } from "../helpers/stacks";
import { run, tempDir, tool } from "../helpers/tools";

jest.setTimeout(600_000);

const NAMESPACE = "helios-storage";
const ROOT_PASSWORD = "minio-root-password-for-tests";

let cluster: KubeCluster;
let net: PodNetwork | undefined;
let pods: RunningPod[] = [];
let statefulSetFile: string;

beforeAll(async () => {
  const outRoot = tempDir("plan-minio-pool");
  await synthRepoStack("dc-a", outRoot);
  const dir = path.join(outRoot, "dc-a", "manifests");
  statefulSetFile = path.join(dir, `${NAMESPACE}__StatefulSet__helios-minio.yaml`);
  const files = [
    `_cluster__Namespace__${NAMESPACE}.yaml`,
    `${NAMESPACE}__Secret__helios-minio-root.yaml`,
    `${NAMESPACE}__Service__helios-minio.yaml`,
    `${NAMESPACE}__Service__helios-minio-hl.yaml`,
    `${NAMESPACE}__StatefulSet__helios-minio.yaml`,
  ].map((f) => path.join(dir, f));
  cluster = await startCluster("dc-a-minio-pool");
  for (const file of files) {
    // The plan holds a placeholder for the secret config value `pulumi up` would decrypt.
    const text = fs.readFileSync(file, "utf8").replace(/PLAN-PLACEHOLDER\(helios:minioRootPassword\)/, ROOT_PASSWORD);
    const r = cluster.kubectl(["apply", "--server-side", "--validate=strict", "-f", "-"], { input: text });
    if (r.status !== 0) throw new Error(`applying ${path.basename(file)}: ${r.stderr}`);
  }
});

afterAll(async () => {
  for (const p of pods.reverse()) await p.stop();
  net?.destroy();
  await cluster?.stop();
});

describe("dc-a's 4-server MinIO pool under the pod runner", () => {
  it("a view root that is not an empty directory is refused, naming the workload and the option", async () => {
    const w = storedWorkloads(cluster).find((x) => x.metadata.name === "helios-minio")!;
    const scratch = new PodNetwork(`mv${process.pid % 100000}`);
    try {
      const missing = path.join(tempDir("view-root"), "missing");
      await expect(runPod(cluster, scratch, w, { viewRoot: missing })).rejects.toThrow(`helios-storage/StatefulSet/helios-minio: viewRoot ${missing} must be an existing empty directory`);
      const used = tempDir("view-root");
      fs.writeFileSync(path.join(used, "file"), "");
      await expect(runPod(cluster, scratch, w, { viewRoot: used })).rejects.toThrow(/viewRoot .* must be an existing empty directory/);
    } finally {
      scratch.destroy();
    }
  });

  it("the plan renders a distributed pool: 4 replicas, every pod's drives named through the headless Service", () => {
    const text = fs.readFileSync(statefulSetFile, "utf8");
    expect(text).toMatch(/replicas: 4/);
    expect(text).toContain("http://helios-minio-{0...3}.helios-minio-hl.helios-storage.svc.cluster.local/export{0...3}");
  });

  it("all 4 pods get ready and the pool forms: 4 servers, 16 drives online, objects readable through any server", async () => {
    const w = storedWorkloads(cluster).find((x) => x.kind === "StatefulSet" && x.metadata.name === "helios-minio");
    expect(w).toBeDefined();
    net = new PodNetwork(`mp${process.pid % 100000}`);
    const started = Date.now();
    pods = await runWorkload(cluster, net, w!, { probeGraceSeconds: 60 });
    const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.log(`helios-minio: ${pods.length} pods ready in ${((Date.now() - started) / 1000).toFixed(1)} s (load average ${load})`);
    expect(pods).toHaveLength(4);
    // Every server gets the same endpoints (MinIO compares them across the pool), naming each pod's
    // drives under the path all pods see their own files at, never the machine's /export0.
    const volumes = pods.map((p) => p.containers[0].argv.find((a) => a.startsWith("http://"))!);
    expect(new Set(volumes).size).toBe(1);
    expect(volumes[0]).toMatch(/^http:\/\/helios-minio-\{0\.\.\.3\}\.helios-minio-hl\.helios-storage\.svc\.cluster\.local\/tmp\/\S+\/containers\/minio\/export\{0\.\.\.3\}$/);

    const mcDir = tempDir("mc-pool");
    const mc = (pod: RunningPod, args: string[]) => {
      const r = run("ip", ["netns", "exec", pod.pod.netns, tool("mc"), "--no-color", "--config-dir", mcDir, ...args], { timeoutMs: 60_000 });
      if (r.status !== 0) throw new Error(`mc ${args.join(" ")} in ${pod.pod.netns}: ${r.stderr || r.stdout}\n--- argv: ${JSON.stringify(pod.containers[0].argv)}\n--- minio log (start):\n${pod.containers[0].log().slice(0, 3000)}\n--- minio log (end):\n${pod.containers[0].log().slice(-3000)}`);
      return r.stdout;
    };
    const waitAdmin = async (pod: RunningPod, alias: string) => {
      // MinIO answers its readiness probe a little before it takes admin requests.
      for (let attempt = 0; ; attempt++) {
        try {
          mc(pod, ["alias", "set", alias, "http://127.0.0.1:9000", "helios-root", ROOT_PASSWORD]);
          return JSON.parse(mc(pod, ["admin", "info", "--json", alias]));
        } catch (e) {
          if (attempt >= 60) throw e;
          await new Promise((res) => setTimeout(res, 1000));
        }
      }
    };
    // Servers report "initializing" until their own object layer is up: allow each the probe's budget.
    type Server = { state: string; endpoint: string; drives: { state: string; path: string }[] };
    let servers: Server[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      servers = (await waitAdmin(pods[0], "pool0")).info.servers as Server[];
      if (servers.length === 4 && servers.every((s) => s.state === "online")) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    console.log(`helios-minio: pool online ${((Date.now() - started) / 1000).toFixed(1)} s after the pods started (load average ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")})`);
    expect(servers.map((s) => s.state)).toEqual(["online", "online", "online", "online"]);
    expect(servers.map((s) => s.endpoint).sort()).toEqual([0, 1, 2, 3].map((i) => `helios-minio-${i}.helios-minio-hl.helios-storage.svc.cluster.local:9000`));
    const drives = servers.flatMap((s) => s.drives);
    expect(drives).toHaveLength(16);
    expect(drives.filter((d) => d.state !== "ok")).toEqual([]);

    mc(pods[0], ["mb", "pool0/helios-pool-check"]);
    const object = path.join(tempDir("pool-object"), "object.txt");
    fs.writeFileSync(object, "written through server 0\n");
    mc(pods[0], ["cp", object, "pool0/helios-pool-check/object.txt"]);
    await waitAdmin(pods[3], "pool3");
    expect(mc(pods[3], ["cat", "pool3/helios-pool-check/object.txt"])).toBe("written through server 0\n");

    // Each pod's drives are its own volumes: every pod holds its share of the erasure-coded object.
    for (const pod of pods) {
      for (let d = 0; d < 4; d++) {
        const drive = path.join(pod.root, "containers", "minio", `export${d}`);
        expect(fs.existsSync(path.join(drive, ".minio.sys", "format.json"))).toBe(true);
        expect(fs.existsSync(path.join(drive, "helios-pool-check", "object.txt"))).toBe(true);
      }
    }
  });
});
