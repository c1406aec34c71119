// Stack config: every key is validated, with messages naming key, bad value and what is allowed.
import { ConfigError, parseHeliosConfig, PLAIN_KEYS, SECRET_KEYS } from "../../components/config";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flattenConfig, readStackConfigFile } from "../../scripts/lib/stack-config";
import { synthesize } from "../../scripts/lib/synthesize";
import { TIER_NAMES } from "../../components/tiers";
import { baseConfig, synth } from "../helpers/stacks";

/** Parses as the offline plan does unless `planMode` is false (a real `pulumi up`). */
function parse(config: Record<string, unknown>, secretKeys: string[] = [], planMode = true) {
  const flat = flattenConfig(config);
  return parseHeliosConfig({ values: flat.values, secretKeys: new Set([...flat.secretKeys, ...secretKeys]), stack: "dc-t", planMode });
}

function errorOf(config: Record<string, unknown>, secretKeys: string[] = []): string {
  try {
    parse(config, secretKeys);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("stack config", () => {
  it("parses a valid config with defaults", () => {
    const c = parse(baseConfig());
    expect(c.tier).toBe("small");
    expect(c.peers).toEqual([]);
    expect(c.thanosRetention).toEqual({ raw: "14d", downsampled5m: "30d", downsampled1h: "90d" });
    expect(c.imageRegistry).toBe("ghcr.io/helios-observability");
  });

  it("names the key, the bad value and the allowed tiers", () => {
    const msg = errorOf(baseConfig({ "helios:tier": "huge" }));
    expect(msg).toContain("helios:tier");
    expect(msg).toContain('"huge"');
    for (const t of TIER_NAMES) expect(msg).toContain(t);
  });

  it("rejects an unknown (misspelled) key and suggests the right one", () => {
    const msg = errorOf(baseConfig({ "helios:storageTopolgy": "cloud-s3" }));
    expect(msg).toContain("helios:storageTopolgy: unknown key");
    expect(msg).toContain("did you mean helios:storageTopology");
  });

  it("leaves keys of other namespaces alone", () => {
    expect(() => parse(baseConfig({ "kubernetes:context": "x", "aws:region": "eu-west-1" }))).not.toThrow();
  });

  // One bad value per plain key, each with the fragment its message must contain.
  const badValues: Record<keyof typeof PLAIN_KEYS, [unknown, string]> = {
    datacenter: ["DC_A", "DNS label"],
    region: ["Europe West", "DNS label"],
    role: ["leader", "allowed: primary, secondary"],
    tier: ["huge", "allowed: small, medium, large, xl"],
    storageTopology: ["nfs", "allowed: single-dc-minio, multi-dc-minio, cloud-s3, hybrid"],
    peers: [["dc-b", "Not A Stack"], "helios:peers.1"],
    peerStackPrefix: ["just-one-part", "<organization>/<project>"],
    managementCidrs: [["10.0.0.0/33"], "CIDR"],
    kubeconfig: ["", "helios:kubeconfig"],
    kubeContext: ["", "helios:kubeContext"],
    imageRegistry: ["https://ghcr.io/acme", "registry path"],
    imageTag: ["bad tag!", "valid image tag"],
    imageDigests: [{ "flow-enricher": "sha256:abc" }, "helios:imageDigests.flow-enricher"],
    netboxUrl: ["netbox.local", "absolute URL"],
    netboxFilters: [{ "Site Name": "dc-a" }, "NetBox filter name"],
    maxmindAccountId: ["acme", "numeric MaxMind account ID"],
    flowSamplingRates: [{ exporters: { "edge-1": { default: 100 } } }, "must be an exporter IP address"],
    alertEmail: [{ to: "not-an-email", from: "a@b.c", smarthost: "smtp:25" }, "helios:alertEmail.to"],
    accessGroups: [{ admin: "noc admins" }, "helios:accessGroups.admin"],
    secretStore: [{ kind: "ClusterSecretStore", name: "vault", remoteKeys: { gnmi: "g", snmp: "s", netbox: "n" } }, "helios:secretStore.remoteKeys.maxmind: is required"],
    oidc: [{ issuerUrl: "https://sso", clientId: "x", extra: 1 }, "unknown field(s) extra"],
    thanosRetention: [{ raw: "two weeks" }, "helios:thanosRetention.raw"],
    objectStorage: [{ bucket: "Bad_Bucket" }, "valid S3 bucket name"],
    federationDomain: ["https://dc-a.example.net", "DNS domain"],
    ingressFrom: [{ namespaces: ["Ingress_NGINX"] }, "Kubernetes namespace name"],
    collectionTargets: ["netbox", "allowed: generator, static"],
    gnmiUsername: ["", "helios:gnmiUsername"],
    gnmiTlsSkipVerify: ["yes", "helios:gnmiTlsSkipVerify"],
    snmpUsername: ["", "helios:snmpUsername"],
    chartMirror: ["s3://charts", "must be oci://"],
    awaitWorkloads: ["no", "helios:awaitWorkloads"],
    runbookScripts: [{ images: ["registry.example.net/netops/cli:latest"] }, "moving tag latest"],
  };
  it.each(Object.entries(badValues))("rejects a bad helios:%s", (key, [value, fragment]) => {
    const msg = errorOf(baseConfig({ [`helios:${key}`]: value }));
    expect(msg).toContain(`helios:${key}`);
    expect(msg).toContain(fragment);
  });

  it("requires the keys that have no default", () => {
    const config = baseConfig();
    for (const k of ["datacenter", "region", "role", "tier", "storageTopology", "managementCidrs", "netboxUrl"]) delete config[`helios:${k}`];
    const msg = errorOf(config);
    for (const k of ["datacenter", "region", "role", "tier", "storageTopology", "managementCidrs", "netboxUrl"]) {
      expect(msg).toContain(`helios:${k}: is required`);
    }
  });

  it("lists every problem at once", () => {
    const msg = errorOf(baseConfig({ "helios:tier": "huge", "helios:role": "boss" }));
    expect(msg).toContain("helios:tier");
    expect(msg).toContain("helios:role");
  });

  it("refuses a secret given as plain config", () => {
    for (const k of Object.keys(SECRET_KEYS)) {
      const msg = errorOf(baseConfig({ [`helios:${k}`]: "plain-text-value" }));
      expect(msg).toContain(`helios:${k}: is a secret`);
      expect(msg).toContain("pulumi config set --secret");
    }
  });

  it("accepts secrets set as secrets, and makes absent ones placeholders only in plan mode", () => {
    const deployable = {
      "helios:netboxToken": { secure: "v1:abc" },
      "helios:maxmindLicenseKey": { secure: "v1:def" },
      "helios:grafanaAdminPassword": { secure: "v1:ghi" },
      "helios:minioRootPassword": { secure: "v1:jkl" },
      "helios:maxmindAccountId": "123456",
    };
    const real = parse(baseConfig(deployable), [], false);
    expect(real.secrets.netboxToken).toBeDefined();
    expect(real.secrets.slackWebhookUrl).toBeUndefined();
    const plan = parse(baseConfig(), [], true);
    expect(plan.secrets.slackWebhookUrl).toBeDefined();
  });

  it("refuses a real deployment without the NetBox token and the MaxMind credentials", () => {
    let msg = "";
    try {
      parse(baseConfig(), [], false);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain("helios:netboxToken: is required to deploy");
    expect(msg).toContain("helios:maxmindLicenseKey: is required to deploy");
    expect(msg).toContain("helios:maxmindAccountId: is required to deploy");
    expect(msg).toContain("pulumi config set --secret helios:netboxToken");
  });

  it("refuses, before any resource, a deployment without the secrets its options need", () => {
    const base = { "helios:netboxToken": { secure: "v1:abc" }, "helios:maxmindLicenseKey": { secure: "v1:def" }, "helios:maxmindAccountId": "1" };
    const msgOf = (extra: Record<string, unknown>) => {
      try {
        parse(baseConfig({ ...base, ...extra }), [], false);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(msgOf({ "helios:storageTopology": "cloud-s3" })).toContain("helios:grafanaAdminPassword: is required to deploy");
    const oidc = { issuerUrl: "https://sso.example.net/realms/x", clientId: "grafana" };
    expect(msgOf({ "helios:oidc": oidc })).toContain("helios:oidcClientSecret: is required when helios:oidc is set");
    expect(msgOf({ "helios:storageTopology": "single-dc-minio" })).toContain("helios:minioRootPassword: is required for storageTopology single-dc-minio");
    expect(msgOf({ "helios:storageTopology": "cloud-s3" })).not.toContain("helios:minioRootPassword");
  });

  it("rejects a stack that lists itself or a peer twice, and multi-dc-minio without peers", () => {
    expect(errorOf(baseConfig({ "helios:peers": ["dc-t"] }))).toContain("lists this stack itself");
    expect(errorOf(baseConfig({ "helios:peers": ["dc-b", "dc-b"] }))).toContain("dc-b more than once");
    expect(errorOf(baseConfig({ "helios:storageTopology": "multi-dc-minio" }))).toContain("needs at least one peer");
  });

  it("rejects a bad CIDR or an unknown field in helios:ingressFrom, and defaults it to anywhere", () => {
    expect(errorOf(baseConfig({ "helios:ingressFrom": { cidrs: ["10.0.0.0/40"] } }))).toMatch(/helios:ingressFrom\.cidrs\.0.*CIDR/);
    expect(errorOf(baseConfig({ "helios:ingressFrom": { namespace: "ingress-nginx" } }))).toContain("unknown field(s) namespace");
    expect(parse(baseConfig()).ingressFrom).toEqual({ namespaces: [], cidrs: [] });
  });

  it("checks helios:runbookScripts images as the operator would, and defaults to no images and SSH to devices", () => {
    expect(errorOf(baseConfig({ "helios:runbookScripts": { images: ["registry.example.net/netops/cli"] } }))).toMatch(/helios:runbookScripts\.images.*has no tag or digest/);
    expect(errorOf(baseConfig({ "helios:runbookScripts": { devicePorts: [0] } }))).toContain("helios:runbookScripts.devicePorts.0");
    expect(errorOf(baseConfig({ "helios:runbookScripts": { image: "x:1" } }))).toContain("unknown field(s) image");
    expect(parse(baseConfig()).runbookScripts).toEqual({ images: [], devicePorts: [22] });
  });

  it("rejects a structured key given as a scalar", () => {
    expect(errorOf(baseConfig({ "helios:managementCidrs": "10.0.0.0/8" }))).toContain("helios:managementCidrs");
  });

  it.each(["1::2::3/64", ":::/64", "10.0.0.256/8", "2001:db8::/129", "fe80::1%eth0/64"])("rejects the malformed CIDR %s, naming the key", (cidr) => {
    expect(errorOf(baseConfig({ "helios:managementCidrs": [cidr] }))).toMatch(/helios:managementCidrs\.0: invalid value .*CIDR/);
    expect(errorOf(baseConfig({ "helios:ingressFrom": { cidrs: [cidr] } }))).toMatch(/helios:ingressFrom\.cidrs\.0: invalid value .*CIDR/);
  });

  it("accepts IPv6 and IPv4 networks written the usual ways", () => {
    expect(parse(baseConfig({ "helios:managementCidrs": ["2001:db8::/32", "::/0", "10.0.0.0/8", "::ffff:10.0.0.0/104"] })).managementCidrs).toHaveLength(4);
  });

  it("rejects a peer named like this stack's own datacenter when the stack name differs", () => {
    // stack dc-t, datacenter dc-t-prod: listing dc-t-prod would federate this DC with itself
    const msg = errorOf(baseConfig({ "helios:datacenter": "dc-t-prod", "helios:peers": ["dc-t-prod"] }));
    expect(msg).toContain("helios:peers: lists dc-t-prod, this stack's own datacenter");
  });

  it("access groups default to Grafana's names and refuse one group for two roles, naming the field", () => {
    expect(parse(baseConfig()).accessGroups).toEqual({ admin: "helios-admin", operator: "helios-engineer", viewer: "helios-viewer", kubernetesGroupPrefix: "" });
    const msg = errorOf(baseConfig({ "helios:accessGroups": { operator: "noc", viewer: "noc" } }));
    expect(msg).toContain("helios:accessGroups.viewer: invalid value \"noc\": is the same group as operator; each role needs its own group");
  });

  it("says a bad boolean must be true or false", () => {
    const msg = errorOf(baseConfig({ "helios:gnmiTlsSkipVerify": "yes" }));
    expect(msg).toContain('helios:gnmiTlsSkipVerify: invalid value "yes"; must be true or false');
    expect(msg).not.toContain("structured value");
  });

  it("refuses an unquoted number in a stack file that YAML would change (imageTag 0.10 → 0.1)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-stackfile-"));
    const file = path.join(dir, "Pulumi.dc-t.yaml");
    fs.writeFileSync(file, "config:\n  helios:imageTag: 0.10\n  helios:tier: small\n");
    expect(() => readStackConfigFile(file)).toThrow('Pulumi.dc-t.yaml: helios:imageTag: 0.10 is read by YAML (and Pulumi) as the number 0.1; quote it to keep it as written: "0.10"');
    fs.writeFileSync(file, 'config:\n  helios:imageTag: "0.10"\n  helios:maxmindAccountId: 123456\n');
    expect(readStackConfigFile(file).values).toEqual({ "helios:imageTag": "0.10", "helios:maxmindAccountId": "123456" });
  });

  it("refuses a peer that is not a stack of the project, instead of treating it as not deployed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-project-"));
    const stackFile = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.dc-b.yaml"), "utf8").replace("    - dc-a", "    - dc-z");
    fs.writeFileSync(path.join(dir, "Pulumi.dc-b.yaml"), stackFile);
    await expect(synthesize({ stack: "dc-b", projectRoot: dir })).rejects.toThrow("Pulumi.dc-b.yaml: helios:peers: dc-z is not a stack of this project (no Pulumi.dc-z.yaml)");
  });

  it("fails the program before any resource is registered", async () => {
    const attempt = synth(baseConfig({ "helios:tier": "huge" }));
    await expect(attempt).rejects.toThrow(/helios:tier: invalid value "huge"; allowed: small, medium, large, xl/);
  });
});
