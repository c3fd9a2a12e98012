// Direct explicit-bucket lookup. The bits of a positive double, read as an integer, grow with its
// value; their top `12 + m` bits (exponent and `m` mantissa bits) cut the positive axis into
// ranges of 2^-m of an octave. When no range holds two positive boundaries, a table from range to
// "boundaries below the range's start" plus one compare with the next boundary gives the bucket:
// a few integer ops and one 16-byte load, without a branch, whatever the number of boundaries.
// Boundaries too dense or spread too wide for MAX_ENTRIES get no table (see `explicitIndex`).

import { alloc } from "./heap";

/** Fields of the table record (20 bytes, inside the layout record). */
export const T_PTR: usize = 0; // 16-byte entries [next boundary f64, boundaries below i64]; 0 = no table
export const T_SHIFT: usize = 4; // 52 - mantissa bits kept
export const T_KMIN: usize = 8; // range key of the first positive boundary
export const T_LAST: usize = 12; // entries - 1
export const T_NONPOS: usize = 16; // boundaries <= 0 (they precede the positive ones)

const MAX_ENTRIES: i64 = 4096;
/** At most 20, so a key lies within the high word of a double (tableRun reads only that). */
const MAX_MANTISSA_BITS: i32 = 12;

@inline function rangeKey(v: f64, shift: i32): i64 {
  return reinterpret<i64>(v) >> shift;
}

/** True when no two of the positive boundaries `from..nb` share a range at `shift`. */
function keysDistinct(bounds: usize, from: i32, nb: i32, shift: i32): bool {
  for (let i = from + 1; i < nb; i++) {
    if (rangeKey(load<f64>(bounds + (<usize>(i - 1) << 3)), shift) == rangeKey(load<f64>(bounds + (<usize>i << 3)), shift)) {
      return false;
    }
  }
  return true;
}

/**
 * Builds the table for `nb` ascending finite boundaries at `bounds` into the record at `info`
 * (T_PTR stays 0 when no table fits). Picks the coarsest ranges that separate the boundaries.
 */
export function buildBucketTable(bounds: usize, nb: i32, info: usize): void {
  store<u32>(info, 0, T_PTR);
  if (nb <= 0 || nb > 0xffff) return;
  let nonPos = 0;
  while (nonPos < nb && load<f64>(bounds + (<usize>nonPos << 3)) <= 0.0) nonPos++;
  if (nonPos == nb) return;
  const first = load<f64>(bounds + (<usize>nonPos << 3));
  const lastBound = load<f64>(bounds + (<usize>(nb - 1) << 3));
  for (let m = 0; m <= MAX_MANTISSA_BITS; m++) {
    const shift = 52 - m;
    const kMin = rangeKey(first, shift);
    const entries = rangeKey(lastBound, shift) - kMin + 1;
    if (entries > MAX_ENTRIES) return;
    if (!keysDistinct(bounds, nonPos, nb, shift)) continue;
    const table = alloc(<usize>entries << 4);
    let below = nonPos;
    for (let e: i64 = 0; e < entries; e++) {
      const start = reinterpret<f64>((kMin + e) << shift);
      while (below < nb && load<f64>(bounds + (<usize>below << 3)) < start) below++;
      // the next boundary is the only one that can lie in the range (below <= nb - 1 here)
      store<f64>(table + (<usize>e << 4), load<f64>(bounds + (<usize>below << 3)));
      store<i64>(table + (<usize>e << 4), <i64>below, 8);
    }
    store<u32>(info, <u32>table, T_PTR);
    store<i32>(info, shift, T_SHIFT);
    store<i32>(info, <i32>kMin, T_KMIN);
    store<i32>(info, <i32>(entries - 1), T_LAST);
    store<i32>(info, nonPos, T_NONPOS);
    return;
  }
}

/**
 * Bucket of `v > 0` through the table: boundaries below its range's start, plus one if the next
 * boundary (the only one that can lie in the range) is still below `v`. Values outside the
 * table's span clamp to its first or last entry, which is exact there too.
 */
@inline export function tableIndex(table: usize, shift: i32, kMin: i64, last: i64, v: f64): i32 {
  let rel = rangeKey(v, shift) - kMin;
  rel = rel < 0 ? 0 : rel;
  rel = rel > last ? last : rel;
  const entry = table + (<usize>rel << 4);
  return <i32>load<i64>(entry, 8) + <i32>(load<f64>(entry) < v);
}

/** Bucket of `v <= 0`: how many of the `nonPos` non-positive boundaries lie strictly below it. */
export function nonPositiveIndex(bounds: usize, nonPos: i32, v: f64): i32 {
  let i = 0;
  while (i < nonPos && load<f64>(bounds + (<usize>i << 3)) < v) i++;
  return i;
}
