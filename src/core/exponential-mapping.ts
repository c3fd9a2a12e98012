/**
 * OpenTelemetry's base-2 exponential bucket mapping for scales -10..20, reproduced operation for
 * operation (same IEEE 754 bit tests, same `Math.log` expression) so that the JS engine puts every
 * value in the very bucket the OpenTelemetry JS SDK does, including at powers of two and for
 * subnormals. Bucket `index` at `scale` holds `(base^index, base^(index+1)]`, `base = 2^(2^-scale)`.
 *
 * Scale <= 0 uses the exponent bits only (exact); scale > 0 uses `floor(log(v) * 2^scale / ln 2)`,
 * with powers of two special-cased so that they land exactly on a bucket's upper bound.
 * All functions take a positive finite magnitude; callers route 0 and negative values themselves.
 */
import { EXPONENTIAL_MAX_SCALE, EXPONENTIAL_MIN_SCALE } from "./types.ts";

/** The smallest normal double, 2^-1022. Values at or below it share the lowest bucket(s). */
export const MIN_NORMAL_VALUE = 2 ** -1022;
const MIN_NORMAL_EXPONENT = -1022;
const MAX_NORMAL_EXPONENT = 1023;
const EXPONENT_BIAS = 1023;
const EXPONENT_MASK_HI = 0x7ff00000;
const SIGNIFICAND_MASK_HI = 0x000fffff;

// One shared 8-byte scratch word: reading a double's bits allocates nothing per value.
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** Unbiased binary exponent of a normal double (k in v = f * 2^k, 1 <= f < 2). */
export function normalExponent(value: number): number {
  scratchF64[0] = value;
  return ((scratchU32[HI] & EXPONENT_MASK_HI) >>> 20) - EXPONENT_BIAS;
}

/** True when the significand is all zeros: an exact power of two (for positive normal values). */
export function isPowerOfTwo(value: number): boolean {
  scratchF64[0] = value;
  return (scratchU32[HI] & SIGNIFICAND_MASK_HI) === 0 && scratchU32[LO] === 0;
}

// log2(e) * 2^scale and ln(2) * 2^-scale per scale, computed once exactly as the SDK does
// (multiplication by a power of two is exact, so these equal the SDK's ldexp results).
const SCALE_FACTOR = new Float64Array(EXPONENTIAL_MAX_SCALE + 1);
const INVERSE_FACTOR = new Float64Array(EXPONENTIAL_MAX_SCALE + 1);
for (let s = 1; s <= EXPONENTIAL_MAX_SCALE; s++) {
  SCALE_FACTOR[s] = Math.LOG2E * 2 ** s;
  INVERSE_FACTOR[s] = Math.LN2 * 2 ** -s;
}

/*
 * The bucket indexes a finite double can map to at `scale`, [minIndex, maxIndex]: where OpenTelemetry
 * puts subnormals (and, at scale > 0, 2^-1022) and where it clamps the largest values. They are
 * the SDK's own edges (opentelemetry-js, packages/sdk-metrics/src/aggregator/exponential-histogram/
 * mapping/ExponentMapping.ts `_minNormalLowerBoundaryIndex` / `_maxNormalLowerBoundaryIndex`, and
 * LogarithmMapping.ts `mapToIndex`: `_minNormalLowerBoundaryIndex() - 1` for values <= 2^-1022,
 * clamped to `_maxNormalLowerBoundaryIndex()`), which also bound its `lowerBoundary`. `mapToIndex`
 * below returns them for subnormals and the largest values (the clamp inlined), so
 * mapToIndex(Number.MIN_VALUE) and mapToIndex(Number.MAX_VALUE) are the bounds
 * (test/core/exponential-mapping.test.ts checks both, here and in the SDK, at every scale). Inputs whose buckets leave this range are refused
 * (merge-input.ts `exponentialIndexProblem`). Shifting a valid index right by one gives a valid
 * index one scale down (minIndex(s) >> 1 == minIndex(s - 1), likewise maxIndex), so downscaling
 * never leaves it either. At scale 20 the range is [-1071644673, 1073741823]: the difference of
 * two indexes (2145386496 at most) fits an i32.
 */

/** Lowest index any positive double maps to at `scale` (subnormals and 2^-1022 share it). */
export function minIndex(scale: number): number {
  if (scale > 0) return (MIN_NORMAL_EXPONENT << scale) - 1;
  const shift = -scale;
  let index = MIN_NORMAL_EXPONENT >> shift;
  if (shift < 2) index--;
  return index;
}

/** Highest index any finite double maps to at `scale`. */
export function maxIndex(scale: number): number {
  if (scale > 0) return ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
  return MAX_NORMAL_EXPONENT >> -scale;
}

/**
 * The bucket index of a positive finite `value` at `scale` (-10..20), identical to the
 * OpenTelemetry JS SDK's `ExponentMapping` / `LogarithmMapping.mapToIndex`.
 */
export function mapToIndex(value: number, scale: number): number {
  if (scale > 0) {
    if (value <= MIN_NORMAL_VALUE) return minIndex(scale);
    if (isPowerOfTwo(value)) return (normalExponent(value) << scale) - 1;
    const index = Math.floor(Math.log(value) * SCALE_FACTOR[scale]);
    const max = ((MAX_NORMAL_EXPONENT + 1) << scale) - 1; // maxIndex(scale), inline on the hot path
    return index >= max ? max : index;
  }
  if (value < MIN_NORMAL_VALUE) return minIndex(scale);
  return (normalExponent(value) + (isPowerOfTwo(value) ? -1 : 0)) >> -scale;
}

/**
 * The lower bound `base^index` of a bucket, as the SDK computes it (exact for scale <= 0, within
 * an ulp or so of the true bound for scale > 0). Throws RangeError outside the representable indexes.
 */
export function lowerBoundary(index: number, scale: number): number {
  const min = minIndex(scale);
  const max = maxIndex(scale);
  if (index < min || index > max) {
    throw new RangeError(`exponential index ${index} is outside ${min}..${max} at scale ${scale}`);
  }
  if (scale > 0) {
    const factor = SCALE_FACTOR[scale];
    if (index === max) return 2 * Math.exp((index - (1 << scale)) / factor);
    if (index === min + 1) return MIN_NORMAL_VALUE;
    if (index === min) return Math.exp((index + (1 << scale)) / factor) / 2;
    return Math.exp(index * INVERSE_FACTOR[scale]);
  }
  return 2 ** (index * 2 ** -scale);
}

/**
 * True when `value` (positive finite) is exactly the upper bound of the bucket `mapToIndex` puts it
 * in: a normal power of two 2^e with e a multiple of 2^-scale (every power of two when scale >= 0).
 * With it, "does upper bound base^(i+1) satisfy base^(i+1) <= b" is decided exactly from indexes.
 */
export function isBucketUpperBound(value: number, scale: number): boolean {
  if (value < MIN_NORMAL_VALUE || !isPowerOfTwo(value)) return false;
  if (scale >= 0) return true;
  return (normalExponent(value) & ((1 << -scale) - 1)) === 0;
}

/** True when `scale` is an integer OpenTelemetry can map at. */
export function isValidScale(scale: number): boolean {
  return Number.isInteger(scale) && scale >= EXPONENTIAL_MIN_SCALE && scale <= EXPONENTIAL_MAX_SCALE;
}
