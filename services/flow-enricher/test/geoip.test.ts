/** GeoIP step against real MaxMind-format databases written by MaxMind::DB::Writer (perl). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GeoIp, GeoIpFileError, isPrivateAddress } from "../src/geoip";
import { TEST_GEO, writeMmdb } from "./helpers/mmdb";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-fe-geo-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("GeoIp", () => {
  const files = writeMmdb(dir);

  it("looks up country, city, ASN and AS name for IPv4 and IPv6", () => {
    const g = new GeoIp(files.city, files.asn);
    expect(g.lookup("198.51.100.7")).toEqual({ country: "DE", city: "Berlin", asn: 64500, asName: "Example Transit DE" });
    expect(g.lookup("2001:db8:1:0:0:0:0:5")).toEqual({ country: "FR", city: "Paris", asn: 64502, asName: "Example Net FR" });
  });

  it("returns empty fields for an address the databases do not know", () => {
    const g = new GeoIp(files.city, files.asn);
    expect(g.lookup("192.0.2.99")).toEqual({ country: "", city: "", asn: 0, asName: "" });
  });

  it("refuses to start when a file is missing, naming the path", () => {
    const missing = path.join(dir, "nope", "GeoLite2-City.mmdb");
    expect(() => new GeoIp(missing, files.asn)).toThrow(GeoIpFileError);
    expect(() => new GeoIp(missing, files.asn)).toThrow(missing);
    expect(() => new GeoIp(files.city, path.join(dir, "asn-missing.mmdb"))).toThrow(/ASN database not found at .*asn-missing.mmdb/);
  });

  it("refuses a file that is not a MaxMind DB, naming the path", () => {
    const junk = path.join(dir, "junk.mmdb");
    fs.writeFileSync(junk, "not a database");
    expect(() => new GeoIp(junk, files.asn)).toThrow(new RegExp(`${junk} is not a valid MaxMind DB`));
  });

  it("reloads when the file changes on disk and keeps the old database when the new one is broken", () => {
    const d2 = fs.mkdtempSync(path.join(dir, "reload-"));
    const f = writeMmdb(d2);
    const g = new GeoIp(f.city, f.asn);
    expect(g.lookup("198.51.100.7").city).toBe("Berlin");
    expect(g.reloadIfChanged()).toBe(false);
    writeMmdb(d2, { ...TEST_GEO, city: [{ network: "198.51.100.0/24", country: "AT", city: "Vienna" }] });
    fs.utimesSync(f.city, new Date(), new Date(Date.now() + 5000));
    expect(g.reloadIfChanged()).toBe(true);
    expect(g.lookup("198.51.100.7")).toMatchObject({ country: "AT", city: "Vienna" });
    fs.writeFileSync(f.city, "broken");
    const errors: string[] = [];
    expect(g.reloadIfChanged((e) => errors.push(e.message))).toBe(false);
    expect(errors[0]).toMatch(/not a valid MaxMind DB/);
    expect(g.reloadFailures).toBe(1);
    expect(g.lookup("198.51.100.7").city).toBe("Vienna");
  });
});

describe("isPrivateAddress", () => {
  const v4 = (s: string) => Buffer.from(s.split(".").map(Number));
  const v6 = (hex: string) => Buffer.from(hex, "hex");
  it.each([
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.32.0.1", false],
    ["192.168.1.1", true],
    ["127.0.0.1", true],
    ["169.254.1.1", true],
    ["100.64.0.1", true],
    ["224.0.0.5", true],
    ["198.51.100.7", false],
    ["8.8.8.8", false],
  ])("%s → %s", (ip, want) => {
    const b = v4(ip);
    expect(isPrivateAddress(b, 0, 4)).toBe(want);
  });
  it("handles IPv6 ULA, link-local, loopback, mapped and global", () => {
    expect(isPrivateAddress(v6("fd000000000000000000000000000001"), 0, 16)).toBe(true);
    expect(isPrivateAddress(v6("fe800000000000000000000000000001"), 0, 16)).toBe(true);
    expect(isPrivateAddress(v6("00000000000000000000000000000001"), 0, 16)).toBe(true);
    expect(isPrivateAddress(v6("00000000000000000000ffff0a000001"), 0, 16)).toBe(true);
    expect(isPrivateAddress(v6("20010db8000100000000000000000005"), 0, 16)).toBe(false);
    expect(isPrivateAddress(Buffer.alloc(3), 0, 3)).toBe(true);
  });
});
