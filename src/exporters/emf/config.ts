/**
 * Configuration of the `awsemf` exporter: the same windows, dimension rules, units and percentiles
 * as `awscloudwatch`, written as EMF lines to `output`:
 * - `stdout` (default);
 * - `file` with `path` (appended);
 * - `tcp://host:port` or `udp://host:port`: a CloudWatch agent's EMF listener (default port 25888).
 */
import type { ConfigError } from "../../components/types.ts";
import { parseNamespace } from "../cloudwatch/config.ts";
import {
  checkUnknownKeys,
  parseBoolean,
  parseDimensionRules,
  parseDuration,
  parseInteger,
  parseStorageResolution,
  parseString,
  rawSection,
} from "../cloudwatch/config-parse.ts";
import type { DimensionRule } from "../cloudwatch/dimensions.ts";
import { DEFAULT_MAX_POINTS } from "../cloudwatch/percentiles.ts";

export type EmfOutput =
  | { readonly kind: "stdout" }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "tcp" | "udp"; readonly host: string; readonly port: number };

export interface EmfExporterConfig {
  readonly namespace: string;
  readonly intervalMs: number;
  readonly dimensionRules: readonly DimensionRule[];
  readonly percentiles: boolean;
  readonly maxValuesPerSeries: number;
  readonly storageResolution: "auto" | 1 | 60;
  readonly output: EmfOutput;
  /** TCP: lines queued while the agent is unreachable (drop-oldest beyond). File/stdout: 1 KB per line of buffer. */
  readonly maxQueuedLines: number;
  readonly shutdownTimeoutMs: number;
}

const KNOWN = [
  "namespace",
  "interval",
  "dimension_rules",
  "percentiles",
  "max_values_per_series",
  "storage_resolution",
  "output",
  "path",
  "max_queued_lines",
  "shutdown_timeout",
] as const;

export function defaultEmfConfig(): EmfExporterConfig {
  return {
    namespace: "statset",
    intervalMs: 60_000,
    dimensionRules: [],
    percentiles: true,
    maxValuesPerSeries: DEFAULT_MAX_POINTS,
    storageResolution: "auto",
    output: { kind: "stdout" },
    maxQueuedLines: 100_000,
    shutdownTimeoutMs: 10_000,
  };
}

function parseOutput(output: unknown, path: unknown, at: string, errors: ConfigError[]): EmfOutput {
  const o = parseString(output, "stdout", `${at}::output`, errors);
  if (o === "stdout") return { kind: "stdout" };
  if (o === "file") {
    if (typeof path !== "string" || path === "") {
      errors.push({ path: `${at}::path`, message: `is required when output is "file", got ${JSON.stringify(path)}` });
      return { kind: "stdout" };
    }
    return { kind: "file", path };
  }
  const m = /^(tcp|udp):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(o);
  if (m !== null) {
    const port = m[3] === undefined ? 25888 : Number(m[3]);
    if (port >= 1 && port <= 65535) {
      return { kind: m[1] as "tcp" | "udp", host: m[2].replace(/^\[|\]$/g, ""), port };
    }
  }
  errors.push({ path: `${at}::output`, message: `must be "stdout", "file" or tcp://host:port / udp://host:port, got ${JSON.stringify(o)}` });
  return { kind: "stdout" };
}

export function validateEmfConfig(raw: unknown, path: string, errors: ConfigError[]): EmfExporterConfig {
  const d = defaultEmfConfig();
  const r = rawSection(raw, path, errors);
  checkUnknownKeys(r, KNOWN, path, errors);
  if (r.path !== undefined && r.output !== "file") errors.push({ path: `${path}::path`, message: 'applies only to output "file"' });
  return {
    namespace: parseNamespace(r.namespace, d.namespace, `${path}::namespace`, errors),
    intervalMs: parseDuration(r.interval, d.intervalMs, `${path}::interval`, errors, { minMs: 1000, maxMs: 60_000 }),
    dimensionRules: parseDimensionRules(r.dimension_rules, `${path}::dimension_rules`, errors),
    percentiles: parseBoolean(r.percentiles, d.percentiles, `${path}::percentiles`, errors),
    maxValuesPerSeries: parseInteger(r.max_values_per_series, d.maxValuesPerSeries, `${path}::max_values_per_series`, errors, 3, 10_000),
    storageResolution: parseStorageResolution(r.storage_resolution, `${path}::storage_resolution`, errors),
    output: parseOutput(r.output, r.path, path, errors),
    maxQueuedLines: parseInteger(r.max_queued_lines, d.maxQueuedLines, `${path}::max_queued_lines`, errors, 1, 10_000_000),
    shutdownTimeoutMs: parseDuration(r.shutdown_timeout, d.shutdownTimeoutMs, `${path}::shutdown_timeout`, errors, { minMs: 0, maxMs: 600_000 }),
  };
}
