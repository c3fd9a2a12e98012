/**
 * Turns series snapshots into OpenTelemetry ResourceMetrics, the shape MetricReaders and exporters
 * (Prometheus among them) consume.
 */
import { ValueType, type HrTime } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type ExponentialHistogram,
  type Histogram as OtelHistogram,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { SeriesSnapshot, Temporality } from "./api.ts";
import { SlotKind } from "./types.ts";
import type { InstrumentState } from "./instrument.ts";

/** Epoch milliseconds (fractional) to OpenTelemetry's [seconds, nanoseconds]. */
export function msToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

/**
 * Groups snapshots (in instrument order) into MetricData. A histogram with explicit buckets is
 * reported as a classic histogram even when it also keeps an exponential one; one with only the
 * exponential histogram is reported as an exponential histogram.
 */
export function toResourceMetrics(
  snapshots: readonly SeriesSnapshot[],
  temporality: Temporality,
  resource: Resource,
  scope: InstrumentationScope,
): ResourceMetrics {
  const aggregationTemporality = temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  const byInstrument = new Map<InstrumentState, SeriesSnapshot[]>();
  for (const s of snapshots) {
    const instrument = s.instrument as InstrumentState;
    let list = byInstrument.get(instrument);
    if (list === undefined) byInstrument.set(instrument, (list = []));
    list.push(s);
  }
  const metrics: MetricData[] = [];
  for (const [instrument, list] of byInstrument) {
    metrics.push(toMetricData(instrument, list, aggregationTemporality));
  }
  return { resource, scopeMetrics: [{ scope, metrics }] };
}

function toMetricData(instrument: InstrumentState, list: SeriesSnapshot[], aggregationTemporality: AggregationTemporality): MetricData {
  const descriptor = { name: instrument.name, description: instrument.description, unit: instrument.unit, valueType: ValueType.DOUBLE };
  if (instrument.kind === SlotKind.Sum) {
    return {
      descriptor,
      aggregationTemporality,
      dataPointType: DataPointType.SUM,
      isMonotonic: instrument.monotonic,
      dataPoints: list.map((s) => point(s, s.state.stats.sum)),
    };
  }
  if (instrument.kind === SlotKind.Gauge) {
    return {
      descriptor,
      aggregationTemporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints: list.map((s) => point(s, s.state.last)),
    };
  }
  if (instrument.boundaries === null) {
    return {
      descriptor,
      aggregationTemporality,
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: list.map((s) => point(s, exponentialValue(s))),
    };
  }
  const boundaries = instrument.boundaries.slice();
  return {
    descriptor,
    aggregationTemporality,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: list.map((s) => point(s, histogramValue(s, boundaries))),
  };
}

function point<T>(s: SeriesSnapshot, value: T): DataPoint<T> {
  return { startTime: msToHrTime(s.startTimeMs), endTime: msToHrTime(s.endTimeMs), attributes: s.attributes, value };
}

function histogramValue(s: SeriesSnapshot, boundaries: number[]): OtelHistogram {
  const { stats, bucketCounts } = s.state;
  const empty = stats.count === 0;
  return {
    buckets: { boundaries, counts: bucketCounts === null ? [] : Array.from(bucketCounts) },
    sum: stats.sum,
    count: stats.count,
    min: empty ? undefined : stats.min,
    max: empty ? undefined : stats.max,
  };
}

function exponentialValue(s: SeriesSnapshot): ExponentialHistogram {
  const { stats, exponential } = s.state;
  const empty = stats.count === 0;
  const e = exponential ?? { scale: 0, zeroCount: 0, positive: { offset: 0, counts: [] }, negative: { offset: 0, counts: [] } };
  return {
    count: stats.count,
    sum: stats.sum,
    scale: e.scale,
    zeroCount: e.zeroCount,
    positive: { offset: e.positive.offset, bucketCounts: e.positive.counts.slice() },
    negative: { offset: e.negative.offset, bucketCounts: e.negative.counts.slice() },
    min: empty ? undefined : stats.min,
    max: empty ? undefined : stats.max,
  };
}
