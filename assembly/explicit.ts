// Explicit buckets: v counts in the first bucket i with v <= bounds[i], else the overflow bucket.
// The index equals the number of boundaries strictly below v. Up to SIMD_LIMIT boundaries that
// number is counted branch-free, two boundaries per f64x2 compare (padding is +Inf, never below a
// finite v); beyond it a binary search is cheaper. Layouts whose boundaries fit a direct-lookup
// table (assembly/bucket-table.ts, nearly all in practice) use that instead.

import { T_KMIN, T_LAST, T_NONPOS, T_PTR, T_SHIFT, nonPositiveIndex, tableIndex } from "./bucket-table";
import { L_BOUNDS, L_NB, L_NB_PADDED, L_TABLE } from "./layout";

const SIMD_LIMIT: i32 = 64;

@inline export function bucketIndex(bounds: usize, nb: i32, padded: i32, v: f64): i32 {
  if (padded <= SIMD_LIMIT) {
    const vv = f64x2.splat(v);
    let acc0 = i64x2.splat(0);
    let acc1 = i64x2.splat(0);
    for (let p = bounds, end = bounds + (<usize>padded << 3); p < end; p += 64) {
      // a true lane is all ones (-1): subtracting it counts one
      acc0 = i64x2.sub(acc0, f64x2.lt(v128.load(p), vv));
      acc1 = i64x2.sub(acc1, f64x2.lt(v128.load(p, 16), vv));
      acc0 = i64x2.sub(acc0, f64x2.lt(v128.load(p, 32), vv));
      acc1 = i64x2.sub(acc1, f64x2.lt(v128.load(p, 48), vv));
    }
    const acc = i64x2.add(acc0, acc1);
    return <i32>(i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1));
  }
  let lo = 0;
  let hi = nb;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(bounds + (<usize>mid << 3)) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bucket of `v` (finite, not -0) for the explicit boundaries of the layout record `layout`. */
export function explicitIndex(layout: usize, v: f64): i32 {
  const bounds = <usize>load<u32>(layout, L_BOUNDS);
  const info = layout + L_TABLE;
  const table = <usize>load<u32>(info, T_PTR);
  if (table == 0) return bucketIndex(bounds, load<i32>(layout, L_NB), load<i32>(layout, L_NB_PADDED), v);
  if (!(v > 0.0)) return nonPositiveIndex(bounds, load<i32>(info, T_NONPOS), v);
  return tableIndex(table, load<i32>(info, T_SHIFT), <i64>load<i32>(info, T_KMIN), <i64>load<i32>(info, T_LAST), v);
}
