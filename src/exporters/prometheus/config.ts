/**
 * Configuration of the `prometheus` exporter (a pull endpoint), after the Collector's:
 *
 *   prometheus:
 *     endpoint: 127.0.0.1:9464   # host:port to serve on
 *     path: /metrics
 *     namespace: ""              # prefix for every metric name (`<namespace>_<name>`)
 *     series_ttl: 5m             # series that receive nothing this long are dropped; 0 keeps them
 *     without_scope_info: false  # drop the otel_scope_name/version labels
 *     without_target_info: false # drop the target_info metric (the daemon's resource)
 *     auth: { basic: { username: prom, password: ${env:PW} } }   # or { bearer_token: ... }
 *     tls: { cert_file: server.crt, key_file: server.key }
 *     allow_unauthenticated_non_loopback: false
 *
 * `auth`, `tls` and the exposure rule are the ones every statset server shares (server-security.ts).
 */
import type { ConfigError } from "../../components/types.ts";
import { duration, endpoint, readSection, urlPath, z } from "../../config/schema.ts";
import { refineExposure, serverSecurityShape } from "../../config/server-security.ts";

export const DEFAULT_PROMETHEUS_ENDPOINT = "127.0.0.1:9464";
export const DEFAULT_SERIES_TTL_MS = 5 * 60_000;

const NAMESPACE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const prometheusExporterSchema = z
  .strictObject({
    endpoint: endpoint().prefault(DEFAULT_PROMETHEUS_ENDPOINT).describe("listen address"),
    path: urlPath()
      .prefault("/metrics")
      .describe("scrape path; GET and HEAD only"),
    namespace: z
      .string()
      .refine((n) => n === "" || NAMESPACE.test(n), { message: "is not a Prometheus name prefix ([A-Za-z_][A-Za-z0-9_]*)" })
      .prefault("")
      .describe("prefix `<namespace>_` for every metric name"),
    series_ttl: duration({ minMs: 1000, zeroMeansOff: true })
      .prefault("5m")
      .describe("series idle this long are removed from the exporter's pipelines' stores; 0 never"),
    without_scope_info: z.boolean().prefault(false).describe("drop the otel_scope_name/otel_scope_version labels"),
    without_target_info: z.boolean().prefault(false).describe("drop target_info (the daemon's resource)"),
    ...serverSecurityShape,
  })
  .superRefine(refineExposure);

/** The validated section; `series_ttl` in milliseconds (0: never expire). */
export type PrometheusExporterConfig = z.output<typeof prometheusExporterSchema>;

export function defaultPrometheusConfig(): PrometheusExporterConfig {
  return prometheusExporterSchema.parse({});
}

export function validatePrometheusConfig(raw: unknown, path: string, errors: ConfigError[]): PrometheusExporterConfig {
  return readSection(prometheusExporterSchema, raw, path, errors) ?? defaultPrometheusConfig();
}
