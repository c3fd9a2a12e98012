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
import { parseEndpoint } from "../../config/endpoint.ts";
import { ConfigReader } from "../../config/fields.ts";
import { readServerSecurity } from "../../config/server-security.ts";
import type { ServerSecurityConfig } from "../../config/server-security.ts";

export const DEFAULT_PROMETHEUS_ENDPOINT = "127.0.0.1:9464";
export const DEFAULT_SERIES_TTL_MS = 5 * 60_000;

export interface PrometheusExporterConfig extends ServerSecurityConfig {
  readonly endpoint: string;
  readonly path: string;
  readonly namespace: string;
  /** 0 disables expiry. */
  readonly seriesTtlMs: number;
  readonly withoutScopeInfo: boolean;
  readonly withoutTargetInfo: boolean;
}

const NAMESPACE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function defaultPrometheusConfig(): PrometheusExporterConfig {
  return {
    endpoint: DEFAULT_PROMETHEUS_ENDPOINT,
    path: "/metrics",
    namespace: "",
    seriesTtlMs: DEFAULT_SERIES_TTL_MS,
    withoutScopeInfo: false,
    withoutTargetInfo: false,
    allow_unauthenticated_non_loopback: false,
  };
}

export function validatePrometheusConfig(raw: unknown, path: string, errors: ConfigError[]): PrometheusExporterConfig {
  const d = defaultPrometheusConfig();
  const r = new ConfigReader(raw, path, errors);
  const endpoint = r.endpoint("endpoint", d.endpoint);
  const metricsPath = r.string("path", d.path);
  if (!metricsPath.startsWith("/")) r.problem("path", `${JSON.stringify(metricsPath)} must start with "/"`);
  const namespace = r.string("namespace", d.namespace);
  if (namespace !== "" && !NAMESPACE.test(namespace)) r.problem("namespace", `${JSON.stringify(namespace)} is not a Prometheus name prefix ([A-Za-z_][A-Za-z0-9_]*)`);
  const seriesTtlMs = r.duration("series_ttl", d.seriesTtlMs);
  if (seriesTtlMs !== 0 && seriesTtlMs < 1000 && r.has("series_ttl")) r.problem("series_ttl", `must be 0 (never expire) or at least 1s`);
  const withoutScopeInfo = r.boolean("without_scope_info", d.withoutScopeInfo);
  const withoutTargetInfo = r.boolean("without_target_info", d.withoutTargetInfo);
  const parsed = parseEndpoint(endpoint);
  const security = readServerSecurity(r, "endpoint", "problem" in parsed ? undefined : parsed.host);
  r.finish();
  return { endpoint, path: metricsPath, namespace, seriesTtlMs, withoutScopeInfo, withoutTargetInfo, ...security };
}
