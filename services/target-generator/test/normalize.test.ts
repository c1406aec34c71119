import { DEFAULT_NORMALIZE, normalizeDevice, parseProbe } from "../src/normalize";
import { siteMap } from "../src/sync";
import { TAXONOMY_LABELS } from "../src/types";
import { TAXONOMY_LABELS as PROGRAM_TAXONOMY } from "../../../components/labels";
import { rawDevice, rawSite } from "./fixtures";

const sites = siteMap([rawSite(1, "eu-west"), rawSite(2, null)]);
const opts = { ...DEFAULT_NORMALIZE, sites };

describe("normalizeDevice", () => {
  it("uses the same taxonomy as the Pulumi program", () => {
    expect([...TAXONOMY_LABELS]).toEqual([...PROGRAM_TAXONOMY]);
  });

  it("maps a NetBox 4.x device to the seven labels and its targets", () => {
    const r = normalizeDevice(rawDevice({ id: 7, name: "leaf-1" }), opts);
    expect(r.skips).toEqual([]);
    expect(r.device).toEqual({
      id: 7,
      display: "leaf-1",
      address: "10.0.0.8",
      labels: { device: "leaf-1", site: "site-1", region: "eu-west", vendor: "arista", platform: "eos", role: "leaf", tier: "gold" },
      gnmi: { enabled: true, port: 6030 },
      snmp: { enabled: true, module: "arista_sw", auth: "public_v2" },
      telemetryProfile: "standard",
      probes: [
        { kind: "icmp", target: "10.0.0.8" },
        { kind: "tcp", target: "10.0.0.8:22" },
      ],
      // The optional custom fields are null on this device: their defaults apply, and are counted.
      fallbacks: ["custom_fields.address_family", "custom_fields.snmp_auth"],
    });
  });

  it("platform missing becomes 'unknown'; defaults for gnmi_port, snmp_module, telemetry_profile", () => {
    const r = normalizeDevice(rawDevice({ id: 1, name: "x", platform: null, cf: { gnmi_port: null, snmp_module: null, telemetry_profile: null, snmp_auth: "v3_ro" } }), opts);
    expect(r.device?.labels.platform).toBe("unknown");
    expect(r.device?.gnmi.port).toBe(57400);
    expect(r.device?.snmp).toEqual({ enabled: true, module: "if_mib", auth: "v3_ro" });
    expect(r.device?.telemetryProfile).toBe("standard");
    expect(r.device?.fallbacks.sort()).toEqual(["custom_fields.address_family", "custom_fields.gnmi_port", "custom_fields.snmp_module", "custom_fields.telemetry_profile", "platform"]);
  });

  describe("address family (primary_ip4 / primary_ip6, never NetBox's computed primary_ip)", () => {
    const dual = (cf: Record<string, unknown> = {}) => rawDevice({ id: 5, name: "dual", ip: "192.0.2.5/24", ip6: "2001:db8::5/64", cf });
    it("NetBox's primary_ip of a dual-stack device is IPv6 (no PREFER_IPV4); the default prefer-ipv4 still picks IPv4", () => {
      expect((dual().primary_ip as { address: string }).address).toBe("2001:db8::5/64");
      expect(normalizeDevice(dual(), opts).device?.address).toBe("192.0.2.5");
    });
    it.each([
      ["ipv4", "192.0.2.5"],
      ["ipv6", "2001:db8::5"],
      ["prefer-ipv4", "192.0.2.5"],
      ["prefer-ipv6", "2001:db8::5"],
    ] as const)("--address-family %s on a dual-stack device -> %s", (family, address) => {
      expect(normalizeDevice(dual(), { ...opts, addressFamily: family }).device?.address).toBe(address);
    });
    it("the device's address_family custom field overrides the global setting", () => {
      const r = normalizeDevice(dual({ address_family: "ipv6" }), { ...opts, addressFamily: "ipv4" });
      expect(r.device?.address).toBe("2001:db8::5");
      expect(r.device?.fallbacks).not.toContain("custom_fields.address_family");
    });
    it("an IPv6-only device is kept by prefer-ipv4, skipped by ipv4 with no_address_in_family", () => {
      const v6only = rawDevice({ id: 6, name: "v6only", ip: "2001:db8::6/64" });
      expect(normalizeDevice(v6only, opts).device?.address).toBe("2001:db8::6");
      const r = normalizeDevice(v6only, { ...opts, addressFamily: "ipv4" });
      expect(r.device).toBeUndefined();
      expect(r.skips[0]).toMatchObject({ id: 6, display: "v6only", reason: "no_address_in_family", scope: "device" });
    });
    it("an unknown address_family value skips the device with invalid_address_family", () => {
      expect(normalizeDevice(dual({ address_family: "both" }), opts).skips[0]).toMatchObject({ reason: "invalid_address_family", detail: expect.stringMatching(/"both" is not one of ipv4, ipv6, prefer-ipv4, prefer-ipv6/) });
    });
  });

  it("an unnamed device is skipped and identified by NetBox's display name and id", () => {
    const r = normalizeDevice(rawDevice({ id: 105, name: null, display: "r105-torsw:1" }), opts);
    expect(r.skips).toEqual([{ device: "id:105", id: 105, display: "r105-torsw:1", reason: "missing_name", detail: expect.any(String), scope: "device" }]);
  });

  it("IPv6 primary addresses get brackets in host:port targets", () => {
    const r = normalizeDevice(rawDevice({ id: 1, name: "v6", ip: "2001:db8::1/64", cf: { blackbox_probes: "http:8080/health, dns" } }), opts);
    expect(r.device?.address).toBe("2001:db8::1");
    expect(r.device?.probes).toEqual([
      { kind: "dns", target: "[2001:db8::1]:53" },
      { kind: "http", target: "http://[2001:db8::1]:8080/health" },
    ]);
  });

  const bad: [string, unknown, string][] = [
    ["not an object", "leaf-1", "not_an_object"],
    ["offline status", rawDevice({ id: 1, name: "a", status: "offline" }), "not_active"],
    ["no name", rawDevice({ id: 1, name: null }), "missing_name"],
    ["name with spaces", rawDevice({ id: 1, name: "leaf 1" }), "invalid_name"],
    ["helios_monitor false", rawDevice({ id: 1, name: "a", cf: { helios_monitor: false } }), "not_monitored"],
    ["helios_monitor missing", rawDevice({ id: 1, name: "a", cf: { helios_monitor: null } }), "not_monitored"],
    ["planned status", rawDevice({ id: 1, name: "a", status: "planned" }), "not_active"],
    ["no primary IP", rawDevice({ id: 1, name: "a", ip: null }), "missing_primary_ip"],
    ["garbage IP", rawDevice({ id: 1, name: "a", ip: "10.0.0.300/24" }), "invalid_primary_ip"],
    ["no site", rawDevice({ id: 1, name: "a", site: null }), "missing_site"],
    ["unknown site", rawDevice({ id: 1, name: "a", site: 99 }), "missing_site"],
    ["site without region", rawDevice({ id: 1, name: "a", site: 2 }), "missing_region"],
    ["no manufacturer", rawDevice({ id: 1, name: "a", vendor: null }), "missing_vendor"],
    ["no role", rawDevice({ id: 1, name: "a", role: null }), "missing_role"],
    ["no tier", rawDevice({ id: 1, name: "a", cf: { monitoring_tier: null } }), "missing_tier"],
    ["tier with spaces", rawDevice({ id: 1, name: "a", cf: { monitoring_tier: "gold plus" } }), "invalid_label"],
  ];
  it.each(bad)("skips a device with %s, with a reason", (_what, raw, reason) => {
    const r = normalizeDevice(raw, opts);
    expect(r.device).toBeUndefined();
    expect(r.skips).toHaveLength(1);
    expect(r.skips[0]).toMatchObject({ reason, scope: "device" });
  });

  it("a bad gnmi_port drops only the gnmic target; a bad probe only that probe", () => {
    const r = normalizeDevice(rawDevice({ id: 3, name: "a", cf: { gnmi_port: 70000, blackbox_probes: "icmp, tcp, smtp:25, http:99999" } }), opts);
    expect(r.device?.gnmi.enabled).toBe(false);
    expect(r.device?.snmp.enabled).toBe(true);
    expect(r.device?.probes).toEqual([{ kind: "icmp", target: "10.0.0.4" }]);
    expect(r.skips.map((s) => [s.reason, s.scope])).toEqual([
      ["invalid_gnmi_port", "gnmic"],
      ["invalid_probe", "blackbox"],
      ["invalid_probe", "blackbox"],
      ["invalid_probe", "blackbox"],
    ]);
  });

  it("blackbox_probes may be a list (multi-select / JSON field); a number is reported", () => {
    expect(normalizeDevice(rawDevice({ id: 1, name: "a", cf: { blackbox_probes: ["dns", "icmp"] } }), opts).device?.probes.map((p) => p.kind)).toEqual(["dns", "icmp"]);
    const r = normalizeDevice(rawDevice({ id: 1, name: "a", cf: { blackbox_probes: 42 } }), opts);
    expect(r.device?.probes).toEqual([]);
    expect(r.skips[0]).toMatchObject({ reason: "invalid_probe" });
  });

  it("parseProbe explains what it accepts", () => {
    expect(parseProbe("HTTP/healthz", "10.1.1.1")).toEqual({ kind: "http", target: "http://10.1.1.1/healthz" });
    expect(parseProbe("icmp:5", "10.1.1.1")).toMatch(/icmp takes no port/);
    expect(parseProbe("tcp", "10.1.1.1")).toMatch(/tcp needs a port/);
    expect(parseProbe("dns/x", "10.1.1.1")).toMatch(/only http probes take a path/);
    expect(parseProbe("ftp", "10.1.1.1")).toMatch(/not one of icmp, tcp, http, dns/);
  });
});
