/** protobufjs (reflection) view of proto/flow.proto: the reference the hand-written codecs are checked against. */
import * as path from "path";
import * as protobuf from "protobufjs";

export const PROTO_FILE = path.resolve(__dirname, "..", "..", "..", "..", "proto", "flow.proto");
const root = protobuf.loadSync(PROTO_FILE);
export const FlowMessage = root.lookupType("helios.flow.v1.FlowMessage");
export const EnrichedFlow = root.lookupType("helios.flow.v1.EnrichedFlow");

/** A goflow2-style Kafka value: varint length prefix + FlowMessage. */
export function goflowValue(fields: Record<string, unknown>): Buffer {
  return Buffer.from(FlowMessage.encodeDelimited(FlowMessage.fromObject(fields)).finish());
}

/** Decodes an EnrichedFlow; keys in the proto's snake_case (protobufjs camelCases them by default). */
export function decodeEnriched(buf: Uint8Array): Record<string, any> {
  const o = EnrichedFlow.toObject(EnrichedFlow.decode(buf), { longs: String, bytes: Buffer, defaults: true, enums: String });
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
}

export const ip4 = (s: string) => Buffer.from(s.split(".").map(Number));
