/**
 * Accumulates the points of many messages into one `DecodedBatch`.
 *
 * Decoders append per message; the receiver calls `build()` once per consumed Kafka batch. Raw
 * observations (`samples`) of one series are kept in one growing number array, and consecutive
 * observations with the same timestamp become one samples point, so a topic of single-observation
 * messages does not turn into one point object and one Float64Array per message. Gauge and sum
 * observations stay one point each (merging them would change the statistic set downstream).
 */
import type {
  DecodedBatch,
  DecodedMetric,
  DecodedNumberPoint,
  DecodedResource,
  DecodedSamplesPoint,
  DecodedScope,
  DecodedTemporality,
} from "../../pipeline/types.ts";
import type { InternedAttributes } from "./types.ts";

export type BuilderMetricType = "samples" | "gauge" | "sum";

/** The samples of one series within one metric. */
class SeriesSamples {
  readonly attrs: InternedAttributes;
  readonly values: number[] = [];
  /** Timestamp of run i; run i ends (exclusive) at runEnds[i]. */
  readonly runTimes: number[] = [];
  readonly runEnds: number[] = [];

  constructor(attrs: InternedAttributes) {
    this.attrs = attrs;
  }
}

/** One metric of one scope being built. Obtain through `DecodedBatchBuilder.metric`. */
export class MetricAccumulator {
  readonly name: string;
  readonly type: BuilderMetricType;
  readonly unit: string;
  readonly description: string;
  readonly temporality: DecodedTemporality;
  readonly monotonic: boolean;
  readonly #series = new Map<string, SeriesSamples>();
  readonly #numbers: DecodedNumberPoint[] = [];
  /** Points appended (samples: values) since creation. */
  count = 0;

  constructor(
    name: string,
    type: BuilderMetricType,
    unit: string,
    description: string,
    temporality: DecodedTemporality,
    monotonic: boolean,
  ) {
    this.name = name;
    this.type = type;
    this.unit = unit;
    this.description = description;
    this.temporality = temporality;
    this.monotonic = monotonic;
  }

  #seriesOf(attrs: InternedAttributes): SeriesSamples {
    let s = this.#series.get(attrs.attributesKey);
    if (s === undefined) {
      s = new SeriesSamples(attrs);
      this.#series.set(attrs.attributesKey, s);
    }
    return s;
  }

  /** One raw observation (samples metrics). */
  addSample(attrs: InternedAttributes, timeMs: number, value: number): void {
    const s = this.#seriesOf(attrs);
    const runs = s.runTimes.length;
    s.values.push(value);
    if (runs > 0 && s.runTimes[runs - 1] === timeMs) s.runEnds[runs - 1] = s.values.length;
    else {
      s.runTimes.push(timeMs);
      s.runEnds.push(s.values.length);
    }
    this.count++;
  }

  /**
   * Observations `values[start..end)` of one series at one time (samples metrics); the caller has
   * checked every value is a finite number.
   */
  addSampleRange(attrs: InternedAttributes, timeMs: number, values: ArrayLike<number>, start: number, end: number): void {
    if (end <= start) return;
    const s = this.#seriesOf(attrs);
    const out = s.values;
    for (let i = start; i < end; i++) out.push(values[i]);
    const runs = s.runTimes.length;
    if (runs > 0 && s.runTimes[runs - 1] === timeMs) s.runEnds[runs - 1] = out.length;
    else {
      s.runTimes.push(timeMs);
      s.runEnds.push(out.length);
    }
    this.count += end - start;
  }

  /** One gauge value or one delta-sum increment. */
  addNumber(attrs: InternedAttributes, timeMs: number, value: number): void {
    this.#numbers.push({
      attributes: attrs.attributes,
      attributesKey: attrs.attributesKey,
      startTimeMs: 0,
      timeMs,
      value,
    });
    this.count++;
  }

  toMetric(): DecodedMetric {
    const base = { name: this.name, unit: this.unit, description: this.description };
    if (this.type === "gauge") return { ...base, type: "gauge", points: this.#numbers };
    if (this.type === "sum") {
      return { ...base, type: "sum", temporality: this.temporality, monotonic: this.monotonic, points: this.#numbers };
    }
    let total = 0;
    for (const s of this.#series.values()) total += s.values.length;
    // One buffer per metric; points are views into it.
    const buffer = new Float64Array(total);
    const points: DecodedSamplesPoint[] = [];
    let at = 0;
    for (const s of this.#series.values()) {
      const v = s.values;
      buffer.set(v, at);
      let start = 0;
      for (let r = 0; r < s.runTimes.length; r++) {
        const end = s.runEnds[r];
        points.push({
          attributes: s.attrs.attributes,
          attributesKey: s.attrs.attributesKey,
          startTimeMs: 0,
          timeMs: s.runTimes[r],
          values: buffer.subarray(at + start, at + end),
        });
        start = end;
      }
      at += v.length;
    }
    return { ...base, type: "samples", points };
  }
}

class ScopeAccumulator {
  readonly name: string;
  readonly version: string;
  /** By metric name; a name rarely has more than one (type, unit) variant. */
  readonly metrics = new Map<string, MetricAccumulator[]>();

  constructor(name: string, version: string) {
    this.name = name;
    this.version = version;
  }
}

const EMPTY_RESOURCE_ATTRIBUTES = Object.freeze({});

/** Collects one batch; `build()` hands it out and starts a fresh one. Not thread-safe, not reentrant. */
export class DecodedBatchBuilder {
  #scopes = new Map<string, ScopeAccumulator>();
  #foreign: DecodedResource[] = [];
  #rejected = 0;
  #rejectionMessage = "";
  #points = 0;
  #skipped = 0;

  /**
   * The accumulator for (scope, metric name, type, unit), created on first use. Metrics of other
   * types or units under the same name are kept apart (they are different metrics downstream).
   */
  metric(
    scope: string,
    name: string,
    type: BuilderMetricType,
    unit: string,
    temporality: DecodedTemporality = type === "sum" ? "delta" : "unspecified",
    monotonic = false,
    description = "",
  ): MetricAccumulator {
    let sc = this.#scopes.get(scope);
    if (sc === undefined) {
      sc = new ScopeAccumulator(scope, "");
      this.#scopes.set(scope, sc);
    }
    let list = sc.metrics.get(name);
    if (list === undefined) {
      list = [];
      sc.metrics.set(name, list);
    }
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (m.type === type && m.unit === unit && m.monotonic === monotonic && m.temporality === temporality) return m;
    }
    const m = new MetricAccumulator(name, type, unit, description, temporality, monotonic);
    list.push(m);
    return m;
  }

  /** Counts `points` refused points; the first reason is kept for partial-success style reporting. */
  reject(points: number, reason: string): void {
    this.#rejected += points;
    if (this.#rejectionMessage === "") this.#rejectionMessage = reason;
  }

  /** Counts records (e.g. log lines) that carried no metric and are not errors. */
  skip(records: number): void {
    this.#skipped += records;
  }

  /** Appends a batch decoded elsewhere (OTLP decoders) as-is. */
  appendBatch(batch: DecodedBatch): void {
    for (const r of batch.resources) this.#foreign.push(r);
    if (batch.rejectedPoints > 0) this.reject(batch.rejectedPoints, batch.rejectionMessage);
    this.#points += countPoints(batch);
  }

  /** Points refused so far in this batch. */
  get rejectedPoints(): number {
    return this.#rejected;
  }

  /** Records skipped so far in this batch. */
  get skippedRecords(): number {
    return this.#skipped;
  }

  /** Points (samples: values) appended so far in this batch. */
  get pointCount(): number {
    let n = this.#points;
    for (const sc of this.#scopes.values()) for (const list of sc.metrics.values()) for (const m of list) n += m.count;
    return n;
  }

  /** True when nothing (points, rejections, foreign batches) has been added since the last build. */
  get isEmpty(): boolean {
    return this.#scopes.size === 0 && this.#foreign.length === 0 && this.#rejected === 0;
  }

  /** The batch so far; the builder starts over empty. */
  build(): DecodedBatch {
    const resources: DecodedResource[] = [];
    if (this.#scopes.size > 0) {
      const scopes: DecodedScope[] = [];
      for (const sc of this.#scopes.values()) {
        const metrics: DecodedMetric[] = [];
        for (const list of sc.metrics.values()) for (const m of list) if (m.count > 0) metrics.push(m.toMetric());
        if (metrics.length > 0) scopes.push({ name: sc.name, version: sc.version, metrics });
      }
      if (scopes.length > 0) resources.push({ attributes: EMPTY_RESOURCE_ATTRIBUTES, attributesKey: "", scopes });
    }
    for (const r of this.#foreign) resources.push(r);
    const batch: DecodedBatch = {
      resources,
      rejectedPoints: this.#rejected,
      rejectionMessage: this.#rejectionMessage,
    };
    this.#scopes = new Map();
    this.#foreign = [];
    this.#rejected = 0;
    this.#rejectionMessage = "";
    this.#points = 0;
    this.#skipped = 0;
    return batch;
  }
}

/** Points in a batch (samples and histogram points count once each; samples count their values). */
export function countPoints(batch: DecodedBatch): number {
  let n = 0;
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) {
        if (m.type === "samples") for (const p of m.points) n += p.values.length;
        else n += m.points.length;
      }
    }
  }
  return n;
}
