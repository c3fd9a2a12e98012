/**
 * A metrics pipeline: processors in order, cumulative-to-delta per input stream, then recording
 * into the pipeline's own aggregation store. Implements `MetricsConsumer` for receivers.
 *
 * Mapping of decoded metrics onto store instruments:
 * - sum -> counter (monotonic) or up-down counter (`monotonic: false`); cumulative and unspecified
 *   temporality are converted to deltas first;
 * - gauge -> gauge;
 * - histogram -> histogram with the boundaries of the first point seen (later points with other
 *   boundaries are re-bucketed by the store);
 * - exponential_histogram -> histogram keeping an exponential histogram *and* explicit buckets
 *   (`histogram_boundaries` or OpenTelemetry's defaults) so pull exporters can serve it;
 * - summary -> histogram with no finite boundaries (one `+Inf` bucket) fed count and sum: exactly
 *   what Prometheus shows for a summary without quantiles; quantiles are dropped;
 * - samples -> histogram (`histogram_boundaries` or defaults), recorded value by value.
 *
 * Work per data point is a Map lookup of the stream and the record call; attribute rewriting,
 * processor decisions and series binding happen once per new stream or metric name.
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Aggregator, BoundSeries, Instrument } from "../core/api.ts";
import { explicitInputProblem, exponentialInputProblem } from "../core/merge-input.ts";
import { DEFAULT_BOUNDARIES } from "../core/boundaries.ts";
import type { ExplicitHistogramInput } from "../core/types.ts";
import type { PipelineConfig } from "../config/types.ts";
import {
  StreamState,
  explicitDelta,
  exponentialDelta,
  exponentialInput,
  isOutOfOrder,
  sumDelta,
  summaryDelta,
} from "../processors/cumulative-to-delta.ts";
import type { MetricsProcessor } from "../processors/types.ts";
import { RateLimitedLog } from "../telemetry/rate-limited-log.ts";
import { PipelineMetrics, RefusalReason } from "../telemetry/self-metrics.ts";
import { PipelineStore } from "./store.ts";
import {
  BackpressureError,
  type ConsumeResult,
  type DecodedBatch,
  type DecodedHistogramPoint,
  type DecodedMetric,
  type DecodedResource,
  type MetricsConsumer,
} from "./types.ts";

/** Instrument names the store accepts: OpenTelemetry's syntax, up to 255 characters. */
const VALID_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;
/** Seconds a refused sender is asked to wait when the store is full. */
export const BACKPRESSURE_RETRY_SECONDS = 5;
/** One warning per interval while a metric keeps exceeding its stream budget. */
const STREAM_LIMIT_LOG_INTERVAL_MS = 60_000;

type InstrumentSignature = "counter" | "updown" | "gauge" | "histogram";

interface InstrumentEntry {
  readonly name: string;
  readonly signature: InstrumentSignature;
  readonly instrument: Instrument;
  /** Input streams of this metric name tracked across resources and scopes. */
  streams: number;
}

/** Streams of one (resource, scope, metric). */
interface MetricTable {
  readonly streams: Map<string, StreamState>;
  /** The stream of the previous point of this metric (its `next` predicts the following one). */
  last: StreamState | null;
}

interface ResourceEntry {
  /** Resource attributes chosen by `resource_to_telemetry` (empty when disabled). */
  readonly labels: Attributes;
  /** scope key -> metric name -> table */
  readonly scopes: Map<string, Map<string, MetricTable>>;
}

export interface PipelineOptions {
  readonly config: PipelineConfig;
  readonly store: Aggregator;
  readonly processors: readonly MetricsProcessor[];
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
  /** Receive clock (epoch ms) for stream idleness; default Date.now. */
  readonly now?: () => number;
}

/** Per-batch tallies (one object per pipeline, reset per batch). */
class Tally {
  accepted = 0;
  received = 0;
  rejected = 0;
  message = "";
  readonly byReason = new Map<RefusalReason, number>();

  reset(): void {
    this.accepted = 0;
    this.received = 0;
    this.rejected = 0;
    this.message = "";
    this.byReason.clear();
  }

  refuse(reason: RefusalReason, count: number, message: string): void {
    if (count <= 0) return;
    if (reason !== RefusalReason.Filtered) {
      this.rejected += count;
      if (this.message === "") this.message = message;
    } else this.accepted += count;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + count);
  }
}

export class Pipeline implements MetricsConsumer {
  readonly id: string;
  readonly store: PipelineStore;
  private readonly config: PipelineConfig;
  private readonly processors: readonly MetricsProcessor[];
  private readonly admitters: readonly MetricsProcessor[];
  private readonly metrics: PipelineMetrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly resources = new Map<string, ResourceEntry>();
  private readonly instruments = new Map<string, InstrumentEntry>();
  private readonly keepCache = new Map<string, boolean>();
  private readonly sampleBoundaries: readonly number[];
  private readonly includeResource: ((key: string) => boolean) | null;
  private readonly tally = new Tally();
  /** The instrument of the metric being consumed (its stream budget). */
  private current: InstrumentEntry | null = null;
  private readonly streamLimitLog: RateLimitedLog;
  private readonly summaryScratch = { count: 0, sum: 0 };
  private readonly explicitScratch: MutableExplicitInput = { boundaries: EMPTY, bucketCounts: EMPTY, count: 0, sum: 0, min: NaN, max: NaN };
  private generation = 0;
  private streamCount = 0;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Last-seen bound of the most recently forgotten streams (0: none forgotten yet). */
  private forgottenBeforeMs = 0;

  constructor(options: PipelineOptions) {
    this.config = options.config;
    this.id = options.config.id;
    this.store = options.store instanceof PipelineStore ? options.store : new PipelineStore(options.store);
    this.processors = options.processors;
    this.admitters = options.processors.filter((p) => p.admit !== undefined);
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.streamLimitLog = new RateLimitedLog(options.logger, STREAM_LIMIT_LOG_INTERVAL_MS);
    this.sampleBoundaries = options.config.histogram_boundaries ?? DEFAULT_BOUNDARIES;
    const rt = options.config.resource_to_telemetry;
    if (!rt.enabled) this.includeResource = null;
    else if (rt.include === null) this.includeResource = () => true;
    else {
      const allowed = new Set(rt.include);
      this.includeResource = (k) => allowed.has(k);
    }
  }

  /** Input streams currently tracked. */
  get streams(): number {
    return this.streamCount;
  }

  /** Starts the idle-stream sweep. */
  start(): void {
    const ttl = this.config.series_ttl > 0 ? Math.min(this.config.stream_ttl, this.config.series_ttl) : this.config.stream_ttl;
    const every = Math.max(1000, Math.floor(ttl / 2));
    this.sweepTimer ??= setInterval(() => this.sweep(), every).unref();
  }

  stop(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Throws BackpressureError when the pipeline must refuse a batch; consumes nothing. */
  admit(): void {
    for (const p of this.admitters) p.admit?.();
    const series = this.store.stats().series;
    const max = this.config.max_series;
    if (series >= max || this.streamCount >= max) {
      throw new BackpressureError(
        `pipeline ${this.id} is full: ${series} series and ${this.streamCount} input streams for max_series ${max}; idle ones expire after series_ttl / stream_ttl`,
        BACKPRESSURE_RETRY_SECONDS,
      );
    }
  }

  consume(batch: DecodedBatch): ConsumeResult {
    try {
      this.admit();
    } catch (e) {
      if (e instanceof BackpressureError) this.metrics.recordRefused(RefusalReason.Backpressure, countPoints(batch));
      throw e;
    }
    return this.consumeAdmitted(batch);
  }

  /** Consumes a batch that `admit()` accepted (the fan-out admits every pipeline first). */
  consumeAdmitted(batch: DecodedBatch): ConsumeResult {
    const t0 = performance.now();
    if (this.store.generation !== this.generation) this.unbindAll();
    const tally = this.tally;
    tally.reset();
    const nowMs = this.now();
    if (batch.rejectedPoints > 0) {
      tally.received += batch.rejectedPoints;
      tally.refuse(RefusalReason.Decoder, batch.rejectedPoints, batch.rejectionMessage);
    }
    // Each point is recorded at its own event time (its window, when one had closed); see setEventTime.
    try {
      this.consumeResources(batch, nowMs);
    } finally {
      this.store.setEventTime(0);
    }
    for (const [reason, count] of tally.byReason) this.metrics.recordRefused(reason, count);
    this.metrics.recordBatch(tally.received, tally.accepted, (performance.now() - t0) / 1000);
    return { acceptedPoints: tally.accepted, rejectedPoints: tally.rejected, message: tally.message };
  }

  private consumeResources(batch: DecodedBatch, nowMs: number): void {
    for (const resource of batch.resources) {
      const entry = this.resourceEntry(resource);
      for (const scope of resource.scopes) {
        const scopeKey = scope.version === "" ? scope.name : `${scope.name}\u0000${scope.version}`;
        let tables = entry.scopes.get(scopeKey);
        if (tables === undefined) entry.scopes.set(scopeKey, (tables = new Map()));
        for (const metric of scope.metrics) {
          let table = tables.get(metric.name);
          if (table === undefined) tables.set(metric.name, (table = { streams: new Map(), last: null }));
          this.consumeMetric(metric, entry, table, nowMs);
        }
      }
    }
  }

  private resourceEntry(resource: DecodedResource): ResourceEntry {
    let entry = this.resources.get(resource.attributesKey);
    if (entry === undefined) {
      const labels: Record<string, AttributeValue> = {};
      if (this.includeResource !== null) {
        for (const [k, v] of Object.entries(resource.attributes)) if (v !== undefined && this.includeResource(k)) labels[k] = v;
      }
      entry = { labels, scopes: new Map() };
      this.resources.set(resource.attributesKey, entry);
    }
    return entry;
  }

  private keep(name: string): boolean {
    let keep = this.keepCache.get(name);
    if (keep === undefined) {
      keep = this.processors.every((p) => p.keepMetric(name));
      this.keepCache.set(name, keep);
    }
    return keep;
  }

  /**
   * The point's input stream, or null after refusing its `points`: too many attributes, or a
   * cumulative point of a stream beyond the metric's stream budget (it has no state to subtract).
   */
  private acceptedStream(
    table: MetricTable,
    entry: ResourceEntry,
    p: { readonly attributesKey: string; readonly attributes: Attributes },
    metricName: string,
    nowMs: number,
    cumulative: boolean,
    points = 1,
  ): StreamState | null {
    const s = this.stream(table, entry, p.attributesKey, p.attributes, nowMs);
    if (s.refusal !== null) {
      this.tally.refuse(RefusalReason.InvalidPoint, points, `metric ${metricName}: ${s.refusal}`);
      return null;
    }
    if (!s.tracked && cumulative) {
      this.tally.refuse(
        RefusalReason.StreamLimit,
        points,
        `metric ${metricName}: more than max_streams_per_metric ${this.config.max_streams_per_metric} input streams; cumulative points of new streams are refused`,
      );
      return null;
    }
    return s;
  }

  /** Refuses a cumulative point older than its stream's last one (a late retry must not count twice). */
  private refusedOutOfOrder(s: StreamState, timeMs: number, metricName: string): boolean {
    if (!isOutOfOrder(s, timeMs)) return false;
    this.tally.refuse(RefusalReason.OutOfOrder, 1, `metric ${metricName}: cumulative point older than the stream's last point`);
    return true;
  }

  private stream(table: MetricTable, entry: ResourceEntry, key: string, attributes: Attributes, nowMs: number): StreamState {
    // Sources send their series in the same order every time: the stream that followed the previous
    // point's stream last time is usually this one, found without hashing the key.
    const prev = table.last;
    let s = prev === null ? null : prev.next;
    if (s === null || s.key !== key || s.removed) {
      s = table.streams.get(key) ?? this.newStream(table, entry, key, attributes, nowMs);
      if (!s.tracked) return s;
      if (prev !== null) prev.next = s;
    }
    s.lastSeenMs = nowMs;
    table.last = s;
    return s;
  }

  private newStream(table: MetricTable, entry: ResourceEntry, key: string, attributes: Attributes, nowMs: number): StreamState {
    let attrs: Attributes = attributes;
    if (this.includeResource !== null) attrs = { ...entry.labels, ...attributes };
    for (const p of this.processors) attrs = p.processAttributes(attrs);
    const n = Object.keys(attrs).length;
    let s: StreamState;
    if (n > this.config.max_attributes_per_point) {
      s = new StreamState(key, EMPTY_ATTRIBUTES, nowMs);
      s.refusal = `a point with ${n} attributes exceeds max_attributes_per_point ${this.config.max_attributes_per_point}`;
    } else s = new StreamState(key, attrs, nowMs);
    const owner = this.current as InstrumentEntry;
    if (owner.streams >= this.config.max_streams_per_metric) {
      // One metric's explosion must not fill the pipeline: its further streams keep no state.
      // Delta points still reach the metric's series (and its overflow series); cumulative points
      // need the state to become deltas and are refused (acceptedStream).
      s.tracked = false;
      this.streamLimitLog.warn(
        { pipeline: this.id, metric: owner.name, streams: owner.streams },
        `a metric reached max_streams_per_metric ${this.config.max_streams_per_metric}: its points from new attribute sets are recorded without per-stream state (cumulative ones refused); drop high-cardinality attributes or raise the limit`,
      );
      return s;
    }
    table.streams.set(key, s);
    owner.streams++;
    this.streamCount++;
    return s;
  }

  private bound(s: StreamState, instrument: Instrument): BoundSeries {
    let b = s.series;
    if (b === null) {
      b = instrument.bind(s.attributes);
      s.series = b;
    }
    return b;
  }

  /** The instrument for a metric, or a refusal message. */
  private instrumentFor(metric: DecodedMetric): InstrumentEntry | string {
    if (!VALID_NAME.test(metric.name)) {
      return `invalid metric name ${JSON.stringify(metric.name.slice(0, 80))} (letters, digits, _ . - /; starting with a letter; at most 255 characters)`;
    }
    let signature: InstrumentSignature;
    switch (metric.type) {
      case "sum":
        signature = metric.monotonic ? "counter" : "updown";
        break;
      case "gauge":
        signature = "gauge";
        break;
      default:
        signature = "histogram";
    }
    const found = this.instruments.get(metric.name);
    if (found !== undefined) {
      return found.signature === signature ? found : `metric ${JSON.stringify(metric.name)} is already a ${found.signature}; a ${metric.type}${metric.type === "sum" ? (metric.monotonic ? " (monotonic)" : " (non-monotonic)") : ""} point cannot join it`;
    }
    const common = { unit: metric.unit, description: metric.description, cardinalityLimit: this.config.cardinality_limit };
    let instrument: Instrument;
    try {
      switch (metric.type) {
        case "sum":
          instrument = this.store.counter(metric.name, { ...common, monotonic: metric.monotonic });
          break;
        case "gauge":
          instrument = this.store.gauge(metric.name, common);
          break;
        case "histogram": {
          const first = metric.points[0];
          instrument = this.store.histogram(metric.name, { ...common, boundaries: first === undefined ? this.sampleBoundaries : first.boundaries });
          break;
        }
        case "exponential_histogram":
          instrument = this.store.histogram(metric.name, { ...common, boundaries: this.sampleBoundaries, exponential: {} });
          break;
        case "summary":
          instrument = this.store.histogram(metric.name, { ...common, boundaries: [] });
          break;
        case "samples":
          instrument = this.store.histogram(metric.name, { ...common, boundaries: this.sampleBoundaries });
          break;
      }
    } catch (e) {
      return `metric ${JSON.stringify(metric.name)}: ${(e as Error).message}`;
    }
    const created = { name: metric.name, signature, instrument, streams: 0 };
    this.instruments.set(metric.name, created);
    return created;
  }

  private consumeMetric(metric: DecodedMetric, entry: ResourceEntry, table: MetricTable, nowMs: number): void {
    const tally = this.tally;
    const n = metric.type === "samples" ? countSampleValues(metric.points) : metric.points.length;
    tally.received += n;
    if (n === 0) return;
    if (!this.keep(metric.name)) {
      tally.refuse(RefusalReason.Filtered, n, "");
      return;
    }
    const found = this.instrumentFor(metric);
    if (typeof found === "string") {
      tally.refuse(VALID_NAME.test(metric.name) ? RefusalReason.TypeConflict : RefusalReason.InvalidName, n, found);
      return;
    }
    this.current = found;
    const instrument = found.instrument;
    const overflowBefore = instrument.overflowCount;
    switch (metric.type) {
      case "sum": {
        const cumulative = metric.temporality !== "delta";
        const monotonic = metric.monotonic;
        for (const p of metric.points) {
          if (!Number.isFinite(p.value)) {
            tally.refuse(RefusalReason.NonFinite, 1, `metric ${metric.name}: non-finite value ${p.value}`);
            continue;
          }
          if (monotonic && p.value < 0) {
            // A monotonic sum never goes below zero: as a delta it would be dropped by the
            // counter, and as a cumulative value it would become the stream's baseline.
            tally.refuse(RefusalReason.InvalidPoint, 1, `metric ${metric.name}: negative ${cumulative ? "value" : "increment"} ${p.value} on a monotonic sum`);
            continue;
          }
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, cumulative);
          if (s === null) continue;
          let v = p.value;
          if (cumulative) {
            if (this.refusedOutOfOrder(s, p.timeMs, metric.name)) continue;
            const baseline = this.firstPointIsBaseline(s, p.startTimeMs);
            v = sumDelta(s, p, monotonic);
            if (baseline) {
              tally.accepted++;
              continue;
            }
          }
          this.store.setEventTime(p.timeMs);
          this.bound(s, instrument).record(v);
          tally.accepted++;
        }
        break;
      }
      case "gauge":
        for (const p of metric.points) {
          if (!Number.isFinite(p.value)) {
            tally.refuse(RefusalReason.NonFinite, 1, `metric ${metric.name}: non-finite value ${p.value}`);
            continue;
          }
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, false);
          if (s === null) continue;
          this.store.setEventTime(p.timeMs);
          this.bound(s, instrument).record(p.value);
          tally.accepted++;
        }
        break;
      case "histogram": {
        const cumulative = metric.temporality !== "delta";
        // One mutable input for the whole loop: the store copies what it merges, so nothing is
        // allocated per point for delta input.
        const input = this.explicitScratch;
        for (const p of metric.points) {
          setExplicitInput(input, p);
          const problem = explicitInputProblem(input);
          if (problem !== null) {
            tally.refuse(Number.isFinite(p.sum) ? RefusalReason.InvalidPoint : RefusalReason.NonFinite, 1, `metric ${metric.name}: ${problem}`);
            continue;
          }
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, cumulative);
          if (s === null) continue;
          let d: ExplicitHistogramInput | null = input;
          if (cumulative) {
            if (this.refusedOutOfOrder(s, p.timeMs, metric.name)) continue;
            const baseline = this.firstPointIsBaseline(s, p.startTimeMs);
            d = explicitDelta(s, p);
            if (baseline) d = null;
          }
          this.store.setEventTime(p.timeMs);
          // A point without observations still makes its series visible (count 0), once.
          if (d !== null && (d.count > 0 || s.series === null)) this.bound(s, instrument).mergeExplicit(d);
          tally.accepted++;
        }
        break;
      }
      case "exponential_histogram": {
        const cumulative = metric.temporality !== "delta";
        for (const p of metric.points) {
          const input = exponentialInput(p);
          const problem = exponentialInputProblem(input);
          if (problem !== null) {
            tally.refuse(Number.isFinite(p.sum) ? RefusalReason.InvalidPoint : RefusalReason.NonFinite, 1, `metric ${metric.name}: ${problem}`);
            continue;
          }
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, cumulative);
          if (s === null) continue;
          let d: typeof input | null = input;
          if (cumulative) {
            if (this.refusedOutOfOrder(s, p.timeMs, metric.name)) continue;
            const baseline = this.firstPointIsBaseline(s, p.startTimeMs);
            d = exponentialDelta(s, p);
            if (baseline) d = null;
          }
          this.store.setEventTime(p.timeMs);
          if (d !== null && (d.count > 0 || s.series === null)) this.bound(s, instrument).mergeExponential(d);
          tally.accepted++;
        }
        break;
      }
      case "summary": {
        const scratch = this.summaryScratch;
        for (const p of metric.points) {
          if (!(p.count >= 0) || !Number.isFinite(p.count) || !Number.isFinite(p.sum)) {
            tally.refuse(RefusalReason.NonFinite, 1, `metric ${metric.name}: summary count ${p.count} / sum ${p.sum} is not finite`);
            continue;
          }
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, true);
          if (s === null) continue;
          if (this.refusedOutOfOrder(s, p.timeMs, metric.name)) continue;
          const baseline = this.firstPointIsBaseline(s, p.startTimeMs);
          summaryDelta(s, p, scratch);
          if (!baseline && (scratch.count > 0 || s.series === null)) {
            this.store.setEventTime(p.timeMs);
            this.bound(s, instrument).mergeExplicit({
              boundaries: EMPTY,
              bucketCounts: [scratch.count],
              count: scratch.count,
              sum: scratch.sum,
              min: NaN,
              max: NaN,
            });
          }
          tally.accepted++;
        }
        break;
      }
      case "samples":
        for (const p of metric.points) {
          const values = p.values;
          let bad = 0;
          for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
          if (bad > 0) tally.refuse(RefusalReason.NonFinite, bad, `metric ${metric.name}: ${bad} non-finite sample value(s)`);
          if (values.length === bad) continue;
          const s = this.acceptedStream(table, entry, p, metric.name, nowMs, false, values.length - bad);
          if (s === null) continue;
          // The store refuses non-finite values on its own; they were counted above.
          this.store.setEventTime(p.timeMs);
          this.bound(s, instrument).recordBatch(values);
          tally.accepted += values.length - bad;
        }
        break;
    }
    const overflow = instrument.overflowCount - overflowBefore;
    if (overflow > 0) this.metrics.recordOverflow(overflow);
  }

  /** Forgets every cached binding (the store expired series). */
  private unbindAll(): void {
    for (const entry of this.resources.values()) {
      for (const tables of entry.scopes.values()) {
        for (const table of tables.values()) for (const s of table.streams.values()) s.series = null;
      }
    }
    this.generation = this.store.generation;
  }

  /**
   * A cumulative stream seen for the first time counts in full (the increment since its start),
   * unless it may be one this pipeline forgot: started (or of unknown start) before the last idle
   * stream was dropped. Then its first point is only a baseline, so a source that reports less
   * often than stream_ttl is never counted twice.
   */
  private firstPointIsBaseline(s: { hasPrev: boolean }, startTimeMs: number): boolean {
    return !s.hasPrev && this.forgottenBeforeMs > 0 && (startTimeMs === 0 || startTimeMs <= this.forgottenBeforeMs);
  }

  /** Drops streams idle longer than stream_ttl and series idle longer than series_ttl. Never throws (timer context). */
  sweep(): number {
    try {
      const cutoff = this.now() - this.config.stream_ttl;
      let removed = 0;
      for (const [rk, entry] of this.resources) {
        for (const [sk, tables] of entry.scopes) {
          for (const [name, table] of tables) {
            const owner = this.instruments.get(name);
            for (const [key, s] of table.streams) {
              if (s.lastSeenMs < cutoff) {
                table.streams.delete(key);
                if (owner !== undefined) owner.streams--;
                s.removed = true;
                s.next = null;
                if (table.last === s) table.last = null;
                removed++;
              }
            }
            if (table.streams.size === 0) tables.delete(name);
          }
          if (tables.size === 0) entry.scopes.delete(sk);
        }
        if (entry.scopes.size === 0) this.resources.delete(rk);
      }
      this.streamCount -= removed;
      if (removed > 0) {
        this.forgottenBeforeMs = cutoff;
        this.logger.debug({ pipeline: this.id, removed, streams: this.streamCount }, "forgot idle input streams");
      }
      if (this.config.series_ttl > 0) {
        const expired = this.store.expireIdle(this.config.series_ttl);
        if (expired > 0) this.logger.debug({ pipeline: this.id, expired }, "dropped idle series");
      }
      return removed;
    } catch (e) {
      this.logger.error({ pipeline: this.id, err: e }, "stream sweep failed");
      return 0;
    }
  }
}

const EMPTY: readonly number[] = Object.freeze([]);
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});

/** The pipeline's reusable explicit-histogram input (filled per point, never retained by the store). */
interface MutableExplicitInput {
  boundaries: ArrayLike<number>;
  bucketCounts: ArrayLike<number>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

function setExplicitInput(input: MutableExplicitInput, p: DecodedHistogramPoint): void {
  input.boundaries = p.boundaries;
  input.bucketCounts = p.bucketCounts;
  input.count = p.count;
  input.sum = p.sum;
  input.min = p.min;
  input.max = p.max;
}

function countSampleValues(points: readonly { values: Float64Array }[]): number {
  let n = 0;
  for (const p of points) n += p.values.length;
  return n;
}

/** Points in a batch (samples count value by value), for refusal accounting. */
export function countPoints(batch: DecodedBatch): number {
  let n = batch.rejectedPoints;
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) n += m.type === "samples" ? countSampleValues(m.points) : m.points.length;
    }
  }
  return n;
}

