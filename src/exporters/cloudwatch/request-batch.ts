/**
 * Packs buffered datums into PutMetricData requests that respect both request limits: at most 1000
 * datums and at most MAX_REQUEST_BYTES of serialized body, counted exactly as the SDK's AWS JSON 1.0
 * serializer writes it: `{"Namespace":...,"MetricData":[d1,d2,...]}`.
 */
import type { BoundedQueue } from "./buffer.ts";
import type { BuiltDatum } from "./datum.ts";
import { MAX_DATUMS_PER_REQUEST, MAX_REQUEST_BYTES } from "./limits.ts";

/** Bytes of a request body around its datums (namespace, keys, brackets). */
export function requestOverheadBytes(namespace: string): number {
  return Buffer.byteLength(`{"Namespace":${JSON.stringify(namespace)},"MetricData":[]}`);
}

/** Exact body size of a request carrying `datums`. */
export function requestBytes(namespace: string, datums: readonly BuiltDatum[]): number {
  let bytes = requestOverheadBytes(namespace) + Math.max(0, datums.length - 1);
  for (const d of datums) bytes += d.bytes;
  return bytes;
}

export interface Batch {
  readonly items: BuiltDatum[];
  readonly bytes: number;
}

/**
 * Takes the longest prefix of `queue` that fits one request. `accept(d)` may refuse a datum (it is
 * removed and the caller counts it, e.g. a timestamp gone stale while buffered). A datum that alone
 * exceeds the byte limit is handed to `tooLarge` and skipped.
 */
export function takeBatch(
  queue: BoundedQueue<BuiltDatum>,
  overheadBytes: number,
  accept: (d: BuiltDatum) => boolean,
  tooLarge: (d: BuiltDatum) => void,
): Batch | null {
  const items: BuiltDatum[] = [];
  let bytes = overheadBytes;
  while (items.length < MAX_DATUMS_PER_REQUEST) {
    const next = queue.peek();
    if (next === undefined) break;
    if (!accept(next)) {
      queue.shift();
      continue;
    }
    const added = next.bytes + (items.length > 0 ? 1 : 0);
    if (bytes + added > MAX_REQUEST_BYTES) {
      if (items.length === 0) {
        queue.shift();
        tooLarge(next);
        continue;
      }
      break;
    }
    queue.shift();
    items.push(next);
    bytes += added;
  }
  return items.length === 0 ? null : { items, bytes };
}
