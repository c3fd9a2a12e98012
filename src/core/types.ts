/**
 * The contract between the aggregation facade and its two engines (WASM and the pure-TypeScript
 * reference). Everything here is numbers and typed arrays: no attributes, names or timestamps cross
 * this line, so the WASM boundary stays cheap and batched.
 */

/** What a slot accumulates. `as const` objects instead of enums keep the source erasable. */
export const SlotKind = {
  /** Monotonic or non-monotonic sum: `record(v)` adds v; the statistic set is over the increments. */
  Sum: 0,
  /** Last value: `record(v)` sets it; the statistic set is over the samples. */
  Gauge: 1,
  /** Distribution: statistic set plus explicit buckets and/or an exponential histogram. */
  Histogram: 2,
} as const;
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

/** Default and bounds of the exponential histogram, as in the OpenTelemetry SDK. */
export const EXPONENTIAL_DEFAULT_MAX_SIZE = 160;
export const EXPONENTIAL_MIN_MAX_SIZE = 2;
/**
 * Largest maxSize accepted (2^24; the SDK sets none). It keeps every window position and index
 * plus or minus maxSize far inside an i32 (indexes stay within +-2^30), and the WASM core's counter
 * blocks (up to 4 bytes per bucket) inside its 32-bit address space; the i32 ABI would truncate a
 * larger number.
 */
export const EXPONENTIAL_MAX_MAX_SIZE = 2 ** 24;
export const EXPONENTIAL_MAX_SCALE = 20;
export const EXPONENTIAL_MIN_SCALE = -10;

/**
 * A histogram layout, registered once per instrument. A layout may carry explicit boundaries,
 * an exponential histogram, or both (classic buckets for Prometheus plus fine-grained buckets for
 * CloudWatch percentiles).
 */
export interface HistogramLayout {
  /** Strictly increasing finite upper bounds; `null` for no explicit buckets. */
  readonly boundaries: Float64Array | null;
  /** Maximum buckets per range of the exponential histogram; 0 for none. */
  readonly exponentialMaxSize: number;
  /** Starting (maximum) scale of the exponential histogram; defaults to 20. */
  readonly exponentialMaxScale?: number;
}

/** Count, sum, min and max: the CloudWatch statistic set. min/max are +Inf/-Inf when count is 0. */
export interface StatisticSet {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** One range (positive or negative) of an exponential histogram, in OpenTelemetry's shape. */
export interface ExponentialBuckets {
  /** Index of `counts[0]`: bucket i covers (base^(offset+i), base^(offset+i+1)]. */
  offset: number;
  counts: number[];
}

/** An exponential histogram in OpenTelemetry's shape (base = 2^(2^-scale)). */
export interface ExponentialHistogramState {
  scale: number;
  zeroCount: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

/** A copy of one slot's state, taken by `snapshot`. */
export interface SlotSnapshot {
  readonly kind: SlotKind;
  /** Statistic set over accepted values (increments for sums, samples for gauges). */
  readonly stats: StatisticSet;
  /** Non-finite values refused since the last reset (NaN, +Inf, -Inf); never counted anywhere else. */
  readonly rejected: number;
  /** Gauge: the last accepted value (NaN before the first). Sum: equal to stats.sum. */
  readonly last: number;
  /** Explicit bucket counts, `boundaries.length + 1` long (last one is the overflow bucket). */
  readonly bucketCounts: Float64Array | null;
  /** Exponential histogram, when the layout has one. */
  readonly exponential: ExponentialHistogramState | null;
}

/** A pre-aggregated explicit-bucket histogram to merge into a slot (e.g. from OTLP). */
export interface ExplicitHistogramInput {
  readonly boundaries: ArrayLike<number>;
  /** `boundaries.length + 1` counts. */
  readonly bucketCounts: ArrayLike<number>;
  readonly count: number;
  readonly sum: number;
  /** Finite; when the source did not say, the facade estimates it from the bucket bounds first. */
  readonly min: number;
  readonly max: number;
}

/** A pre-aggregated exponential histogram to merge into a slot. */
export interface ExponentialHistogramInput extends ExponentialHistogramState {
  readonly count: number;
  readonly sum: number;
  /** Finite; when the source did not say, the facade estimates it from the bucket bounds first. */
  readonly min: number;
  readonly max: number;
}

/** Whoever writes into a stage buffer's `values` (a series). */
export interface StageOwner {
  /** The engine re-created the buffer's view: write through `values` from now on. */
  restage(values: Float64Array): void;
}

/**
 * A buffer single `record(v)` calls are staged in (see record-stage.ts), placed by the engine
 * where its batch kernel reads values in place. The WASM engine's buffers are views of linear
 * memory, which growing detaches: the engine then re-creates `values` and tells `owner` at once,
 * inside the call that grew it.
 */
export interface StageBuffer {
  values: Float64Array;
  owner: StageOwner | null;
}

/**
 * One aggregation engine. Slots are small integers; a slot's kind and layout are fixed at
 * allocation. Value semantics shared by both engines:
 * - NaN, +Inf and -Inf are refused: counted in `rejected`, never in buckets or statistics.
 * - -0 is recorded as +0.
 * - Explicit buckets: v counts in the first bucket i with v <= boundaries[i], else the overflow bucket.
 * - Exponential: OpenTelemetry's base-2 mapping; 0 (and -0) goes to zeroCount; automatic downscale
 *   keeps each range within maxSize buckets.
 */
export interface AggregationEngine {
  readonly name: "js" | "wasm";
  /** Registers a layout; returns its id. Validation is the caller's job (the facade validates). */
  createLayout(layout: HistogramLayout): number;
  /** A zeroed slot of the given kind; `layout` is required for histograms, ignored otherwise. */
  allocSlot(kind: SlotKind, layout?: number): number;
  /** Returns a slot for reuse. Using it afterwards is a caller bug. */
  freeSlot(slot: number): void;
  /** One value into one slot. */
  record(slot: number, value: number): void;
  /** Many values into one slot: `values[start..end)`. */
  recordBatch(slot: number, values: Float64Array, start?: number, end?: number): void;
  /** A staging buffer of `length` values; it lives as long as the engine (the store reuses it). */
  createStageBuffer(length: number): StageBuffer;
  /** `buffer.values[start..end)` into one slot, as `recordBatch` (only buffers of this engine). */
  recordStaged(slot: number, buffer: StageBuffer, start: number, end: number): void;
  /** Columnar batch: `values[i]` into `slots[i]` for i < n. */
  recordScattered(slots: Int32Array, values: Float64Array, n: number): void;
  /** Adds a pre-aggregated explicit histogram (re-bucketing when boundaries differ). */
  mergeExplicit(slot: number, input: ExplicitHistogramInput): void;
  /** Adds a pre-aggregated exponential histogram (downscaling to the common scale). */
  mergeExponential(slot: number, input: ExponentialHistogramInput): void;
  /** Adds a statistic set (count, sum, min, max) without bucket information. */
  mergeStatistics(slot: number, stats: StatisticSet): void;
  /** dst += src; both slots must have the same kind and layout. */
  mergeSlot(dst: number, src: number): void;
  /** Copies a slot's state; with `reset`, zeroes it afterwards in the same step. */
  snapshot(slot: number, reset: boolean): SlotSnapshot;
  /** Zeroes a slot (keeps kind and layout). */
  reset(slot: number): void;
  /** Bytes the engine holds for its slots (WASM linear memory or typed arrays), for reporting. */
  memoryBytes(): number;
}
