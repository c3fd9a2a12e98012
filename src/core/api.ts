/**
 * The library's public contract: instruments, bound series and readers over the aggregation store.
 * Implemented by `Aggregator` (aggregator.ts) on top of either engine.
 */
import type { Attributes } from "@opentelemetry/api";
import type { MetricProducer, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type {
  ExplicitHistogramInput,
  ExponentialHistogramInput,
  SlotKind,
  SlotSnapshot,
  StatisticSet,
} from "./types.ts";

export type Temporality = "delta" | "cumulative";

/** What every instrument accepts. */
export interface InstrumentOptions {
  unit?: string;
  description?: string;
  /** Series budget per instrument (default 2000); beyond it points go to the overflow series. */
  cardinalityLimit?: number;
}

export interface HistogramOptions extends InstrumentOptions {
  /** Explicit upper bounds, strictly increasing and finite. Default: OpenTelemetry's defaults,
   * unless `exponential` is given alone. */
  boundaries?: readonly number[];
  /**
   * Keep a base-2 exponential histogram (alone, or alongside explicit `boundaries`): at most
   * `maxSize` buckets per range (integer 2..2^24, default 160), starting at scale `maxScale`
   * (integer -10..20, default 20).
   */
  exponential?: { maxSize?: number; maxScale?: number };
}

export interface CounterOptions extends InstrumentOptions {
  /** false for an up-down counter (negative increments allowed). Default true. */
  monotonic?: boolean;
}

/** A series resolved once; recording through it skips the attribute lookup. */
export interface BoundSeries {
  readonly attributes: Attributes;
  /**
   * Histogram: observe; counter: add; gauge: set. Non-finite values are refused and counted.
   * Histograms and counters stage values in a small per-series buffer applied as one batch when
   * full or at the next read, so a call costs a few nanoseconds (docs/aggregation-semantics.md).
   */
  record(value: number): void;
  /** Many values into this series (`values[start..end)`), one engine call. */
  recordBatch(values: Float64Array, start?: number, end?: number): void;
  /** Adds a pre-aggregated explicit histogram (histograms only). */
  mergeExplicit(input: ExplicitHistogramInput): void;
  /** Adds a pre-aggregated exponential histogram (histograms only). */
  mergeExponential(input: ExponentialHistogramInput): void;
  /** Adds a statistic set (any kind; for a sum it adds `stats.sum`). */
  mergeStatistics(stats: StatisticSet): void;
}

interface InstrumentBase {
  readonly name: string;
  readonly kind: SlotKind;
  readonly unit: string;
  readonly description: string;
  /** Resolves (creating if needed) the series for these attributes, in any key order. Over the
   * cardinality budget it returns the overflow series. */
  bind(attributes?: Attributes): BoundSeries;
  /** Points that went to the overflow series because the budget was exhausted. */
  readonly overflowCount: number;
}

export interface Histogram extends InstrumentBase {
  record(value: number, attributes?: Attributes): void;
  readonly boundaries: readonly number[] | null;
}

export interface Counter extends InstrumentBase {
  /** Negative increments on a monotonic counter are refused and counted as rejected. */
  add(value: number, attributes?: Attributes): void;
  readonly monotonic: boolean;
}

export interface Gauge extends InstrumentBase {
  record(value: number, attributes?: Attributes): void;
}

export type Instrument = Histogram | Counter | Gauge;

/** One series' state as a reader sees it: the richer shape exporters (CloudWatch, EMF) use. */
export interface SeriesSnapshot {
  readonly instrument: Instrument;
  readonly attributes: Attributes;
  /** Start of the interval this state covers (epoch ms): the series' creation for cumulative,
   * the previous read for delta. */
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly state: SlotSnapshot;
  /**
   * Set (delta readers only) when this state was recorded for an event-time window that had already
   * closed (`AggregatorOptions.windowMs`): the start of that window. Push exporters stamp it with
   * this time instead of the window they are reading.
   */
  readonly windowStartMs?: number;
}

/**
 * A consumer of the store with its own temporality. Every read drains the live accumulators once;
 * drained data reaches every reader, so a delta reader and a cumulative reader never steal from
 * each other.
 */
export interface AggregationReader {
  readonly temporality: Temporality;
  /** Series with data in this reader's interval (delta) or ever (cumulative). */
  read(): SeriesSnapshot[];
  /** The same data as OpenTelemetry ResourceMetrics. */
  collect(): ResourceMetrics;
  /** An OpenTelemetry MetricProducer over this reader, for a MetricReader's `metricProducers`. */
  readonly metricProducer: MetricProducer;
  /** Stops tracking; the reader's pending state is freed. */
  close(): void;
}

/** Options of `createAggregator`. */
export interface AggregatorOptions {
  /** "wasm" (default) or the pure-TypeScript reference engine "js". */
  engine?: "wasm" | "js";
  /** Resource attached to collected ResourceMetrics (default: an empty resource). */
  resource?: import("@opentelemetry/resources").Resource;
  /** Instrumentation scope of collected metrics (default `{ name: "statset" }`). */
  scope?: { name: string; version?: string };
  /** Default series budget per instrument (default 2000). */
  cardinalityLimit?: number;
  /** Clock in epoch ms (tests inject one); default Date.now. Read per collect, never per record. */
  now?: () => number;
  /**
   * Event-time window length in ms (0, the default, turns event time off). With it, records made
   * while `setEventTime` names a window that had closed by the last delta read are kept apart and
   * reach delta readers as their own snapshots with `windowStartMs`; cumulative readers count them
   * as usual.
   */
  windowMs?: number;
}

/** Counters of the store, for self-metrics. */
export interface AggregatorStats {
  readonly instruments: number;
  readonly series: number;
  /** Points sent to overflow series because a budget was exhausted (all instruments). */
  readonly overflowPoints: number;
  /** Non-finite values and negative increments to monotonic counters refused (all instruments). */
  readonly rejectedValues: number;
  /** Engine memory (WASM linear memory or typed arrays). */
  readonly engineBytes: number;
}

/**
 * The aggregation store. Instruments are looked up by name: asking again for the same name and kind
 * returns the same instrument; the same name with another kind or incompatible options throws.
 */
export interface Aggregator {
  readonly engine: "wasm" | "js";
  histogram(name: string, options?: HistogramOptions): Histogram;
  counter(name: string, options?: CounterOptions): Counter;
  gauge(name: string, options?: InstrumentOptions): Gauge;
  /** Collects with the given temporality through a default reader of that temporality. */
  collect(options?: { temporality?: Temporality }): ResourceMetrics;
  /** The default cumulative reader's MetricProducer (what a PrometheusExporter wants). */
  readonly metricProducer: MetricProducer;
  /** A reader with its own view of the data (e.g. one per push exporter). */
  createReader(temporality: Temporality): AggregationReader;
  /**
   * Attributes the following records (until the next call) to the event time `timeMs` (epoch ms);
   * 0 or a time in the open window means "now". No effect without `windowMs`.
   */
  setEventTime(timeMs: number): void;
  /** Drops series that received nothing for `idleMs`; returns how many. Their slots are reused. */
  expireIdle(idleMs: number): number;
  stats(): AggregatorStats;
}
