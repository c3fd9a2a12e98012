/**
 * The one shape every source decodes into (OTLP protobuf/JSON, EMF, Seldon, kafka-topic-exporter
 * JSON, regex lines) and every pipeline consumes. It follows OTLP's resource > scope > metric > point
 * tree so OTLP maps onto it without re-shaping; other formats use one resource and one scope.
 *
 * Attribute sets are interned by the decoder: identical sets within a decoder's lifetime share one
 * frozen `attributes` object and one `attributesKey` string, so downstream series lookups are a Map
 * hit with no re-serialisation per point.
 */
import type { Attributes } from "@opentelemetry/api";

export type DecodedMetricType = DecodedMetric["type"];
export type DecodedTemporality = "delta" | "cumulative" | "unspecified";

interface DecodedPointBase {
  readonly attributes: Attributes;
  /** Canonical key of `attributes` (sorted keys); equal sets give equal keys. */
  readonly attributesKey: string;
  /** Epoch milliseconds (fractional allowed); 0 when the source has none. */
  readonly startTimeMs: number;
  /** Epoch milliseconds of the observation; 0 when the source has none (then: receive time). */
  readonly timeMs: number;
}

export interface DecodedNumberPoint extends DecodedPointBase {
  readonly value: number;
}

export interface DecodedHistogramPoint extends DecodedPointBase {
  readonly count: number;
  readonly sum: number;
  /** NaN when absent. */
  readonly min: number;
  readonly max: number;
  readonly boundaries: readonly number[];
  readonly bucketCounts: readonly number[];
}

export interface DecodedExponentialPoint extends DecodedPointBase {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly scale: number;
  readonly zeroCount: number;
  readonly positive: { readonly offset: number; readonly counts: readonly number[] };
  readonly negative: { readonly offset: number; readonly counts: readonly number[] };
}

export interface DecodedSummaryPoint extends DecodedPointBase {
  readonly count: number;
  readonly sum: number;
}

/**
 * Raw observations (one value per sample, e.g. an EMF values array, a Seldon TIMER, a regex match):
 * they are recorded into a histogram one by one, never pre-aggregated by the source.
 */
export interface DecodedSamplesPoint extends DecodedPointBase {
  readonly values: Float64Array;
}

interface DecodedMetricBase {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

export type DecodedMetric =
  | (DecodedMetricBase & {
      readonly type: "sum";
      readonly temporality: DecodedTemporality;
      readonly monotonic: boolean;
      readonly points: readonly DecodedNumberPoint[];
    })
  | (DecodedMetricBase & { readonly type: "gauge"; readonly points: readonly DecodedNumberPoint[] })
  | (DecodedMetricBase & {
      readonly type: "histogram";
      readonly temporality: DecodedTemporality;
      readonly points: readonly DecodedHistogramPoint[];
    })
  | (DecodedMetricBase & {
      readonly type: "exponential_histogram";
      readonly temporality: DecodedTemporality;
      readonly points: readonly DecodedExponentialPoint[];
    })
  | (DecodedMetricBase & {
      readonly type: "summary";
      readonly points: readonly DecodedSummaryPoint[];
    })
  | (DecodedMetricBase & {
      /** Raw samples to record into a histogram (sources that ship observations, not aggregates). */
      readonly type: "samples";
      readonly points: readonly DecodedSamplesPoint[];
    });

export interface DecodedScope {
  readonly name: string;
  readonly version: string;
  readonly metrics: readonly DecodedMetric[];
}

export interface DecodedResource {
  readonly attributes: Attributes;
  readonly attributesKey: string;
  readonly scopes: readonly DecodedScope[];
}

/** What a decoder hands to the pipeline. */
export interface DecodedBatch {
  readonly resources: readonly DecodedResource[];
  /** Points the decoder itself refused (malformed point inside an otherwise valid message). */
  readonly rejectedPoints: number;
  /** First refusal reason, for partial_success messages; "" when none. */
  readonly rejectionMessage: string;
}

/**
 * The outcome of consuming a batch, reported back to the receiver (OTLP partial_success). It covers
 * the whole batch: `rejectedPoints` and `message` include the decoder's own refusals
 * (`DecodedBatch.rejectedPoints`), so receivers report it as it is and never add those again.
 */
export interface ConsumeResult {
  readonly acceptedPoints: number;
  readonly rejectedPoints: number;
  /** Human-readable reason for the first rejections; "" when none. */
  readonly message: string;
}

/** Raised when the pipeline is over its memory or queue bound: receivers answer 429/RESOURCE_EXHAUSTED. */
export class BackpressureError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = "BackpressureError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Where receivers deliver. Implemented by the pipeline (processors then the aggregation store). */
export interface MetricsConsumer {
  /** Synchronous by design: decoding and aggregation are CPU work; throws BackpressureError when over bound. */
  consume(batch: DecodedBatch): ConsumeResult;
}
