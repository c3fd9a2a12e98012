// Merging pre-aggregated input (docs/aggregation-semantics.md, "Merging pre-aggregated input").
// Inputs are columns the caller wrote into linear memory: boundaries and counts as f64.

import { alloc, release } from "./heap";
import { explicitIndex } from "./explicit";
import {
  changeScale, downscale, expAddZero, expInsert, rangeCountAt, rangeInsertFitting,
} from "./exponential";
import {
  KIND_GAUGE, KIND_HISTOGRAM, L_BOUNDS, L_BUCKETS, L_EXP, L_EXP_SIZE, L_NB,
  R_BASE, R_HI, R_LO, S_COUNT, S_KIND, S_LAST, S_LAYOUT, S_MAX, S_MIN, S_REJECTED, S_SUM,
  X_NEG, X_POS, X_SCALE, X_ZERO,
} from "./layout";
import { mapToIndex, maxIndexAt, minIndexAt } from "./mapping";

const MANTISSA_MASK: u64 = 0x000fffffffffffff;
import { livePtr } from "./slots";
import { mergeStage } from "./io";

/** count += count, sum += sum, min/max widened when the input has values. */
function applyStats(slot: usize, count: f64, sum: f64, lo: f64, hi: f64): void {
  store<f64>(slot, load<f64>(slot, S_COUNT) + count, S_COUNT);
  store<f64>(slot, load<f64>(slot, S_SUM) + sum, S_SUM);
  if (count > 0) {
    if (lo < load<f64>(slot, S_MIN)) store<f64>(slot, lo + 0.0, S_MIN);
    if (hi > load<f64>(slot, S_MAX)) store<f64>(slot, hi + 0.0, S_MAX);
  }
}

@inline function addToBucket(counts: usize, bucket: i32, c: f64): void {
  const p = counts + (<usize>bucket << 3);
  store<f64>(p, load<f64>(p) + c);
}

/** One count at a representative value of the exponential histogram. */
function expInsertValue(exp: usize, v: f64, c: f64, size: i32): void {
  if (v == 0.0) expAddZero(exp, c);
  else expInsert(exp, v, <u64>c, size);
}

/** Statistic set only. Returns 1 when `id` is not live (nothing changed), else 0. */
export function mergeStatistics(id: i32, count: f64, sum: f64, lo: f64, hi: f64): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  applyStats(slot, count, sum, lo, hi);
  return 0;
}

/** An explicit histogram: `nbIn` boundaries at `boundsPtr`, `nbIn + 1` counts at `countsPtr`. */
export function mergeExplicit(
  id: i32, boundsPtr: usize, countsPtr: usize, nbIn: i32, count: f64, sum: f64, lo: f64, hi: f64,
): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  applyStats(slot, count, sum, lo, hi);
  if (load<u32>(slot, S_KIND) != KIND_HISTOGRAM) return 0;
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  if (nb >= 0) {
    const bounds = <usize>load<u32>(layout, L_BOUNDS);
    const counts = slot + <usize>load<u32>(layout, L_BUCKETS);
    let same = nbIn == nb;
    for (let i = 0; same && i < nb; i++) {
      same = load<f64>(bounds + (<usize>i << 3)) == load<f64>(boundsPtr + (<usize>i << 3));
    }
    for (let i = 0; i <= nbIn; i++) {
      const c = load<f64>(countsPtr + (<usize>i << 3));
      if (c == 0) continue;
      if (same) {
        addToBucket(counts, i, c);
      } else {
        // the bucket that holds the source bucket's upper bound (+Inf for the overflow bucket)
        const upper = i < nbIn ? load<f64>(boundsPtr + (<usize>i << 3)) : Infinity;
        addToBucket(counts, explicitIndex(layout, upper), c);
      }
    }
  }
  const size = load<i32>(layout, L_EXP_SIZE);
  if (size > 0) {
    const exp = slot + <usize>load<u32>(layout, L_EXP);
    for (let i = 0; i <= nbIn; i++) {
      const c = load<f64>(countsPtr + (<usize>i << 3));
      if (!(c >= 1)) continue; // exponential counters hold whole counts
      const a = i == 0 ? lo : load<f64>(boundsPtr + (<usize>(i - 1) << 3));
      const b = i == nbIn ? hi : load<f64>(boundsPtr + (<usize>i << 3));
      // the midpoint clamped to [min, max]; an overflowing midpoint clamps too
      let mid = (a + b) / 2;
      if (mid > hi) mid = hi;
      if (mid < lo) mid = lo;
      expInsertValue(exp, mid + 0.0, c, size);
    }
  }
  return 0;
}

/**
 * Applies the explicit merges queued in the merge stage, in order: `words` f64 words of records.
 * A record with a negative slot sets the boundaries for the records after it:
 * `[-1, nb, b0 .. b(nb-1)]`; a merge record is `[slot, nb, count, sum, min, max, c0 .. c(nb)]`
 * (nb as in the boundaries record before it). Each merge is exactly `mergeExplicit`. Returns how
 * many records named a slot that is not live (skipped).
 */
export function mergeExplicitStaged(words: i32): i32 {
  let skipped = 0;
  let bounds: usize = mergeStage;
  let p: usize = mergeStage;
  const end: usize = mergeStage + (<usize>words << 3);
  while (p < end) {
    const id = <i32>load<f64>(p);
    const nb = <i32>load<f64>(p, 8);
    if (id < 0) {
      bounds = p + 16;
      p += <usize>(2 + nb) << 3;
      continue;
    }
    skipped += mergeExplicit(
      id, bounds, p + 48, nb, load<f64>(p, 16), load<f64>(p, 24), load<f64>(p, 32), load<f64>(p, 40),
    );
    p += <usize>(7 + nb) << 3;
  }
  return skipped;
}

/**
 * The first and last index (offset + i) with a nonzero count; lo > hi when none. `offset + i`
 * cannot wrap: `mergeExponential` admits only offset + len - 1 <= maxIndexAt(scale).
 */
@inline function extentLo(offset: i32, ptr: usize, len: i32): i32 {
  for (let i = 0; i < len; i++) if (load<f64>(ptr + (<usize>i << 3)) >= 1) return offset + i;
  return i32.MAX_VALUE;
}
@inline function extentHi(offset: i32, ptr: usize, len: i32): i32 {
  for (let i = len - 1; i >= 0; i--) if (load<f64>(ptr + (<usize>i << 3)) >= 1) return offset + i;
  return i32.MIN_VALUE;
}

/** Halvings needed so that our range and the input range, both at `target`, fit in `size`. */
function combinedChange(
  range: usize, ourShift: i32, inLo: i32, inHi: i32, inShift: i32, size: i32,
): i32 {
  let lo = i32.MAX_VALUE;
  let hi = i32.MIN_VALUE;
  const ourLo = load<i32>(range, R_LO);
  const ourHi = load<i32>(range, R_HI);
  if (ourLo <= ourHi) {
    lo = ourLo >> ourShift;
    hi = ourHi >> ourShift;
  }
  if (inLo <= inHi) {
    lo = min(lo, inLo >> inShift);
    hi = max(hi, inHi >> inShift);
  }
  return lo <= hi ? changeScale(hi, lo, size) : 0;
}

function insertCounts(exp: usize, range: usize, offset: i32, ptr: usize, len: i32, shift: i32, size: i32): void {
  // offset + i <= offset + len - 1: a mapping index (checked by `mergeExponential`, or a range's own)
  for (let i = 0; i < len; i++) {
    const c = load<f64>(ptr + (<usize>i << 3));
    if (!(c >= 1)) continue;
    rangeInsertFitting(exp, range, (offset + i) >> shift, <u64>c, size);
  }
}

/**
 * Adds an exponential histogram given as f64 count columns. Both sides go to the smaller scale,
 * then lower by the fewest halvings that keep each range within `size` buckets (computed up
 * front, as OpenTelemetry's merge does). A side without nonzero buckets does not constrain the
 * scale.
 */
function mergeExpColumns(
  exp: usize, size: i32, scaleIn: i32, zeroIn: f64,
  posOffset: i32, posPtr: usize, posLen: i32, negOffset: i32, negPtr: usize, negLen: i32,
): void {
  if (zeroIn > 0) expAddZero(exp, zeroIn);
  const pLo = extentLo(posOffset, posPtr, posLen);
  const pHi = extentHi(posOffset, posPtr, posLen);
  const nLo = extentLo(negOffset, negPtr, negLen);
  const nHi = extentHi(negOffset, negPtr, negLen);
  if (pLo > pHi && nLo > nHi) return;
  // scales stay in -10..20 (changeScale), so every shift below is 0..30
  const current = load<i32>(exp, X_SCALE);
  const target = min(current, scaleIn);
  const change = max(
    combinedChange(exp + X_POS, current - target, pLo, pHi, scaleIn - target, size),
    combinedChange(exp + X_NEG, current - target, nLo, nHi, scaleIn - target, size),
  );
  const final = target - change;
  downscale(exp, current - final, size);
  insertCounts(exp, exp + X_POS, posOffset, posPtr, posLen, scaleIn - final, size);
  insertCounts(exp, exp + X_NEG, negOffset, negPtr, negLen, scaleIn - final, size);
}

/**
 * True when `b` (positive) is exactly the upper bound of the bucket it maps to at `scale`: a
 * normal power of two 2^e with e a multiple of 2^-scale (any power of two when scale >= 0).
 */
@inline function isBucketUpperBound(b: f64, scale: i32): bool {
  const bits = reinterpret<u64>(b);
  const biased = <i32>(bits >> 52);
  if ((bits & MANTISSA_MASK) != 0 || biased == 0) return false;
  if (scale >= 0) return true;
  return ((biased - 1023) & ((1 << -scale) - 1)) == 0;
}

/**
 * Whether the upper bound of exponential bucket `index` at `scale` is <= b. The bound
 * (base^(index+1), or -base^index for the negative range) is irrational for most indexes, so
 * instead of computing it the comparison is decided from b's own bucket index, exactly. The
 * highest bucket holds values up to MAX_VALUE (so MAX_VALUE bounds it, not 2^1024), the lowest
 * negative one values up to -MIN_VALUE (the subnormals), so -MIN_VALUE bounds every negative bucket.
 */
@inline function upperBoundAtMost(b: f64, index: i32, scale: i32, negative: bool): bool {
  if (negative) return b >= -f64.MIN_VALUE || mapToIndex(-b, scale) < index;
  if (!(b > 0)) return false;
  const k = mapToIndex(b, scale);
  return k > index || (k == index && (isBucketUpperBound(b, scale) || b == f64.MAX_VALUE));
}

/** The explicit bucket holding an exponential bucket's upper bound (binary search, monotone). */
function firstBucketAtOrAbove(bounds: usize, nb: i32, index: i32, scale: i32, negative: bool): i32 {
  let lo = 0;
  let hi = nb;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (upperBoundAtMost(load<f64>(bounds + (<usize>mid << 3)), index, scale, negative)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Returned by `mergeExponential` for a scale or bucket range outside the mapping's indexes. */
const BAD_INDEXES: i32 = 3;

/**
 * Whether `len` buckets from `offset` lie within the indexes values map to at `scale` (-10..20), so
 * that `offset + i` (i < len) is one of them; in i64, so no operand wraps. No buckets: any offset.
 */
@inline function rangeFits(offset: i32, len: i32, scale: i32): bool {
  if (len <= 0) return len == 0;
  return offset >= minIndexAt(scale) && <i64>offset + <i64>len - 1 <= <i64>maxIndexAt(scale);
}

/**
 * An exponential histogram: positive and negative counts as f64 columns. Returns 1 when `id` is
 * not live, BAD_INDEXES when the scale or a range leaves the mapping's indexes (the facade refuses
 * those first; this keeps the core's invariant on its own), else 0; nothing changes unless 0.
 */
export function mergeExponential(
  id: i32, scale: i32, zeroCount: f64,
  posOffset: i32, posPtr: usize, posLen: i32, negOffset: i32, negPtr: usize, negLen: i32,
  count: f64, sum: f64, lo: f64, hi: f64,
): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  if (scale < -10 || scale > 20 || !rangeFits(posOffset, posLen, scale) || !rangeFits(negOffset, negLen, scale)) return BAD_INDEXES;
  applyStats(slot, count, sum, lo, hi);
  if (load<u32>(slot, S_KIND) != KIND_HISTOGRAM) return 0;
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  if (nb >= 0) {
    const bounds = <usize>load<u32>(layout, L_BOUNDS);
    const counts = slot + <usize>load<u32>(layout, L_BUCKETS);
    if (zeroCount > 0) addToBucket(counts, explicitIndex(layout, 0.0), zeroCount);
    // offset + i is a mapping index (rangeFits above): no wrap
    for (let i = 0; i < posLen; i++) {
      const c = load<f64>(posPtr + (<usize>i << 3));
      if (c > 0) addToBucket(counts, firstBucketAtOrAbove(bounds, nb, posOffset + i, scale, false), c);
    }
    for (let i = 0; i < negLen; i++) {
      const c = load<f64>(negPtr + (<usize>i << 3));
      if (c > 0) addToBucket(counts, firstBucketAtOrAbove(bounds, nb, negOffset + i, scale, true), c);
    }
  }
  const size = load<i32>(layout, L_EXP_SIZE);
  if (size > 0) {
    mergeExpColumns(
      slot + <usize>load<u32>(layout, L_EXP), size, scale, zeroCount,
      posOffset, posPtr, posLen, negOffset, negPtr, negLen,
    );
  }
  return 0;
}

/** Writes a range's counts [lo, hi] as f64 at `out`; returns how many. */
function rangeToColumn(range: usize, out: usize): i32 {
  const lo = load<i32>(range, R_LO);
  const hi = load<i32>(range, R_HI);
  if (lo > hi) return 0;
  // counted over the n <= size positions, not `index <= hi` (endless at hi = i32.MAX_VALUE)
  const n = hi - lo + 1;
  const from = lo - load<i32>(range, R_BASE);
  for (let k = 0; k < n; k++) store<f64>(out + (<usize>k << 3), <f64>rangeCountAt(range, from + k));
  return n;
}

/** dst += src. Returns 1 when a slot is not live, 2 when kind or layout differ, else 0. */
export function mergeSlot(dstId: i32, srcId: i32): i32 {
  const dst = livePtr(dstId);
  const src = livePtr(srcId);
  if (dst == 0 || src == 0) return 1;
  if (load<u32>(dst, S_KIND) != load<u32>(src, S_KIND) || load<u32>(dst, S_LAYOUT) != load<u32>(src, S_LAYOUT)) return 2;
  applyStats(dst, load<f64>(src, S_COUNT), load<f64>(src, S_SUM), load<f64>(src, S_MIN), load<f64>(src, S_MAX));
  store<f64>(dst, load<f64>(dst, S_REJECTED) + load<f64>(src, S_REJECTED), S_REJECTED);
  const kind = load<u32>(dst, S_KIND);
  if (kind == KIND_GAUGE) {
    // the source's last value, when it has one (merged statistic sets carry none)
    const last = load<f64>(src, S_LAST);
    if (!isNaN(last)) store<f64>(dst, last, S_LAST);
    return 0;
  }
  if (kind != KIND_HISTOGRAM) return 0;
  const layout = <usize>load<u32>(dst, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  if (nb >= 0) {
    const offset = <usize>load<u32>(layout, L_BUCKETS);
    for (let i = 0; i <= nb; i++) {
      const p = <usize>i << 3;
      store<f64>(dst + offset + p, load<f64>(dst + offset + p) + load<f64>(src + offset + p));
    }
  }
  const size = load<i32>(layout, L_EXP_SIZE);
  if (size > 0) {
    const srcExp = src + <usize>load<u32>(layout, L_EXP);
    const column = alloc(<usize>size << 4);
    const posLen = rangeToColumn(srcExp + X_POS, column);
    const negPtr = column + (<usize>size << 3);
    const negLen = rangeToColumn(srcExp + X_NEG, negPtr);
    mergeExpColumns(
      dst + <usize>load<u32>(layout, L_EXP), size, load<i32>(srcExp, X_SCALE), load<f64>(srcExp, X_ZERO),
      load<i32>(srcExp + X_POS, R_LO), column, posLen, load<i32>(srcExp + X_NEG, R_LO), negPtr, negLen,
    );
    release(column, <usize>size << 4);
  }
  return 0;
}
