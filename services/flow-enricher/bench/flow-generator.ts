/**
 * The flow-path bench's exporters, in their own process so their CPU is not counted to any stage:
 * `node --import tsx flow-generator.ts <json>` sends NetFlow v9 (half the exporters) and IPFIX (the
 * other half) over UDP from one socket per exporter address (127.1.<i>.1, so goflow2 sees one
 * source per exporter, as with externalTrafficPolicy Local) at `rate` flows/s for `seconds`, then
 * prints one JSON line {flows, datagrams, seconds, cpuSeconds}. Each datagram carries
 * `recordsPerDatagram` flow records (~30 fill a 1,500-byte frame, as routers send them); templates
 * go out first and every 10 s. Datagrams are built once and only their header clock and
 * sequence are rewritten at send time.
 */
import * as dgram from "dgram";
import { Field, Value, ip4, ipfix, netflowV9 } from "../test/helpers/datagrams";

export interface GeneratorArgs {
  /** goflow2's netflow:// listener (NetFlow v9 and IPFIX share it, as deployed) */
  port: number;
  exporters: number;
  rate: number;
  seconds: number;
  recordsPerDatagram: number;
}

/** The exporter addresses (NetBox knows them as devices' primary IPs). */
export const exporterAddress = (i: number) => `127.1.${i}.1`;

const T9: Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [10, 4], [14, 4], [1, 4], [2, 4], [22, 4], [21, 4], [34, 4], [35, 1]];
const TIPFIX: Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [6, 1], [10, 4], [14, 4], [1, 8], [2, 8], [152, 8], [153, 8], [305, 4], [306, 4]];
const UPTIME_MS = 3_600_000;

interface Exporter {
  socket: dgram.Socket;
  ipfix: boolean;
  template: Buffer;
  data: Buffer[];
  next: number;
  sequence: number;
}

/** Skewed host popularity in the bench's GeoIP space (bench/world.ts benchGeo: 11.0.0.0–26.255.255.255). */
function hosts(seed: number) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return {
    rnd,
    host: () => {
      const k = Math.floor(20_000 * rnd() ** 3);
      return Buffer.from([11 + ((k >> 16) & 15), (k >> 8) & 255, k & 255, 1 + (k % 250)]);
    },
  };
}

function buildExporter(i: number, perDatagram: number, pool = 32): Omit<Exporter, "socket"> {
  const isIpfix = i % 2 === 1;
  const { rnd, host } = hosts(i + 1);
  const now = Math.floor(Date.now() / 1000);
  const ms = BigInt(Date.now());
  const data: Buffer[] = [];
  for (let d = 0; d < pool; d++) {
    const recs: Value[][] = [];
    for (let r = 0; r < perDatagram; r++) {
      const bytes = 64 + Math.floor(rnd() * 1436);
      const [inIf, outIf] = [1 + Math.floor(rnd() * 48), 1 + Math.floor(rnd() * 48)];
      const base: Value[] = [host(), host(), 1024 + Math.floor(rnd() * 60000), [443, 80, 53, 22][r % 4], r % 5 === 0 ? 17 : 6, 0x18, inIf, outIf];
      recs.push(isIpfix ? [...base, BigInt(bytes), 1n, ms - 4000n, ms - 1000n, 1, 999] : [...base, bytes, 1, UPTIME_MS - 4000, UPTIME_MS - 1000, 1000, 2]);
    }
    data.push(
      isIpfix
        ? ipfix({ exportTime: now, sequence: 0, domain: i }, [{ kind: "data", id: 300, fields: TIPFIX, records: recs }])
        : netflowV9({ unixSecs: now, uptimeMs: UPTIME_MS, sequence: 0, sourceId: i }, [{ kind: "data", id: 300, fields: T9, records: recs }]),
    );
  }
  const template = isIpfix
    ? ipfix({ exportTime: now, sequence: 0, domain: i }, [{ kind: "template", id: 300, fields: TIPFIX }])
    : netflowV9({ unixSecs: now, uptimeMs: UPTIME_MS, sequence: 0, sourceId: i }, [{ kind: "template", id: 300, fields: T9 }]);
  return { ipfix: isIpfix, template, data, next: 0, sequence: 0 };
}

/** Rewrites the header clock and sequence (NetFlow v9: RFC 3954 §5.1; IPFIX: RFC 7011 §3.1). */
function stamp(e: Exporter, b: Buffer, records: number): void {
  const now = Math.floor(Date.now() / 1000);
  if (e.ipfix) {
    b.writeUInt32BE(now, 4);
    b.writeUInt32BE(e.sequence >>> 0, 8); // IPFIX counts data records
    e.sequence += records;
  } else {
    b.writeUInt32BE(now, 8);
    b.writeUInt32BE(e.sequence >>> 0, 12); // NetFlow v9 counts packets
    e.sequence += 1;
  }
}

async function run(a: GeneratorArgs): Promise<void> {
  const exporters: Exporter[] = [];
  for (let i = 0; i < a.exporters; i++) {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: exporterAddress(i), port: 0 }, () => resolve());
    });
    // connected: no address lookup per datagram
    await new Promise<void>((resolve) => socket.connect(a.port, "127.0.0.1", () => resolve()));
    exporters.push({ ...buildExporter(i, a.recordsPerDatagram), socket });
  }
  const send = (e: Exporter, b: Buffer) =>
    new Promise<void>((resolve, reject) => e.socket.send(b, (err) => (err ? reject(err) : resolve())));
  const templates = async () => {
    for (const e of exporters) {
      stamp(e, e.template, 0);
      await send(e, e.template);
    }
  };
  await templates();
  // let goflow2 store the templates before the first data set
  await new Promise((r) => setTimeout(r, 200));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const datagramsTotal = Math.round((a.rate * a.seconds) / a.recordsPerDatagram);
  let sent = 0;
  let lastTemplates = t0;
  let turn = 0;
  // after this process was descheduled (a shared machine), catch up at most 2× the rate: a
  // backlog sent as one burst would overflow goflow2's socket buffer, a burst no exporter sends
  const perTickMax = Math.max(2, Math.ceil((a.rate / a.recordsPerDatagram) * 0.004));
  while (sent < datagramsTotal) {
    const elapsed = (performance.now() - t0) / 1000;
    const due = Math.min(datagramsTotal, Math.floor((elapsed * a.rate) / a.recordsPerDatagram), sent + perTickMax);
    const pending: Array<Promise<void>> = [];
    while (sent < due) {
      const e = exporters[turn++ % exporters.length];
      const b = e.data[e.next++ % e.data.length];
      stamp(e, b, a.recordsPerDatagram);
      pending.push(send(e, b));
      sent++;
      // bounded bursts: the kernel queue of a socket is not infinite either
      if (pending.length >= 256) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    if (performance.now() - lastTemplates > 10_000) {
      lastTemplates = performance.now();
      await templates();
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  for (const e of exporters) e.socket.close();
  console.log(JSON.stringify({ flows: sent * a.recordsPerDatagram, datagrams: sent, seconds, cpuSeconds: (cu.user + cu.system) / 1e6 }));
}

if (require.main === module) {
  const a = JSON.parse(process.argv[2] ?? "{}") as GeneratorArgs;
  for (const k of ["port", "exporters", "rate", "seconds", "recordsPerDatagram"] as const) {
    if (!(typeof a[k] === "number" && a[k] > 0)) {
      console.error(`flow-generator: ${k} must be a positive number (got ${JSON.stringify(a[k])})`);
      process.exit(2);
    }
  }
  if (a.exporters > 255) {
    console.error(`flow-generator: exporters must be at most 255 (one 127.1.<i>.1 address each; got ${a.exporters})`);
    process.exit(2);
  }
  run(a).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
