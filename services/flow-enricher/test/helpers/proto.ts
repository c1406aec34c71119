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

const snakeCase = (m: protobuf.Message): Record<string, any> => {
  const o = EnrichedFlow.toObject(m, { longs: String, bytes: Buffer, defaults: true, enums: String });
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
};

/** Decodes a bare EnrichedFlow; keys in the proto's snake_case (protobufjs camelCases them by default). */
export function decodeEnriched(buf: Uint8Array): Record<string, any> {
  return snakeCase(EnrichedFlow.decode(buf));
}

/** Decodes every length-delimited EnrichedFlow in one enriched Kafka message, in order. */
export function decodeEnrichedMessage(buf: Uint8Array): Record<string, any>[] {
  const reader = protobuf.Reader.create(buf);
  const flows: Record<string, any>[] = [];
  while (reader.pos < reader.len) flows.push(snakeCase(EnrichedFlow.decodeDelimited(reader)));
  return flows;
}

/** Decodes a value that must hold exactly one length-delimited EnrichedFlow. */
export function decodeOneEnriched(buf: Uint8Array): Record<string, any> {
  const flows = decodeEnrichedMessage(buf);
  if (flows.length !== 1) throw new Error(`expected one EnrichedFlow, found ${flows.length}`);
  return flows[0];
}

export const ip4 = (s: string) => Buffer.from(s.split(".").map(Number));
