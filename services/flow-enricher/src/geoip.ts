/**
 * GeoIP: MaxMind-format City and ASN databases read with the `maxmind` package (mmdb-lib).
 * Files are read into memory and re-read when their mtime/size changes (polled), so a
 * geoipupdate sidecar can replace them in place. A missing or unreadable file refuses to
 * start, naming the path. Lookups of private/reserved addresses are skipped.
 */
import * as fs from "fs";
import { AsnResponse, CityResponse, Reader, Response } from "maxmind";

export interface GeoInfo {
  country: string;
  city: string;
  asn: number;
  asName: string;
}

export class GeoIpFileError extends Error {}

function loadReader<T extends Response>(file: string, kind: string): { reader: Reader<T>; stamp: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new GeoIpFileError(`GeoIP ${kind} database not found at ${file}`);
  }
  try {
    const reader = new Reader<T>(fs.readFileSync(file));
    return { reader, stamp: `${st.mtimeMs}:${st.size}` };
  } catch (e) {
    throw new GeoIpFileError(`GeoIP ${kind} database at ${file} is not a valid MaxMind DB: ${(e as Error).message}`);
  }
}

/** True for addresses no GeoIP database describes (RFC 1918, loopback, link-local, CGNAT, ULA, multicast, unspecified). */
export function isPrivateAddress(b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (len === 4) return isPrivateV4(b[s], b[s + 1]);
  if (len === 16) {
    // IPv4-mapped ::ffff:a.b.c.d
    let mapped = true;
    for (let i = 0; i < 10; i++) if (b[s + i] !== 0) mapped = false;
    if (mapped && b[s + 10] === 0xff && b[s + 11] === 0xff) return isPrivateV4(b[s + 12], b[s + 13]);
    const b0 = b[s];
    if ((b0 & 0xfe) === 0xfc) return true; // fc00::/7 ULA
    if (b0 === 0xfe && (b[s + 1] & 0xc0) === 0x80) return true; // fe80::/10
    if (b0 === 0xff) return true; // multicast
    let zero = true;
    for (let i = 0; i < 15; i++) if (b[s + i] !== 0) zero = false;
    return zero; // :: and ::1
  }
  return true;
}

function isPrivateV4(a: number, b: number): boolean {
  return (
    a === 10 || a === 127 || a === 0 || a >= 224 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** Text form of a 4- or 16-byte address (for database lookups and logs). */
export function addressToString(b: Buffer, s: number, e: number): string {
  if (e - s === 4) return `${b[s]}.${b[s + 1]}.${b[s + 2]}.${b[s + 3]}`;
  const parts: string[] = [];
  for (let i = s; i < e; i += 2) parts.push(((b[i] << 8) | b[i + 1]).toString(16));
  return parts.join(":");
}

export class GeoIp {
  private city: Reader<CityResponse>;
  private asn: Reader<AsnResponse>;
  private stamps: [string, string];
  private timer?: NodeJS.Timeout;
  /** Unix seconds of the last successful (re)load. */
  lastReload = Date.now() / 1000;
  reloads = 0;
  reloadFailures = 0;

  constructor(readonly cityPath: string, readonly asnPath: string, private readonly lang = "en") {
    const c = loadReader<CityResponse>(cityPath, "City");
    const a = loadReader<AsnResponse>(asnPath, "ASN");
    this.city = c.reader;
    this.asn = a.reader;
    this.stamps = [c.stamp, a.stamp];
  }

  lookup(ip: string): GeoInfo {
    const c = this.city.get(ip);
    const a = this.asn.get(ip);
    return {
      country: c?.country?.iso_code ?? c?.registered_country?.iso_code ?? "",
      city: (c?.city?.names as Record<string, string> | undefined)?.[this.lang] ?? "",
      asn: a?.autonomous_system_number ?? 0,
      asName: a?.autonomous_system_organization ?? "",
    };
  }

  /** Re-reads the files if they changed; returns true when a new database was swapped in. Keeps the old one on error. */
  reloadIfChanged(onError: (e: Error) => void = () => undefined): boolean {
    const stamp = (f: string) => {
      try {
        const st = fs.statSync(f);
        return `${st.mtimeMs}:${st.size}`;
      } catch {
        return "missing";
      }
    };
    const now: [string, string] = [stamp(this.cityPath), stamp(this.asnPath)];
    if (now[0] === this.stamps[0] && now[1] === this.stamps[1]) return false;
    try {
      const c = loadReader<CityResponse>(this.cityPath, "City");
      const a = loadReader<AsnResponse>(this.asnPath, "ASN");
      this.city = c.reader;
      this.asn = a.reader;
      this.stamps = [c.stamp, a.stamp];
      this.lastReload = Date.now() / 1000;
      this.reloads++;
      return true;
    } catch (e) {
      this.stamps = now; // do not retry the same broken file every tick
      this.reloadFailures++;
      onError(e as Error);
      return false;
    }
  }

  /** Polls the files every `intervalMs`, calling `onReload` after a swap. */
  watch(intervalMs: number, onReload: () => void, onError: (e: Error) => void): void {
    this.timer = setInterval(() => {
      if (this.reloadIfChanged(onError)) onReload();
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
