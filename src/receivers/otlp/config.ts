/**
 * Configuration of the `otlp` receiver, shaped like the OpenTelemetry Collector's otlpreceiver:
 *
 * ```yaml
 * receivers:
 *   otlp:
 *     protocols:
 *       http:
 *         endpoint: 127.0.0.1:4318
 *         max_request_body_size: 67108864
 *         max_json_body_size: 8388608
 *         metrics_url_path: /v1/metrics
 *         auth: { bearer_token: ${env:OTLP_TOKEN} }
 *         tls: { cert_file: server.crt, key_file: server.key }
 *       grpc:
 *         endpoint: 127.0.0.1:4317
 *         max_recv_msg_size: 67108864
 * ```
 *
 * With no `protocols` both are enabled with their defaults; with `protocols`, only the listed ones.
 * Without a bearer token a receiver refuses to bind beyond loopback unless
 * `allow_unauthenticated_non_loopback: true` says that is intended.
 */
import type { ConfigError } from "../../components/types.ts";
import { byteSize, endpoint, readSection, urlPath, z } from "../../config/schema.ts";
import { refineExposure, serverSecurityShape } from "../../config/server-security.ts";

/** 64 MiB, the body limit of both transports unless configured. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** 8 MiB: a valid OTLP/JSON body that large decodes in about 0.2 s on this project's 2-core machines (23 ms/MiB). */
export const DEFAULT_MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HTTP_ENDPOINT = "127.0.0.1:4318";
export const DEFAULT_GRPC_ENDPOINT = "127.0.0.1:4317";
export const DEFAULT_METRICS_URL_PATH = "/v1/metrics";

export const otlpHttpSchema = z
  .strictObject({
    endpoint: endpoint().prefault(DEFAULT_HTTP_ENDPOINT).describe("listen address"),
    max_request_body_size: byteSize().prefault(DEFAULT_MAX_BODY_BYTES).describe("limit on the wire and the decompressed body (413 beyond)"),
    // Parsing JSON holds the event loop about 10x longer per byte than protobuf.
    max_json_body_size: byteSize()
      .prefault(DEFAULT_MAX_JSON_BODY_BYTES)
      .describe("lower limit for JSON and text bodies (OTLP/JSON, every /v1/ingest encoding but otlp_proto)"),
    metrics_url_path: urlPath()
      .prefault(DEFAULT_METRICS_URL_PATH)
      .describe("path of OTLP/HTTP metrics requests"),
    ...serverSecurityShape,
  })
  .superRefine(refineExposure);

export const otlpGrpcSchema = z
  .strictObject({
    endpoint: endpoint().prefault(DEFAULT_GRPC_ENDPOINT).describe("listen address"),
    max_recv_msg_size: byteSize().prefault(DEFAULT_MAX_BODY_BYTES).describe("limit on a received message, compressed and decompressed"),
    ...serverSecurityShape,
  })
  .superRefine(refineExposure);

export type OtlpHttpConfig = z.output<typeof otlpHttpSchema>;
export type OtlpGrpcConfig = z.output<typeof otlpGrpcSchema>;

/** A protocol key written with no value (`http:`) enables it with its defaults, as in the Collector. */
function enabledWithDefaults(v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x ?? {}]));
}

export const otlpReceiverSchema = z.strictObject({
  protocols: z
    .preprocess(
      enabledWithDefaults,
      z
        .strictObject({ http: otlpHttpSchema.optional(), grpc: otlpGrpcSchema.optional() })
        .refine((p) => p.http !== undefined || p.grpc !== undefined, { message: "must enable at least one protocol (http, grpc)" }),
    )
    .prefault({ http: {}, grpc: {} })
    .describe("the transports to serve; without `protocols` both, with it only the ones listed"),
});

export type OtlpReceiverConfig = z.output<typeof otlpReceiverSchema>;

export function defaultOtlpReceiverConfig(): OtlpReceiverConfig {
  return otlpReceiverSchema.parse({});
}

/** The section validated against the schema, every problem pushed with its full `::` path. */
export function validateOtlpReceiverConfig(raw: unknown, path: string, errors: ConfigError[]): OtlpReceiverConfig {
  return readSection(otlpReceiverSchema, raw, path, errors) ?? defaultOtlpReceiverConfig();
}
