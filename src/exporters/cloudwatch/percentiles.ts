/**
 * Histogram state to CloudWatch `Values`/`Counts` (weighted representative values), from which
 * CloudWatch computes percentiles (pNN, TMxx, ...) itself.
 *
 * Construction, for a series with count n >= 2 (n = 1 sends the one value, which is the sum):
 * 1. Cells: the exponential histogram's buckets (preferred: finer) or else the explicit buckets,
 *    ascending, each clamped to the series' exact [min, max] (the open first/overflow explicit buckets
 *    become [min, b0] and [b_last, max]).
 * 2. The exact min and max are sent as values with count 1 each (taken from the first and last
 *    non-empty cells), so the Minimum and Maximum CloudWatch derives are exact.
 * 3. Every other cell gets k = min(count, K) points with equal shares of its count, placed at the
 *    middle quantile of each share under a linear density across the cell (in log|v| for cells not
 *    touching 0, else linear), whose slope comes from the neighbouring cells (frequency polygon).
 *    K is the largest value that keeps the point total within the budget (at least one point per
 *    non-empty cell) and, for exponential buckets, no larger than needed to reach scale-5 resolution.
 * 4. Sum correction: the exact sum lies within [sum of count * lower bound, sum of count * upper
 *    bound] over the cells, so every interior point moves the same fraction t of the way to its cell's
 *    bound in the needed direction (order within a cell is kept); the result has sum(value * count)
 *    equal to the recorded sum (to floating-point rounding) with every point still inside its cell,
 *    i.e. percentiles keep the bucket bound. With fine exponential buckets t is tiny (< 1e-2).
 * 5. Values are rounded to 7 significant digits (relative change <= 5e-8) to halve the request bytes;
 *    one interior point then absorbs the rounding residual of the sum at full precision.
 *
 * SampleCount (sum of Counts) is exact; Minimum and Maximum are exact; Sum is exact up to
 * floating-point rounding (relative ~1e-15 * points). A percentile's error is bounded by the width of
 * the bucket holding the quantile; interpolation makes it much smaller in populated buckets (see
 * docs/cloudwatch.md for measured numbers).
 */
import type { ExponentialHistogramState, StatisticSet } from "../../core/types.ts";
import { MAX_ABS_VALUE, MIN_ABS_NONZERO_VALUE } from "./limits.ts";

/** What the conversion needs from a histogram slot. */
export interface HistogramInput {
  readonly stats: StatisticSet;
  readonly bucketCounts: ArrayLike<number> | null;
  readonly boundaries: readonly number[] | null;
  readonly exponential: ExponentialHistogramState | null;
}

/** Ascending unique values with positive integer counts. */
export interface WeightedValues {
  readonly values: number[];
  readonly counts: number[];
}

/** Why no Values/Counts could be built. */
export type WeightedValuesProblem =
  /** Buckets do not account for every sample (e.g. a statistic set merged without buckets). */
  | "buckets_incomplete"
  /** A value or the sum is beyond CloudWatch's +-2^360 or not finite. */
  | "value_out_of_range";

/** Default points cap per series: four PutMetricData datums (4 x 150 values). */
export const DEFAULT_MAX_POINTS = 600;

/**
 * Exponential cells are split until sub-cells are as fine as scale 5 buckets (ratio 2^(1/32), a
 * geometric midpoint within 1.09% of any value in it): finer gains little, coarser loses the 2% target.
 */
const TARGET_SCALE = 5;

/** Value magnitudes we can send; everything outside is a drop, not a clamp. */
export function isSendable(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v) <= MAX_ABS_VALUE;
}

/** CloudWatch refuses non-zero magnitudes below 2^-360: such values are sent as 0. */
export function flushTiny(v: number): number {
  return v !== 0 && Math.abs(v) < MIN_ABS_NONZERO_VALUE ? 0 : v;
}

const POW10: number[] = [];
for (let e = -400; e <= 400; e++) POW10.push(10 ** e);

/** Rounds to 7 significant digits without a string round trip. */
function round7(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const shift = 6 - exp;
  if (shift < -400 || shift > 400) return v;
  const m = POW10[shift + 400];
  const r = Math.round(v * m) / m;
  return Number.isFinite(r) ? r : v;
}

// Scratch cells, grown on demand and reused: one conversion per histogram series per window.
let cellLo = new Float64Array(512);
let cellHi = new Float64Array(512);
let cellCount = new Float64Array(512);

function ensureCells(n: number): void {
  if (cellLo.length >= n) return;
  let size = cellLo.length;
  while (size < n) size *= 2;
  cellLo = new Float64Array(size);
  cellHi = new Float64Array(size);
  cellCount = new Float64Array(size);
}

/** Fills the scratch cells (ascending, clamped, scaled); returns the number of cells and their total count. */
function fillCells(input: HistogramInput, scale: number, min: number, max: number): { n: number; total: number; expScale: number | null } {
  let n = 0;
  let total = 0;
  const push = (lo: number, hi: number, count: number): void => {
    let a = lo * scale;
    let b = hi * scale;
    if (a > b) [a, b] = [b, a];
    // Clamp to the exact range; a cell wholly outside it (inconsistent input) collapses onto the edge.
    a = Math.min(Math.max(a, min), max);
    b = Math.min(Math.max(b, min), max);
    cellLo[n] = a;
    cellHi[n] = b;
    cellCount[n] = count;
    n++;
    total += count;
  };
  const exp = input.exponential;
  if (exp !== null && exp.positive.counts.length + exp.negative.counts.length + exp.zeroCount > 0) {
    ensureCells(exp.positive.counts.length + exp.negative.counts.length + 1);
    const inv = 2 ** -exp.scale;
    const bound = (i: number): number => 2 ** (i * inv);
    const neg = exp.negative;
    for (let j = neg.counts.length - 1; j >= 0; j--) {
      const k = neg.offset + j;
      push(-bound(k + 1), -bound(k), neg.counts[j]);
    }
    if (exp.zeroCount > 0) push(0, 0, exp.zeroCount);
    const pos = exp.positive;
    for (let j = 0; j < pos.counts.length; j++) {
      const k = pos.offset + j;
      push(bound(k), bound(k + 1), pos.counts[j]);
    }
    return { n, total, expScale: exp.scale };
  }
  const counts = input.bucketCounts;
  const bounds = input.boundaries;
  if (counts === null || bounds === null) return { n: 0, total: 0, expScale: null };
  ensureCells(counts.length);
  const unscaledMin = min / scale;
  const unscaledMax = max / scale;
  for (let i = 0; i < counts.length; i++) {
    const lo = i === 0 ? unscaledMin : bounds[i - 1];
    const hi = i < bounds.length ? bounds[i] : unscaledMax;
    push(lo, hi, counts[i]);
  }
  return { n, total, expScale: null };
}

/** A cell spaced log-uniformly: both bounds non-zero with the same sign and distinct. */
function isGeometric(lo: number, hi: number): boolean {
  return (lo > 0 && hi > lo) || (hi < 0 && lo < hi);
}

/** Width of a cell in the coordinate its density is measured in (log for geometric cells). */
function cellWidth(lo: number, hi: number): number {
  return isGeometric(lo, hi) ? Math.abs(Math.log(hi / lo)) : hi - lo;
}

let cellSlope = new Float64Array(512);

/**
 * Frequency-polygon shaping: a cell's density is linear across it, s in [-1, 1] being the relative
 * slope from its value-lower to its value-upper edge, with edge densities the means of the cell's
 * and its neighbours' densities (an empty neighbour pulls toward 0). A cell next to one of another
 * kind (log vs linear) or zero width stays flat.
 */
function shapeCells(cells: number): void {
  if (cellSlope.length < cells) cellSlope = new Float64Array(cellLo.length);
  const density = (i: number): number => {
    const w = cellWidth(cellLo[i], cellHi[i]);
    return w > 0 ? cellCount[i] / w : -1;
  };
  for (let i = 0; i < cells; i++) {
    cellSlope[i] = 0;
    const d = density(i);
    // A cell narrower than a double can resolve (subnormal width) has no usable density: keep it flat.
    if (!(d > 0) || !Number.isFinite(d)) continue;
    const geo = isGeometric(cellLo[i], cellHi[i]);
    const side = (j: number): number => {
      if (j < 0 || j >= cells || isGeometric(cellLo[j], cellHi[j]) !== geo) return d;
      const dj = density(j);
      return dj < 0 || !Number.isFinite(dj) ? d : (d + dj) / 2;
    };
    // For negative geometric cells the log coordinate runs from the value-lower edge (larger
    // magnitude) too, so "left" is always the previous cell in value order.
    const left = side(i - 1);
    const right = side(i + 1);
    cellSlope[i] = left + right > 0 ? Math.max(-1, Math.min(1, (right - left) / (left + right))) : 0;
  }
}

/** Position u in [0, 1] of quantile q under density proportional to 1 + s(2u - 1). */
function quantileInCell(s: number, q: number): number {
  if (Math.abs(s) < 1e-9) return q;
  // CDF F(u) = (1 - s) u + s u^2; take the root in [0, 1].
  const b = 1 - s;
  return (2 * q) / (b + Math.sqrt(b * b + 4 * s * q));
}

/**
 * Builds Values/Counts for a histogram series, values multiplied by `scale` (unit conversion).
 * `maxPoints` (>= 3) bounds the number of points when the buckets allow (one point per non-empty
 * bucket is the floor). Returns a problem instead when the data cannot be represented.
 */
export function histogramToWeightedValues(
  input: HistogramInput,
  scale: number,
  maxPoints: number = DEFAULT_MAX_POINTS,
): WeightedValues | WeightedValuesProblem {
  const { stats } = input;
  const n = stats.count;
  let min = stats.min * scale;
  let max = stats.max * scale;
  const sum = stats.sum * scale;
  if (!isSendable(min) || !isSendable(max) || !isSendable(sum)) return "value_out_of_range";
  if (n === 1) return { values: [flushTiny(sum)], counts: [1] };
  if (min > max) [min, max] = [max, min];
  // The range CloudWatch will see (magnitudes below 2^-360 are sent as 0): every point stays inside it.
  min = flushTiny(min);
  max = flushTiny(max);
  const { n: cells, total, expScale } = fillCells(input, scale, min, max);
  if (total !== n || !Number.isInteger(total) || n < 2) return "buckets_incomplete";

  // Take the pinned min and max out of the first and last non-empty cells.
  let first = 0;
  while (cellCount[first] <= 0) first++;
  let lastCell = cells - 1;
  while (cellCount[lastCell] <= 0) lastCell--;
  shapeCells(cells);
  cellCount[first] -= 1;
  cellCount[lastCell] -= 1;

  // Largest K with 2 + sum(min(c_i, K)) <= maxPoints, and at least 1.
  const budget = Math.max(1, maxPoints - 2);
  let maxCount = 0;
  for (let i = 0; i < cells; i++) if (cellCount[i] > maxCount) maxCount = cellCount[i];
  const pointsFor = (k: number): number => {
    let p = 0;
    for (let i = 0; i < cells; i++) p += Math.min(cellCount[i], k);
    return p;
  };
  let lowK = 1;
  let highK = Math.max(1, maxCount);
  if (pointsFor(highK) <= budget) lowK = highK;
  else {
    while (highK - lowK > 1) {
      const mid = (lowK + highK) >>> 1;
      if (pointsFor(mid) <= budget) lowK = mid;
      else highK = mid;
    }
  }
  const K = expScale === null ? lowK : Math.min(lowK, Math.max(1, 2 ** (TARGET_SCALE - expScale)));

  const values: number[] = [min];
  const counts: number[] = [1];
  const lower: number[] = [min];
  const upper: number[] = [min];
  for (let i = 0; i < cells; i++) {
    const c = cellCount[i];
    if (c <= 0) continue;
    const lo = cellLo[i];
    const hi = cellHi[i];
    const k = Math.min(c, K);
    const each = Math.floor(c / k);
    const extra = c - each * k;
    const geometric = isGeometric(lo, hi);
    const slope = cellSlope[i];
    for (let j = 0; j < k; j++) {
      // Each sub-point sits at the middle quantile of its equal share under the cell's shaped density.
      const u = quantileInCell(slope, (j + 0.5) / k);
      let v: number;
      if (geometric) {
        // Position u runs along log|v| from the cell's value-lower edge to its value-upper edge.
        v = lo > 0 ? lo * (hi / lo) ** u : -(-lo * (hi / lo) ** u);
      } else {
        v = lo + (hi - lo) * u;
      }
      values.push(v);
      counts.push(each + (j < extra ? 1 : 0));
      // The sum correction may move a point anywhere in its cell: only the cell's total is known to
      // lie within [count * lo, count * hi], not each equal share of a sub-cell.
      lower.push(lo);
      upper.push(hi);
    }
  }
  values.push(max);
  counts.push(1);
  lower.push(max);
  upper.push(max);
  const last = values.length - 1;

  // Sum correction: move every interior point the same fraction of its slack toward the needed bound.
  let current = 0;
  for (let i = 0; i <= last; i++) current += values[i] * counts[i];
  const residual = sum - current;
  if (residual !== 0) {
    let slack = 0;
    for (let i = 1; i < last; i++) slack += ((residual > 0 ? upper[i] : lower[i]) - values[i]) * counts[i];
    const t = slack !== 0 ? Math.min(1, Math.max(0, residual / slack)) : 0;
    if (t > 0) {
      for (let i = 1; i < last; i++) {
        // Clamped: v + (bound - v) can round past the bound, and the point must stay in its cell.
        const moved = values[i] + t * ((residual > 0 ? upper[i] : lower[i]) - values[i]);
        values[i] = Math.min(Math.max(moved, lower[i]), upper[i]);
      }
    }
  }

  // Round interior points (shorter JSON), keep them within [min, max], then let one interior point
  // (the heaviest that can) absorb the sum residual at full precision while staying inside its cell.
  // If none can, the unrounded values are kept: exactness of Sum wins over bytes.
  const unrounded = values.slice();
  let s = 0;
  for (let i = 0; i <= last; i++) {
    if (i > 0 && i < last) values[i] = Math.min(Math.max(flushTiny(round7(values[i])), min), max);
    s += values[i] * counts[i];
  }
  const residualAfterRounding = sum - s;
  if (residualAfterRounding !== 0 && last > 1) {
    const order: number[] = [];
    for (let i = 1; i < last; i++) order.push(i);
    order.sort((a, b) => counts[b] - counts[a]);
    let absorbed = false;
    for (const i of order) {
      const fixed = values[i] + residualAfterRounding / counts[i];
      if (fixed >= lower[i] && fixed <= upper[i] && fixed >= min && fixed <= max && flushTiny(fixed) === fixed) {
        values[i] = fixed;
        absorbed = true;
        break;
      }
    }
    if (!absorbed) for (let i = 1; i < last; i++) values[i] = unrounded[i];
  }
  values[0] = flushTiny(min);
  values[last] = flushTiny(max);

  // Merge equal neighbours: CloudWatch lists each unique value once.
  const outValues: number[] = [];
  const outCounts: number[] = [];
  for (let i = 0; i <= last; i++) {
    const v = values[i];
    const o = outValues.length - 1;
    if (o >= 0 && outValues[o] === v) outCounts[o] += counts[i];
    else if (o >= 0 && outValues[o] > v) {
      // Rounding can swap neighbours across a shared bound; keep ascending order by merging into place.
      let p = o;
      while (p >= 0 && outValues[p] > v) p--;
      if (p >= 0 && outValues[p] === v) outCounts[p] += counts[i];
      else {
        outValues.splice(p + 1, 0, v);
        outCounts.splice(p + 1, 0, counts[i]);
      }
    } else {
      outValues.push(v);
      outCounts.push(counts[i]);
    }
  }
  return { values: outValues, counts: outCounts };
}
