/**
 * Responses of the OTLP receivers: ExportMetricsServiceResponse (partial_success) and google.rpc.Status
 * error bodies, in protobuf and in JSON, plus google.rpc.RetryInfo for backpressure.
 *
 * Field numbers: ExportMetricsServiceResponse.partial_success = 1; ExportMetricsPartialSuccess
 * rejected_data_points = 1 (int64), error_message = 2; google.rpc.Status code = 1 (int32), message = 2,
 * details = 3 (repeated Any); Any type_url = 1, value = 2; RetryInfo retry_delay = 1 (Duration);
 * Duration seconds = 1 (int64), nanos = 2 (int32).
 */

/** gRPC status codes used by the receivers (also the `code` of HTTP error bodies). */
export const GRPC_CODE = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo";

/** Tiny append-only protobuf writer for these small messages. */
class Writer {
  readonly bytes: number[] = [];

  varint(value: number): this {
    let v = Math.floor(value);
    if (v < 0) throw new RangeError(`negative varint ${value}`);
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  lengthDelimited(field: number, payload: Uint8Array | readonly number[]): this {
    this.tag(field, 2).varint(payload.length);
    for (let i = 0; i < payload.length; i++) this.bytes.push(payload[i]);
    return this;
  }

  string(field: number, s: string): this {
    return this.lengthDelimited(field, Buffer.from(s, "utf8"));
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Messages longer than this are cut: they travel in headers/trailers and logs. */
const MAX_MESSAGE_CHARS = 1024;

export function truncateMessage(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** ExportMetricsServiceResponse; empty (full success) when nothing was rejected and no message. */
export function encodeExportResponseProto(rejectedDataPoints: number, errorMessage: string): Buffer {
  if (rejectedDataPoints === 0 && errorMessage === "") return Buffer.alloc(0);
  const partial = new Writer();
  if (rejectedDataPoints !== 0) partial.tag(1, 0).varint(rejectedDataPoints);
  if (errorMessage !== "") partial.string(2, truncateMessage(errorMessage));
  return new Writer().lengthDelimited(1, partial.bytes).toBuffer();
}

/** OTLP/JSON ExportMetricsServiceResponse; `{}` on full success. */
export function encodeExportResponseJson(rejectedDataPoints: number, errorMessage: string): Buffer {
  if (rejectedDataPoints === 0 && errorMessage === "") return Buffer.from("{}");
  return Buffer.from(
    JSON.stringify({
      partialSuccess: { rejectedDataPoints, errorMessage: truncateMessage(errorMessage) },
    }),
  );
}

/** google.rpc.RetryInfo { retry_delay: Duration } as an encoded message. */
export function encodeRetryInfo(retryAfterSeconds: number): Buffer {
  const s = Math.max(0, retryAfterSeconds);
  const seconds = Math.floor(s);
  const nanos = Math.round((s - seconds) * 1e9);
  const duration = new Writer();
  if (seconds !== 0) duration.tag(1, 0).varint(seconds);
  if (nanos !== 0) duration.tag(2, 0).varint(nanos);
  return new Writer().lengthDelimited(1, duration.bytes).toBuffer();
}

/** google.rpc.Status; `details` are (type_url, encoded message) pairs packed as Any. */
export function encodeStatusProto(
  code: number,
  message: string,
  details: readonly { readonly typeUrl: string; readonly value: Uint8Array }[] = [],
): Buffer {
  const w = new Writer();
  if (code !== 0) w.tag(1, 0).varint(code);
  if (message !== "") w.string(2, truncateMessage(message));
  for (const d of details) {
    const any = new Writer().string(1, d.typeUrl).lengthDelimited(2, d.value);
    w.lengthDelimited(3, any.bytes);
  }
  return w.toBuffer();
}

/** google.rpc.Status in proto3 JSON. */
export function encodeStatusJson(code: number, message: string): Buffer {
  return Buffer.from(JSON.stringify({ code, message: truncateMessage(message) }));
}

/** The fields of a decoded ExportMetricsServiceResponse (absent partial_success = zeros). */
export interface ExportResponseFields {
  readonly rejectedPoints: number;
  readonly message: string;
}

/**
 * Minimal reader for ExportMetricsServiceResponse, for gRPC clients built from the same service
 * definition (tests, tools). Unknown fields are skipped; malformed input throws.
 */
export function decodeExportResponseProto(bytes: Uint8Array): ExportResponseFields {
  let rejectedPoints = 0;
  let message = "";
  const readVarint = (buf: Uint8Array, at: { pos: number }, end: number): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (at.pos >= end) throw new Error("truncated varint in ExportMetricsServiceResponse");
      const b = buf[at.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Error("varint too long in ExportMetricsServiceResponse");
  };
  const skip = (buf: Uint8Array, at: { pos: number }, wire: number, end: number): void => {
    if (wire === 0) readVarint(buf, at, end);
    else if (wire === 1) at.pos += 8;
    else if (wire === 2) at.pos += readVarint(buf, at, end);
    else if (wire === 5) at.pos += 4;
    else throw new Error(`unsupported wire type ${wire} in ExportMetricsServiceResponse`);
    if (at.pos > end) throw new Error("field runs past the end of ExportMetricsServiceResponse");
  };
  const at = { pos: 0 };
  while (at.pos < bytes.length) {
    const tag = readVarint(bytes, at, bytes.length);
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const len = readVarint(bytes, at, bytes.length);
      const end = at.pos + len;
      if (end > bytes.length) throw new Error("partial_success runs past the end of ExportMetricsServiceResponse");
      while (at.pos < end) {
        const t = readVarint(bytes, at, end);
        if (t >>> 3 === 1 && (t & 7) === 0) rejectedPoints = readVarint(bytes, at, end);
        else if (t >>> 3 === 2 && (t & 7) === 2) {
          const l = readVarint(bytes, at, end);
          if (at.pos + l > end) throw new Error("error_message runs past the end of partial_success");
          message = Buffer.from(bytes.buffer, bytes.byteOffset + at.pos, l).toString("utf8");
          at.pos += l;
        } else skip(bytes, at, t & 7, end);
      }
    } else {
      skip(bytes, at, tag & 7, bytes.length);
    }
  }
  return { rejectedPoints, message };
}
