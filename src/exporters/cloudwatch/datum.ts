/**
 * One window of series snapshots to PutMetricData datums: one datum per series, per applicable
 * dimension set, per 150 Values (a histogram with more points is split into several datums with the
 * same metric, dimensions and timestamp, which CloudWatch aggregates). A histogram datum carries
 * `Values`, `Counts` and `StatisticValues` together, as the CloudWatch agent does
 * (aws/amazon-cloudwatch-agent, plugins/outputs/cloudwatch/cloudwatch.go, BuildMetricDatum ->
 * buildMetricDatumDist: one MetricDatum with Values, Counts and StatisticValues per distribution that
 * Resize splits off); only `Value` excludes
 * `StatisticValues`. The set carries the exact statistics, Values/Counts the distribution for
 * percentiles; each datum's set covers exactly its own values and the sets add up to the recorded
 * one (value-chunks.ts). Every datum carries
 * its exact serialized size so requests can be packed against the byte limit without serializing
 * twice.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { SeriesSnapshot } from "../../core/api.ts";
import type { DimensionPlanner, ResolvedSet } from "./dimensions.ts";
import { DropReason, type DropSink } from "./drops.ts";
import { MAX_TIMESTAMP_AGE_MS, MAX_TIMESTAMP_FUTURE_MS, MAX_VALUES_PER_DATUM } from "./limits.ts";
import { isValidMetricName } from "./names.ts";
import { seriesContent, type SeriesContent } from "./series-values.ts";
import { mapUnit } from "./units.ts";
import { chunkWithStatistics } from "./value-chunks.ts";

/** A datum ready to send, with its AWS JSON 1.0 size in bytes (as the SDK serializes it). */
export interface BuiltDatum {
  readonly datum: MetricDatum;
  readonly bytes: number;
  readonly timestampMs: number;
}

export interface DatumBuilderOptions {
  readonly planner: DimensionPlanner;
  readonly percentiles: boolean;
  /** Values/Counts points per histogram series (>= 3). */
  readonly maxPointsPerSeries: number;
  readonly storageResolution: 1 | 60;
}

/** True when CloudWatch accepts a datum stamped `timestampMs` at time `nowMs`. */
export function isTimestampInRange(timestampMs: number, nowMs: number): boolean {
  return timestampMs >= nowMs - MAX_TIMESTAMP_AGE_MS && timestampMs <= nowMs + MAX_TIMESTAMP_FUTURE_MS;
}

/** The AWS JSON 1.0 form of a timestamp: epoch seconds with millisecond fraction. */
function timestampJson(ms: number): string {
  return JSON.stringify(ms / 1000);
}

export class DatumBuilder {
  private readonly options: DatumBuilderOptions;

  constructor(options: DatumBuilderOptions) {
    this.options = options;
  }

  /** Appends the datums of one window to `out`; every series that cannot be sent is counted in `drop`. */
  build(snapshots: readonly SeriesSnapshot[], windowStartMs: number, nowMs: number, out: BuiltDatum[], drop: DropSink): void {
    const tsJson = timestampJson(windowStartMs);
    const timestampOk = isTimestampInRange(windowStartMs, nowMs);
    for (const snapshot of snapshots) {
      const { instrument } = snapshot;
      const resolved = this.options.planner.resolve(instrument.name, snapshot.attributes);
      if (resolved.invalidSets > 0) drop(DropReason.InvalidDimension, resolved.invalidSets, { metric: instrument.name });
      const sets = resolved.sets;
      if (sets.length === 0) {
        if (resolved.invalidSets === 0) drop(DropReason.MissingDimension, 1, { metric: instrument.name, keys: Object.keys(snapshot.attributes), sets: this.options.planner.configuredSets(instrument.name) ?? [] });
        continue;
      }
      if (!isValidMetricName(instrument.name)) {
        drop(DropReason.InvalidMetricName, sets.length, { metric: instrument.name });
        continue;
      }
      if (!timestampOk) {
        drop(DropReason.TimestampOutOfRange, sets.length, { metric: instrument.name, timestampMs: windowStartMs, nowMs });
        continue;
      }
      const unit = mapUnit(instrument.unit, instrument.kind);
      const content = seriesContent(snapshot, unit, {
        percentiles: this.options.percentiles,
        maxPoints: this.options.maxPointsPerSeries,
      });
      if (content === "value_out_of_range") {
        drop(DropReason.ValueOutOfRange, sets.length, { metric: instrument.name });
        continue;
      }
      this.emit(instrument.name, unit.unit, content, sets, windowStartMs, tsJson, out);
    }
  }

  private emit(
    name: string,
    unit: NonNullable<MetricDatum["Unit"]>,
    content: SeriesContent,
    sets: readonly ResolvedSet[],
    timestampMs: number,
    tsJson: string,
    out: BuiltDatum[],
  ): void {
    const resolution = this.options.storageResolution;
    // Everything but the dimensions is shared by all of the series' datums: serialize it once.
    const tail = `,"Timestamp":${tsJson},"Unit":${JSON.stringify(unit)},"StorageResolution":${resolution}}`;
    const head = `{"MetricName":${JSON.stringify(name)}`;
    const fixedBytes = Buffer.byteLength(head) + tail.length;
    const timestamp = new Date(timestampMs);
    const chunks: { readonly part: Pick<MetricDatum, "StatisticValues" | "Values" | "Counts">; readonly bytes: number }[] = [];
    if (content.kind === "stats") {
      const sv = { SampleCount: content.count, Sum: content.sum, Minimum: content.min, Maximum: content.max };
      chunks.push({ part: { StatisticValues: sv }, bytes: `,"StatisticValues":${JSON.stringify(sv)}`.length });
    } else {
      for (const c of chunkWithStatistics(content.values, content.counts, content, MAX_VALUES_PER_DATUM)) {
        const sv = { SampleCount: c.count, Sum: c.sum, Minimum: c.min, Maximum: c.max };
        const bytes = `,"Values":${JSON.stringify(c.values)},"Counts":${JSON.stringify(c.counts)},"StatisticValues":${JSON.stringify(sv)}`.length;
        chunks.push({ part: { Values: c.values, Counts: c.counts, StatisticValues: sv }, bytes });
      }
    }
    for (const set of sets) {
      const dims = set.dimensions;
      const dimBytes = dims.length > 0 ? `,"Dimensions":${JSON.stringify(dims)}`.length : 0;
      for (const chunk of chunks) {
        const datum: MetricDatum = {
          MetricName: name,
          Timestamp: timestamp,
          Unit: unit,
          StorageResolution: resolution,
          ...chunk.part,
        };
        if (dims.length > 0) datum.Dimensions = dims as MetricDatum["Dimensions"];
        out.push({ datum, bytes: fixedBytes + dimBytes + chunk.bytes, timestampMs });
      }
    }
  }
}
