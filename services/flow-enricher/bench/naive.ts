/**
 * The straightforward version the issue describes, measured in the same run as a yardstick:
 * protobufjs reflection decode/encode and four `maxmind` lookups per flow with its LRU cache.
 */
import maxmind, { AsnResponse, CityResponse, Reader } from "maxmind";
import { EnrichedFlow, FlowMessage } from "../test/helpers/proto";
import { DeviceInfo, NetBoxSnapshot } from "../src/netbox";

const TYPES = ["FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5", "NETFLOW_V9", "IPFIX"];
const ipText = (b: Uint8Array) => (b.length === 4 ? b.join(".") : Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16)).join(":"));

export class NaiveEnricher {
  private constructor(private city: Reader<CityResponse>, private asn: Reader<AsnResponse>, private snap: NetBoxSnapshot) {}
  /** maxmind.open with its LRU cache (tiny-lru), as a straightforward service would */
  static async open(cityPath: string, asnPath: string, snap: NetBoxSnapshot): Promise<NaiveEnricher> {
    const opts = { cache: { max: 200_000 } };
    return new NaiveEnricher(await maxmind.open<CityResponse>(cityPath, opts), await maxmind.open<AsnResponse>(asnPath, opts), snap);
  }
  process(value: Buffer): { key: Buffer; value: Buffer } {
    const m = FlowMessage.decodeDelimited(value) as unknown as Record<string, any>;
    const dev: DeviceInfo | undefined = this.snap.byAddress.get(ipText(m.samplerAddress));
    const src = ipText(m.srcAddr);
    const dst = ipText(m.dstAddr);
    const sc = this.city.get(src);
    const dc = this.city.get(dst);
    const sa = this.asn.get(src);
    const da = this.asn.get(dst);
    const i = dev?.interfaces.get(m.inIf);
    const o = dev?.interfaces.get(m.outIf);
    const out = EnrichedFlow.fromObject({
      type: TYPES[m.type] ?? "FLOWUNKNOWN",
      timeReceivedNs: m.timeReceivedNs, timeFlowStartNs: m.timeFlowStartNs, timeFlowEndNs: m.timeFlowEndNs,
      sequenceNum: m.sequenceNum, samplingRate: m.samplingRate, samplerAddress: m.samplerAddress,
      srcAddr: m.srcAddr, dstAddr: m.dstAddr, srcPort: m.srcPort, dstPort: m.dstPort, proto: m.proto, etype: m.etype,
      bytes: m.bytes, packets: m.packets, inIf: m.inIf, outIf: m.outIf,
      srcAs: m.srcAs || sa?.autonomous_system_number || 0, dstAs: m.dstAs || da?.autonomous_system_number || 0, tcpFlags: m.tcpFlags,
      exporterName: dev?.name ?? "", site: dev?.site ?? "", region: dev?.region ?? "", role: dev?.role ?? "", tenant: dev?.tenant ?? "",
      vendor: dev?.vendor ?? "", platform: dev?.platform ?? "", tier: dev?.tier ?? "",
      inIfName: i?.name ?? "", outIfName: o?.name ?? "", inIfSpeed: i?.speed ?? 0, outIfSpeed: o?.speed ?? 0,
      srcCountry: sc?.country?.iso_code ?? "", dstCountry: dc?.country?.iso_code ?? "",
      srcCity: sc?.city?.names?.en ?? "", dstCity: dc?.city?.names?.en ?? "",
      srcAsName: sa?.autonomous_system_organization ?? "", dstAsName: da?.autonomous_system_organization ?? "",
    });
    return { key: Buffer.from(m.samplerAddress), value: Buffer.from(EnrichedFlow.encode(out).finish()) };
  }
}
