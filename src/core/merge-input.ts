/**
 * Checks pre-aggregated inputs at the facade's edge and fills in what the engines require
 * (finite min and max, estimated from the bucket bounds when the source did not send them).
 */
import { isValidScale, maxIndex, minIndex } from "./exponential-mapping.ts";
import type {
  ExplicitHistogramInput,
  ExponentialBuckets,
  ExponentialHistogramInput,
  ExponentialHistogramState,
  StatisticSet,
} from "./types.ts";

/** Why an input was refused; null when it is usable. */
export type InputProblem = string | null;

/**
 * The last frozen boundaries array found finite and increasing. Decoders intern boundaries as frozen
 * arrays (one per layout), so the per-point check (done by the pipeline and again by the store) is
 * usually an identity test; a frozen array cannot change afterwards.
 */
let validFrozenBoundaries: ArrayLike<number> | null = null;

function boundariesInputProblem(boundaries: ArrayLike<number>): InputProblem {
  if (boundaries === validFrozenBoundaries) return null;
  const nb = boundaries.length;
  for (let i = 0; i < nb; i++) {
    const b = boundaries[i];
    if (!Number.isFinite(b) || (i > 0 && b <= boundaries[i - 1])) return `boundaries[${i}] = ${b} is not finite and increasing`;
  }
  if (Array.isArray(boundaries) && Object.isFrozen(boundaries)) validFrozenBoundaries = boundaries;
  return null;
}

export function explicitInputProblem(input: ExplicitHistogramInput): InputProblem {
  const nb = input.boundaries.length;
  if (input.bucketCounts.length !== nb + 1) {
    return `bucketCounts has ${input.bucketCounts.length} entries, expected boundaries.length + 1 = ${nb + 1}`;
  }
  const boundsProblem = boundariesInputProblem(input.boundaries);
  if (boundsProblem !== null) return boundsProblem;
  let total = 0;
  for (let i = 0; i <= nb; i++) {
    const c = input.bucketCounts[i];
    if (!(c >= 0) || !Number.isFinite(c)) return `bucketCounts[${i}] = ${c} is not a finite count`;
    total += c;
  }
  return countSumProblem(input.count, input.sum, total);
}

/**
 * Why an exponential histogram's scale or bucket indexes cannot be merged, or null. Each range's
 * buckets [offset, offset + counts.length - 1] must lie within the indexes OpenTelemetry's mapping
 * can produce for finite doubles at the scale (exponential-mapping.ts `minIndex`/`maxIndex`); an
 * empty range's offset is not used and only has to be an integer. Both engines refuse what this
 * refuses before any state changes: inside the bounds every index, and every difference of two,
 * fits an i32 (the WASM core's index type, and its ABI: a larger JS number would be truncated).
 */
export function exponentialIndexProblem(state: ExponentialHistogramState): InputProblem {
  const scale = state.scale;
  if (!isValidScale(scale)) return `scale ${scale} is outside -10..20`;
  const positive = rangeIndexProblem("positive", state.positive, scale);
  return positive !== null ? positive : rangeIndexProblem("negative", state.negative, scale);
}

function rangeIndexProblem(name: string, range: ExponentialBuckets, scale: number): InputProblem {
  const offset = range.offset;
  if (!Number.isInteger(offset)) return `${name}.offset ${offset} is not an integer`;
  const n = range.counts.length;
  if (n === 0) return null;
  const lowest = minIndex(scale);
  if (offset < lowest) return `${name}.offset ${offset} is below the smallest bucket index ${lowest} at scale ${scale}`;
  const highest = maxIndex(scale);
  // a double sum: exact below 2^53, and any larger offset is far beyond `highest` anyway
  if (offset + n - 1 > highest) return `${name}.offset ${offset} + ${n} buckets exceeds the largest bucket index ${highest} at scale ${scale}`;
  return null;
}

export function exponentialInputProblem(input: ExponentialHistogramInput): InputProblem {
  const indexProblem = exponentialIndexProblem(input);
  if (indexProblem !== null) return indexProblem;
  let total = input.zeroCount;
  if (!(total >= 0)) return `zeroCount ${input.zeroCount} is not a count`;
  for (const [name, range] of [["positive", input.positive], ["negative", input.negative]] as const) {
    for (let i = 0; i < range.counts.length; i++) {
      const c = range.counts[i];
      if (!(c >= 0) || !Number.isFinite(c)) return `${name}.counts[${i}] = ${c} is not a finite count`;
      total += c;
    }
  }
  return countSumProblem(input.count, input.sum, total);
}

export function statisticsProblem(stats: StatisticSet): InputProblem {
  if (!(stats.count >= 0) || !Number.isFinite(stats.count)) return `count ${stats.count} is not a finite count`;
  if (!Number.isFinite(stats.sum)) return `sum ${stats.sum} is not finite`;
  if (stats.count > 0 && Number.isFinite(stats.min) && Number.isFinite(stats.max) && stats.min > stats.max) {
    return `min ${stats.min} > max ${stats.max}`;
  }
  return null;
}

function countSumProblem(count: number, sum: number, bucketTotal: number): InputProblem {
  if (!(count >= 0) || !Number.isFinite(count)) return `count ${count} is not a finite count`;
  if (count !== bucketTotal) return `count ${count} differs from the bucket total ${bucketTotal}`;
  if (!Number.isFinite(sum)) return `sum ${sum} is not finite`;
  return null;
}

/**
 * A missing (NaN) min widened down to the mean, a missing max up to it: the estimate then always
 * satisfies min <= sum / count <= max, so count, sum, min and max form a set CloudWatch and EMF can
 * carry unchanged. A bucket-bound estimate can contradict the recorded sum only when the source's
 * values lie beyond a finite edge of an open-ended bucket (or the source's sum disagrees with its
 * buckets); the mean is then the tightest bound the input still supports.
 */
function widenToMean(given: number, estimate: number, count: number, sum: number, lower: boolean): number {
  if (Number.isFinite(given) || !(count > 0)) return estimate;
  const mean = sum / count;
  return lower ? Math.min(estimate, mean) : Math.max(estimate, mean);
}

/**
 * min/max for an explicit histogram input: the given ones when finite, else the lower bound of the
 * lowest non-empty bucket and the upper bound of the highest (the first bucket's bound is b[0], the
 * overflow bucket's b[last]; without boundaries the mean), widened to the mean (`widenToMean`).
 */
export function withExplicitBounds(input: ExplicitHistogramInput): ExplicitHistogramInput {
  if (Number.isFinite(input.min) && Number.isFinite(input.max)) return input;
  const b = input.boundaries;
  const nb = b.length;
  let lo = -1;
  let hi = -1;
  for (let i = 0; i <= nb; i++) {
    if (input.bucketCounts[i] > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  let min = input.min;
  let max = input.max;
  if (lo < 0) {
    min = 0;
    max = 0;
  } else if (nb === 0) {
    const mean = input.count > 0 ? input.sum / input.count : 0;
    if (!Number.isFinite(min)) min = mean;
    if (!Number.isFinite(max)) max = mean;
  } else {
    if (!Number.isFinite(min)) min = lo === 0 ? b[0] : b[lo - 1];
    if (!Number.isFinite(max)) max = hi === nb ? b[nb - 1] : b[hi];
  }
  min = widenToMean(input.min, min, input.count, input.sum, true);
  max = widenToMean(input.max, max, input.count, input.sum, false);
  if (min > max) min = max;
  return { boundaries: input.boundaries, bucketCounts: input.bucketCounts, count: input.count, sum: input.sum, min, max };
}

/**
 * min/max for an exponential input: the given ones when finite, else the lower bound of the lowest
 * non-empty bucket and the upper bound of the highest (0 for the zero bucket), widened to the mean
 * (`widenToMean`).
 */
export function withExponentialBounds(input: ExponentialHistogramInput): ExponentialHistogramInput {
  if (Number.isFinite(input.min) && Number.isFinite(input.max)) return input;
  const base = Math.pow(2, Math.pow(2, -input.scale));
  const p = nonEmptyRange(input.positive.counts);
  const n = nonEmptyRange(input.negative.counts);
  let lowest = Infinity;
  let highest = -Infinity;
  if (n !== null) {
    lowest = -Math.pow(base, input.negative.offset + n[1] + 1);
    highest = -Math.pow(base, input.negative.offset + n[0]);
  }
  if (input.zeroCount > 0) {
    lowest = Math.min(lowest, 0);
    highest = Math.max(highest, 0);
  }
  if (p !== null) {
    lowest = Math.min(lowest, Math.pow(base, input.positive.offset + p[0]));
    highest = Math.max(highest, Math.pow(base, input.positive.offset + p[1] + 1));
  }
  if (!Number.isFinite(lowest)) lowest = lowest < 0 ? -Number.MAX_VALUE : 0;
  if (!Number.isFinite(highest)) highest = highest > 0 ? Number.MAX_VALUE : 0;
  const min = Number.isFinite(input.min) ? input.min : widenToMean(input.min, lowest, input.count, input.sum, true);
  const max = Number.isFinite(input.max) ? input.max : widenToMean(input.max, highest, input.count, input.sum, false);
  return { ...input, min: Math.min(min, max), max };
}

function nonEmptyRange(counts: readonly number[]): [number, number] | null {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  return lo < 0 ? null : [lo, hi];
}

/** A statistic set with a usable min/max (count 0 sets are passed through). */
export function withStatisticBounds(stats: StatisticSet): StatisticSet {
  if (stats.count === 0 || (Number.isFinite(stats.min) && Number.isFinite(stats.max))) return stats;
  const mean = stats.sum / stats.count;
  return { count: stats.count, sum: stats.sum, min: Number.isFinite(stats.min) ? stats.min : mean, max: Number.isFinite(stats.max) ? stats.max : mean };
}
