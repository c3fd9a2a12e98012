import assert from "node:assert/strict";
import type { ExponentialHistogramState } from "../../src/core/types.ts";

/**
 * Whether an OpenTelemetry SDK exponential histogram point is a usable reference.
 *
 * The SDK (sdk-metrics 3.1.1) re-maps a value after downscaling; at scale > 0 its log rounding can
 * put a value near a power of two one bucket away from where the exact mapping at scale <= 0 puts
 * it, so the re-mapped index can land one past maxSize. The SDK then writes past or around its
 * circular backing array: a NaN/undefined count, counts that no longer add up to `count`, or a
 * range wider than maxSize. Such a state is corrupt, not a reference to match
 * (docs/aggregation-semantics.md says what the engines do instead).
 */
export function sdkStateValid(
  point: { count: number; zeroCount: number; positive: { bucketCounts: number[] }; negative: { bucketCounts: number[] } },
  maxSize: number,
): boolean {
  const all = [...point.positive.bucketCounts, ...point.negative.bucketCounts];
  if (!all.every((c) => typeof c === "number" && Number.isFinite(c))) return false;
  if (point.positive.bucketCounts.length > maxSize || point.negative.bucketCounts.length > maxSize) return false;
  return all.reduce((a, c) => a + c, point.zeroCount) === point.count;
}

/**
 * What the engines do where the SDK corrupted its state (docs/aggregation-semantics.md): downscale
 * once more instead, so a scale no finer than the SDK's, ranges within maxSize, and every one of
 * the `recorded` values counted once.
 */
export function assertDownscaledInstead(state: ExponentialHistogramState | null, sdkScale: number, maxSize: number, recorded: number): void {
  assert.ok(state !== null, "no exponential state");
  assert.ok(state.scale <= sdkScale, `scale ${state.scale} should not exceed the SDK's ${sdkScale}`);
  assert.ok(state.positive.counts.length <= maxSize && state.negative.counts.length <= maxSize);
  const total = [...state.positive.counts, ...state.negative.counts].reduce((a, c) => a + c, state.zeroCount);
  assert.equal(total, recorded);
}
