/** Writes real MaxMind-format City + ASN databases with Debian's MaxMind::DB::Writer (perl). */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const TOOLS_BIN = path.join(process.env.HELIOS_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "helios-tools"), "bin");

export interface GeoSpec {
  city: Array<{ network: string; country: string; city?: string }>;
  asn: Array<{ network: string; asn: number; org: string }>;
}

/** The test world: documentation ranges stand in for public networks. */
export const TEST_GEO: GeoSpec = {
  city: [
    { network: "198.51.100.0/24", country: "DE", city: "Berlin" },
    { network: "203.0.113.0/24", country: "JP", city: "Tokyo" },
    { network: "2001:db8:1::/48", country: "FR", city: "Paris" },
  ],
  asn: [
    { network: "198.51.100.0/24", asn: 64500, org: "Example Transit DE" },
    { network: "203.0.113.0/24", asn: 64501, org: "Example Cloud JP" },
    { network: "2001:db8:1::/48", asn: 64502, org: "Example Net FR" },
  ],
};

export function writeMmdb(dir: string, spec: GeoSpec = TEST_GEO): { city: string; asn: string } {
  const perl = path.join(TOOLS_BIN, "perl");
  if (!fs.existsSync(perl)) throw new Error(`mmdb_writer engine not installed (${perl}); run: bash scripts/test-infra/install-tools.sh mmdb_writer`);
  const city = path.join(dir, "city.mmdb");
  const asn = path.join(dir, "asn.mmdb");
  const r = spawnSync(perl, [path.join(__dirname, "..", "fixtures", "write-mmdb.pl"), city, asn], { input: JSON.stringify(spec), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`write-mmdb.pl failed: ${r.stderr}`);
  return { city, asn };
}
