/**
 * Moving counts between the two histogram shapes when a pre-aggregated input does not match the
 * slot's layout (docs/aggregation-semantics.md, "Merging pre-aggregated input").
 *
 * Exponential -> explicit: a bucket's count goes to the explicit bucket containing the exponential
 * bucket's upper bound. That bound (`base^(i+1)`, or `-base^i` in the negative range) is irrational
 * for most indexes at scale > 0, so instead of computing it in floating point (where engines could
 * round differently) the comparison `bound <= b` is decided from the mapping index of `b`, which
 * is exact up to the mapping itself and exact at powers of two.
 */
import { findBucket } from "./explicit-buckets.ts";
import type { ExponentialHistogram } from "./exponential-histogram.ts";
import { isBucketUpperBound, mapToIndex } from "./exponential-mapping.ts";
import type { ExplicitHistogramInput, ExponentialHistogramState } from "./types.ts";

/**
 * True when the upper bound of positive bucket `index` at `scale`, base^(index+1), is <= b.
 * With k = mapToIndex(b), b lies in (base^k, base^(k+1)]: the bound is <= b iff k > index, or
 * k == index and b is exactly base^(k+1). The highest bucket (maxIndex) holds values up to
 * MAX_VALUE only (its nominal bound is 2^1024), so MAX_VALUE bounds it.
 */
function positiveBoundAtMost(b: number, index: number, scale: number): boolean {
  if (!(b > 0)) return false;
  const k = mapToIndex(b, scale);
  return k > index || (k === index && (isBucketUpperBound(b, scale) || b === Number.MAX_VALUE));
}

/**
 * True when the upper bound of negative bucket `index`, -base^index, is <= b: always for b >= 0;
 * for b < 0 iff |b| <= base^index, i.e. iff |b|'s bucket k ends at or below base^index (k < index).
 * The lowest bucket (minIndex) also holds the subnormals, up to -MIN_VALUE, so -MIN_VALUE bounds
 * every negative bucket.
 */
function negativeBoundAtMost(b: number, index: number, scale: number): boolean {
  if (b >= -Number.MIN_VALUE) return true;
  return mapToIndex(-b, scale) < index;
}

/** First explicit bucket whose boundary satisfies the (monotone) predicate, else overflow. */
function firstBucketWhere(
  boundaries: ArrayLike<number>,
  index: number,
  scale: number,
  atMost: (b: number, index: number, scale: number) => boolean,
): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (atMost(boundaries[mid], index, scale)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds an exponential histogram's counts into explicit bucket counts (upper-bound rule). */
export function addExponentialToExplicit(
  boundaries: ArrayLike<number>,
  counts: Float64Array,
  input: ExponentialHistogramState,
): void {
  const scale = input.scale;
  if (input.zeroCount !== 0) counts[findBucket(boundaries, 0)] += input.zeroCount;
  const pos = input.positive;
  for (let i = 0; i < pos.counts.length; i++) {
    const c = pos.counts[i];
    if (c > 0) counts[firstBucketWhere(boundaries, pos.offset + i, scale, positiveBoundAtMost)] += c;
  }
  const neg = input.negative;
  for (let i = 0; i < neg.counts.length; i++) {
    const c = neg.counts[i];
    if (c > 0) counts[firstBucketWhere(boundaries, neg.offset + i, scale, negativeBoundAtMost)] += c;
  }
}

/**
 * The value an explicit bucket's count is inserted at in an exponential histogram: the midpoint
 * `(lo + hi) / 2` of the bucket's bounds, clamped to [min, max]. The first bucket's lower bound
 * is `min`, the overflow bucket's upper bound is `max`. An overflowing midpoint (±Inf) is clamped too.
 */
export function explicitRepresentative(input: ExplicitHistogramInput, bucket: number): number {
  const b = input.boundaries;
  const n = b.length;
  const lo = bucket === 0 ? input.min : b[bucket - 1];
  const hi = bucket === n ? input.max : b[bucket];
  let r = (lo + hi) / 2;
  if (r > input.max) r = input.max;
  if (r < input.min) r = input.min;
  return r + 0;
}

/** Inserts each explicit bucket's count at its representative value. */
export function addExplicitToExponential(hist: ExponentialHistogram, input: ExplicitHistogramInput): void {
  const n = input.boundaries.length;
  for (let i = 0; i <= n; i++) {
    const c = input.bucketCounts[i];
    if (c > 0) hist.record(explicitRepresentative(input, i), c);
  }
}
