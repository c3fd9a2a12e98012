// Snapshots: a slot's state copied out as one f64 record the JavaScript side reads through a view.
//
// Record layout (f64 words): 0 count, 1 sum, 2 min, 3 max, 4 rejected, 5 last, 6 kind,
// 7 explicit bucket count (nb + 1, or 0), 8 exponential max size (0 for none), 9 scale,
// 10 zeroCount, 11 positive offset, 12 positive length, 13 negative offset, 14 negative length,
// 15 reserved; then the explicit counts, the positive counts, the negative counts.

import { rangeCountAt } from "./exponential";
import {
  KIND_GAUGE, KIND_SUM, L_BUCKETS, L_EXP, L_EXP_SIZE, L_NB, R_BASE, R_HI, R_LO,
  S_COUNT, S_KIND, S_LAST, S_LAYOUT, S_MAX, S_MIN, S_REJECTED, S_SUM, X_NEG, X_POS, X_SCALE, X_ZERO,
} from "./layout";
import { livePtr, resetSlot } from "./slots";

const HEADER_WORDS: i32 = 16;

/** Bytes `snapshot` writes for slot `id` at most; 0 when `id` is not live. */
export function snapshotBytes(id: i32): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 0;
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  return (HEADER_WORDS + (nb >= 0 ? nb + 1 : 0) + 2 * load<i32>(layout, L_EXP_SIZE)) << 3;
}

/** Offset (in f64 words) of a range's first count, its offset and length written to the header. */
function writeRange(range: usize, out: usize, word: i32, header: usize): i32 {
  const lo = load<i32>(range, R_LO);
  const hi = load<i32>(range, R_HI);
  if (lo > hi) {
    store<f64>(header, 0.0);
    store<f64>(header, 0.0, 8);
    return word;
  }
  // counted over the n <= size positions, not `index <= hi` (endless at hi = i32.MAX_VALUE)
  const n = hi - lo + 1;
  const from = lo - load<i32>(range, R_BASE);
  for (let k = 0; k < n; k++) store<f64>(out + (<usize>(word + k) << 3), <f64>rangeCountAt(range, from + k));
  store<f64>(header, <f64>lo);
  store<f64>(header, <f64>n, 8);
  return word + n;
}

/**
 * Copies slot `id` to `out` (see the record layout); with `reset`, zeroes the slot afterwards.
 * Returns 1 when `id` is not live (nothing written), else 0.
 */
export function snapshot(id: i32, out: usize, reset: bool): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  const kind = load<u32>(slot, S_KIND);
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  store<f64>(out, load<f64>(slot, S_COUNT), 0);
  store<f64>(out, load<f64>(slot, S_SUM), 8);
  store<f64>(out, load<f64>(slot, S_MIN), 16);
  store<f64>(out, load<f64>(slot, S_MAX), 24);
  store<f64>(out, load<f64>(slot, S_REJECTED), 32);
  const last = kind == KIND_SUM ? load<f64>(slot, S_SUM) : kind == KIND_GAUGE ? load<f64>(slot, S_LAST) : NaN;
  store<f64>(out, last, 40);
  store<f64>(out, <f64>kind, 48);
  const nb = load<i32>(layout, L_NB);
  const size = load<i32>(layout, L_EXP_SIZE);
  store<f64>(out, nb >= 0 ? <f64>(nb + 1) : 0.0, 56);
  store<f64>(out, <f64>size, 64);
  let word = HEADER_WORDS;
  if (nb >= 0) {
    memory.copy(out + (<usize>word << 3), slot + <usize>load<u32>(layout, L_BUCKETS), <usize>(nb + 1) << 3);
    word += nb + 1;
  }
  if (size > 0) {
    const exp = slot + <usize>load<u32>(layout, L_EXP);
    const pos = exp + X_POS;
    const neg = exp + X_NEG;
    // OpenTelemetry reports scale 0 while no value landed in a range
    const anyBuckets = load<i32>(pos, R_LO) <= load<i32>(pos, R_HI) || load<i32>(neg, R_LO) <= load<i32>(neg, R_HI);
    store<f64>(out, anyBuckets ? <f64>load<i32>(exp, X_SCALE) : 0.0, 72);
    store<f64>(out, load<f64>(exp, X_ZERO), 80);
    word = writeRange(pos, out, word, out + 88);
    writeRange(neg, out, word, out + 104);
  }
  if (reset) resetSlot(id);
  return 0;
}
