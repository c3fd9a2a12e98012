/**
 * Typed decode failures. A receiver maps `OtlpDecodeError` to HTTP 400 / gRPC INVALID_ARGUMENT: the
 * payload itself is bad, so retrying it cannot succeed.
 */

export const OTLP_DECODE_ERROR_KINDS = ["protobuf", "json", "extra"] as const;
export type OtlpDecodeErrorKind = (typeof OTLP_DECODE_ERROR_KINDS)[number];

export class OtlpDecodeError extends Error {
  readonly kind: OtlpDecodeErrorKind;
  /** Byte offset of the problem for protobuf input; -1 when not applicable. */
  readonly offset: number;
  /** JSON path of the problem (e.g. `resourceMetrics[0].scopeMetrics[1]`); "" when not applicable. */
  readonly path: string;

  constructor(kind: OtlpDecodeErrorKind, message: string, offset: number, path: string) {
    super(message);
    this.name = "OtlpDecodeError";
    this.kind = kind;
    this.offset = offset;
    this.path = path;
  }
}
