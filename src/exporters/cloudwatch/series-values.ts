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
 *   the buckets account for every sample, together with the recorded statistic set (value-chunks.ts
 *   splits both over datums); otherwise the statistic set alone.
 *
 * The statistic set is always the recorded one (count, sum, min, max of the window, unit-converted),
 * never recomputed from Values/Counts: representative values can only approximate the sum, and for a
 * source without min/max (Prometheus-style histograms) the store's bucket-bound estimates would not
 * be reproducible from them.
 */
import type { SeriesSnapshot } from "../../core/api.ts";
import { SlotKind } from "../../core/types.ts";
import { flushTiny, histogramToWeightedValues, isSendable, type WeightedValues } from "./percentiles.ts";
import type { UnitMapping } from "./units.ts";
import type { StatisticTotals } from "./value-chunks.ts";

export interface StatisticContent extends StatisticTotals {
  readonly kind: "stats";
}

/** Values/Counts for percentiles plus the recorded statistic set they came from. */
export interface WeightedContent extends WeightedValues, StatisticTotals {
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
  const sum = stats.sum * unit.scale;
  const min = stats.min * unit.scale;
  const max = stats.max * unit.scale;
  if (!isSendable(sum) || !isSendable(min) || !isSendable(max) || !(stats.count > 0)) return "value_out_of_range";
  const totals = { count: stats.count, sum: flushTiny(sum), min: flushTiny(min), max: flushTiny(max) };
  if (options.percentiles && state.kind === SlotKind.Histogram && (state.exponential !== null || state.bucketCounts !== null)) {
    const boundaries = "boundaries" in instrument ? instrument.boundaries : null;
    const weighted = histogramToWeightedValues(
      { stats, bucketCounts: state.bucketCounts, boundaries, exponential: state.exponential },
      unit.scale,
      options.maxPoints,
    );
    if (weighted === "value_out_of_range") return weighted;
    if (weighted !== "buckets_incomplete") return { kind: "weighted", values: weighted.values, counts: weighted.counts, ...totals };
  }
  return { kind: "stats", ...totals };
}
