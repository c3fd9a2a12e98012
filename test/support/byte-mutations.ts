/**
 * What a broken client, proxy or disk does to a serialized request, as fast-check arbitraries:
 * byte flips, insertions, deletions, truncation, duplicated ranges, and (for JSON) token edits
 * that keep the text JSON-shaped but put absurd values where the schema expects others.
 * Positions are drawn as naturals and taken modulo the body's length when applied, so a mutation
 * shrinks independently of the body it is applied to.
 */
import fc from "fast-check";

export type ByteMutation =
  | { readonly kind: "flip"; readonly at: number; readonly mask: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "duplicate"; readonly from: number; readonly length: number; readonly to: number };

/** An edit of the `token`-th value (`replace`) or member name (`rename`), counted modulo their number. */
export type JsonTokenEdit = { readonly kind: "replace" | "rename"; readonly token: number; readonly text: string };

/**
 * Tokens a JSON body may carry where an OTLP/JSON decoder expects something else: integers just
 * beyond int32, uint32, int64 and uint64 (as numbers and as strings), numbers a double cannot
 * hold, the spelled-out non-finite values, empty and lone-surrogate strings, and wrong shapes.
 */
export const ABSURD_JSON_TOKENS: readonly string[] = [
  "2147483648",
  "-2147483649",
  "4294967296",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551615",
  "18446744073709551616",
  '"9223372036854775808"',
  '"-9223372036854775809"',
  '"18446744073709551616"',
  '"99999999999999999999999999"',
  "1e400",
  "-1e400",
  "1e-400",
  "-0",
  "0.5",
  "-1",
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  "null",
  "true",
  '""',
  '"\\ud800"',
  '"0x10"',
  "{}",
  "[]",
  "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
];

/** OTLP/JSON member names: a rename gives a field another's value, or a member a duplicate. */
export const OTLP_JSON_NAMES: readonly string[] = [
  "asInt",
  "asDouble",
  "count",
  "sum",
  "bucketCounts",
  "explicitBounds",
  "offset",
  "scale",
  "zeroCount",
  "positive",
  "timeUnixNano",
  "startTimeUnixNano",
  "aggregationTemporality",
  "isMonotonic",
  "key",
  "stringValue",
  "intValue",
  "arrayValue",
  "attributes",
  "dataPoints",
  "gauge",
  "histogram",
  "exponentialHistogram",
  "summary",
  "name",
  "__proto__",
];

/** A JSON string, number or literal, and whether a ':' follows it (a member name). */
const TOKEN = /("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)(\s*:)?/g;

/**
 * Flips keep every length prefix intact and so reach the decoders' inner layers; the others mostly
 * break the framing, which the outer layer must refuse just as cleanly.
 */
export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }), to: fc.nat() }) },
);

export const jsonTokenEdit: fc.Arbitrary<JsonTokenEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("replace" as const), token: fc.nat(), text: fc.constantFrom(...ABSURD_JSON_TOKENS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rename" as const), token: fc.nat(), text: fc.constantFrom(...OTLP_JSON_NAMES).map((n) => JSON.stringify(n)) }) },
);

export function applyByteMutation(body: Uint8Array, m: ByteMutation): Uint8Array {
  const n = body.length;
  switch (m.kind) {
    case "flip": {
      if (n === 0) return body;
      const out = Uint8Array.from(body);
      out[m.at % n] ^= m.mask;
      return out;
    }
    case "insert": {
      const at = m.at % (n + 1);
      return concat(body.subarray(0, at), m.bytes, body.subarray(at));
    }
    case "delete": {
      const at = m.at % (n + 1);
      return concat(body.subarray(0, at), body.subarray(Math.min(n, at + m.length)));
    }
    case "truncate":
      return body.slice(0, m.at % (n + 1));
    case "duplicate": {
      if (n === 0) return body;
      const from = m.from % n;
      const range = body.subarray(from, Math.min(n, from + m.length));
      const to = m.to % (n + 1);
      return concat(body.subarray(0, to), range, body.subarray(to));
    }
  }
}

/** Applies an edit to JSON text; the text stays JSON (the edited token is a value or a name). */
export function applyJsonTokenEdit(text: string, edit: JsonTokenEdit): string {
  const names = edit.kind === "rename";
  const tokens = [...text.matchAll(TOKEN)].filter((t) => (t[2] !== undefined) === names);
  if (tokens.length === 0) return text;
  const t = tokens[edit.token % tokens.length];
  return text.slice(0, t.index) + edit.text + text.slice(t.index + t[1].length);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
