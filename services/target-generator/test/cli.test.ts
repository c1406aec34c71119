import { parseCli, UsageError } from "../src/cli";

const base = ["--netbox-url", "http://netbox.example"];
const env = { NETBOX_TOKEN: "Token abc" };

describe("parseCli: address family and guard thresholds", () => {
  it("defaults to prefer-ipv4 and a 10 % fallback-flip limit", () => {
    expect(parseCli(base, env)).toMatchObject({ addressFamily: "prefer-ipv4", maxFallbackRatio: 0.1 });
  });
  it.each(["ipv4", "ipv6", "prefer-ipv4", "prefer-ipv6"])("--address-family %s", (family) => {
    expect(parseCli([...base, "--address-family", family], env).addressFamily).toBe(family);
  });
  it("takes HELIOS_ADDRESS_FAMILY from the environment, the flag wins", () => {
    expect(parseCli(base, { ...env, HELIOS_ADDRESS_FAMILY: "ipv6" }).addressFamily).toBe("ipv6");
    expect(parseCli([...base, "--address-family", "ipv4"], { ...env, HELIOS_ADDRESS_FAMILY: "ipv6" }).addressFamily).toBe("ipv4");
  });
  it("refuses an unknown family and an out-of-range fraction, naming the allowed values", () => {
    expect(() => parseCli([...base, "--address-family", "dual"], env)).toThrow(UsageError);
    expect(() => parseCli([...base, "--address-family", "dual"], env)).toThrow(/ipv4, ipv6, prefer-ipv4, prefer-ipv6/);
    expect(() => parseCli([...base, "--max-fallback-flip", "2"], env)).toThrow(/--max-fallback-flip.*fraction/);
    expect(parseCli([...base, "--max-fallback-flip", "0.25"], env).maxFallbackRatio).toBe(0.25);
  });
});
