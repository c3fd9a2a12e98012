/**
 * The one JSON parse of every JSON decoder (OTLP/JSON in receivers/otlp, and kafka_topic_exporter,
 * Seldon and EMF in receivers/decoders, whether the bytes come from Kafka or /v1/ingest), bounded in
 * nesting depth before JSON.parse runs.
 *
 * Why: JSON.parse cannot be interrupted, and its cost per nesting level is far above its cost per
 * byte. 8 MiB of unclosed `[` held the event loop for 2.6 s before failing and `[[...]]` for 3.3 s,
 * against about 0.1 s for a valid 8 MiB OTLP/JSON body (bench/json-parse.ts). One pass over the bytes
 * (about 1 ns per byte) refuses a body nesting deeper than MAX_JSON_DEPTH at the first level too
 * many, so such a body costs microseconds. Flat bodies need no bound here: their cost grows with their
 * size like a valid body's, and the HTTP receiver bounds JSON bodies (`max_json_body_size`), Kafka its
 * fetch size.
 */

/**
 * Deepest JSON nesting accepted (objects and arrays). The deepest valid OTLP/JSON is an AnyValue nested
 * to the decoders' limit of 32 levels (MAX_ANY_VALUE_DEPTH) inside an exemplar's filteredAttributes:
 * 15 levels down to that AnyValue (request, resourceMetrics, ResourceMetrics, scopeMetrics,
 * ScopeMetrics, metrics, Metric, gauge, dataPoints, NumberDataPoint, exemplars, Exemplar,
 * filteredAttributes, KeyValue, AnyValue), 4 more per kvlistValue level (kvlistValue, values, KeyValue,
 * AnyValue) and 2 for an empty innermost kvlistValue: 15 + 4 * 32 + 2 = 145. The other encodings nest
 * fewer than 10 levels (EMF properties are user JSON, rarely deeper). 160 leaves room for fields OTLP
 * may add; nesting this deep costs nothing noticeable.
 */
export const MAX_JSON_DEPTH = 160;

/** A JSON body refused before parsing. */
export class JsonBodyError extends Error {
  /** Byte offset of the problem. */
  readonly offset: number;

  constructor(problem: string, offset: number) {
    super(`${problem} (at byte ${offset})`);
    this.name = "JsonBodyError";
    this.offset = offset;
  }
}

/**
 * Throws JsonBodyError if JSON.parse would nest deeper than MAX_JSON_DEPTH in `bytes` (UTF-8).
 * Strings are skipped with their escapes, so brackets inside them do not count; bytes of multi-byte
 * UTF-8 sequences are all >= 0x80, never a quote, backslash or bracket. Input that is not JSON may
 * pass: JSON.parse then fails at its first syntax error, and up to that point its tokens are this
 * scan's, so it never nests deeper than this scan found.
 */
export function checkJsonDepth(bytes: Uint8Array): void {
  // Literals, not module constants: those cost a context load per byte (+40% measured).
  // 0x22 '"', 0x5c '\\', 0x5b '[', 0x5d ']', 0x7b '{', 0x7d '}'.
  const n = bytes.length;
  const max = MAX_JSON_DEPTH;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i++];
    // Digits, signs, '.', ',', ':' and upper-case letters lie strictly between '"' and '['.
    if (c > 0x22 && c < 0x5b) continue;
    if (c === 0x22) {
      while (i < n) {
        const d = bytes[i++];
        if (d > 0x5c) continue;
        if (d === 0x22) break;
        if (d === 0x5c) i++;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new JsonBodyError(`nested deeper than the limit of ${MAX_JSON_DEPTH} levels`, i - 1);
    } else if (c === 0x5d || c === 0x7d) {
      // A closer without an opener is a syntax error JSON.parse stops at: nothing after it is built.
      if (--depth < 0) return;
    }
  }
}

/** `bytes` as text (UTF-8), without copying them. */
export function utf8Text(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString("utf8");
}

/**
 * JSON.parse of `bytes` (UTF-8) after checkJsonDepth. Throws JsonBodyError for a body nesting too deep
 * and JSON.parse's SyntaxError for one that is not JSON; callers turn both into their decode error.
 */
export function parseBoundedJson(bytes: Uint8Array): unknown {
  checkJsonDepth(bytes);
  return JSON.parse(utf8Text(bytes));
}
