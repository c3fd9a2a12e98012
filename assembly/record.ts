// Recording kernels. Batches arrive as columns in linear memory (values f64, slots i32); every
// value is checked (NaN/±Inf refused and counted), -0 becomes +0, then the statistic set, the
// explicit buckets and the exponential histogram of its slot are updated.
//
// Shape: each kernel runs a call-free loop over as many values as it can handle on the fast
// path (value inside its range's window, no counter wrap, index decided without the exact log),
// then hands the one value that needs more to `observe`, and resumes. Keeping calls out of the
// hot loop lets the engine keep the loop's state in registers instead of spilling it around them.

import { T_KMIN, T_LAST, T_NONPOS, T_PTR, T_SHIFT, nonPositiveIndex, tableIndex } from "./bucket-table";
import { bucketIndex, explicitIndex } from "./explicit";
import { carryOne, expAddZero, expInsert } from "./exponential";
import {
  KIND_GAUGE, KIND_SUM, L_BOUNDS, L_BUCKETS, L_EXP, L_EXP_SIZE, L_NB, L_NB_PADDED, L_TABLE,
  R_BASE, R_COUNTS, R_HI, R_LO, S_COUNT, S_KIND, S_LAST, S_LAYOUT, S_MAX, S_MIN, S_REJECTED, S_SUM,
  X_NEG, X_POS, X_SCALE,
} from "./layout";
import { cellIndex, cellTableFor, mapToIndexFast, mapToIndexWith, scaleDelta, scaleUnit } from "./mapping";
import { livePtr } from "./slots";

const EXP_BITS: u64 = 0x7ff0000000000000;

@inline function isNonFinite(v: f64): bool {
  return (reinterpret<u64>(v) & EXP_BITS) == EXP_BITS;
}

/**
 * The fast exponential step for nonzero finite `v`: increments its bucket and returns true, or
 * returns false (changing nothing) when the value needs `expObserveSlow`.
 */
@inline function expTryFast(exp: usize, v: f64, scale: i32, unit: f64, delta: f64): bool {
  const range = exp + (v > 0 ? X_POS : X_NEG);
  const index = mapToIndexWith(Math.abs(v), scale, unit, delta);
  // NEEDS_EXACT is below every lo, and an empty range has lo > hi
  if (index < load<i32>(range, R_LO) || index > load<i32>(range, R_HI)) return false;
  const counter = <usize>load<u32>(range, R_COUNTS) + (<usize>(index - load<i32>(range, R_BASE)) << 1);
  const c = <u32>load<u16>(counter) + 1;
  if (c == 0x10000) return false; // the u16 would wrap: the slow path carries
  store<u16>(counter, <u16>c);
  return true;
}

/** The general exponential step: window moves, downscaling, carries, the exact mapping. */
function expObserveSlow(exp: usize, v: f64, size: i32): void {
  if (v == 0.0) {
    expAddZero(exp, 1.0);
    return;
  }
  const range = exp + (v > 0 ? X_POS : X_NEG);
  const index = mapToIndexFast(Math.abs(v), load<i32>(exp, X_SCALE));
  if (index >= load<i32>(range, R_LO) && index <= load<i32>(range, R_HI)) {
    const pos = index - load<i32>(range, R_BASE);
    const counter = <usize>load<u32>(range, R_COUNTS) + (<usize>pos << 1);
    const c = <u32>load<u16>(counter) + 1;
    store<u16>(counter, <u16>c);
    if (c == 0x10000) carryOne(range, pos, size);
  } else {
    expInsert(exp, v, 1, size); // maps exactly itself
  }
}

/** One value into one slot, everything in memory; the slow path of every kernel. */
function observe(slot: usize, v: f64): void {
  if (isNonFinite(v)) {
    store<f64>(slot, load<f64>(slot, S_REJECTED) + 1.0, S_REJECTED);
    return;
  }
  v += 0.0;
  store<f64>(slot, load<f64>(slot, S_COUNT) + 1.0, S_COUNT);
  store<f64>(slot, load<f64>(slot, S_SUM) + v, S_SUM);
  const lo = load<f64>(slot, S_MIN);
  const hi = load<f64>(slot, S_MAX);
  store<f64>(slot, v < lo ? v : lo, S_MIN);
  store<f64>(slot, v > hi ? v : hi, S_MAX);
  const kind = load<u32>(slot, S_KIND);
  if (kind == KIND_GAUGE) {
    store<f64>(slot, v, S_LAST);
    return;
  }
  if (kind == KIND_SUM) return;
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  if (load<i32>(layout, L_NB) >= 0) {
    const bucket = slot + <usize>load<u32>(layout, L_BUCKETS) + (<usize>explicitIndex(layout, v) << 3);
    store<f64>(bucket, load<f64>(bucket) + 1.0);
  }
  const size = load<i32>(layout, L_EXP_SIZE);
  if (size > 0) expObserveSlow(slot + <usize>load<u32>(layout, L_EXP), v, size);
}

/** Statistic set only (sum and gauge slots): min/max in f64x2 lanes, two values per step. */
function batchStats(slot: usize, ptr: usize, n: i32, isGauge: bool): void {
  let count = load<f64>(slot, S_COUNT);
  let sum = load<f64>(slot, S_SUM);
  let rejected = load<f64>(slot, S_REJECTED);
  let last = load<f64>(slot, S_LAST);
  let vmin = f64x2.splat(load<f64>(slot, S_MIN));
  let vmax = f64x2.splat(load<f64>(slot, S_MAX));
  const expBits = i64x2.splat(<i64>EXP_BITS);
  const zero = f64x2.splat(0.0);
  const pairsEnd = ptr + ((<usize>n >> 1) << 4);
  let p = ptr;
  for (; p < pairsEnd; p += 16) {
    let v = v128.load(p);
    if (v128.any_true(i64x2.eq(v128.and(v, expBits), expBits))) {
      for (let q = p; q < p + 16; q += 8) {
        let x = load<f64>(q);
        if (isNonFinite(x)) {
          rejected += 1.0;
          continue;
        }
        x += 0.0;
        count += 1.0;
        sum += x;
        vmin = f64x2.pmin(vmin, f64x2.splat(x));
        vmax = f64x2.pmax(vmax, f64x2.splat(x));
        last = x;
      }
      continue;
    }
    v = f64x2.add(v, zero); // -0 + 0 = +0
    vmin = f64x2.pmin(vmin, v);
    vmax = f64x2.pmax(vmax, v);
    const b = f64x2.extract_lane(v, 1);
    sum += f64x2.extract_lane(v, 0);
    sum += b;
    count += 2.0;
    last = b;
  }
  if (p < ptr + (<usize>n << 3)) {
    let x = load<f64>(p);
    if (isNonFinite(x)) {
      rejected += 1.0;
    } else {
      x += 0.0;
      count += 1.0;
      sum += x;
      vmin = f64x2.pmin(vmin, f64x2.splat(x));
      vmax = f64x2.pmax(vmax, f64x2.splat(x));
      last = x;
    }
  }
  store<f64>(slot, count, S_COUNT);
  store<f64>(slot, sum, S_SUM);
  store<f64>(slot, rejected, S_REJECTED);
  store<f64>(slot, min(f64x2.extract_lane(vmin, 0), f64x2.extract_lane(vmin, 1)), S_MIN);
  store<f64>(slot, max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1)), S_MAX);
  if (isGauge) store<f64>(slot, last, S_LAST);
}

/**
 * Histogram values `from..n` on the fast path; returns the index of the first value it could not
 * take (nothing of that value applied), or `n`. `hasBuckets`/`useTable`/`hasExp` are literals at
 * each call site so the dead paths fold away.
 */
@inline function histogramRun(
  slot: usize, layout: usize, ptr: usize, from: i32, n: i32, hasBuckets: bool, useTable: bool, hasExp: bool,
): i32 {
  let sum = load<f64>(slot, S_SUM);
  let lo = load<f64>(slot, S_MIN);
  let hi = load<f64>(slot, S_MAX);
  let rejected = 0;
  const bounds = <usize>load<u32>(layout, L_BOUNDS);
  const nb = load<i32>(layout, L_NB);
  const padded = load<i32>(layout, L_NB_PADDED);
  const info = layout + L_TABLE;
  const table = <usize>load<u32>(info, T_PTR);
  const shift = load<i32>(info, T_SHIFT);
  const kMin = <i64>load<i32>(info, T_KMIN);
  const last = <i64>load<i32>(info, T_LAST);
  const nonPos = load<i32>(info, T_NONPOS);
  const counts = slot + <usize>load<u32>(layout, L_BUCKETS);
  const exp = slot + <usize>load<u32>(layout, L_EXP);
  // the scale only changes on the slow path, which ends this run
  const scale = hasExp ? load<i32>(exp, X_SCALE) : 0;
  const unit = scaleUnit(scale);
  const delta = scaleDelta(scale);
  let i = from;
  for (; i < n; i++) {
    let v = load<f64>(ptr + (<usize>i << 3));
    if (isNonFinite(v)) {
      rejected++;
      continue;
    }
    v += 0.0;
    if (hasExp) {
      if (v == 0.0) expAddZero(exp, 1.0);
      else if (!expTryFast(exp, v, scale, unit, delta)) break;
    }
    sum += v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    if (hasBuckets) {
      const index = useTable
        ? (v > 0.0 ? tableIndex(table, shift, kMin, last, v) : nonPositiveIndex(bounds, nonPos, v))
        : bucketIndex(bounds, nb, padded, v);
      const bucket = counts + (<usize>index << 3);
      store<f64>(bucket, load<f64>(bucket) + 1.0);
    }
  }
  store<f64>(slot, load<f64>(slot, S_COUNT) + <f64>(i - from - rejected), S_COUNT);
  store<f64>(slot, sum, S_SUM);
  store<f64>(slot, lo, S_MIN);
  store<f64>(slot, hi, S_MAX);
  store<f64>(slot, load<f64>(slot, S_REJECTED) + <f64>rejected, S_REJECTED);
  return i;
}

function runBoth(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, true, false, true);
}
function runTableBoth(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, true, true, true);
}
function runBuckets(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, true, false, false);
}
function runTableBuckets(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, true, true, false);
}
function runExp(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, false, false, true);
}
function runStats(slot: usize, layout: usize, ptr: usize, from: i32, n: i32): i32 {
  return histogramRun(slot, layout, ptr, from, n, false, false, false);
}

/** Bits of the smallest positive normal double; `bits - this` is below POSITIVE_NORMAL_SPAN exactly for positive normal finite values. */
const MIN_NORMAL_BITS: u64 = 0x0010000000000000;
const POSITIVE_NORMAL_SPAN: u64 = 0x7fe0000000000000;

/**
 * An exponential-only histogram at a scale with a cell table (1..8, where lognormal latencies
 * settle for maxSize 160), positive normal values: the index straight from the cell table, the
 * scale, range window and cell table hoisted out of the loop. Returns the index of the first value
 * it could not take (nothing of it applied), or `n`.
 */
function expCellRun(slot: usize, layout: usize, ptr: usize, from: i32, n: i32, scale: i32): i32 {
  const exp = slot + <usize>load<u32>(layout, L_EXP);
  const cells = cellTableFor(scale);
  const range = exp + X_POS;
  const first = load<i32>(range, R_LO);
  const last = load<i32>(range, R_HI);
  const base = load<i32>(range, R_BASE);
  const counts = <usize>load<u32>(range, R_COUNTS);
  let sum = load<f64>(slot, S_SUM);
  let lo = load<f64>(slot, S_MIN);
  let hi = load<f64>(slot, S_MAX);
  let i = from;
  for (; i < n; i++) {
    const bits = load<u64>(ptr + (<usize>i << 3));
    if (bits - MIN_NORMAL_BITS >= POSITIVE_NORMAL_SPAN) break;
    const index = cellIndex(cells, bits, scale);
    // NEEDS_EXACT and SLOW_CELL are below every first index; an empty range has first > last
    if (index < first || index > last) break;
    const counter = counts + (<usize>(index - base) << 1);
    const c = <u32>load<u16>(counter) + 1;
    if (c == 0x10000) break; // the u16 would wrap: the general path carries
    store<u16>(counter, <u16>c);
    const v = reinterpret<f64>(bits);
    sum += v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  store<f64>(slot, load<f64>(slot, S_COUNT) + <f64>(i - from), S_COUNT);
  store<f64>(slot, sum, S_SUM);
  store<f64>(slot, lo, S_MIN);
  store<f64>(slot, hi, S_MAX);
  return i;
}

/** Exponential-only histogram batch: the cell-table kernel where it applies, else the general run. */
function expBatch(slot: usize, layout: usize, ptr: usize, n: i32): void {
  const exp = slot + <usize>load<u32>(layout, L_EXP);
  let i = 0;
  while (true) {
    const scale = load<i32>(exp, X_SCALE);
    if (cellTableFor(scale) != 0) {
      i = expCellRun(slot, layout, ptr, i, n, scale);
      if (i >= n) return;
      // one value the cell path does not take: the general fast path, else the slow path
      if (runExp(slot, layout, ptr, i, i + 1) == i) observe(slot, load<f64>(ptr + (<usize>i << 3)));
    } else {
      i = runExp(slot, layout, ptr, i, n);
      if (i >= n) return;
      observe(slot, load<f64>(ptr + (<usize>i << 3)));
    }
    i++;
  }
}

/**
 * Per-bucket u32 counters of `tableRun`, one bank per position (mod 4) in a step of eight values, so
 * that values landing in one bucket do not wait on each other's store. Folded into the slot's f64
 * counts at the end of each call.
 */
const BANK_BUCKETS: i32 = 1024;
const BANKS: i32 = 4;
const banks: usize = memory.data(BANK_BUCKETS * BANKS * 4, 16);

/**
 * The buckets of the two lanes of `v` whose ranges are `ra` and `rb`: each range's table entry
 * holds [next boundary, boundaries below], so one shuffle pairs the boundaries for one compare
 * and another the counts, and the compare's all-ones lanes (-1) step each count past its boundary.
 */
@inline function pairBuckets(table: usize, ra: i32, rb: i32, v: v128): v128 {
  const a = v128.load(table + (<usize>ra << 4));
  const b = v128.load(table + (<usize>rb << 4));
  const above = f64x2.lt(i64x2.shuffle(a, b, 0, 2), v);
  return i64x2.sub(i64x2.shuffle(a, b, 1, 3), above);
}

/** High word of the smallest double that is +Inf or NaN. */
const EXP_HIGH: i32 = 0x7ff00000;

@inline function bump(bank: usize, index: i32): void {
  const c = bank + (<usize>index << 2);
  store<u32>(c, load<u32>(c) + 1);
}

/** Bits of 2^-1042, the smallest double whose high word is nonzero: the vector step's lower bound. */
const MIN_STEP_BITS: u64 = 0x0000000100000000;

/**
 * Whether values whose sums, minima and maxima are these were all fit for the vector step: a NaN
 * makes the sum NaN (positive values cannot sum to NaN), the minimum shows zeros, negatives and
 * the tiniest subnormals, the maximum +Inf.
 */
function stepsValid(sum0: v128, sum1: v128, min0: v128, min1: v128, max0: v128, max1: v128): bool {
  const sums = f64x2.add(sum0, sum1);
  const lo = f64x2.pmin(min0, min1);
  const hi = f64x2.pmax(max0, max1);
  const total = f64x2.extract_lane(sums, 0) + f64x2.extract_lane(sums, 1);
  const least = min(f64x2.extract_lane(lo, 0), f64x2.extract_lane(lo, 1));
  const most = max(f64x2.extract_lane(hi, 0), f64x2.extract_lane(hi, 1));
  return total == total && least >= reinterpret<f64>(MIN_STEP_BITS) && most < Infinity;
}

/**
 * Explicit buckets through the direct-lookup table and the statistic set, eight values per step.
 * Range keys come four at a time from the values' high words in one i32x4 (the table's shift is
 * >= 32); each value's table entry comes in one 16-byte load, and the compares with the next
 * boundary run two per f64x2 and adjust the two bucket numbers in the same vector, so the values
 * never leave vector registers. Sum/min/max run in two f64x2 accumulators (the sum in four
 * partial sums, then added: another summation order than one by one, within its rounding).
 *
 * The vector step is only right for positive finite values with a nonzero high word. `checked`
 * (a literal at each call site) decides how that is ensured:
 * - false: every step runs unchecked and the batch is validated afterwards from its own min, max
 *   and sum (a NaN makes the sum NaN; min/max catch the rest). Table reads stay in bounds for any
 *   input, so an invalid batch only leaves scratch counters behind: it returns false having
 *   stored nothing, and the caller runs the checked version.
 * - true: a step holding any other value (0, negative, non-finite, the tiniest subnormals) takes
 *   the per-value path, as does the tail.
 */
@inline function tableSteps(slot: usize, layout: usize, ptr: usize, n: i32, checked: bool): bool {
  const buckets = load<i32>(layout, L_NB) + 1;
  const stride = <usize>buckets << 2;
  memory.fill(banks, 0, stride * BANKS);
  const info = layout + L_TABLE;
  const table = <usize>load<u32>(info, T_PTR);
  const highShift = load<i32>(info, T_SHIFT) - 32;
  const kMin = i32x4.splat(load<i32>(info, T_KMIN));
  const last = i32x4.splat(load<i32>(info, T_LAST));
  const zeroI = i32x4.splat(0);
  const expHigh = i32x4.splat(EXP_HIGH);
  const zero = f64x2.splat(0.0);
  let sum0 = zero;
  let sum1 = zero;
  let min0 = f64x2.splat(Infinity);
  let min1 = min0;
  let max0 = f64x2.splat(-Infinity);
  let max1 = max0;
  let rejected = 0;
  const end = ptr + (<usize>n << 3);
  const stepsEnd = ptr + ((<usize>n >> 3) << 6);
  let p = ptr;
  while (p < end) {
    // p need not be a multiple of eight values from ptr: special values advance it by one
    if (checked ? p + 64 <= end : p < stepsEnd) {
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      const high0 = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
      const high1 = i32x4.shuffle(v2, v3, 1, 3, 5, 7);
      if (!checked || i32x4.all_true(v128.and(
        v128.and(i32x4.gt_s(high0, zeroI), i32x4.lt_s(high0, expHigh)),
        v128.and(i32x4.gt_s(high1, zeroI), i32x4.lt_s(high1, expHigh)),
      ))) {
        sum0 = f64x2.add(f64x2.add(sum0, v0), v2);
        sum1 = f64x2.add(f64x2.add(sum1, v1), v3);
        min0 = f64x2.pmin(f64x2.pmin(min0, v0), v2);
        min1 = f64x2.pmin(f64x2.pmin(min1, v1), v3);
        max0 = f64x2.pmax(f64x2.pmax(max0, v0), v2);
        max1 = f64x2.pmax(f64x2.pmax(max1, v1), v3);
        const rel0 = i32x4.min_s(i32x4.max_s(i32x4.sub(i32x4.shr_u(high0, highShift), kMin), zeroI), last);
        const rel1 = i32x4.min_s(i32x4.max_s(i32x4.sub(i32x4.shr_u(high1, highShift), kMin), zeroI), last);
        const b01 = pairBuckets(table, i32x4.extract_lane(rel0, 0), i32x4.extract_lane(rel0, 1), v0);
        const b23 = pairBuckets(table, i32x4.extract_lane(rel0, 2), i32x4.extract_lane(rel0, 3), v1);
        const b45 = pairBuckets(table, i32x4.extract_lane(rel1, 0), i32x4.extract_lane(rel1, 1), v2);
        const b67 = pairBuckets(table, i32x4.extract_lane(rel1, 2), i32x4.extract_lane(rel1, 3), v3);
        bump(banks, <i32>i64x2.extract_lane(b01, 0));
        bump(banks + stride, <i32>i64x2.extract_lane(b01, 1));
        bump(banks + stride * 2, <i32>i64x2.extract_lane(b23, 0));
        bump(banks + stride * 3, <i32>i64x2.extract_lane(b23, 1));
        bump(banks, <i32>i64x2.extract_lane(b45, 0));
        bump(banks + stride, <i32>i64x2.extract_lane(b45, 1));
        bump(banks + stride * 2, <i32>i64x2.extract_lane(b67, 0));
        bump(banks + stride * 3, <i32>i64x2.extract_lane(b67, 1));
        p += 64;
        if (!checked && p == stepsEnd && !stepsValid(sum0, sum1, min0, min1, max0, max1)) return false;
        continue;
      }
    }
    // one value of a step with a special value, or of the tail
    let x = load<f64>(p);
    p += 8;
    if (isNonFinite(x)) {
      rejected++;
      continue;
    }
    x += 0.0;
    sum0 = f64x2.add(sum0, f64x2.replace_lane(zero, 0, x));
    min0 = f64x2.pmin(min0, f64x2.splat(x));
    max0 = f64x2.pmax(max0, f64x2.splat(x));
    bump(banks, explicitIndex(layout, x));
  }
  const counts = slot + <usize>load<u32>(layout, L_BUCKETS);
  for (let i = 0; i < buckets; i++) {
    const at = banks + (<usize>i << 2);
    const c = load<u32>(at) + load<u32>(at + stride) + load<u32>(at + stride * 2) + load<u32>(at + stride * 3);
    if (c != 0) {
      const bucket = counts + (<usize>i << 3);
      store<f64>(bucket, load<f64>(bucket) + <f64>c);
    }
  }
  const sums = f64x2.add(sum0, sum1);
  const lo = f64x2.pmin(min0, min1);
  const hi = f64x2.pmax(max0, max1);
  store<f64>(slot, load<f64>(slot, S_COUNT) + <f64>(n - rejected), S_COUNT);
  store<f64>(slot, load<f64>(slot, S_SUM) + (f64x2.extract_lane(sums, 0) + f64x2.extract_lane(sums, 1)), S_SUM);
  store<f64>(slot, min(load<f64>(slot, S_MIN), min(f64x2.extract_lane(lo, 0), f64x2.extract_lane(lo, 1))), S_MIN);
  store<f64>(slot, max(load<f64>(slot, S_MAX), max(f64x2.extract_lane(hi, 0), f64x2.extract_lane(hi, 1))), S_MAX);
  store<f64>(slot, load<f64>(slot, S_REJECTED) + <f64>rejected, S_REJECTED);
  return true;
}

function tableRunUnchecked(slot: usize, layout: usize, ptr: usize, n: i32): bool {
  return tableSteps(slot, layout, ptr, n, false);
}
function tableRunChecked(slot: usize, layout: usize, ptr: usize, n: i32): void {
  tableSteps(slot, layout, ptr, n, true);
}

/** A batch through the table: unchecked steps, or, when the batch holds values they cannot take, checked ones. */
function tableRun(slot: usize, layout: usize, ptr: usize, n: i32): void {
  if (!tableRunUnchecked(slot, layout, ptr, n)) tableRunChecked(slot, layout, ptr, n);
}

/** `n` f64 values at `ptr` into slot `id`. Returns 1 (recording nothing) when `id` is not live. */
export function recordBatch(id: i32, ptr: usize, n: i32): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  const kind = load<u32>(slot, S_KIND);
  if (kind == KIND_SUM) {
    batchStats(slot, ptr, n, false);
    return 0;
  }
  if (kind == KIND_GAUGE) {
    batchStats(slot, ptr, n, true);
    return 0;
  }
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  const hasBuckets = nb >= 0;
  const hasTable = load<u32>(layout + L_TABLE, T_PTR) != 0;
  const hasExp = load<i32>(layout, L_EXP_SIZE) > 0;
  if (hasTable && !hasExp && nb < BANK_BUCKETS) {
    tableRun(slot, layout, ptr, n);
    return 0;
  }
  if (hasExp && !hasBuckets) {
    expBatch(slot, layout, ptr, n);
    return 0;
  }
  let i = 0;
  while (true) {
    if (hasBuckets) {
      if (hasExp) i = hasTable ? runTableBoth(slot, layout, ptr, i, n) : runBoth(slot, layout, ptr, i, n);
      else i = hasTable ? runTableBuckets(slot, layout, ptr, i, n) : runBuckets(slot, layout, ptr, i, n);
    } else {
      i = hasExp ? runExp(slot, layout, ptr, i, n) : runStats(slot, layout, ptr, i, n);
    }
    if (i >= n) return 0;
    observe(slot, load<f64>(ptr + (<usize>i << 3)));
    i++;
  }
}

/**
 * Entries `from..n` of a scattered batch on the fast path; returns the index of the first entry
 * it could not take (nothing of it applied), or `n`. A slot that is not live counts as taken.
 */
let skippedEntries: i32 = 0;
/** Set by `scatteredRun` when it stopped at the start of a run of entries for one slot. */
let atRun: bool = false;
/** Runs at least this long go through the batch kernels (staged `record` calls on one series). */
const RUN_MIN: i32 = 8;

function scatteredRun(slotsPtr: usize, valuesPtr: usize, from: i32, n: i32): i32 {
  let i = from;
  for (; i < n; i++) {
    const id = load<i32>(slotsPtr + (<usize>i << 2));
    if (i + RUN_MIN <= n && load<i32>(slotsPtr + (<usize>i << 2), 4) == id &&
        load<i32>(slotsPtr + (<usize>(i + RUN_MIN - 1) << 2)) == id) {
      atRun = true;
      break;
    }
    const slot = livePtr(id);
    if (slot == 0) {
      skippedEntries++;
      continue;
    }
    let v = load<f64>(valuesPtr + (<usize>i << 3));
    if (isNonFinite(v)) {
      store<f64>(slot, load<f64>(slot, S_REJECTED) + 1.0, S_REJECTED);
      continue;
    }
    v += 0.0;
    const kind = load<u32>(slot, S_KIND);
    let layout: usize = 0;
    if (kind != KIND_SUM && kind != KIND_GAUGE) {
      layout = <usize>load<u32>(slot, S_LAYOUT);
      if (load<i32>(layout, L_EXP_SIZE) > 0) {
        const exp = slot + <usize>load<u32>(layout, L_EXP);
        const scale = load<i32>(exp, X_SCALE);
        if (v == 0.0) expAddZero(exp, 1.0);
        else if (!expTryFast(exp, v, scale, scaleUnit(scale), scaleDelta(scale))) break;
      }
      if (load<i32>(layout, L_NB) >= 0) {
        const bucket = slot + <usize>load<u32>(layout, L_BUCKETS) + (<usize>explicitIndex(layout, v) << 3);
        store<f64>(bucket, load<f64>(bucket) + 1.0);
      }
    } else if (kind == KIND_GAUGE) {
      store<f64>(slot, v, S_LAST);
    }
    store<f64>(slot, load<f64>(slot, S_COUNT) + 1.0, S_COUNT);
    store<f64>(slot, load<f64>(slot, S_SUM) + v, S_SUM);
    const lo = load<f64>(slot, S_MIN);
    const hi = load<f64>(slot, S_MAX);
    store<f64>(slot, v < lo ? v : lo, S_MIN);
    store<f64>(slot, v > hi ? v : hi, S_MAX);
  }
  return i;
}

/**
 * values[i] (f64 at `valuesPtr`) into slot slots[i] (i32 at `slotsPtr`) for i < n. Entries whose
 * slot is not live are skipped (a caller bug; skipping keeps linear memory intact). Returns how
 * many were skipped.
 */
export function recordScattered(slotsPtr: usize, valuesPtr: usize, n: i32): i32 {
  skippedEntries = 0;
  let i = 0;
  while (true) {
    atRun = false;
    i = scatteredRun(slotsPtr, valuesPtr, i, n);
    if (i >= n) return skippedEntries;
    const id = load<i32>(slotsPtr + (<usize>i << 2));
    if (atRun) {
      let end = i + 1;
      while (end < n && load<i32>(slotsPtr + (<usize>end << 2)) == id) end++;
      if (recordBatch(id, valuesPtr + (<usize>i << 3), end - i) != 0) skippedEntries += end - i;
      i = end;
    } else {
      observe(livePtr(id), load<f64>(valuesPtr + (<usize>i << 3)));
      i++;
    }
  }
}
