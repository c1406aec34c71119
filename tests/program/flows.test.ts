// The flow pipeline per tier: Strimzi Kafka, Altinity ClickHouse, goflow2, flow-enricher and the
// migration Job, sized from components/tiers.ts, every custom resource after its operator release.
import { clickhouseShape, keepFreeSpaceBytes } from "../../components/flows/clickhouse";
import YAML from "yaml";
import { goflow2Args } from "../../components/flows/goflow2";
import { kafkaConsumersPerNode, migrationsHash } from "../../components/flows/migrations-job";
import { CLICKHOUSE_DISK_METRICS, FLOWS_NS, KAFKA_BOOTSTRAP, TOPICS } from "../../components/flows/names";
import { FLOWS_POD_RULES } from "../../components/flows/network-policy";
import { ALLOW_RULES } from "../../components/network-baseline";
import { TIER_NAMES, TIERS } from "../../components/tiers";
import { CHARTS, IMAGES, imageRef } from "../../components/versions";
import { PlannedResource, SynthResult } from "../../scripts/lib/synthesize";
import { baseConfig, ofType, synth } from "../helpers/stacks";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers/tools";

// custom resources are recorded under their own type token (kubernetes:<group>/<version>:<Kind>)
const cr = (r: SynthResult, kind: string) => r.resources.filter((x) => x.custom && x.inputs?.kind === kind && x.namespace === FLOWS_NS);
/** Secret outputs reach the mocks wrapped as {<secret sig>: ..., value}; tests look at the value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any) => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);
const one = (list: PlannedResource[], name: string) => {
  const found = list.find((x) => x.kubernetesName === name);
  if (!found) throw new Error(`${name} not found among ${list.map((x) => x.kubernetesName).join(", ")}`);
  return found;
};
const key = (r: PlannedResource) => `${r.type}::${r.name}`;
const releaseKey = (r: SynthResult, release: string) => key(ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.inputs.name === release)!);

describe.each(TIER_NAMES)("flow pipeline, tier %s", (tierName) => {
  const tier = TIERS[tierName];
  const resultP = synth(baseConfig({ "helios:tier": tierName, "helios:maxmindAccountId": "123456" }));

  it("installs the pinned Strimzi and Altinity operators in helios-flows", async () => {
    const r = await resultP;
    for (const pin of [CHARTS.strimzi, CHARTS.clickhouseOperator]) {
      const rel = r.helmReleases.find((h) => h.chart === pin.chart);
      expect(rel).toMatchObject({ version: pin.version, repository: pin.repository, namespace: FLOWS_NS });
    }
  });

  it("sizes the KRaft Kafka node pools from the tier and serves only kafka.strimzi.io/v1", async () => {
    const r = await resultP;
    const pools = cr(r, "KafkaNodePool");
    const q = tier.kafka.quorum;
    if (q === "dual-role") {
      expect(pools).toHaveLength(1);
      expect(one(pools, "dual-role").inputs.spec).toMatchObject({ replicas: tier.kafka.brokers, roles: ["controller", "broker"], resources: tier.kafka.resources });
      expect(one(pools, "dual-role").inputs.spec.storage.volumes[0].size).toBe(tier.kafka.storage);
    } else {
      expect(pools).toHaveLength(2);
      expect(one(pools, "controllers").inputs.spec).toMatchObject({ replicas: q.controllers, roles: ["controller"], resources: q.resources });
      expect(one(pools, "controllers").inputs.spec.storage.volumes[0].size).toBe(q.storage);
      expect(one(pools, "brokers").inputs.spec).toMatchObject({ replicas: tier.kafka.brokers, roles: ["broker"], resources: tier.kafka.resources });
      expect(one(pools, "brokers").inputs.spec.storage.volumes[0].size).toBe(tier.kafka.storage);
    }
    const kafka = one(cr(r, "Kafka"), "helios-kafka");
    expect(kafka.inputs.spec.kafka.config["default.replication.factor"]).toBe(tier.kafka.replicationFactor);
    expect(kafka.inputs.spec.kafka.metricsConfig).toMatchObject({ type: "jmxPrometheusExporter" });
    expect(kafka.inputs.spec.kafkaExporter).toBeDefined();
    for (const x of [...pools, kafka, ...cr(r, "KafkaTopic")]) expect(x.inputs.apiVersion).toBe("kafka.strimzi.io/v1");
  });

  it("creates the three flow topics with the tier's partitions, replication and retention", async () => {
    const r = await resultP;
    const topics = cr(r, "KafkaTopic");
    expect(topics.map((t) => t.kubernetesName).sort()).toEqual(Object.values(TOPICS).sort());
    const retention = String(tier.kafka.retentionHours * 3_600_000);
    expect(one(topics, TOPICS.raw).inputs.spec).toMatchObject({ partitions: tier.kafka.rawPartitions, replicas: tier.kafka.replicationFactor, config: { "retention.ms": retention } });
    expect(one(topics, TOPICS.enriched).inputs.spec).toMatchObject({ partitions: tier.kafka.enrichedPartitions, replicas: tier.kafka.replicationFactor, config: { "retention.ms": retention } });
    expect(one(topics, TOPICS.deadLetter).inputs.metadata.labels["strimzi.io/cluster"]).toBe("helios-kafka");
  });

  it("sizes the ClickHouseInstallation from the tier, with Keeper only when clustered", async () => {
    const r = await resultP;
    const chi = one(cr(r, "ClickHouseInstallation"), "helios");
    expect(chi.inputs.apiVersion).toBe("clickhouse.altinity.com/v1");
    expect(chi.inputs.spec.configuration.clusters).toEqual([{ name: "flows", layout: { shardsCount: tier.clickhouse.shards, replicasCount: tier.clickhouse.replicas } }]);
    expect(chi.inputs.spec.templates.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(tier.clickhouse.storage);
    const container = chi.inputs.spec.templates.podTemplates[0].spec.containers[0];
    expect(container.image).toBe(imageRef(IMAGES.clickhouse));
    expect(container.resources).toEqual(tier.clickhouse.resources);
    const keepers = cr(r, "ClickHouseKeeperInstallation");
    if (clickhouseShape(tier).clustered) {
      expect(keepers).toHaveLength(1);
      expect(keepers[0].inputs.spec.configuration.clusters[0].layout.replicasCount).toBe(tier.clickhouse.keeperReplicas);
      expect(keepers[0].inputs.spec.templates.podTemplates[0].spec.containers[0].resources).toEqual(tier.clickhouse.keeperResources);
      expect(keepers[0].inputs.spec.templates.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(tier.clickhouse.keeperStorage);
      expect(chi.inputs.spec.configuration.zookeeper.nodes).toEqual([{ host: "keeper-helios-keeper", port: 2181 }]);
      expect(chi.dependsOn).toContain(key(keepers[0]));
    } else {
      expect(keepers).toHaveLength(0);
      expect(chi.inputs.spec.configuration.zookeeper).toBeUndefined();
    }
  });

  it("creates every Strimzi and Altinity custom resource after its operator release", async () => {
    const r = await resultP;
    const strimzi = releaseKey(r, "strimzi");
    const altinity = releaseKey(r, "clickhouse-operator");
    for (const kind of ["Kafka", "KafkaNodePool", "KafkaTopic"]) for (const x of cr(r, kind)) expect(x.dependsOn).toContain(strimzi);
    for (const kind of ["ClickHouseInstallation", "ClickHouseKeeperInstallation"]) for (const x of cr(r, kind)) expect(x.dependsOn).toContain(altinity);
    // PodMonitors wait for kube-prometheus-stack's CRDs
    const kps = releaseKey(r, ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => x.inputs.chart === "kube-prometheus-stack")!.inputs.name);
    const monitors = cr(r, "PodMonitor");
    expect(monitors.map((m) => m.kubernetesName).sort()).toEqual(["clickhouse", "flow-enricher", "goflow2", "kafka"]);
    for (const m of monitors) expect(m.dependsOn).toContain(kps);
  });

  it("gives ClickHouse flow.proto at its format_schema_path, passwords from a Secret and metrics on 9363", async () => {
    const r = await resultP;
    const chi = one(cr(r, "ClickHouseInstallation"), "helios");
    const settings = chi.inputs.spec.configuration.settings;
    expect(settings).toMatchObject({ format_schema_path: "/etc/clickhouse-server/format_schemas/", "prometheus/port": 9363, "prometheus/asynchronous_metrics": true });
    const schemas = one(ofType(r, "kubernetes:core/v1:ConfigMap"), "clickhouse-format-schemas");
    expect(schemas.inputs.data["flow.proto"]).toBe(fs.readFileSync(path.join(REPO_ROOT, "proto", "flow.proto"), "utf8"));
    const pod = chi.inputs.spec.templates.podTemplates[0].spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "format-schemas", mountPath: settings.format_schema_path, readOnly: true });
    const users = chi.inputs.spec.configuration.users;
    expect(users["helios/k8s_secret_password"]).toBe(`${FLOWS_NS}/clickhouse-credentials/admin-password`);
    expect(users["grafana/k8s_secret_password"]).toBe(`${FLOWS_NS}/clickhouse-credentials/reader-password`);
    expect(Object.keys(users).some((k) => /\/password$/.test(k))).toBe(false); // no plain passwords in the CR
    expect(unwrap(one(ofType(r, "kubernetes:core/v1:Secret"), "clickhouse-credentials").inputs.stringData)).toHaveProperty("admin-password");
    const monitor = one(cr(r, "PodMonitor"), "clickhouse");
    expect(monitor.inputs.spec.podMetricsEndpoints).toEqual([{ port: "metrics", path: "/metrics" }]);
    expect(pod.containers[0].ports).toContainEqual({ name: "metrics", containerPort: 9363 });
    expect(CLICKHOUSE_DISK_METRICS.available).toBe("ClickHouseAsyncMetrics_DiskAvailable_default");
    // a full disk makes inserts fail before the volume is exhausted (spec edge case)
    expect(settings["storage_configuration/disks/default/keep_free_space_bytes"]).toBe(keepFreeSpaceBytes(tier.clickhouse.storage));
  });

  it("runs goflow2 on UDP 2055/4739/6343 into helios-flows-raw behind a LoadBalancer that keeps source IPs", async () => {
    const r = await resultP;
    const svc = one(ofType(r, "kubernetes:core/v1:Service"), "goflow2");
    expect(svc.inputs.spec.type).toBe("LoadBalancer");
    expect(svc.inputs.spec.externalTrafficPolicy).toBe("Local");
    expect(svc.inputs.spec.ports.map((p: { port: number; protocol: string }) => [p.port, p.protocol])).toEqual([[2055, "UDP"], [4739, "UDP"], [6343, "UDP"]]);
    const dep = one(ofType(r, "kubernetes:apps/v1:Deployment"), "goflow2");
    const c = dep.inputs.spec.template.spec.containers[0];
    expect(c.image).toBe("docker.io/netsampler/goflow2:v2.2.6");
    expect(c.args).toEqual(goflow2Args());
    // one netflow listener decodes v5/v9/IPFIX; a second would register /templates twice and panic
    expect(c.args.filter((a: string) => a.startsWith("-listen="))).toEqual([`-listen=netflow://:2055,sflow://:6343`]);
    expect(svc.inputs.spec.ports.find((p: { port: number }) => p.port === 4739).targetPort).toBe(2055);
    // the Kafka key is the exporter, so -transport.kafka.hashing keeps each exporter on one partition
    const mapping = YAML.parse(one(ofType(r, "kubernetes:core/v1:ConfigMap"), "goflow2-mapping").inputs.data["mapping.yaml"]);
    expect(mapping.formatter.key).toEqual(["sampler_address"]);
    expect(c.args).toContain("-transport.kafka.hashing=true");
    expect(c.args).toContain("-mapping=/etc/goflow2/mapping.yaml");
    expect(c.args).toEqual(expect.arrayContaining(["-transport=kafka", "-format=bin", `-transport.kafka.topic=${TOPICS.raw}`, `-transport.kafka.brokers=${KAFKA_BOOTSTRAP}`]));
    const hpa = one(ofType(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), "goflow2");
    expect(hpa.inputs.spec).toMatchObject({ minReplicas: tier.goflow2.hpa.min, maxReplicas: tier.goflow2.hpa.max });
    expect(dep.dependsOn).toContain(key(one(cr(r, "KafkaTopic"), TOPICS.raw)));
  });

  it("passes helios:flowSamplingRates and the raw TTL (as the time-plausibility bound) to flow-enricher", async () => {
    const rates = { default: 1000, exporters: { "192.0.2.1": { override: 4096 }, "2001:db8::1": { default: 512 } } };
    const r = await synth(baseConfig({ "helios:flowSamplingRates": rates }));
    const main = one(ofType(r, "kubernetes:apps/v1:Deployment"), "flow-enricher").inputs.spec.template.spec.containers.find((c: { name: string }) => c.name === "flow-enricher");
    const env = Object.fromEntries(main.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(JSON.parse(env.SAMPLING_RATES)).toEqual(rates);
    const ttlDays = Number(/TTL timestamp \+ INTERVAL (\d+) DAY/.exec(fs.readFileSync(path.join(REPO_ROOT, "migrations", "0001_flows_raw.sql"), "utf8"))![1]);
    expect(Number(env.FLOW_MAX_AGE_SECONDS)).toBe(ttlDays * 86400);
  });

  it("deploys flow-enricher with the tier's HPA, NetBox/MaxMind secrets from a Secret and geoipupdate keeping GeoIP current", async () => {
    const r = await resultP;
    const dep = one(ofType(r, "kubernetes:apps/v1:Deployment"), "flow-enricher");
    const spec = dep.inputs.spec.template.spec;
    const main = spec.containers.find((c: { name: string }) => c.name === "flow-enricher");
    expect(main.image).toBe("ghcr.io/helios-observability/flow-enricher:0.1.0");
    expect(main.resources).toEqual(tier.flowEnricher.resources);
    const env = Object.fromEntries(main.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ KAFKA_BROKERS: KAFKA_BOOTSTRAP, KAFKA_TOPIC_RAW: TOPICS.raw, KAFKA_TOPIC_ENRICHED: TOPICS.enriched, KAFKA_TOPIC_DEAD_LETTER: TOPICS.deadLetter, NETBOX_URL: "https://netbox.example.net" });
    expect(env.NETBOX_TOKEN).toEqual({ secretKeyRef: { name: "flow-enricher", key: "netbox-token" } });
    const updaters = [spec.initContainers[0], spec.containers.find((c: { name: string }) => c.name === "geoipupdate")];
    for (const u of updaters) {
      expect(u.image).toBe(imageRef(IMAGES.geoipupdate));
      expect(u.env).toContainEqual({ name: "GEOIPUPDATE_LICENSE_KEY", valueFrom: { secretKeyRef: { name: "flow-enricher", key: "maxmind-license-key" } } });
      expect(u.volumeMounts).toContainEqual({ name: "geoip", mountPath: "/var/lib/geoip" });
    }
    expect(updaters[0].env).toContainEqual({ name: "GEOIPUPDATE_FREQUENCY", value: "0" });
    expect(updaters[1].env).toContainEqual({ name: "GEOIPUPDATE_FREQUENCY", value: "24" });
    const secret = one(ofType(r, "kubernetes:core/v1:Secret"), "flow-enricher");
    expect(Object.keys(unwrap(secret.inputs.stringData)).sort()).toEqual(["maxmind-account-id", "maxmind-license-key", "netbox-token"]);
    const hpa = one(ofType(r, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), "flow-enricher");
    expect(hpa.inputs.spec).toMatchObject({ minReplicas: tier.flowEnricher.hpa.min, maxReplicas: tier.flowEnricher.hpa.max });
  });

  it("runs the migration Job after the ClickHouseInstallation, rendered for this install's shape", async () => {
    const r = await resultP;
    const jobs = ofType(r, "kubernetes:batch/v1:Job").filter((j) => j.namespace === FLOWS_NS);
    expect(jobs).toHaveLength(1);
    const job = jobs[0];
    expect(job.kubernetesName).toMatch(/^clickhouse-migrate-[0-9a-f]{10}$/);
    expect(job.dependsOn).toContain(key(one(cr(r, "ClickHouseInstallation"), "helios")));
    expect(job.dependsOn).toContain(key(one(cr(r, "KafkaTopic"), TOPICS.enriched)));
    const c = job.inputs.spec.template.spec.containers[0];
    expect(c.image).toBe("ghcr.io/helios-observability/clickhouse-migrator:0.1.0");
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    const shape = clickhouseShape(tier);
    expect(env).toMatchObject({ HELIOS_CH_REPLICATED: String(shape.replicated), HELIOS_CH_SHARDED: String(shape.sharded), KAFKA_TOPIC: TOPICS.enriched, KAFKA_CONSUMERS: String(kafkaConsumersPerNode(tier)) });
    expect(env.CLICKHOUSE_PASSWORD).toEqual({ secretKeyRef: { name: "clickhouse-credentials", key: "admin-password" } });
  });
});

describe("flow pipeline details", () => {
  it("renames the migration Job when migrations/ or the image tag change", async () => {
    const a = await synth(baseConfig({ "helios:imageTag": "1.0.0" }));
    const b = await synth(baseConfig({ "helios:imageTag": "1.0.1" }));
    const name = (r: SynthResult) => ofType(r, "kubernetes:batch/v1:Job").find((j) => j.namespace === FLOWS_NS)!.kubernetesName;
    expect(name(a)).not.toBe(name(b));
    expect(migrationsHash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("scrapes metrics only on ports the baseline lets Prometheus reach (8080, 9404, 9363)", async () => {
    const r = await synth(baseConfig({ "helios:tier": "large" }));
    const allowed = ALLOW_RULES.filter((a) => a.to === "flows" && a.from.some((f) => "namespace" in f && f.namespace === "storage")).flatMap((a) => a.ports.map((p) => p.port));
    const portOf = (name: string, portName: string) => {
      const dep = one(ofType(r, "kubernetes:apps/v1:Deployment"), name);
      return dep.inputs.spec.template.spec.containers.flatMap((c: { ports?: { name: string; containerPort: number }[] }) => c.ports ?? []).find((p: { name: string }) => p.name === portName).containerPort;
    };
    expect(allowed).toEqual(expect.arrayContaining([portOf("goflow2", "metrics"), portOf("flow-enricher", "http"), 9404, 9363]));
    const chi = one(cr(r, "ClickHouseInstallation"), "helios");
    expect(chi.inputs.spec.configuration.settings["prometheus/port"]).toBe(9363);
  });

  it("keeps 5% of the ClickHouse volume free (1 GiB..100 GiB) and refuses sizes it cannot read", () => {
    expect(keepFreeSpaceBytes("200Gi")).toBe(10 * 2 ** 30);
    expect(keepFreeSpaceBytes("8Ti")).toBe(100 * 2 ** 30);
    expect(keepFreeSpaceBytes("500Mi")).toBe(2 ** 30);
    expect(() => keepFreeSpaceBytes("200GB")).toThrow(/must be a size in Mi, Gi or Ti/);
  });

  it("uses enough Kafka consumers per ClickHouse node to cover the partitions, within half the CPU limit", () => {
    expect(TIER_NAMES.map((t) => kafkaConsumersPerNode(TIERS[t]))).toEqual([1, 2, 4, 8]);
  });

  it("reads a CPU limit in millicores as cores (1500m is 1.5, not 1,500)", () => {
    const xl = TIERS.xl;
    const milli = { ...xl, clickhouse: { ...xl.clickhouse, resources: { ...xl.clickhouse.resources, limits: { ...xl.clickhouse.resources.limits, cpu: "6000m" } } } };
    expect(kafkaConsumersPerNode(milli)).toBe(kafkaConsumersPerNode({ ...xl, clickhouse: { ...xl.clickhouse, resources: { ...xl.clickhouse.resources, limits: { ...xl.clickhouse.resources.limits, cpu: "6" } } } }));
    expect(kafkaConsumersPerNode(milli)).toBeLessThanOrEqual(3);
  });

  it("allows Kafka 9092 and ClickHouse 8123/9000 only from the pods that need them", async () => {
    const r = await synth(baseConfig());
    const policies = ofType(r, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.namespace === FLOWS_NS);
    const kafka = one(policies, "kafka-clients");
    expect(kafka.inputs.spec.podSelector.matchLabels).toEqual({ "strimzi.io/cluster": "helios-kafka", "strimzi.io/kind": "Kafka", "strimzi.io/name": "helios-kafka-kafka" });
    expect(kafka.inputs.spec.ingress[0].ports).toEqual([{ port: 9092, protocol: "TCP" }]);
    const kafkaFrom = kafka.inputs.spec.ingress[0].from.map((f: { podSelector: { matchLabels: Record<string, string> } }) => f.podSelector.matchLabels);
    expect(kafkaFrom).toEqual(expect.arrayContaining([{ "app.kubernetes.io/name": "goflow2" }, { "app.kubernetes.io/name": "flow-enricher" }, { "clickhouse.altinity.com/chi": "helios" }]));
    const ch = one(policies, "clickhouse-clients");
    expect(ch.inputs.spec.ingress[0].ports).toEqual([{ port: 8123, protocol: "TCP" }, { port: 9000, protocol: "TCP" }]);
    const chFrom = ch.inputs.spec.ingress[0].from.map((f: { podSelector: { matchLabels: Record<string, string> } }) => f.podSelector.matchLabels);
    expect(chFrom).toContainEqual({ "app.kubernetes.io/name": "clickhouse-migrator" });
    expect(chFrom).not.toContainEqual({ "app.kubernetes.io/name": "goflow2" });
    expect(policies.map((p) => p.kubernetesName)).toEqual(expect.arrayContaining(FLOWS_POD_RULES.map((x) => x.name)));
  });
});
