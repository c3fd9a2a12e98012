/**
 * The daemon's own telemetry: ordinary OpenTelemetry SDK instruments on the daemon's MeterProvider,
 * so they appear on the Prometheus endpoint next to the aggregated data. Attribute objects are
 * built once per pipeline/reason at construction; recording never allocates.
 */
import type { Attributes, Counter, Histogram, Meter, MeterProvider } from "@opentelemetry/api";

/** Why points did not reach the store. Every drop is counted under exactly one reason. */
export const RefusalReason = {
  /** NaN or ±Inf values. */
  NonFinite: "non_finite",
  /** Metric name unusable as an instrument name. */
  InvalidName: "invalid_name",
  /** The name is already an instrument of another kind in this pipeline. */
  TypeConflict: "type_conflict",
  /** A cumulative point older than the last one of its stream. */
  OutOfOrder: "out_of_order",
  /** Dropped by a filter processor (not an error: the request still succeeds). */
  Filtered: "filtered",
  /** Malformed point (bucket counts vs boundaries, negative counts, ...). */
  InvalidPoint: "invalid_point",
  /** Refused by the decoder before reaching the pipeline. */
  Decoder: "decoder",
  /** The whole batch was refused because the pipeline is over its bound (429). */
  Backpressure: "backpressure",
  /** A cumulative point of a new stream of a metric that has max_streams_per_metric streams. */
  StreamLimit: "stream_limit",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

const REASONS = Object.values(RefusalReason);

/** Latency buckets in seconds: 50 µs .. 10 s. */
export const LATENCY_BOUNDARIES = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const SELF_METER_NAME = "statset";

/** Instruments of one pipeline. */
export class PipelineMetrics {
  private readonly received: Counter;
  private readonly accepted: Counter;
  private readonly refused: Counter;
  private readonly overflow: Counter;
  private readonly duration: Histogram;
  private readonly attrs: Attributes;
  private readonly reasonAttrs: Map<RefusalReason, Attributes>;

  constructor(meter: Meter, pipelineId: string) {
    this.attrs = Object.freeze({ pipeline: pipelineId });
    this.reasonAttrs = new Map(REASONS.map((r) => [r, Object.freeze({ pipeline: pipelineId, reason: r })]));
    this.received = meter.createCounter("statset.points.received", { description: "Data points delivered to the pipeline by its receivers" });
    this.accepted = meter.createCounter("statset.points.accepted", { description: "Data points recorded into the aggregation store" });
    this.refused = meter.createCounter("statset.points.refused", { description: "Data points not recorded, by reason" });
    this.overflow = meter.createCounter("statset.points.overflow", { description: "Data points recorded into an overflow series because a cardinality budget was exhausted" });
    this.duration = meter.createHistogram("statset.pipeline.consume.duration.seconds", {
      description: "Time to process and aggregate one batch, in seconds",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BOUNDARIES },
    });
  }

  recordBatch(received: number, accepted: number, seconds: number): void {
    if (received > 0) this.received.add(received, this.attrs);
    if (accepted > 0) this.accepted.add(accepted, this.attrs);
    this.duration.record(seconds, this.attrs);
  }

  recordRefused(reason: RefusalReason, count: number): void {
    if (count > 0) this.refused.add(count, this.reasonAttrs.get(reason));
  }

  recordOverflow(count: number): void {
    if (count > 0) this.overflow.add(count, this.attrs);
  }
}

/** Store gauges, read at collection time. */
export function observePipelineStore(
  meter: Meter,
  pipelineId: string,
  read: () => { series: number; streams: number; engineBytes: number },
): void {
  const attrs = Object.freeze({ pipeline: pipelineId });
  const series = meter.createObservableGauge("statset.series", { description: "Series held by the pipeline's aggregation store" });
  const streams = meter.createObservableGauge("statset.streams", { description: "Input streams tracked for cumulative-to-delta conversion" });
  const bytes = meter.createObservableGauge("statset.engine.bytes", { description: "Memory held by the aggregation engine, in bytes", unit: "By" });
  meter.addBatchObservableCallback(
    (result) => {
      const s = read();
      result.observe(series, s.series, attrs);
      result.observe(streams, s.streams, attrs);
      result.observe(bytes, s.engineBytes, attrs);
    },
    [series, streams, bytes],
  );
}

/** Instruments shared by exporters. */
export class ExporterMetrics {
  private readonly errors: Counter;
  private readonly expired: Counter;
  private readonly duration: Histogram;
  private readonly attrs: Attributes;

  constructor(meter: Meter, exporterId: string) {
    this.attrs = Object.freeze({ exporter: exporterId });
    this.errors = meter.createCounter("statset.exporter.errors", { description: "Failed exports or scrapes, by exporter" });
    this.expired = meter.createCounter("statset.series.expired", { description: "Series dropped after receiving nothing for the exporter's series_ttl" });
    this.duration = meter.createHistogram("statset.exporter.duration.seconds", {
      description: "Time to export or serve one scrape, in seconds",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BOUNDARIES },
    });
  }

  recordError(): void {
    this.errors.add(1, this.attrs);
  }

  recordExpired(count: number): void {
    if (count > 0) this.expired.add(count, this.attrs);
  }

  recordDuration(seconds: number): void {
    this.duration.record(seconds, this.attrs);
  }
}

export function selfMeter(provider: MeterProvider): Meter {
  return provider.getMeter(SELF_METER_NAME);
}

/** Why a shutdown was cut short before it drained and flushed everything. */
export type ShutdownAbortReason = "shutdown_timeout" | "sigint";

/**
 * Shutdowns cut short, and what each abandoned (read from the components' `abandon()`):
 * `statset.shutdown.aborted{reason}`, `statset.shutdown.abandoned{component, unit}`. The CLI exits
 * right after recording them, so outside an embedding process the log line is what remains.
 */
export class ShutdownMetrics {
  private readonly aborted: Counter;
  private readonly abandoned: Counter;

  constructor(meter: Meter) {
    this.aborted = meter.createCounter("statset.shutdown.aborted", { description: "Shutdowns cut short before everything was drained and flushed, by reason" });
    this.abandoned = meter.createCounter("statset.shutdown.abandoned", { description: "Undelivered items left behind by a shutdown that was cut short, by component and unit" });
  }

  recordAbort(reason: ShutdownAbortReason, abandoned: ReadonlyMap<string, Readonly<Record<string, number>>>): void {
    this.aborted.add(1, { reason });
    for (const [component, items] of abandoned) {
      for (const [unit, n] of Object.entries(items)) if (n > 0) this.abandoned.add(n, { component, unit });
    }
  }
}
