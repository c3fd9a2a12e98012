/**
 * The validated daemon configuration: what `loadConfig` returns when the whole document is valid.
 */
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

export type { PipelineConfig } from "./pipeline-config.ts";
export type { HealthCheckConfig } from "./health-check-config.ts";
import type { PipelineConfig } from "./pipeline-config.ts";
import type { HealthCheckConfig } from "./health-check-config.ts";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const satisfies readonly LogLevel[];

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
