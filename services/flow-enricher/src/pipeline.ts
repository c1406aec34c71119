/**
 * decode → validate → resolve (resolve.ts) → enrich → encode for one batch of Kafka values (no I/O here); `pack.ts` then frames
 * the encoded flows into Kafka messages.
 * A bad input never throws out of this function: it becomes a dead letter with its reason.
 */
import { DecodeError, RawFlow, Slab, decodeFlowMessage, encodeDelimitedEnrichedFlow, rawPartBound, readDelimitedLength, varintSize } from "./codec";
import { Enricher, newBlocks } from "./enrich";
import { DEFAULT_RESOLVE_POLICY, Resolver } from "./resolve";

/** One enriched flow, encoded and length-delimited (varint length + EnrichedFlow). */
export interface EncodedFlow {
  /** exporter (sampler) address bytes: keeps one exporter's flows in one partition, in order */
  key: Buffer;
  value: Buffer;
}

export type DeadLetterStage = "size" | "decode" | "validate" | "enrich" | "encode";

/** A flow with invented values is refused (see invalidReason). */
class ValidationError extends Error {}

/**
 * Why goflow2's output cannot be a real flow, or "" when it can. goflow2 v2.2.6 turns some
 * malformed datagrams into flows instead of errors (measured, test/bad-datagrams.test.ts): a
 * truncated NetFlow v5 record becomes a flow of 0 bytes from 0.0.0.0, an sFlow record whose
 * length overruns its sample a flow of 0 bytes and no addresses, a zero-length address field
 * a flow with one address. Such a flow would count nothing or count under an invented address.
 */
export function invalidReason(f: RawFlow): string {
  if (f.bytesE === f.bytesS || (f.bytesE - f.bytesS === 1 && f.buf[f.bytesS] === 0)) return "flow with 0 bytes (a truncated or malformed record)";
  const s = f.srcAddrE - f.srcAddrS;
  const d = f.dstAddrE - f.dstAddrS;
  if ((s === 0) !== (d === 0)) return "flow with only one address (a zero-length or malformed address field)";
  return "";
}

export interface DeadLetter {
  value: Buffer;
  key: Buffer | null;
  stage: DeadLetterStage;
  error: string;
}

export interface BatchResult {
  out: EncodedFlow[];
  dead: DeadLetter[];
}

export class Processor {
  private readonly flow = new RawFlow();
  private readonly blocks = newBlocks();
  private readonly slab = new Slab();
  private readonly frame = { start: 0, end: 0 };

  constructor(private readonly enricher: Enricher, private readonly maxMessageBytes: number, readonly resolver: Resolver = new Resolver(DEFAULT_RESOLVE_POLICY)) {}

  /** Processes one Kafka value, appending results to `res`. */
  processOne(value: Buffer | null, key: Buffer | null, res: BatchResult): void {
    if (value === null || value.length === 0) {
      res.dead.push({ value: value ?? Buffer.alloc(0), key, stage: "decode", error: "empty message" });
      return;
    }
    if (value.length > this.maxMessageBytes) {
      res.dead.push({ value, key, stage: "size", error: `message of ${value.length} bytes exceeds the limit of ${this.maxMessageBytes}` });
      return;
    }
    const mark = res.out.length;
    try {
      // goflow2 writes one length-delimited FlowMessage per value; several back to back are accepted
      let pos = 0;
      const n = value.length;
      const f = this.flow;
      const bl = this.blocks;
      const frame = this.frame;
      while (pos < n) {
        readDelimitedLength(value, pos, frame);
        decodeFlowMessage(value, frame.start, frame.end, f);
        pos = frame.end;
        const invalid = invalidReason(f);
        if (invalid !== "") throw new ValidationError(invalid);
        this.resolver.resolve(f);
        this.enricher.enrich(f, bl);
        const bound = rawPartBound(f) + bl.exporter.length + bl.inIf.length + bl.outIf.length + bl.src.length + bl.dst.length;
        const buf = this.slab.reserve(bound + varintSize(bound));
        encodeDelimitedEnrichedFlow(buf, this.slab.offset, bound, f, bl, frame);
        res.out.push({ key: bl.key ?? value.subarray(f.samplerS, f.samplerE), value: this.slab.take(frame.end, frame.start) });
      }
    } catch (e) {
      // all-or-nothing per Kafka value: drop partial outputs of a value that turned out bad
      res.out.length = mark;
      const stage: DeadLetterStage = e instanceof DecodeError ? "decode" : e instanceof ValidationError ? "validate" : "encode";
      res.dead.push({ value, key, stage, error: (e as Error).message });
    }
  }

  processBatch(values: Array<Buffer | null>): BatchResult {
    const res: BatchResult = { out: [], dead: [] };
    for (const v of values) this.processOne(v, null, res);
    return res;
  }
}
