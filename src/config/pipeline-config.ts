/**
 * One `service::pipelines::metrics[/name]` section. Component references are checked against the
 * configured components by the document (service.ts); everything else is declared here once.
 * Durations come out in milliseconds under their config keys.
 */
import { DEFAULT_CARDINALITY_LIMIT } from "../core/aggregator.ts";
import { boundariesProblem } from "../core/boundaries.ts";
import { duration, z } from "./schema.ts";

export const DEFAULT_MAX_SERIES = 1_000_000;
/** Prometheus servers commonly cap labels per series well below this (label_limit); 128 is generous. */
export const DEFAULT_MAX_ATTRIBUTES = 128;
/**
 * Input streams kept per metric name: ten times the default series budget, room for many sources
 * feeding one series each (streams of different hosts collapse into one series).
 */
export const DEFAULT_MAX_STREAMS_PER_METRIC = 20_000;

const ids = z.array(z.string().min(1));
const count = (def: number) => z.int().min(1).max(Number.MAX_SAFE_INTEGER).prefault(def);

export const pipelineSchema = z.strictObject({
  receivers: ids.refine((a) => a.length > 0, { error: "a pipeline needs at least one receiver" }).describe("receiver ids feeding this pipeline"),
  processors: ids.prefault([]).describe("processor ids applied in order"),
  exporters: ids.refine((a) => a.length > 0, { error: "a pipeline needs at least one exporter" }).describe("exporter ids reading this pipeline's store"),
  resource_to_telemetry: z
    .strictObject({
      enabled: z.boolean().prefault(false),
      /** Allowlist of resource attribute keys; null means every key. */
      include: z.array(z.string()).nullable().prefault(null).meta({ docsDefault: "all keys" }),
    })
    .prefault({})
    .describe("copy resource attributes onto series (all, or the `include` keys)"),
  cardinality_limit: count(DEFAULT_CARDINALITY_LIMIT).describe("series per instrument; beyond it an overflow series"),
  max_series: count(DEFAULT_MAX_SERIES).describe("series (or input streams) in the store before batches are refused (429)"),
  stream_ttl: duration({ minMs: 1000 }).prefault("10m").describe("input streams idle this long are forgotten"),
  series_ttl: duration({ minMs: 1000, zeroMeansOff: true }).prefault("15m").describe("series idle this long leave the store; 0 never"),
  max_attributes_per_point: count(DEFAULT_MAX_ATTRIBUTES).describe("points with more attributes are refused"),
  max_streams_per_metric: count(DEFAULT_MAX_STREAMS_PER_METRIC).describe("input streams tracked per metric name"),
  histogram_boundaries: z
    .array(z.number())
    .superRefine((b, ctx) => {
      const problem = boundariesProblem(b);
      if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
    })
    .nullable()
    .prefault(null)
    .meta({ docsDefault: "OpenTelemetry's `[0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]`" })
    .describe("explicit boundaries for histograms made from raw samples or summaries"),
});

/** A validated pipeline; `id` is `metrics` or `metrics/<name>`. */
export type PipelineConfig = z.output<typeof pipelineSchema> & { readonly id: string };
