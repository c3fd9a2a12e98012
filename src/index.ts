/**
 * statset's public library surface.
 */
export { createAggregator, DEFAULT_CARDINALITY_LIMIT } from "./core/aggregator.ts";
export { DEFAULT_BOUNDARIES, exponentialBuckets, linearBuckets } from "./core/boundaries.ts";
export { OVERFLOW_ATTRIBUTE } from "./core/instrument.ts";
export type {
  AggregationReader,
  Aggregator,
  AggregatorOptions,
  AggregatorStats,
  BoundSeries,
  Counter,
  CounterOptions,
  Gauge,
  Histogram,
  HistogramOptions,
  Instrument,
  InstrumentOptions,
  SeriesSnapshot,
  Temporality,
} from "./core/api.ts";
export { SlotKind } from "./core/types.ts";
export type {
  ExplicitHistogramInput,
  ExponentialBuckets,
  ExponentialHistogramInput,
  ExponentialHistogramState,
  SlotSnapshot,
  StatisticSet,
} from "./core/types.ts";
