/**
 * Choosing the encoding per message from its `content-type` header (`encoding_from_header: true`).
 *
 * | content-type (parameters ignored, case-insensitive)       | encoding                    |
 * |-----------------------------------------------------------|-----------------------------|
 * | application/x-protobuf, application/protobuf               | otlp_proto                  |
 * | application/json, text/json, application/*+json, and       | sniffed, see below          |
 * |   application/x-ndjson                                      |                             |
 * | text/plain                                                  | regex                       |
 * | application/vnd.statset.<encoding>                          | <encoding> (explicit)       |
 * | absent or anything else                                    | the configured `encoding`   |
 *
 * JSON sniffing looks for the distinguishing member names in the bytes (no parse): `"_aws"` -> emf,
 * `"resourceMetrics"` -> otlp_json, `"meta"` or a list holding `"type"` and `"key"` -> seldon,
 * `"name"` -> kafka_topic_exporter; none of those -> the configured encoding.
 */
import type { HeaderValue } from "./types.ts";

export const CONTENT_TYPE_HEADER = "content-type";
const EXPLICIT_PREFIX = "application/vnd.statset.";

/** The first value of header `name` (exact, then lower-case match), as a string. */
export function headerText(headers: Readonly<Record<string, HeaderValue>>, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === name) {
        v = headers[k];
        break;
      }
    }
  }
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

function asBuffer(message: Uint8Array): Buffer {
  return Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/** The JSON encoding a message looks like, or undefined when it is not recognisable. */
export function sniffJsonEncoding(message: Uint8Array): string | undefined {
  const buf = asBuffer(message);
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  const first = buf[i];
  if (first === 0x7b /* { */) {
    if (buf.includes('"_aws"')) return "emf";
    if (buf.includes('"resourceMetrics"')) return "otlp_json";
    if (buf.includes('"meta"')) return "seldon";
    if (buf.includes('"name"')) return "kafka_topic_exporter";
    return undefined;
  }
  if (first === 0x5b /* [ */) {
    if (buf.includes('"type"') && buf.includes('"key"')) return "seldon";
    if (buf.includes('"name"')) return "kafka_topic_exporter";
  }
  return undefined;
}

/** The encoding for a message with this content type; undefined means "use the configured one". */
export function encodingForContentType(contentType: string, message: Uint8Array): string | undefined {
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type.startsWith(EXPLICIT_PREFIX)) return type.slice(EXPLICIT_PREFIX.length);
  switch (type) {
    case "application/x-protobuf":
    case "application/protobuf":
      return "otlp_proto";
    case "text/plain":
      return "regex";
    case "application/json":
    case "text/json":
    case "application/x-ndjson":
      return sniffJsonEncoding(message);
    default:
      return type.startsWith("application/") && type.endsWith("+json") ? sniffJsonEncoding(message) : undefined;
  }
}
