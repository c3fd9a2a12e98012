// Base-2 exponential histogram state: one scale shared by a positive and a negative range, each
// holding at most `size` buckets in a window of u16 counters.
//
// A range keeps [lo, hi], the lowest and highest non-empty index, inside a window of `size`
// positions starting at index `base`; positions outside [lo, hi] are always zero. A count is
// split over up to three parallel blocks: the low 16 bits (`counts`, u16, always present once the
// range holds a value), bits 16..31 (`mid`, u16) and bits 32..63 (`carry`, u32). The upper two
// are allocated on the first carry into them, so counts are exact 64-bit integers while the
// common case costs 2 bytes per bucket, and the record kernels only ever touch the u16 block
// (a wrap, once per 65536 counts of a bucket, takes the slow path). Blocks never narrow again.

import { alloc } from "./heap";
import { mapToIndex } from "./mapping";
import {
  R_BASE, R_CARRY, R_COUNTS, R_HI, R_LO, R_MID,
  X_INLINE_USED, X_NEG, X_POS, X_SCALE, X_STATE, X_ZERO,
} from "./layout";

export const EMPTY_LO: i32 = i32.MAX_VALUE;
export const EMPTY_HI: i32 = i32.MIN_VALUE;

/** Fresh state at `maxScale`; both ranges empty, no storage claimed. */
export function expInit(exp: usize, maxScale: i32): void {
  store<i32>(exp, maxScale, X_SCALE);
  store<u32>(exp, 0, X_INLINE_USED);
  store<f64>(exp, 0.0, X_ZERO);
  rangeInit(exp + X_POS);
  rangeInit(exp + X_NEG);
}

@inline function rangeInit(range: usize): void {
  store<i32>(range, 0, R_BASE);
  store<i32>(range, EMPTY_LO, R_LO);
  store<i32>(range, EMPTY_HI, R_HI);
}

/** Zeroes the state but keeps the counter blocks for reuse. */
export function expReset(exp: usize, maxScale: i32): void {
  rangeClear(exp + X_POS);
  rangeClear(exp + X_NEG);
  store<i32>(exp, maxScale, X_SCALE);
  store<f64>(exp, 0.0, X_ZERO);
}

function rangeClear(range: usize): void {
  const lo = load<i32>(range, R_LO);
  const hi = load<i32>(range, R_HI);
  if (lo <= hi) {
    const from = <usize>(lo - load<i32>(range, R_BASE));
    const n = <usize>(hi - lo + 1);
    memory.fill(<usize>load<u32>(range, R_COUNTS) + (from << 1), 0, n << 1);
    const mid = <usize>load<u32>(range, R_MID);
    if (mid != 0) memory.fill(mid + (from << 1), 0, n << 1);
    const carry = <usize>load<u32>(range, R_CARRY);
    if (carry != 0) memory.fill(carry + (from << 2), 0, n << 2);
  }
  store<i32>(range, EMPTY_LO, R_LO);
  store<i32>(range, EMPTY_HI, R_HI);
}

@inline export function rangeIsEmpty(range: usize): bool {
  return load<i32>(range, R_LO) > load<i32>(range, R_HI);
}

/** Count at window position `pos`. */
export function rangeCountAt(range: usize, pos: i32): u64 {
  const half = <usize>pos << 1;
  let c = <u64>load<u16>(<usize>load<u32>(range, R_COUNTS) + half);
  const mid = <usize>load<u32>(range, R_MID);
  if (mid != 0) c |= (<u64>load<u16>(mid + half)) << 16;
  const carry = <usize>load<u32>(range, R_CARRY);
  if (carry != 0) c |= (<u64>load<u32>(carry + (half << 1))) << 32;
  return c;
}

/** The block at `field` of `range` (`bytes` long), allocated zeroed on first use. */
function upperBlock(range: usize, field: usize, bytes: usize): usize {
  let block = <usize>load<u32>(range + field);
  if (block == 0) {
    block = alloc(bytes);
    store<u32>(range + field, <u32>block);
  }
  return block;
}

function rangeSetAt(range: usize, pos: i32, value: u64, size: i32): void {
  const half = <usize>pos << 1;
  store<u16>(<usize>load<u32>(range, R_COUNTS) + half, <u16>value);
  // an upper block that exists must be written even with a zero part (the old value may not be)
  if ((value >> 16) != 0 || load<u32>(range, R_MID) != 0) {
    store<u16>(upperBlock(range, R_MID, <usize>size << 1) + half, <u16>(value >> 16));
  }
  if ((value >> 32) != 0 || load<u32>(range, R_CARRY) != 0) {
    store<u32>(upperBlock(range, R_CARRY, <usize>size << 2) + (half << 1), <u32>(value >> 32));
  }
}

/** Adds `inc` at window position `pos`. */
@inline export function rangeAddAt(range: usize, pos: i32, inc: u64, size: i32): void {
  rangeSetAt(range, pos, rangeCountAt(range, pos) + inc, size);
}

/** The u16 counter at window position `pos` wrapped to 0: carry one into bits 16 and up. */
export function carryOne(range: usize, pos: i32, size: i32): void {
  const half = <usize>pos << 1;
  const mid = upperBlock(range, R_MID, <usize>size << 1) + half;
  const m = <u32>load<u16>(mid) + 1;
  store<u16>(mid, <u16>m);
  if (m == 0x10000) {
    const carry = upperBlock(range, R_CARRY, <usize>size << 2) + (half << 1);
    store<u32>(carry, load<u32>(carry) + 1);
  }
}

function ensureStorage(exp: usize, range: usize, size: i32): void {
  if (load<u32>(range, R_COUNTS) != 0) return;
  let block: usize;
  if (load<u32>(exp, X_INLINE_USED) == 0) {
    block = exp + X_STATE;
    store<u32>(exp, 1, X_INLINE_USED);
  } else {
    block = alloc(<usize>size << 1);
  }
  store<u32>(range, <u32>block, R_COUNTS);
}

/** Moves the window so that [newLo, newHi] (which fits in `size`) sits in its middle. */
function recenter(range: usize, newLo: i32, newHi: i32, size: i32): void {
  const base = load<i32>(range, R_BASE);
  const lo = load<i32>(range, R_LO);
  const hi = load<i32>(range, R_HI);
  // newHi - newLo < size (the caller's contract), so this stays within size / 2 of newLo
  const newBase = newLo - ((size - (newHi - newLo + 1)) >> 1);
  if (newBase == base) return;
  moveWindow(<usize>load<u32>(range, R_COUNTS), 1, lo - base, lo - newBase, hi - lo + 1, size);
  const mid = <usize>load<u32>(range, R_MID);
  if (mid != 0) moveWindow(mid, 1, lo - base, lo - newBase, hi - lo + 1, size);
  const carry = <usize>load<u32>(range, R_CARRY);
  if (carry != 0) moveWindow(carry, 2, lo - base, lo - newBase, hi - lo + 1, size);
  store<i32>(range, newBase, R_BASE);
}

/** Moves `n` counters of 2^`shift` bytes from position `from` to `to`, zeroing the rest. */
function moveWindow(block: usize, shift: i32, from: i32, to: i32, n: i32, size: i32): void {
  memory.copy(block + (<usize>to << shift), block + (<usize>from << shift), <usize>n << shift);
  if (to > 0) memory.fill(block, 0, <usize>to << shift);
  const end = to + n;
  if (end < size) memory.fill(block + (<usize>end << shift), 0, <usize>(size - end) << shift);
}

/**
 * How many halvings bring [low, high] within `size` buckets (OpenTelemetry's changeScale). The
 * difference is taken in i64, so it cannot wrap for any two i32s; with size >= 2 (the facade's
 * minimum) the loop ends within 32 halvings (then both are 0 or -1). For two indexes of the
 * mapping at one scale (mapping.ts) the change never takes the scale below -10, where every index
 * is -1 or 0 and size >= 2.
 */
export function changeScale(high: i32, low: i32, size: i32): i32 {
  let change = 0;
  while (<i64>high - <i64>low >= <i64>size) {
    high >>= 1;
    low >>= 1;
    change++;
  }
  return change;
}

/** Lowers the scale by `change`, merging 2^change neighbouring buckets in both ranges. */
export function downscale(exp: usize, change: i32, size: i32): void {
  if (change <= 0) return;
  downscaleRange(exp + X_POS, change, size);
  downscaleRange(exp + X_NEG, change, size);
  store<i32>(exp, load<i32>(exp, X_SCALE) - change, X_SCALE);
}

function downscaleRange(range: usize, change: i32, size: i32): void {
  const lo = load<i32>(range, R_LO);
  const hi = load<i32>(range, R_HI);
  if (lo > hi) return;
  const base = load<i32>(range, R_BASE);
  const newLo = lo >> change;
  const newHi = hi >> change;
  // In-place compaction to a window based at newLo: a bucket's new position never exceeds its old
  // one, and everything outside [lo, hi] is zero, so reading upwards never meets a written slot.
  // Counted over the n < size positions: no index bound ends the loop (an index loop `<= hi`
  // never ends at hi = i32.MAX_VALUE).
  const n = hi - lo + 1;
  for (let k = 0; k < n; k++) {
    const index = lo + k;
    const from = index - base;
    const c = rangeCountAt(range, from);
    if (c == 0) continue;
    const to = (index >> change) - newLo;
    if (to != from) {
      rangeSetAt(range, from, 0, size);
      rangeAddAt(range, to, c, size);
    }
  }
  store<i32>(range, newLo, R_BASE);
  store<i32>(range, newLo, R_LO);
  store<i32>(range, newHi, R_HI);
  recenter(range, newLo, newHi, size);
}

/**
 * Adds `inc` (> 0) at `index` of `range`, whose scale is current and for which [lo, hi] plus
 * `index` is known to fit in `size` buckets.
 */
export function rangeInsertFitting(exp: usize, range: usize, index: i32, inc: u64, size: i32): void {
  let lo = load<i32>(range, R_LO);
  let hi = load<i32>(range, R_HI);
  if (lo > hi) {
    ensureStorage(exp, range, size);
    lo = hi = index;
    // |index| <= 2^30 (mapping.ts) and size <= 2^24 (the facade's limit): base +- size fits an i32
    store<i32>(range, index - (size >> 1), R_BASE);
  } else if (index < lo || index > hi) {
    const newLo = min(lo, index);
    const newHi = max(hi, index);
    const base = load<i32>(range, R_BASE);
    // base + size in i64: no wrap whatever base is (for mapping indexes it is within 2^30 + 2^24)
    if (newLo < base || <i64>newHi >= <i64>base + <i64>size) recenter(range, newLo, newHi, size);
    lo = newLo;
    hi = newHi;
  }
  store<i32>(range, lo, R_LO);
  store<i32>(range, hi, R_HI);
  rangeAddAt(range, index - load<i32>(range, R_BASE), inc, size);
}

/**
 * Adds `inc` (> 0) for nonzero finite `value`, downscaling first when its bucket would not fit.
 * This is the general path; the record kernels inline the in-window case.
 */
export function expInsert(exp: usize, value: f64, inc: u64, size: i32): void {
  const range = exp + (value > 0 ? X_POS : X_NEG);
  const magnitude = Math.abs(value);
  while (true) {
    const index = mapToIndex(magnitude, load<i32>(exp, X_SCALE));
    const lo = load<i32>(range, R_LO);
    const hi = load<i32>(range, R_HI);
    if (lo <= hi) {
      const newLo = min(lo, index);
      const newHi = max(hi, index);
      // i64: cannot wrap (two mapping indexes differ by at most 2145386496 anyway, mapping.ts)
      if (<i64>newHi - <i64>newLo >= <i64>size) {
        downscale(exp, changeScale(newHi, newLo, size), size);
        continue; // remap at the new scale, as OpenTelemetry does
      }
    }
    rangeInsertFitting(exp, range, index, inc, size);
    return;
  }
}

/** zeroCount += inc. */
@inline export function expAddZero(exp: usize, inc: f64): void {
  store<f64>(exp, load<f64>(exp, X_ZERO) + inc, X_ZERO);
}
