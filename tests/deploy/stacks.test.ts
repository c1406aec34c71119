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
import { ApiRelay } from "../helpers/in-cluster";
import { PodNetns, PodNetwork } from "../helpers/pod-network";
import { notRunnableReason, RunningPod, runWorkload, storedWorkloads, StoredWorkload } from "../helpers/pod-runner";
import { REPO_ROOT, run, tempDir, tool } from "../helpers/tools";
import { writeMmdb } from "../../services/flow-enricher/test/helpers/mmdb";
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
  "helios:grafanaAdminPassword": "grafana-admin-password-for-tests",
  "helios:oidcClientSecret": "oidc-client-secret-for-tests",
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
    if (init.status !== 0) throw new Error(`pulumi stack init ${stack}: ${init.stderr}`);
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
    // "read" is the StackReference reading its peer, not a change.
    for (const x of runs) expect(Object.keys(x.changes).filter((op) => op !== "same" && op !== "read")).toEqual([]);
  });

  it("the offline plan's manifests pass strict server-side validation in the real API servers", () => {
    for (const stack of STACKS) {
      const plan = run(process.execPath, [path.join(project.dir, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/plan.ts", stack], { cwd: project.dir, env: project.env, timeoutMs: 300_000 });
      expect(plan.status).toBe(0);
      const dir = path.join(project.dir, "out", stack, "manifests");
      const failures: string[] = [];
      for (const f of fs.readdirSync(dir)) {
        // A Job's template is immutable: the plan's copy (its peers not deployed in this plan) is
        // validated under another name rather than compared with the stored one.
        let file = path.join(dir, f);
        if (f.includes("__Job__")) {
          const text = fs.readFileSync(file, "utf8").replace(/^(  name: )(\S+)$/m, "$1$2-plan-check");
          file = path.join(tempDir("plan-job"), f);
          fs.writeFileSync(file, text);
        }
        const r = clusters[stack].kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=helios-plan-check", "--dry-run=server", "--validate=strict", "-f", file]);
        if (r.status !== 0 || /warning/i.test(r.stderr)) failures.push(`${f}: ${r.stderr.trim()}`);
      }
      expect(failures).toEqual([]);
    }
  });
});

describe("every workload started as the API server stored it", () => {
  let net: PodNetwork;
  let kafka: KafkaBroker | undefined;
  let kafkaPodNetns: PodNetns;

  beforeAll(async () => {
    // Our services' images run their compiled code (tests/helpers/images.ts): build it as the images do.
    for (const service of ["flow-enricher", "target-generator", "clickhouse-migrator"]) {
      const build = run("npm", ["run", "--silent", "build", "-w", `services/${service}`], { cwd: REPO_ROOT, timeoutMs: 300_000 });
      if (build.status !== 0) throw new Error(`building ${service}: ${build.stderr || build.stdout}`);
    }
    net = new PodNetwork(`${process.pid % 100000}`);
    // The Strimzi-managed Kafka: a real broker stands in for the pods the operator would create,
    // reachable under the bootstrap Service name the stored Kafka resource implies (same in both DCs).
    const kafkaCr = JSON.parse(clusters["dc-a"].kubectl(["get", "kafkas.kafka.strimzi.io", "-n", "helios-flows", "-o", "json"]).stdout).items[0];
    const bootstrapName = `${kafkaCr.metadata.name}-kafka-bootstrap`;
    const kafkaPod = (kafkaPodNetns = net.addPod());
    net.publish(PodNetwork.serviceNames(bootstrapName, "helios-flows"), kafkaPod.address);
    kafka = await startKafka({ pod: { netns: kafkaPod, port: 9092, advertisedHost: `${bootstrapName}.helios-flows.svc` }, partitions: 6 });
  });

  afterAll(async () => {
    await kafka?.stop();
    net?.destroy();
  });

  it.each(STACKS.map((s) => [s]))("%s: every runnable workload passes its readiness probe", async (stack) => {
    const cluster = clusters[stack];
    const workloads = storedWorkloads(cluster);
    const skipped = workloads.filter((w) => notRunnableReason(w)).map((w) => `${w.kind}/${w.metadata.name}: ${notRunnableReason(w)}`);
    console.log(`${stack}: not runnable here (${skipped.length}):\n  ${skipped.join("\n  ")}`);
    // Nothing escapes: an image in neither table fails instead of being skipped.
    expect(skipped.filter((x) => x.includes("in neither"))).toEqual([]);

    const running: RunningPod[] = [];
    const failures: string[] = [];
    const apiRelay = new ApiRelay(cluster);
    createStoredTopics(cluster, kafkaPodNetns);
    // MinIO first: Thanos needs its bucket.
    const order = (w: StoredWorkload) => (w.metadata.name === "helios-minio" ? 0 : 1);
    const runnable = workloads.filter((w) => !notRunnableReason(w) && w.kind !== "Job").sort((a, b) => order(a) - order(b));
    try {
      for (const w of runnable) {
        try {
          // 60 s on top of each probe's budget: CI shares this 2-core machine with the other suites.
          const pods = await runWorkload(cluster, net, w, { probeGraceSeconds: 60, standIns: standInsFor(w), apiRelay });
          running.push(...pods);
          publishServices(cluster, net, w, pods[0]);
          if (w.metadata.name === "helios-minio") prepareMinio(cluster, pods[0]);
          console.log(`${stack}: ready: ${pods[0].workload} (${pods.length} pod${pods.length > 1 ? "s" : ""}) in ${Math.max(...pods.map((p) => p.readySeconds)).toFixed(1)} s`);
        } catch (e) {
          const id = `${w.metadata.namespace}/${w.kind}/${w.metadata.name}`;
          const message = (e as Error).message;
          failures.push(message.startsWith(id) ? message : `${id}: ${message}`);
        }
      }
    } finally {
      for (const p of running.reverse()) await p.stop();
      await apiRelay.close();
    }
    // Known here, and why (a visible gap, not a silent skip): listed pods are still started and
    // their failures printed; any other failure fails the test.
    const known = KNOWN_NOT_READY_HERE[stack] ?? {};
    const knownFailures = failures.filter((f) => Object.keys(known).some((id) => f.startsWith(id)));
    if (knownFailures.length) console.log(`${stack}: known not ready here:\n  ${knownFailures.map((f) => f.split("\n")[0]).join("\n  ")}`);
    expect(failures.filter((f) => !knownFailures.includes(f))).toEqual([]);
    const started = running.map((p) => p.workload);
    const mustRun = ["helios-flows/Deployment/goflow2", "helios-collection/Deployment/snmp-exporter", "helios-collection/Deployment/blackbox-exporter", "helios-collection/StatefulSet/gnmic", "helios-storage/StatefulSet/helios-minio"];
    for (const expected of mustRun.filter((id) => !(id in known))) {
      expect(started).toContain(expected);
    }
  });
});

/**
 * What the Strimzi topic operator would do: create each stored KafkaTopic on the stand-in broker,
 * with its partitions (kafka-topics inside the broker's pod network namespace).
 */
function createStoredTopics(cluster: KubeCluster, kafkaPod: PodNetns): void {
  const topics = (JSON.parse(cluster.kubectl(["get", "kafkatopics.kafka.strimzi.io", "-n", "helios-flows", "-o", "json"]).stdout).items as any[]).map((t) => ({
    topic: t.spec.topicName ?? t.metadata.name,
    numPartitions: t.spec.partitions,
  }));
  expect(topics.length).toBeGreaterThan(0);
  const script = `
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ brokers: ["127.0.0.1:9092"], logLevel: logLevel.NOTHING }).admin();
    admin.connect().then(() => admin.createTopics({ topics: ${JSON.stringify(topics)}, waitForLeaders: true }))
      .then(() => admin.disconnect()).catch((e) => { console.error(e.message); process.exit(1); });`;
  const r = run("ip", ["netns", "exec", kafkaPod.netns, process.execPath, "-e", script], { cwd: REPO_ROOT, timeoutMs: 120_000 });
  if (r.status !== 0) throw new Error(`creating the stored KafkaTopics: ${r.stderr || r.stdout}`);
}

/** Files the stood-in geoipupdate container would have downloaded: MaxMind-format test databases. */
function standInsFor(w: StoredWorkload): Record<string, Record<string, Buffer>> | undefined {
  const geoip = w.spec.template.spec.initContainers?.find((c) => c.image.includes("geoipupdate"));
  if (!geoip) return undefined;
  // The file names the enricher is configured with (GEOIP_*_PATH), as geoipupdate names them.
  const files = writeMmdb(tempDir("geoip"));
  return { geoip: { "GeoLite2-City.mmdb": fs.readFileSync(files.city), "GeoLite2-ASN.mmdb": fs.readFileSync(files.asn) } };
}

/**
 * What the (faked) minio provider stands for: the bucket and Thanos' user and policy, made with mc
 * against the MinIO just started, with the credentials the API server stored.
 */
function prepareMinio(cluster: KubeCluster, pod: RunningPod): void {
  const secret = (name: string) => JSON.parse(cluster.kubectl(["get", "secret", name, "-n", "helios-storage", "-o", "json"]).stdout).data as Record<string, string>;
  const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
  const root = secret("helios-minio-root");
  const objstore = decode(secret("helios-thanos-objstore")["objstore.yml"]);
  const field = (k: string) => new RegExp(`${k}:\\s*"?([^"\\n]+)"?`).exec(objstore)?.[1] ?? "";
  const bucket = field("bucket");
  const mcDir = tempDir("mc");
  const mc = (args: string[]) => {
    const r = run("ip", ["netns", "exec", pod.pod.netns, tool("mc"), "--config-dir", mcDir, ...args], { timeoutMs: 60_000 });
    if (r.status !== 0) throw new Error(`mc ${args.join(" ")}: ${r.stderr || r.stdout}`);
  };
  // MinIO answers its readiness probe a little before it takes admin requests.
  for (let attempt = 0; ; attempt++) {
    try {
      mc(["alias", "set", "local", "http://127.0.0.1:9000", decode(root.rootUser), decode(root.rootPassword)]);
      mc(["admin", "info", "local"]);
      break;
    } catch (e) {
      if (attempt >= 60) throw e;
      run("sleep", ["1"]);
    }
  }
  mc(["mb", "--ignore-existing", "--with-versioning", `local/${bucket}`]);
  const policyFile = path.join(mcDir, "thanos-policy.json");
  fs.writeFileSync(policyFile, JSON.stringify(thanosBucketPolicy(bucket)));
  mc(["admin", "user", "add", "local", field("access_key"), field("secret_key")]);
  mc(["admin", "policy", "create", "local", "helios-thanos", policyFile]);
  mc(["admin", "policy", "attach", "local", "helios-thanos", "--user", field("access_key")]);
}

/**
 * Workloads that do not get ready under the pod runner yet, per stack, with the reason. Keep it
 * short: each entry is a gap to close, printed on every run.
 */
const KNOWN_NOT_READY_HERE: Record<string, Record<string, string>> = {
  "dc-a": {
    // dc-b's single-server MinIO (4 drives) and its store gateway get ready; dc-a's 4-server pool passes
    // each pod's readiness probe but does not finish initializing within 60 s on this 2-core machine.
    "helios-storage/StatefulSet/helios-minio": "the medium tier's 4-server MinIO pool does not finish initializing here within 60 s (not yet diagnosed)",
    "helios-storage/StatefulSet/helios-thanos-store-gateway": "reads the bucket of the MinIO pool above",
  },
};

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

describe("change, rejection and removal", () => {
  it("`npm run deploy -- preview` after a tier change (dc-b small → medium) writes the pull request's diff", () => {
    expect(project.pulumi(["config", "set", "-s", "dc-b", "helios:tier", "medium"]).status).toBe(0);
    const r = project.deploy(["preview"]);
    if (r.status !== 0) throw new Error(`preview failed:\n${(r.stdout + r.stderr).slice(-6000)}`);
    const md = fs.readFileSync(path.join(project.dir, "out", "preview", "dc-b.md"), "utf8");
    const preview = project.runs().filter((x) => x.command === "preview" && x.stack === "dc-b").pop()!;
    expect(preview.changes.update).toBeGreaterThan(0);
    expect(md).toContain("### Helios preview: `dc-b`");
    expect(md).toMatch(/maxReplicas\s*:\s*2\s*=>\s*4/);
    fs.mkdirSync(path.join(REPO_ROOT, "out", "preview"), { recursive: true });
    fs.copyFileSync(path.join(project.dir, "out", "preview", "dc-b.md"), path.join(REPO_ROOT, "out", "preview", "dc-b.tier-small-to-medium.md"));
    console.log(`preview dc-b: ${JSON.stringify(preview.changes)} in ${preview.seconds.toFixed(1)} s`);
  });

  it("an update the API server rejects fails `up`, naming the object and the server's reason, and leaves the previous objects", async () => {
    const cluster = clusters["dc-b"];
    // Back to the deployed tier (the preview above only previewed medium; applying it would replace
    // MinIO's StatefulSet, whose volumeClaimTemplates are immutable: see docs/testing.md), then an
    // in-place change: a new gNMI user name updates the Secret gnmic-credentials.
    expect(project.pulumi(["config", "set", "-s", "dc-b", "helios:tier", "small"]).status).toBe(0);
    expect(project.pulumi(["config", "set", "-s", "dc-b", "helios:gnmiUsername", "helios-rotated"]).status).toBe(0);
    // A cluster admission policy (as Kyverno or Gatekeeper would be in a real cluster): device
    // credentials are frozen outside a change window.
    const policy = [
      "apiVersion: admissionregistration.k8s.io/v1",
      "kind: ValidatingAdmissionPolicy",
      "metadata: {name: helios-test-credential-freeze}",
      "spec:",
      "  failurePolicy: Fail",
      "  matchConstraints:",
      "    resourceRules:",
      "    - {apiGroups: [''], apiVersions: [v1], operations: [UPDATE], resources: [secrets]}",
      "  validations:",
      "  - {expression: \"object.metadata.name != 'gnmic-credentials'\", message: 'device credentials are frozen outside a change window'}",
      "---",
      "apiVersion: admissionregistration.k8s.io/v1",
      "kind: ValidatingAdmissionPolicyBinding",
      "metadata: {name: helios-test-credential-freeze}",
      "spec: {policyName: helios-test-credential-freeze, validationActions: [Deny]}",
    ].join("\n");
    const applied = cluster.kubectl(["apply", "-f", "-"], { input: policy });
    expect(applied.stderr).toBe("");
    await new Promise((res) => setTimeout(res, 3_000)); // the policy compiles asynchronously
    const before = heliosObjects(cluster);
    const secretBefore = JSON.parse(cluster.kubectl(["get", "secret", "gnmic-credentials", "-n", "helios-collection", "-o", "json"]).stdout).data;

    try {
      const r = project.deploy(["up", "dc-b"]);
      expect(r.status).not.toBe(0);
      const output = r.stdout + r.stderr;
      // Pulumi names the object; the API server's reason follows.
      expect(output).toMatch(/kubernetes:core\/v1:Secret \(gnmic-credentials\):/);
      expect(output).toMatch(/secrets "gnmic-credentials" is forbidden: ValidatingAdmissionPolicy 'helios-test-credential-freeze'/);
      expect(output).toContain("device credentials are frozen outside a change window");
      const after = new Set(heliosObjects(cluster));
      expect(before.filter((o) => !after.has(o))).toEqual([]);
      const secretAfter = JSON.parse(cluster.kubectl(["get", "secret", "gnmic-credentials", "-n", "helios-collection", "-o", "json"]).stdout).data;
      expect(secretAfter).toEqual(secretBefore);
    } finally {
      cluster.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "helios-test-credential-freeze"]);
      project.pulumi(["config", "rm", "-s", "dc-b", "helios:gnmiUsername"]);
    }
  });

  it("`npm run deploy -- destroy` leaves no Helios object behind", async () => {
    const r = project.deploy(["destroy"]);
    if (r.status !== 0) throw new Error(`destroy failed:\n${(r.stdout + r.stderr).slice(-6000)}`);
    const runs = project.runs().filter((x) => x.command === "destroy");
    console.log(`destroy figures: ${runs.map((x) => `${x.stack}: ${JSON.stringify(x.changes)} in ${x.seconds.toFixed(1)} s`).join("; ")}`);
    for (const c of Object.values(clusters)) {
      const deadline = Date.now() + 120_000;
      let left = heliosObjects(c);
      while (left.length && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 2_000));
        left = heliosObjects(c);
      }
      expect({ cluster: c.name, left }).toEqual({ cluster: c.name, left: [] });
    }
  });
});
