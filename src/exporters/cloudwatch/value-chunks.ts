/**
 * A histogram's weighted Values/Counts split into chunks of at most `maxValues` (PutMetricData: 150
 * per datum, EMF: 100 per metric), each with its own statistic set, so that what CloudWatch merges
 * from the chunks (same metric, dimensions and timestamp) is the recorded statistic set exactly.
 * The CloudWatch agent sends a datum's StatisticValues beside its Values/Counts the same way, one set
 * per split distribution (aws/amazon-cloudwatch-agent, plugins/outputs/cloudwatch/cloudwatch.go,
 * BuildMetricDatum -> buildMetricDatumDist: every distribution Resize returns becomes one datum with
 * Values, Counts and its own StatisticValues). The agent splits contiguous runs of the sorted values
 * and sums each run's value * count (metric/distribution/regular/regular_distribution.go, Resize);
 * here the recorded sum is apportioned instead, so the merge is the recorded sum, not an estimate.
 *
 * Chunks are dealt round robin (chunk c takes values c, c + n, c + 2n, ... of the ascending list), so
 * each spans nearly the whole value range. Per chunk:
 * - count: the sum of its Counts. Over the chunks: the recorded count (integer counts).
 * - min/max: its smallest/largest value, except that the chunk holding the first value takes the
 *   recorded min and the one holding the last value the recorded max, so the min over the chunks is
 *   the recorded min and the max the recorded max. Only when the recorded sum lies beyond what these
 *   ranges allow (a source whose sum contradicts the min/max estimated from its buckets) do all
 *   chunks take the recorded min (or max), which still bounds their values.
 * - sum: the recorded sum apportioned within [count * min, count * max]. Start: each chunk's weighted
 *   sum (value * count) clamped to its range, or, when those would cancel (mixed signs), the points
 *   of the ranges closest to 0; the remainder is spread over the chunks in proportion to their room
 *   toward the needed bound, never past it. Then every sum but the one with the most slack moves to
 *   the nearest multiple of one grid step (a power of two at which every partial sum is a double)
 *   inside its range, and that one takes the rest, so the chunks' sums add up to the recorded sum bit
 *   for bit in any order of addition. Where no grid fits, one sum is moved by ulps until the total in
 *   datum order is exact (or as close as doubles allow).
 * Each chunk's sum stays within its range whenever the recorded sum lies within [count * min,
 * count * max] of the whole series (always, up to the rounding of the recorded sum, for data
 * recorded value by value); otherwise the total stays exact and a chunk leaves its range, as the
 * single statistic set of that series would.
 */
import { flushTiny } from "./percentiles.ts";

/** A statistic set: count, sum, min, max (already in the mapped CloudWatch unit). */
export interface StatisticTotals {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** One chunk of values with the statistic set of its own share. */
export interface ValueChunk extends StatisticTotals {
  readonly values: number[];
  readonly counts: number[];
}

const bits = new Float64Array(1);
const word = new BigInt64Array(bits.buffer);

/** The adjacent double above (up) or below x. */
function nextDouble(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  bits[0] = x;
  word[0] += x > 0 === up ? 1n : -1n;
  return bits[0];
}

/** The chunks' sums added in order, as a consumer merging them one by one computes the total. */
function orderedTotal(sums: readonly number[]): number {
  let t = 0;
  for (const s of sums) t += s;
  return t;
}

/**
 * Moves sums[j] until the ordered total equals `target`: first by the residual itself, then by single
 * ulps (the total is monotone in sums[j]). Keeps the closest total when `target` is unreachable
 * (rounding of the additions can step over it) and returns whether it was reached.
 */
function settleTotal(sums: number[], j: number, target: number): boolean {
  for (let i = 0; i < 4; i++) {
    const err = target - orderedTotal(sums);
    if (err === 0) return true;
    const moved = flushTiny(sums[j] + err);
    if (moved === sums[j]) break;
    sums[j] = moved;
  }
  let err = target - orderedTotal(sums);
  if (err === 0) return true;
  const up = err > 0;
  let best = sums[j];
  let bestErr = Math.abs(err);
  for (let i = 0; i < 64; i++) {
    sums[j] = nextDouble(sums[j], up);
    err = target - orderedTotal(sums);
    if (Math.abs(err) < bestErr) {
      best = sums[j];
      bestErr = Math.abs(err);
    }
    if (err === 0 || err > 0 !== up) break;
  }
  sums[j] = best;
  return bestErr === 0;
}

/** The spacing of doubles at |x|'s binade (the ulp of a double of that exponent); 0 for x = 0. */
function ulpAt(x: number): number {
  if (x === 0) return 0;
  bits[0] = Math.abs(x);
  const exponent = Number(word[0] >> 52n);
  if (exponent <= 52) return Number.MIN_VALUE * 2 ** Math.max(0, exponent - 1);
  word[0] = BigInt(exponent - 52) << 52n;
  return bits[0];
}

/** `s` moved to a multiple of `q` inside [lo, hi] (the nearest one), or `s` itself when none is. */
function onGrid(s: number, q: number, lo: number, hi: number): number {
  if (q === 0) return s;
  let r = Math.round(s / q) * q;
  if (r < lo) r = Math.ceil(lo / q) * q;
  if (r > hi) r = Math.floor(hi / q) * q;
  return r >= lo && r <= hi ? r : s;
}

/**
 * Moves `start` (within [lower, upper]) so that it adds up to `target`: every entry moves the same
 * fraction of its room toward the bound in the needed direction, never past it.
 */
function apportion(start: readonly number[], lower: readonly number[], upper: readonly number[], target: number): number[] {
  const sums = start.slice();
  const residual = target - orderedTotal(start);
  if (residual === 0) return sums;
  let room = 0;
  for (let c = 0; c < sums.length; c++) room += residual > 0 ? upper[c] - start[c] : start[c] - lower[c];
  const share = room > 0 ? Math.min(1, Math.abs(residual) / room) : 0;
  if (share === 0) return sums;
  for (let c = 0; c < sums.length; c++) {
    const moved = start[c] + share * ((residual > 0 ? upper[c] : lower[c]) - start[c]);
    sums[c] = Math.min(Math.max(moved, lower[c]), upper[c]);
  }
  return sums;
}

function absoluteTotal(sums: readonly number[]): number {
  let t = 0;
  for (const s of sums) t += Math.abs(s);
  return t;
}

/**
 * The grid step for sums of total magnitude `absolute` adding up to `target`: a power of two q such
 * that every sum of multiples of q up to `absolute` (plus the grid's own moves) is a double, so any
 * order of addition is exact.
 */
function gridStep(target: number, absolute: number, n: number): number {
  let q = ulpAt(Math.max(Math.abs(target), absolute));
  if (q > 0 && absolute + 2 * n * q >= 2 ** 53 * q) q *= 2;
  return q;
}

/**
 * Chunk sums within [lower, upper] that add up to `target` bit for bit. Starting from the
 * estimates when their magnitudes stay within the target's binade (always for non-negative data),
 * else from the sums closest to 0 (mixed signs: opposite chunk sums that cancel would make the
 * additions round), every sum but the one with the most slack goes to a multiple of one grid step,
 * and that one takes the rest: then the total is exact in any order of addition whenever the target
 * is a multiple of the step. Otherwise one sum is moved until the total in datum order is exact (or
 * as close as doubles allow).
 */
function apportionExactly(estimate: readonly number[], lower: readonly number[], upper: readonly number[], target: number): number[] {
  const n = estimate.length;
  let sums = apportion(estimate, lower, upper, target);
  const fine = ulpAt(target);
  if (fine === 0 || gridStep(target, absoluteTotal(sums), n) !== fine) {
    const nearZero = lower.map((lo, c) => Math.min(Math.max(0, lo), upper[c]));
    const compact = apportion(nearZero, lower, upper, target);
    if (absoluteTotal(compact) < absoluteTotal(sums)) sums = compact;
  }
  const q = gridStep(target, absoluteTotal(sums), n);
  let absorber = 0;
  let bestSlack = -Infinity;
  for (let c = 0; c < n; c++) {
    const slack = Math.min(sums[c] - lower[c], upper[c] - sums[c]);
    if (slack > bestSlack) {
      bestSlack = slack;
      absorber = c;
    }
  }
  let others = 0;
  for (let c = 0; c < n; c++) {
    if (c === absorber) continue;
    sums[c] = onGrid(sums[c], q, lower[c], upper[c]);
    others += sums[c];
  }
  sums[absorber] = target - others;
  if (orderedTotal(sums) === target) return sums;
  // Off the grid: settle the total in datum order, trying the chunks by slack (a chunk of smaller
  // magnitude moves the total in finer steps).
  const order = Array.from({ length: n }, (_, c) => c).sort((x, y) => Math.min(sums[y] - lower[y], upper[y] - sums[y]) - Math.min(sums[x] - lower[x], upper[x] - sums[x]) || x - y);
  let settled = sums;
  for (const j of order) {
    const attempt = sums.slice();
    const exact = settleTotal(attempt, j, target);
    if (exact) return attempt;
    if (settled === sums) settled = attempt;
  }
  return settled;
}

/**
 * Splits ascending `values`/`counts` (positive integer counts summing to `totals.count`) into chunks
 * of at most `maxValues`, each with its own statistic set as described above.
 */
export function chunkWithStatistics(values: readonly number[], counts: readonly number[], totals: StatisticTotals, maxValues: number): ValueChunk[] {
  const n = Math.max(1, Math.ceil(values.length / maxValues));
  // Dealt round robin: chunk c takes values c, c + n, c + 2n, ... Every chunk then spans nearly the
  // whole value range, so each has room for a share of the sum of the total's own sign, and the
  // shares add up without cancellation (contiguous value ranges would force the chunks of negative
  // values below 0 and those of positive values above it, and their additions would round).
  const chunks: { values: number[]; counts: number[]; count: number; min: number; max: number }[] = [];
  const weighted: number[] = [];
  for (let c = 0; c < n; c++) {
    const vs: number[] = [];
    const cs: number[] = [];
    let count = 0;
    let w = 0;
    for (let i = c; i < values.length; i += n) {
      vs.push(values[i]);
      cs.push(counts[i]);
      count += counts[i];
      w += values[i] * counts[i];
    }
    chunks.push({ values: vs, counts: cs, count, min: vs[0], max: vs[vs.length - 1] });
    weighted.push(w);
  }
  // The recorded extremes (the first and last values, unless a source's sum contradicted them).
  chunks[0].min = totals.min;
  chunks[(values.length - 1) % n].max = totals.max;
  // A recorded sum beyond what the chunks' own ranges allow (a source whose sum contradicts the
  // min/max estimated from its buckets): the chunks take the recorded min (or max) as theirs, which
  // still bounds their values and leaves every merged statistic unchanged.
  if (n > 1) {
    let lowest = 0;
    let highest = 0;
    for (const chunk of chunks) {
      lowest += chunk.count * chunk.min;
      highest += chunk.count * chunk.max;
    }
    if (totals.sum < lowest) for (const chunk of chunks) chunk.min = totals.min;
    if (totals.sum > highest) for (const chunk of chunks) chunk.max = totals.max;
  }
  const estimate: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  chunks.forEach((chunk, c) => {
    const lo = chunk.count * chunk.min;
    const hi = chunk.count * chunk.max;
    lower.push(lo);
    upper.push(hi);
    estimate.push(Math.min(Math.max(weighted[c], lo), hi));
  });
  const sums = n > 1 ? apportionExactly(estimate, lower, upper, totals.sum) : [totals.sum];
  return chunks.map((chunk, c) => ({ ...chunk, sum: flushTiny(sums[c]) }));
}
