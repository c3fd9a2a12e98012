/**
 * One window of series snapshots to CloudWatch Embedded Metric Format documents (one JSON line each).
 *
 * Series with the same attributes and dimension sets share a document (up to 100 metrics, and within
 * the 256 KB log event limit); attributes are top-level members (dimension keys as strings, the
 * others as they are, so high-cardinality attributes stay searchable in Logs without becoming
 * dimensions). Metric values follow the CloudWatch agent / OpenTelemetry awsemf exporter forms that
 * CloudWatch Logs accepts beyond the published spec's numbers and arrays:
 * - a statistic set `{"Max", "Min", "Count", "Sum"}`;
 * - for histograms with percentiles, `{"Values", "Counts", "Max", "Min", "Count", "Sum"}` with at most
 *   100 values, Count/Sum/Min/Max being the recorded statistic set (not recomputed from the values).
 *   A histogram with more values is split over several documents with the same timestamp,
 *   dimensions and properties; each chunk's Count/Sum/Min/Max covers its own values and the chunks
 *   add up to the recorded set exactly (value-chunks.ts). The Collector's awsemf exporter splits
 *   exponential histograms at 100 buckets the same way, but gives the whole Sum to the first split
 *   (open-telemetry/opentelemetry-collector-contrib, exporter/awsemfexporter/datapoint.go,
 *   exponentialHistogramDataPointSlice.CalculateDeltaDatapoints), which leaves the other splits a
 *   Sum of 0 outside [Count * Min, Count * Max]; here every chunk's Sum stays within its range.
 */
import type { Attributes } from "@opentelemetry/api";
import type { SeriesSnapshot } from "../../core/api.ts";
import { isTimestampInRange } from "../cloudwatch/datum.ts";
import type { DimensionPlanner } from "../cloudwatch/dimensions.ts";
import { DropReason, type DropSink } from "../cloudwatch/drops.ts";
import { MAX_EMF_EVENT_BYTES, MAX_EMF_METRICS_PER_EVENT, MAX_EMF_VALUES_PER_METRIC } from "../cloudwatch/limits.ts";
import { attributeValueString, isValidMetricName } from "../cloudwatch/names.ts";
import { seriesContent, type SeriesContent } from "../cloudwatch/series-values.ts";
import { mapUnit } from "../cloudwatch/units.ts";
import { chunkWithStatistics } from "../cloudwatch/value-chunks.ts";

export type EmfMetricValue =
  | { Max: number; Min: number; Count: number; Sum: number }
  | { Values: number[]; Counts: number[]; Max: number; Min: number; Count: number; Sum: number };

interface MetricEntry {
  readonly name: string;
  readonly unit: string;
  readonly chunks: readonly EmfMetricValue[];
}

interface Group {
  readonly properties: Record<string, unknown>;
  readonly dimensions: readonly (readonly string[])[];
  readonly metrics: MetricEntry[];
}

export interface EmfBuilderOptions {
  readonly namespace: string;
  readonly planner: DimensionPlanner;
  readonly percentiles: boolean;
  readonly maxPointsPerSeries: number;
  readonly storageResolution: 1 | 60;
}

/** A built document and how many metric values it carries. */
export interface EmfLine {
  readonly line: string;
  readonly metrics: number;
}

const METRICS_KEY = '"Metrics":[{"Name":';

/**
 * The first metric named in a document built here, for drop logs (a sink sees only the line). The
 * directive comes before the properties and every earlier string is JSON-escaped, so the first
 * unescaped `"Metrics":[{"Name":` is the directive's. Only called when a line is dropped.
 */
export function firstMetricName(line: string): string {
  const at = line.indexOf(METRICS_KEY);
  if (at < 0) return "";
  const start = at + METRICS_KEY.length;
  let end = start + 1;
  while (end < line.length && line[end] !== '"') end += line[end] === "\\" ? 2 : 1;
  try {
    const name: unknown = JSON.parse(line.slice(start, end + 1));
    return typeof name === "string" ? name : "";
  } catch {
    return "";
  }
}

function chunksOf(content: SeriesContent): EmfMetricValue[] {
  if (content.kind === "stats") return [{ Max: content.max, Min: content.min, Count: content.count, Sum: content.sum }];
  return chunkWithStatistics(content.values, content.counts, content, MAX_EMF_VALUES_PER_METRIC).map((c) => ({
    Values: c.values,
    Counts: c.counts,
    Max: c.max,
    Min: c.min,
    Count: c.count,
    Sum: c.sum,
  }));
}

function canonicalKey(attributes: Attributes, dims: readonly (readonly string[])[]): string {
  const keys = Object.keys(attributes).sort();
  return JSON.stringify([dims, keys.map((k) => [k, attributes[k]])]);
}

export class EmfEventBuilder {
  private readonly options: EmfBuilderOptions;

  constructor(options: EmfBuilderOptions) {
    this.options = options;
  }

  /** Appends the documents of one window to `out`; what cannot be published is counted in `drop`. */
  build(snapshots: readonly SeriesSnapshot[], windowStartMs: number, nowMs: number, out: EmfLine[], drop: DropSink): void {
    const groups = new Map<string, Group>();
    const timestampOk = isTimestampInRange(windowStartMs, nowMs);
    for (const snapshot of snapshots) {
      const { instrument, attributes } = snapshot;
      const resolved = this.options.planner.resolve(instrument.name, attributes);
      if (resolved.invalidSets > 0) drop(DropReason.InvalidDimension, resolved.invalidSets, { metric: instrument.name });
      if (resolved.sets.length === 0) {
        if (resolved.invalidSets === 0) drop(DropReason.MissingDimension, 1, { metric: instrument.name, keys: Object.keys(snapshot.attributes), sets: this.options.planner.configuredSets(instrument.name) ?? [] });
        continue;
      }
      if (!isValidMetricName(instrument.name)) {
        drop(DropReason.InvalidMetricName, 1, { metric: instrument.name });
        continue;
      }
      if (!timestampOk) {
        drop(DropReason.TimestampOutOfRange, 1, { metric: instrument.name, timestampMs: windowStartMs, nowMs });
        continue;
      }
      if (instrument.name === "_aws" || Object.hasOwn(attributes, instrument.name)) {
        drop(DropReason.NameConflict, 1, { metric: instrument.name });
        continue;
      }
      const unit = mapUnit(instrument.unit, instrument.kind);
      const content = seriesContent(snapshot, unit, { percentiles: this.options.percentiles, maxPoints: this.options.maxPointsPerSeries });
      if (content === "value_out_of_range") {
        drop(DropReason.ValueOutOfRange, 1, { metric: instrument.name });
        continue;
      }
      const dims = resolved.sets.map((s) => s.keys);
      const key = canonicalKey(attributes, dims);
      let group = groups.get(key);
      if (group === undefined) {
        const properties: Record<string, unknown> = {};
        const dimensionKeys = new Set(dims.flat());
        for (const k of Object.keys(attributes).sort()) {
          const v = attributes[k];
          if (v !== undefined) properties[k] = dimensionKeys.has(k) ? attributeValueString(v) : v;
        }
        group = { properties, dimensions: dims, metrics: [] };
        groups.set(key, group);
      }
      group.metrics.push({ name: instrument.name, unit: unit.unit, chunks: chunksOf(content) });
    }
    for (const group of groups.values()) this.emitGroup(group, windowStartMs, out, drop);
  }

  private emitGroup(group: Group, timestampMs: number, out: EmfLine[], drop: DropSink): void {
    const layers = Math.max(...group.metrics.map((m) => m.chunks.length));
    for (let layer = 0; layer < layers; layer++) {
      const entries = group.metrics.filter((m) => m.chunks.length > layer);
      for (let i = 0; i < entries.length; i += MAX_EMF_METRICS_PER_EVENT) {
        this.emitSized(group, entries.slice(i, i + MAX_EMF_METRICS_PER_EVENT), layer, timestampMs, out, drop);
      }
    }
  }

  /** Emits one document, halving the metric list until it fits the log event size. */
  private emitSized(group: Group, entries: readonly MetricEntry[], layer: number, timestampMs: number, out: EmfLine[], drop: DropSink): void {
    const doc: Record<string, unknown> = {
      _aws: {
        Timestamp: timestampMs,
        CloudWatchMetrics: [
          {
            Namespace: this.options.namespace,
            Dimensions: group.dimensions,
            Metrics: entries.map((m) => ({ Name: m.name, Unit: m.unit, StorageResolution: this.options.storageResolution })),
          },
        ],
      },
      ...group.properties,
    };
    for (const m of entries) doc[m.name] = m.chunks[layer];
    const line = JSON.stringify(doc);
    if (Buffer.byteLength(line) <= MAX_EMF_EVENT_BYTES) {
      out.push({ line, metrics: entries.length });
      return;
    }
    if (entries.length === 1) {
      drop(DropReason.LineTooLarge, 1, { metric: entries[0].name });
      return;
    }
    const half = Math.ceil(entries.length / 2);
    this.emitSized(group, entries.slice(0, half), layer, timestampMs, out, drop);
    this.emitSized(group, entries.slice(half), layer, timestampMs, out, drop);
  }
}
