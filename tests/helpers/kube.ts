/**
 * Real Kubernetes control planes for the deployment tests: etcd, kube-apiserver and
 * kube-controller-manager (garbage collector and namespace controllers only), built by
 * scripts/test-infra/engines/kube.sh, on 127.0.0.1 with a self-signed CA, a static admin token
 * and RBAC. There is no kubelet and no scheduler: objects are stored, validated and admitted, and
 * tests/helpers/pod-runner.ts starts the containers we can run here from the stored objects.
 */
import * as fs from "fs";
import * as path from "path";
import { Proc, startProc } from "./collection-engines";
import { freePort, waitForPort } from "./net";
import { pinnedVersion, REPO_ROOT, run, tempDir, tool, TOOLS_DIR } from "./tools";

export interface KubeCluster {
  /** The context name in `kubeconfig` (the datacenter, e.g. dc-a). */
  name: string;
  /** https://127.0.0.1:<port> */
  server: string;
  caFile: string;
  /** Bearer token of the admin user (group system:masters). */
  token: string;
  /** A kubeconfig file with this cluster as its only (and current) context. */
  kubeconfig: string;
  /** Seconds from starting etcd to /readyz answering. */
  readySeconds: number;
  stateDir: string;
  /** Runs kubectl against this cluster. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): { status: number; stdout: string; stderr: string };
  /** GETs an API path and parses the JSON. */
  get<T = any>(apiPath: string): T;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = run("openssl", args, { cwd });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

function makePki(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=helios-test-ca", "-keyout", "ca.key", "-out", "ca.crt"], dir);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver", "-keyout", "apiserver.key", "-out", "apiserver.csr"], dir);
  fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n");
  openssl(["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-extfile", "ext.cnf", "-out", "apiserver.crt"], dir);
  // Service-account token signing key (the API server requires one even though no pod uses it).
  openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
}

/** Extra static-token users (name, groups) a test needs, e.g. for SubjectAccessReviews. */
export interface StaticUser {
  name: string;
  token: string;
  groups: string[];
}

export function kubeconfigText(clusters: Pick<KubeCluster, "name" | "server" | "caFile" | "token">[], current = clusters[0].name): string {
  const lines = ["apiVersion: v1", "kind: Config", "clusters:"];
  for (const c of clusters) lines.push(`- name: ${c.name}`, "  cluster:", `    server: ${c.server}`, `    certificate-authority: ${c.caFile}`);
  lines.push("users:");
  for (const c of clusters) lines.push(`- name: ${c.name}-admin`, "  user:", `    token: ${c.token}`);
  lines.push("contexts:");
  for (const c of clusters) lines.push(`- name: ${c.name}`, "  context:", `    cluster: ${c.name}`, `    user: ${c.name}-admin`);
  lines.push(`current-context: ${current}`);
  return lines.join("\n") + "\n";
}

/** Starts one control plane named `name`; resolves when /readyz answers and the controllers run. */
export async function startCluster(name: string, opts: { users?: StaticUser[] } = {}): Promise<KubeCluster> {
  const stateDir = tempDir(`kube-${name}`);
  const pki = path.join(stateDir, "pki");
  makePki(pki);
  const token = `helios-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const tokens = [`${token},helios-test-admin,helios-test-admin,system:masters`];
  for (const u of opts.users ?? []) tokens.push(`${u.token},${u.name},${u.name},"${u.groups.join(",")}"`);
  fs.writeFileSync(path.join(pki, "tokens.csv"), tokens.join("\n") + "\n");

  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const started = Date.now();
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
  };
  try {
    const etcd = startProc(tool("etcd"), [
      "--name", name, "--data-dir", path.join(stateDir, "etcd"),
      "--listen-client-urls", `http://127.0.0.1:${etcdPort}`, "--advertise-client-urls", `http://127.0.0.1:${etcdPort}`,
      "--listen-peer-urls", `http://127.0.0.1:${etcdPeerPort}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeerPort}`,
      "--initial-cluster", `${name}=http://127.0.0.1:${etcdPeerPort}`,
      "--listen-metrics-urls", "", "--unsafe-no-fsync", "--quota-backend-bytes", String(2 * 1024 ** 3), "--log-level", "warn",
    ]);
    procs.push(etcd);
    await waitForPort(etcdPort, 30_000, () => etcd.child.exitCode === null);

    const apiserver = startProc(tool("kube-apiserver"), [
      "--etcd-servers", `http://127.0.0.1:${etcdPort}`,
      "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", String(apiPort),
      "--tls-cert-file", path.join(pki, "apiserver.crt"), "--tls-private-key-file", path.join(pki, "apiserver.key"),
      "--client-ca-file", path.join(pki, "ca.crt"),
      "--token-auth-file", path.join(pki, "tokens.csv"),
      "--authorization-mode", "RBAC",
      "--service-account-issuer", "https://kubernetes.default.svc",
      "--service-account-key-file", path.join(pki, "sa.pub"), "--service-account-signing-key-file", path.join(pki, "sa.key"),
      "--service-cluster-ip-range", "10.96.0.0/16",
      // No kubelet mints tokens for pods here.
      "--disable-admission-plugins", "ServiceAccount",
      "--enable-priority-and-fairness=false",
      // The default reconciler refuses a loopback advertise address.
      "--endpoint-reconciler-type", "none",
      "--profiling=false",
    ]);
    procs.push(apiserver);
    const caFile = path.join(pki, "ca.crt");
    const server = `https://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      // curl's own --max-time: a slow answer on a loaded machine is a retry until the deadline, not an exception
      const r = run("curl", ["-fsS", "--max-time", "10", "--cacert", caFile, "-H", `Authorization: Bearer ${token}`, `${server}/readyz`], { timeoutMs: 30_000 });
      if (r.status === 0) break;
      if (apiserver.child.exitCode !== null) throw new Error(`kube-apiserver for ${name} exited:\n${apiserver.log().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`kube-apiserver for ${name} not ready in 120 s:\n${apiserver.log().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    const readySeconds = (Date.now() - started) / 1000;
    const kubeconfig = path.join(stateDir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigText([{ name, server, caFile, token }]));
    // Foreground deletes (pulumi-kubernetes' default) wait for the garbage collector to drop their
    // finalizer; namespace deletion needs the namespace controller; every namespace gets its
    // `default` service account from the serviceaccount controller. Nothing else runs.
    const controllers = startProc(tool("kube-controller-manager"), [
      "--kubeconfig", kubeconfig, "--controllers", "garbagecollector,namespace,serviceaccount", "--leader-elect=false",
      "--bind-address", "127.0.0.1", "--secure-port", "0", "--profiling=false",
    ]);
    procs.push(controllers);

    const kubectl = (args: string[], o: { input?: string; timeoutMs?: number } = {}) =>
      run(tool("kubectl"), ["--kubeconfig", kubeconfig, ...args], { input: o.input, timeoutMs: o.timeoutMs ?? 120_000 });
    return {
      name,
      server,
      caFile,
      token,
      kubeconfig,
      readySeconds,
      stateDir,
      kubectl,
      get(apiPath: string) {
        const r = kubectl(["get", "--raw", apiPath]);
        if (r.status !== 0) throw new Error(`GET ${apiPath} on ${name}: ${r.stderr}`);
        return JSON.parse(r.stdout);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The upstream charts at the pinned versions (../shared/charts, never copied into the repo). */
export const CHART_MIRROR = process.env.HELIOS_CHART_MIRROR ?? path.resolve(REPO_ROOT, "..", "shared", "charts");

/**
 * Installs every CRD the pinned charts ship (their crds/ folders, subcharts included), as a cluster
 * operator would before the first `pulumi up` when Helm hooks cannot run. Returns the CRD names.
 */
export function installChartCrds(cluster: KubeCluster): string[] {
  if (!fs.existsSync(CHART_MIRROR)) throw new Error(`chart mirror ${CHART_MIRROR} not found (set HELIOS_CHART_MIRROR)`);
  const unpacked = tempDir("charts");
  const files: string[] = [];
  for (const archive of fs.readdirSync(CHART_MIRROR).filter((f) => f.endsWith(".tgz"))) {
    const dir = path.join(unpacked, archive);
    fs.mkdirSync(dir);
    const r = run("tar", ["-xzf", path.join(CHART_MIRROR, archive), "-C", dir]);
    if (r.status !== 0) throw new Error(`tar ${archive}: ${r.stderr}`);
    // Helm's rule: a chart's CRDs are the files of the crds/ folder beside its Chart.yaml (a
    // subchart may itself be named "crds", as kube-prometheus-stack's is).
    const walk = (d: string, inCrds: boolean): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        const isCrdFolder = e.isDirectory() && e.name === "crds" && fs.existsSync(path.join(d, "Chart.yaml"));
        if (e.isDirectory()) walk(p, inCrds || isCrdFolder);
        else if (inCrds && /\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    walk(dir, false);
  }
  const names: string[] = [];
  for (const file of files.sort()) {
    const r = cluster.kubectl(["apply", "--server-side", "--field-manager=helios-test-crds", "-f", file, "-o", "name"], { timeoutMs: 180_000 });
    if (r.status !== 0) throw new Error(`installing CRDs from ${path.relative(unpacked, file)}: ${r.stderr}`);
    names.push(...r.stdout.split("\n").filter((l) => l.startsWith("customresourcedefinition")));
  }
  const established = cluster.kubectl(["wait", "--for=condition=Established", "--timeout=120s", ...names]);
  if (established.status !== 0) throw new Error(`CRDs not established: ${established.stderr}`);
  fs.rmSync(unpacked, { recursive: true, force: true });
  return names;
}

/**
 * Installs the External Secrets Operator's CRDs (ExternalSecret, SecretStore, ClusterSecretStore),
 * generated by scripts/test-infra/engines/eso.sh from the pinned release's API types. No ESO
 * controller runs: the objects are validated and stored, never synced. Returns the CRD names.
 */
export function installEsoCrds(cluster: KubeCluster): string[] {
  const dir = path.join(TOOLS_DIR, `eso-crds-${pinnedVersion("HELIOS_ESO_VERSION")}`);
  if (!fs.existsSync(dir)) throw new Error(`External Secrets CRDs not generated at ${dir}; run: bash scripts/test-infra/install-tools.sh eso`);
  const names: string[] = [];
  for (const crd of ["externalsecrets", "secretstores", "clustersecretstores"]) {
    const r = cluster.kubectl(["apply", "--server-side", "--field-manager=helios-test-crds", "-f", path.join(dir, `external-secrets.io_${crd}.yaml`), "-o", "name"], { timeoutMs: 180_000 });
    if (r.status !== 0) throw new Error(`installing the ${crd} CRD: ${r.stderr}`);
    names.push(r.stdout.trim());
  }
  const established = cluster.kubectl(["wait", "--for=condition=Established", "--timeout=120s", ...names]);
  if (established.status !== 0) throw new Error(`External Secrets CRDs not established: ${established.stderr}`);
  return names;
}
