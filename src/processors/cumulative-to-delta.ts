/**
 * Cumulative-to-delta conversion per input stream (resource + scope + metric + point attributes).
 * It runs before points are merged into series whose identity may be smaller, so two streams that
 * collapse into one series (e.g. two hosts once `host.name` is not a label) add their increments
 * instead of overwriting each other.
 *
 * Rules:
 * - The first point of a stream counts in full: it is the increment since the stream's start. The
 *   Collector's cumulativetodelta processor drops it instead; counting it makes a restarted daemon
 *   report the same totals as the source, and Prometheus' rate() handles the jump like any reset.
 * - Reset: the start time changed, or a count/value went down (monotonic sums, histogram counts,
 *   any bucket). After a reset the new value is the delta.
 * - A point older than the stream's last one is out of order and refused (a late retry must not
 *   be counted twice).
 * - Histograms: bucket-wise subtraction; changed boundaries are a reset. Exponential histograms are
 *   brought to the smaller of the two scales before subtracting.
 */
import type { Attributes } from "@opentelemetry/api";
import type { BoundSeries } from "../core/api.ts";
import type { ExplicitHistogramInput, ExponentialHistogramInput } from "../core/types.ts";
import type {
  DecodedExponentialPoint,
  DecodedHistogramPoint,
  DecodedNumberPoint,
  DecodedSummaryPoint,
} from "../pipeline/types.ts";

/** One input stream: its target series and the last cumulative state. */
export class StreamState {
  /** The stream's key within its metric (the decoded point's `attributesKey`). */
  readonly key: string;
  /** Attributes after resource selection and processors: the series it records into. */
  readonly attributes: Attributes;
  /**
   * The stream whose point followed this one's last time (in its metric): clients export their
   * series in the same order every time, so this predicts the next lookup without hashing.
   */
  next: StreamState | null = null;
  /** Set when the stream was forgotten (idle), so a stale `next` link is not followed into it. */
  removed = false;
  /** Cached binding; null until resolved or after the store expired series. */
  series: BoundSeries | null = null;
  /** Set when the stream's points are refused as a whole (e.g. too many attributes). */
  refusal: string | null = null;
  /**
   * False for a stream beyond its metric's stream budget: it is not stored, so it holds no
   * cumulative state; delta points still record through it.
   */
  tracked = true;
  lastSeenMs: number;
  hasPrev = false;
  startTimeMs = 0;
  timeMs = 0;
  /** Sum: last cumulative value. Histograms and summaries: last count. */
  value = 0;
  sum = 0;
  min = NaN;
  max = NaN;
  boundaries: readonly number[] | null = null;
  buckets: Float64Array | null = null;
  scale = 0;
  zeroCount = 0;
  posOffset = 0;
  pos: Float64Array | null = null;
  negOffset = 0;
  neg: Float64Array | null = null;

  constructor(key: string, attributes: Attributes, nowMs: number) {
    this.key = key;
    this.attributes = attributes;
    this.lastSeenMs = nowMs;
  }
}

/** True when `p` is older than the stream's last point (both timestamps known). */
export function isOutOfOrder(s: StreamState, timeMs: number): boolean {
  return s.hasPrev && timeMs !== 0 && s.timeMs !== 0 && timeMs < s.timeMs;
}

function startChanged(s: StreamState, startTimeMs: number): boolean {
  return startTimeMs !== 0 && s.startTimeMs !== 0 && startTimeMs !== s.startTimeMs;
}

/** The increment of a cumulative sum point (updates the stream). */
export function sumDelta(s: StreamState, p: DecodedNumberPoint, monotonic: boolean): number {
  const first = !s.hasPrev;
  const reset = first || startChanged(s, p.startTimeMs) || (monotonic && p.value < s.value);
  const delta = reset ? p.value : p.value - s.value;
  s.hasPrev = true;
  s.value = p.value;
  s.startTimeMs = p.startTimeMs;
  s.timeMs = p.timeMs;
  return delta;
}

/** The increment of a cumulative summary's count and sum (updates the stream). */
export function summaryDelta(s: StreamState, p: DecodedSummaryPoint, out: { count: number; sum: number }): void {
  const reset = !s.hasPrev || startChanged(s, p.startTimeMs) || p.count < s.value;
  out.count = reset ? p.count : p.count - s.value;
  out.sum = reset ? p.sum : p.sum - s.sum;
  s.hasPrev = true;
  s.value = p.count;
  s.sum = p.sum;
  s.startTimeMs = p.startTimeMs;
  s.timeMs = p.timeMs;
}

function sameBoundaries(a: readonly number[] | null, b: readonly number[]): boolean {
  if (a === b) return true;
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function rememberExplicit(s: StreamState, p: DecodedHistogramPoint): void {
  const n = p.bucketCounts.length;
  if (s.buckets === null || s.buckets.length !== n) s.buckets = new Float64Array(n);
  for (let i = 0; i < n; i++) s.buckets[i] = p.bucketCounts[i];
  s.boundaries = p.boundaries;
  s.hasPrev = true;
  s.value = p.count;
  s.sum = p.sum;
  s.min = p.min;
  s.max = p.max;
  s.startTimeMs = p.startTimeMs;
  s.timeMs = p.timeMs;
}

/** The source's input as is (first point, reset, or delta temporality). */
export function explicitInput(p: DecodedHistogramPoint): ExplicitHistogramInput {
  return { boundaries: p.boundaries, bucketCounts: p.bucketCounts, count: p.count, sum: p.sum, min: p.min, max: p.max };
}

/**
 * The increment of a cumulative explicit histogram point, or null when nothing changed. min/max of
 * the increment are exact when the cumulative extreme moved, else bounded by the buckets that grew
 * and clamped to the cumulative extremes.
 */
export function explicitDelta(s: StreamState, p: DecodedHistogramPoint): ExplicitHistogramInput | null {
  const prev = s.buckets;
  let reset = !s.hasPrev || prev === null || startChanged(s, p.startTimeMs) || !sameBoundaries(s.boundaries, p.boundaries) || p.count < s.value;
  const n = p.bucketCounts.length;
  let counts: Float64Array | null = null;
  if (!reset && prev !== null) {
    counts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const d = p.bucketCounts[i] - prev[i];
      if (d < 0) {
        reset = true;
        break;
      }
      counts[i] = d;
    }
  }
  if (reset || counts === null) {
    const input = explicitInput(p);
    rememberExplicit(s, p);
    return input;
  }
  const count = p.count - s.value;
  const sum = p.sum - s.sum;
  const prevMin = s.min;
  const prevMax = s.max;
  rememberExplicit(s, p);
  if (count === 0) return null;
  const b = p.boundaries;
  const nb = b.length;
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    if (counts[i] > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  let min = NaN;
  let max = NaN;
  if (Number.isFinite(p.min) && !(p.min >= prevMin)) min = p.min;
  if (Number.isFinite(p.max) && !(p.max <= prevMax)) max = p.max;
  if (lo >= 0 && nb > 0) {
    if (Number.isNaN(min)) {
      min = lo === 0 ? b[0] : b[lo - 1];
      if (Number.isFinite(p.min) && min < p.min) min = p.min;
    }
    if (Number.isNaN(max)) {
      max = hi === nb ? b[nb - 1] : b[hi];
      if (Number.isFinite(p.max) && max > p.max) max = p.max;
    }
    if (min > max) min = max;
  }
  return { boundaries: b, bucketCounts: counts, count, sum, min, max };
}

/** Bucket counts of one range moved to a smaller scale: index i becomes i >> by. */
function downscaleRange(offset: number, counts: ArrayLike<number>, by: number): { offset: number; counts: Float64Array } {
  if (counts.length === 0) return { offset: 0, counts: new Float64Array(0) };
  if (by === 0) return { offset, counts: Float64Array.from(counts) };
  const first = offset >> by;
  const last = (offset + counts.length - 1) >> by;
  const out = new Float64Array(last - first + 1);
  for (let i = 0; i < counts.length; i++) out[((offset + i) >> by) - first] += counts[i];
  return { offset: first, counts: out };
}

/** a - b over two ranges at the same scale; null when some bucket would go negative. */
function subtractRange(
  a: { offset: number; counts: Float64Array },
  b: { offset: number; counts: Float64Array },
): { offset: number; counts: number[] } | null {
  for (let j = 0; j < b.counts.length; j++) {
    if (b.counts[j] === 0) continue;
    const i = b.offset + j - a.offset;
    if (i < 0 || i >= a.counts.length || a.counts[i] < b.counts[j]) return null;
  }
  const out: number[] = new Array<number>(a.counts.length);
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < a.counts.length; i++) {
    const j = a.offset + i - b.offset;
    const d = a.counts[i] - (j >= 0 && j < b.counts.length ? b.counts[j] : 0);
    out[i] = d;
    if (d > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  if (lo < 0) return { offset: 0, counts: [] };
  return { offset: a.offset + lo, counts: out.slice(lo, hi + 1) };
}

function rememberExponential(s: StreamState, p: DecodedExponentialPoint): void {
  s.hasPrev = true;
  s.value = p.count;
  s.sum = p.sum;
  s.min = p.min;
  s.max = p.max;
  s.scale = p.scale;
  s.zeroCount = p.zeroCount;
  s.posOffset = p.positive.offset;
  s.pos = Float64Array.from(p.positive.counts);
  s.negOffset = p.negative.offset;
  s.neg = Float64Array.from(p.negative.counts);
  s.startTimeMs = p.startTimeMs;
  s.timeMs = p.timeMs;
}

export function exponentialInput(p: DecodedExponentialPoint): ExponentialHistogramInput {
  return {
    count: p.count,
    sum: p.sum,
    min: p.min,
    max: p.max,
    scale: p.scale,
    zeroCount: p.zeroCount,
    positive: { offset: p.positive.offset, counts: p.positive.counts as number[] },
    negative: { offset: p.negative.offset, counts: p.negative.counts as number[] },
  };
}

/** The increment of a cumulative exponential histogram point, or null when nothing changed. */
export function exponentialDelta(s: StreamState, p: DecodedExponentialPoint): ExponentialHistogramInput | null {
  let reset = !s.hasPrev || s.pos === null || s.neg === null || startChanged(s, p.startTimeMs) || p.count < s.value || p.zeroCount < s.zeroCount;
  let result: ExponentialHistogramInput | null = null;
  if (!reset && s.pos !== null && s.neg !== null) {
    const scale = Math.min(p.scale, s.scale);
    const curPos = downscaleRange(p.positive.offset, p.positive.counts, p.scale - scale);
    const curNeg = downscaleRange(p.negative.offset, p.negative.counts, p.scale - scale);
    const prevPos = downscaleRange(s.posOffset, s.pos, s.scale - scale);
    const prevNeg = downscaleRange(s.negOffset, s.neg, s.scale - scale);
    const positive = subtractRange(curPos, prevPos);
    const negative = subtractRange(curNeg, prevNeg);
    if (positive === null || negative === null) reset = true;
    else {
      const count = p.count - s.value;
      const min = Number.isFinite(p.min) && !(p.min >= s.min) ? p.min : NaN;
      const max = Number.isFinite(p.max) && !(p.max <= s.max) ? p.max : NaN;
      result =
        count === 0
          ? null
          : { count, sum: p.sum - s.sum, min, max, scale, zeroCount: p.zeroCount - s.zeroCount, positive, negative };
      if (result !== null) result = clampExponentialExtremes(result, p);
    }
  }
  if (reset) result = exponentialInput(p);
  rememberExponential(s, p);
  return result;
}

/** Unknown min/max of an increment: the facade estimates them from buckets; keep them inside the cumulative extremes. */
function clampExponentialExtremes(d: ExponentialHistogramInput, p: DecodedExponentialPoint): ExponentialHistogramInput {
  if (Number.isFinite(d.min) && Number.isFinite(d.max)) return d;
  if (!Number.isFinite(p.min) || !Number.isFinite(p.max)) return d;
  const base = Math.pow(2, Math.pow(2, -d.scale));
  let lowest = Infinity;
  let highest = -Infinity;
  if (d.negative.counts.length > 0) {
    lowest = -Math.pow(base, d.negative.offset + d.negative.counts.length);
    highest = -Math.pow(base, d.negative.offset);
  }
  if (d.zeroCount > 0) {
    lowest = Math.min(lowest, 0);
    highest = Math.max(highest, 0);
  }
  if (d.positive.counts.length > 0) {
    lowest = Math.min(lowest, Math.pow(base, d.positive.offset));
    highest = Math.max(highest, Math.pow(base, d.positive.offset + d.positive.counts.length));
  }
  let min = Number.isFinite(d.min) ? d.min : Math.max(lowest, p.min);
  const max = Number.isFinite(d.max) ? d.max : Math.min(highest, p.max);
  if (min > max) min = max;
  return { ...d, min, max };
}
