/**
 * What one series contributes to one window, in CloudWatch terms, shared by PutMetricData and EMF:
 * either a statistic set (count, sum, min, max) or weighted Values/Counts for percentiles. Values are
 * already converted to the mapped CloudWatch unit.
 *
 * - Sum (counter): the statistic set over the window's increments: SampleCount = number of
 *   increments, Sum = the counter's increase, Min/Max = smallest/largest increment. CloudWatch's
 *   `Sum` statistic is therefore exactly the increase, also when replicas publish the same series.
 * - Gauge: the statistic set over the window's samples.
 * - Histogram: Values/Counts from the exponential (else explicit) buckets when percentiles are on and
 *   the buckets account for every sample; otherwise the statistic set.
 */
import type { SeriesSnapshot } from "../../core/api.ts";
import { SlotKind } from "../../core/types.ts";
import { flushTiny, histogramToWeightedValues, isSendable, type WeightedValues } from "./percentiles.ts";
import type { UnitMapping } from "./units.ts";

export interface StatisticContent {
  readonly kind: "stats";
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

export interface WeightedContent extends WeightedValues {
  readonly kind: "weighted";
}

export type SeriesContent = StatisticContent | WeightedContent;

export interface ContentOptions {
  readonly percentiles: boolean;
  /** Points budget per series for Values/Counts (see percentiles.ts). */
  readonly maxPoints: number;
}

/** The series' content, or "value_out_of_range" when CloudWatch cannot take its numbers. */
export function seriesContent(
  snapshot: SeriesSnapshot,
  unit: UnitMapping,
  options: ContentOptions,
): SeriesContent | "value_out_of_range" {
  const { state, instrument } = snapshot;
  const stats = state.stats;
  if (options.percentiles && state.kind === SlotKind.Histogram && (state.exponential !== null || state.bucketCounts !== null)) {
    const boundaries = "boundaries" in instrument ? instrument.boundaries : null;
    const weighted = histogramToWeightedValues(
      { stats, bucketCounts: state.bucketCounts, boundaries, exponential: state.exponential },
      unit.scale,
      options.maxPoints,
    );
    if (weighted === "value_out_of_range") return weighted;
    if (weighted !== "buckets_incomplete") return { kind: "weighted", values: weighted.values, counts: weighted.counts };
  }
  const sum = stats.sum * unit.scale;
  const min = stats.min * unit.scale;
  const max = stats.max * unit.scale;
  if (!isSendable(sum) || !isSendable(min) || !isSendable(max) || !(stats.count > 0)) return "value_out_of_range";
  return { kind: "stats", count: stats.count, sum: flushTiny(sum), min: flushTiny(min), max: flushTiny(max) };
}
