/**
 * Explicit-boundary buckets with Prometheus/OpenTelemetry `le` semantics: a value counts in the
 * first bucket i with `value <= boundaries[i]`, else in the overflow bucket `boundaries.length`.
 */

/**
 * Index of the bucket holding `value`: the first i with `value <= boundaries[i]`, or
 * `boundaries.length`. The same lower-bound binary search as the SDK's `binarySearchUB`.
 */
export function findBucket(boundaries: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when both lists hold the same boundaries in the same order. */
export function sameBoundaries(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds explicit bucket counts laid out on `srcBoundaries` into `dstCounts` laid out on
 * `dstBoundaries`. Each source bucket's count goes to the destination bucket that contains the
 * source bucket's upper bound (+Inf for the overflow bucket), so `le` counts are never
 * under-reported. With equal boundaries this is bucket-by-bucket addition.
 */
export function addExplicitCounts(
  dstBoundaries: ArrayLike<number>,
  dstCounts: Float64Array,
  srcBoundaries: ArrayLike<number>,
  srcCounts: ArrayLike<number>,
): void {
  const n = srcBoundaries.length;
  if (sameBoundaries(dstBoundaries, srcBoundaries)) {
    for (let i = 0; i <= n; i++) dstCounts[i] += srcCounts[i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const c = srcCounts[i];
    if (c !== 0) dstCounts[findBucket(dstBoundaries, srcBoundaries[i])] += c;
  }
  dstCounts[dstBoundaries.length] += srcCounts[n];
}
