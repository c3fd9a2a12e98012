/**
 * The validated daemon configuration: what `loadConfig` returns when the whole document is valid.
 */
import type { ServerSecurityConfig } from "./server-security.ts";
import type { Attributes } from "@opentelemetry/api";

/** One configured component: `id` is `type` or `type/name` as written. */
export interface ComponentConfig {
  readonly id: string;
  readonly type: string;
  /** What the component's factory returned from `validate` (defaults merged). */
  readonly config: unknown;
  /** The user's section after `${env:...}` substitution (used to name the key behind a runtime error). */
  readonly raw: unknown;
}

/** Which resource attributes become series labels (default: none). */
export interface ResourceToTelemetry {
  readonly enabled: boolean;
  /** Allowlist of resource attribute keys; null means every key. */
  readonly include: readonly string[] | null;
}

export interface PipelineConfig {
  /** `metrics` or `metrics/<name>`. */
  readonly id: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
  readonly resourceToTelemetry: ResourceToTelemetry;
  /** Series budget per instrument in this pipeline's store. */
  readonly cardinalityLimit: number;
  /**
   * Backpressure bound: once the store holds this many series, or this many input streams are
   * tracked, batches are refused (429) until idle ones expire. Checked per batch, so one batch may
   * overshoot it by its own new series.
   */
  readonly maxSeries: number;
  /** Input streams (cumulative state) idle longer than this are forgotten. */
  readonly streamTtlMs: number;
  /** Series idle longer than this are dropped from the store, whatever the exporters (0: never). */
  readonly seriesTtlMs: number;
  /** Points whose final attribute set has more keys than this are refused (a label explosion guard). */
  readonly maxAttributes: number;
  /**
   * Input streams tracked per metric name. Beyond it, points of new streams keep no state: delta
   * points still record (into the series, or its overflow series), cumulative ones are refused.
   */
  readonly maxStreamsPerMetric: number;
  /** Explicit boundaries for histograms this pipeline creates from raw samples or summaries. */
  readonly histogramBoundaries: readonly number[] | null;
}

export interface HealthCheckConfig extends ServerSecurityConfig {
  readonly endpoint: string;
  readonly path: string;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export interface DaemonConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  /** Present when `health_check` is configured and listed in `service::extensions`. */
  readonly healthCheck: HealthCheckConfig | null;
  readonly service: {
    readonly logLevel: LogLevel;
    /** Resource of the daemon's own MeterProvider (`target_info` on the Prometheus endpoint). */
    readonly resource: Attributes;
    readonly pipelines: readonly PipelineConfig[];
    /** Aggregation engine of every pipeline store. */
    readonly engine: "wasm" | "js";
    /** Upper bound on a graceful shutdown before the process gives up. */
    readonly shutdownTimeoutMs: number;
  };
}

/** The factories a configuration may name, by type. Built by `src/components/registry.ts`. */
export interface ComponentRegistry {
  readonly receivers: ReadonlyMap<string, import("../components/types.ts").ReceiverFactory<unknown>>;
  readonly processors: ReadonlyMap<string, import("../processors/types.ts").ProcessorFactory<unknown>>;
  readonly exporters: ReadonlyMap<string, import("../components/types.ts").ExporterFactory<unknown>>;
}
