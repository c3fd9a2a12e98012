/**
 * Configuration of the `awscloudwatch` exporter (PutMetricData). YAML keys are snake_case; the
 * validated config is normalized (durations in ms). `${env:VAR}` substitution happens before.
 */
import type { ConfigError } from "../../components/types.ts";
import {
  checkUnknownKeys,
  parseBoolean,
  parseDimensionRules,
  parseDuration,
  parseInteger,
  parseStorageResolution,
  parseString,
  rawSection,
} from "./config-parse.ts";
import type { DimensionRule } from "./dimensions.ts";
import { namespaceProblem } from "./names.ts";
import { DEFAULT_MAX_POINTS } from "./percentiles.ts";
import type { RetryPolicy } from "./retry.ts";

export interface CloudWatchExporterConfig {
  /** AWS region; default from AWS_REGION / AWS_DEFAULT_REGION. */
  readonly region: string;
  readonly namespace: string;
  /** Endpoint override (VPC endpoint, local test server); null for the SDK default. */
  readonly endpoint: string | null;
  /** Window length, 1 s .. 60 s, aligned on the wall clock. */
  readonly intervalMs: number;
  readonly dimensionRules: readonly DimensionRule[];
  /** Parallel PutMetricData requests. */
  readonly maxConcurrency: number;
  /** Bound of the datum buffer; when full the oldest datum is dropped (reason buffer_full). */
  readonly maxBufferedDatums: number;
  readonly retry: RetryPolicy;
  /** Histograms as Values/Counts (CloudWatch percentiles) instead of statistic sets. */
  readonly percentiles: boolean;
  /** Values/Counts points per histogram series and window (150 per datum). */
  readonly maxValuesPerSeries: number;
  readonly storageResolution: "auto" | 1 | 60;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** How long shutdown() waits for buffered and in-flight datums. */
  readonly shutdownTimeoutMs: number;
}

const KNOWN = [
  "region",
  "namespace",
  "endpoint",
  "interval",
  "dimension_rules",
  "max_concurrency",
  "max_buffered_datums",
  "retry",
  "percentiles",
  "max_values_per_series",
  "storage_resolution",
  "timeout",
  "shutdown_timeout",
] as const;

export function defaultCloudWatchConfig(): CloudWatchExporterConfig {
  return {
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "",
    namespace: "statset",
    endpoint: null,
    intervalMs: 60_000,
    dimensionRules: [],
    maxConcurrency: 4,
    maxBufferedDatums: 1_000_000,
    retry: { initialIntervalMs: 1_000, maxIntervalMs: 30_000, maxElapsedTimeMs: 300_000 },
    percentiles: true,
    maxValuesPerSeries: DEFAULT_MAX_POINTS,
    storageResolution: "auto",
    timeoutMs: 10_000,
    shutdownTimeoutMs: 10_000,
  };
}

/** Validates a namespace field (shared with EMF). */
export function parseNamespace(value: unknown, fallback: string, path: string, errors: ConfigError[]): string {
  const ns = parseString(value, fallback, path, errors);
  const problem = namespaceProblem(ns);
  if (problem !== "") errors.push({ path, message: `${problem} (${JSON.stringify(ns)})` });
  return ns;
}

export function validateCloudWatchConfig(raw: unknown, path: string, errors: ConfigError[]): CloudWatchExporterConfig {
  const d = defaultCloudWatchConfig();
  const r = rawSection(raw, path, errors);
  checkUnknownKeys(r, KNOWN, path, errors);
  const region = parseString(r.region, d.region, `${path}::region`, errors);
  if (region === "") errors.push({ path: `${path}::region`, message: "is required (or set AWS_REGION)" });
  let endpoint: string | null = d.endpoint;
  if (r.endpoint !== undefined && r.endpoint !== null && r.endpoint !== "") {
    const e = parseString(r.endpoint, "", `${path}::endpoint`, errors);
    try {
      const url = new URL(e);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme must be http or https");
      endpoint = e;
    } catch (err) {
      errors.push({ path: `${path}::endpoint`, message: `must be an http(s) URL, got ${JSON.stringify(e)} (${(err as Error).message})` });
    }
  }
  const retryPath = `${path}::retry`;
  const rr = rawSection(r.retry, retryPath, errors);
  checkUnknownKeys(rr, ["initial_interval", "max_interval", "max_elapsed_time"], retryPath, errors);
  const retry: RetryPolicy = {
    initialIntervalMs: parseDuration(rr.initial_interval, d.retry.initialIntervalMs, `${retryPath}::initial_interval`, errors, { minMs: 1, maxMs: 3_600_000 }),
    maxIntervalMs: parseDuration(rr.max_interval, d.retry.maxIntervalMs, `${retryPath}::max_interval`, errors, { minMs: 1, maxMs: 3_600_000 }),
    maxElapsedTimeMs: parseDuration(rr.max_elapsed_time, d.retry.maxElapsedTimeMs, `${retryPath}::max_elapsed_time`, errors, { minMs: 0, maxMs: 14 * 86_400_000 }),
  };
  if (retry.maxIntervalMs < retry.initialIntervalMs) {
    errors.push({ path: `${retryPath}::max_interval`, message: `must be >= initial_interval (${retry.initialIntervalMs} ms), got ${retry.maxIntervalMs} ms` });
  }
  return {
    region,
    namespace: parseNamespace(r.namespace, d.namespace, `${path}::namespace`, errors),
    endpoint,
    intervalMs: parseDuration(r.interval, d.intervalMs, `${path}::interval`, errors, { minMs: 1000, maxMs: 60_000 }),
    dimensionRules: parseDimensionRules(r.dimension_rules, `${path}::dimension_rules`, errors),
    maxConcurrency: parseInteger(r.max_concurrency, d.maxConcurrency, `${path}::max_concurrency`, errors, 1, 64),
    maxBufferedDatums: parseInteger(r.max_buffered_datums, d.maxBufferedDatums, `${path}::max_buffered_datums`, errors, 1000, 100_000_000),
    retry,
    percentiles: parseBoolean(r.percentiles, d.percentiles, `${path}::percentiles`, errors),
    maxValuesPerSeries: parseInteger(r.max_values_per_series, d.maxValuesPerSeries, `${path}::max_values_per_series`, errors, 3, 15_000),
    storageResolution: parseStorageResolution(r.storage_resolution, `${path}::storage_resolution`, errors),
    timeoutMs: parseDuration(r.timeout, d.timeoutMs, `${path}::timeout`, errors, { minMs: 100, maxMs: 300_000 }),
    shutdownTimeoutMs: parseDuration(r.shutdown_timeout, d.shutdownTimeoutMs, `${path}::shutdown_timeout`, errors, { minMs: 0, maxMs: 600_000 }),
  };
}
