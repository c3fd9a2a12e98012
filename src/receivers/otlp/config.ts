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
import { SERVER_SECURITY_KEYS, validateServerSecurity } from "../../config/server-security.ts";
import type { ServerSecurityConfig } from "../../config/server-security.ts";

export interface OtlpHttpConfig extends ServerSecurityConfig {
  /** `host:port` (IPv6 as `[::1]:4318`); port 0 picks a free port. */
  readonly endpoint: string;
  /** Limit on both the wire and the decompressed body, in bytes. */
  readonly max_request_body_size: number;
  /**
   * Lower limit for JSON and text bodies (OTLP/JSON, every `/v1/ingest` encoding but
   * otlp_proto): parsing JSON holds the event loop about 10x longer per byte than protobuf.
   */
  readonly max_json_body_size: number;
  readonly metrics_url_path: string;
}

export interface OtlpGrpcConfig extends ServerSecurityConfig {
  readonly endpoint: string;
  /** Limit on a received message (compressed and decompressed), in bytes. */
  readonly max_recv_msg_size: number;
}

export interface OtlpReceiverConfig {
  readonly protocols: {
    readonly http?: OtlpHttpConfig;
    readonly grpc?: OtlpGrpcConfig;
  };
}

/** 64 MiB, the body limit of both transports unless configured. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** 8 MiB: a valid OTLP/JSON body that large decodes in about 0.2 s on this project's 2-core machines (23 ms/MiB). */
export const DEFAULT_MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HTTP_ENDPOINT = "127.0.0.1:4318";
export const DEFAULT_GRPC_ENDPOINT = "127.0.0.1:4317";
export const DEFAULT_METRICS_URL_PATH = "/v1/metrics";

export function defaultHttpConfig(): OtlpHttpConfig {
  return {
    endpoint: DEFAULT_HTTP_ENDPOINT,
    max_request_body_size: DEFAULT_MAX_BODY_BYTES,
    max_json_body_size: DEFAULT_MAX_JSON_BODY_BYTES,
    metrics_url_path: DEFAULT_METRICS_URL_PATH,
    allow_unauthenticated_non_loopback: false,
  };
}

export function defaultGrpcConfig(): OtlpGrpcConfig {
  return {
    endpoint: DEFAULT_GRPC_ENDPOINT,
    max_recv_msg_size: DEFAULT_MAX_BODY_BYTES,
    allow_unauthenticated_non_loopback: false,
  };
}

export function defaultOtlpReceiverConfig(): OtlpReceiverConfig {
  return { protocols: { http: defaultHttpConfig(), grpc: defaultGrpcConfig() } };
}

export interface Endpoint {
  /** Host as given to listen(): IPv6 without brackets; "0.0.0.0" for an empty host. */
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` / `[v6]:port` / `:port`; returns a message string when invalid. */
export function parseEndpoint(endpoint: string): Endpoint | string {
  let host: string;
  let portText: string;
  if (endpoint.startsWith("[")) {
    const close = endpoint.indexOf("]");
    if (close < 0 || endpoint[close + 1] !== ":") return `expected "[ipv6]:port", got "${endpoint}"`;
    host = endpoint.slice(1, close);
    portText = endpoint.slice(close + 2);
  } else {
    const colon = endpoint.lastIndexOf(":");
    if (colon < 0) return `expected "host:port", got "${endpoint}"`;
    host = endpoint.slice(0, colon);
    portText = endpoint.slice(colon + 1);
    if (host.includes(":")) return `IPv6 hosts must be bracketed ("[::1]:4318"), got "${endpoint}"`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `port must be an integer 0..65535, got "${portText}" in "${endpoint}"`;
  const port = Number(portText);
  if (port > 65535) return `port must be an integer 0..65535, got ${port} in "${endpoint}"`;
  if (/[\s/]/.test(host)) return `invalid host "${host}" in "${endpoint}"`;
  return { host: host === "" ? "0.0.0.0" : host, port };
}

// ---- validation ------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reports keys of `raw` not in `allowed`. */
function checkKeys(raw: Record<string, unknown>, allowed: readonly string[], path: string, errors: ConfigError[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      errors.push({ path: `${path}::${key}`, message: `unknown key (allowed: ${allowed.join(", ")})` });
    }
  }
}

/** A mapping or absent (null/undefined mean "defaults"); otherwise an error and undefined. */
function mappingOrEmpty(raw: unknown, path: string, errors: ConfigError[]): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return {};
  if (isMapping(raw)) return raw;
  errors.push({ path, message: `expected a mapping, got ${describe(raw)}` });
  return undefined;
}

function stringField(raw: Record<string, unknown>, key: string, fallback: string, path: string, errors: ConfigError[]): string {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string") {
    errors.push({ path: `${path}::${key}`, message: `expected a string, got ${describe(v)}` });
    return fallback;
  }
  return v;
}

function sizeField(raw: Record<string, unknown>, key: string, fallback: number, path: string, errors: ConfigError[]): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    errors.push({ path: `${path}::${key}`, message: `expected a positive integer number of bytes, got ${describe(v)}` });
    return fallback;
  }
  return v;
}

function validateEndpoint(endpoint: string, path: string, errors: ConfigError[]): Endpoint | undefined {
  const parsed = parseEndpoint(endpoint);
  if (typeof parsed === "string") {
    errors.push({ path: `${path}::endpoint`, message: parsed });
    return undefined;
  }
  return parsed;
}

const HTTP_KEYS = ["endpoint", "max_request_body_size", "max_json_body_size", "metrics_url_path", ...SERVER_SECURITY_KEYS] as const;
const GRPC_KEYS = ["endpoint", "max_recv_msg_size", ...SERVER_SECURITY_KEYS] as const;

export function validateHttpConfig(raw: unknown, path: string, errors: ConfigError[]): OtlpHttpConfig {
  const d = defaultHttpConfig();
  const m = mappingOrEmpty(raw, path, errors);
  if (m === undefined) return d;
  checkKeys(m, HTTP_KEYS, path, errors);
  const endpoint = stringField(m, "endpoint", d.endpoint, path, errors);
  const parsed = validateEndpoint(endpoint, path, errors);
  const metricsPath = stringField(m, "metrics_url_path", d.metrics_url_path, path, errors);
  if (!metricsPath.startsWith("/")) {
    errors.push({ path: `${path}::metrics_url_path`, message: `must start with "/", got "${metricsPath}"` });
  }
  const security = validateServerSecurity(m, path, "endpoint", parsed?.host, errors);
  return {
    endpoint,
    max_request_body_size: sizeField(m, "max_request_body_size", d.max_request_body_size, path, errors),
    max_json_body_size: sizeField(m, "max_json_body_size", d.max_json_body_size, path, errors),
    metrics_url_path: metricsPath,
    ...security,
  };
}

export function validateGrpcConfig(raw: unknown, path: string, errors: ConfigError[]): OtlpGrpcConfig {
  const d = defaultGrpcConfig();
  const m = mappingOrEmpty(raw, path, errors);
  if (m === undefined) return d;
  checkKeys(m, GRPC_KEYS, path, errors);
  const endpoint = stringField(m, "endpoint", d.endpoint, path, errors);
  const parsed = validateEndpoint(endpoint, path, errors);
  const security = validateServerSecurity(m, path, "endpoint", parsed?.host, errors);
  return {
    endpoint,
    max_recv_msg_size: sizeField(m, "max_recv_msg_size", d.max_recv_msg_size, path, errors),
    ...security,
  };
}

/** Merges `raw` over the defaults, pushing every problem with its full `::` path. */
export function validateOtlpReceiverConfig(raw: unknown, path: string, errors: ConfigError[]): OtlpReceiverConfig {
  if (raw === undefined || raw === null) return defaultOtlpReceiverConfig();
  const m = mappingOrEmpty(raw, path, errors);
  if (m === undefined) return defaultOtlpReceiverConfig();
  checkKeys(m, ["protocols"], path, errors);
  if (m.protocols === undefined || m.protocols === null) return defaultOtlpReceiverConfig();
  const pPath = `${path}::protocols`;
  const protocols = mappingOrEmpty(m.protocols, pPath, errors);
  if (protocols === undefined) return defaultOtlpReceiverConfig();
  checkKeys(protocols, ["http", "grpc"], pPath, errors);
  const hasHttp = "http" in protocols;
  const hasGrpc = "grpc" in protocols;
  if (!hasHttp && !hasGrpc) {
    errors.push({ path: pPath, message: "must enable at least one protocol (http, grpc)" });
  }
  return {
    protocols: {
      ...(hasHttp ? { http: validateHttpConfig(protocols.http, `${pPath}::http`, errors) } : {}),
      ...(hasGrpc ? { grpc: validateGrpcConfig(protocols.grpc, `${pPath}::grpc`, errors) } : {}),
    },
  };
}
