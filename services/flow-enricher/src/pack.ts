/**
 * encode → deliver: frames the enriched flows of one batch into Kafka messages. Each message holds
 * the length-delimited EnrichedFlows of ONE exporter, back to back, in arrival order (the framing
 * ClickHouse's Kafka engine reads with kafka_format = 'Protobuf'), keyed by that exporter, so an
 * exporter's flows stay in one partition and in order. Packing many flows per message is what
 * makes the Kafka path cheap: client and broker work is per record, not per byte (see docs/flows.md).
 */
import { addrKey } from "./enrich";
import type { EncodedFlow } from "./pipeline";

/** One Kafka message for the enriched topic. */
export interface PackedMessage {
  key: Buffer;
  value: Buffer;
  /** EnrichedFlows in `value` */
  flows: number;
}

interface OpenPack {
  key: Buffer;
  parts: Buffer[];
  bytes: number;
}

/**
 * Groups `flows` by key into messages of at most `maxBytes` (a flow larger than that travels
 * alone). Order within a key is kept; messages of one key come out in order.
 */
export function packByExporter(flows: EncodedFlow[], maxBytes: number): PackedMessage[] {
  const open = new Map<number | string, OpenPack>();
  const packed: PackedMessage[] = [];
  const close = (p: OpenPack) => packed.push({ key: p.key, value: p.parts.length === 1 ? p.parts[0] : Buffer.concat(p.parts, p.bytes), flows: p.parts.length });
  for (const f of flows) {
    // keys are exporter addresses: an int for IPv4 (no string per flow), text for IPv6
    const id = addrKey(f.key, 0, f.key.length);
    let p = open.get(id);
    if (p !== undefined && p.bytes + f.value.length > maxBytes) {
      close(p);
      p = undefined;
    }
    if (p === undefined) {
      p = { key: f.key, parts: [], bytes: 0 };
      open.set(id, p);
    }
    p.parts.push(f.value);
    p.bytes += f.value.length;
  }
  for (const p of open.values()) close(p);
  return packed;
}
