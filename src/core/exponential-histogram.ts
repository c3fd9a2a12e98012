/**
 * A base-2 exponential histogram with OpenTelemetry's automatic downscaling, on typed arrays.
 *
 * Each range (positive, negative) keeps the counts of its lowest..highest non-empty index in a
 * growable Float64Array whose element 0 is always the lowest non-empty index, so the state is
 * canonical: it depends only on what was recorded, never on growth history. When an index would
 * widen a range to `maxSize` buckets or more, both ranges are downscaled by the smallest step that
 * fits, exactly as the SDK's `ExponentialHistogramAccumulation` does, so both produce the same scale
 * and counts for the same values.
 */
import { mapToIndex } from "./exponential-mapping.ts";
import type { ExponentialBuckets, ExponentialHistogramState } from "./types.ts";

const EMPTY = new Float64Array(0);
const INITIAL_CAPACITY = 4;

/**
 * `index >> by` as exact floor division, for any safe-integer index: JS's `>>` works on int32 and
 * masks shift counts to 5 bits, so an index beyond +-2^31 (refused at the engine's entry,
 * merge-input.ts `exponentialIndexProblem`, but this helper does not rely on that) would wrap.
 * Indexes of the mapping (within +-2^30) take the int32 path.
 */
function shiftIndex(index: number, by: number): number {
  if (by <= 0) return index;
  if (by >= 53) return index < 0 ? -1 : 0;
  if ((index | 0) === index && by < 32) return index >> by;
  return Math.floor(index / 2 ** by);
}

/** Halvings after which any two safe integers differ by at most 1 (both are then -1 or 0). */
const MAX_SCALE_CHANGE = 54;

/**
 * How many halvings bring `high - low` below `maxSize` (the SDK's `_changeScale`). Exact for any
 * two safe integers (see `shiftIndex`), and bounded, so it ends even for indexes no check
 * admitted (Infinity). For two indexes of the mapping at one scale the result never takes the
 * scale below -10, where every index is -1 or 0 (maxSize >= 2).
 */
export function scaleChange(low: number, high: number, maxSize: number): number {
  let change = 0;
  while (high - low >= maxSize && change < MAX_SCALE_CHANGE) {
    high = shiftIndex(high, 1);
    low = shiftIndex(low, 1);
    change++;
  }
  return change;
}

/** One range of bucket counts: `counts[k]` is the count at index `start + k`, k <= end - start. */
export class ExponentialRange {
  counts: Float64Array = EMPTY;
  /** Lowest non-empty index; meaningless while `empty`. */
  start = 0;
  /** Highest non-empty index; meaningless while `empty`. */
  end = 0;
  empty = true;

  /** Adds `increment` (> 0) at `index`; the caller guarantees the widened span fits `maxSize`. */
  add(index: number, increment: number, maxSize: number): void {
    if (this.empty) {
      this.ensureCapacity(1, maxSize);
      this.start = index;
      this.end = index;
      this.empty = false;
      this.counts[0] = increment;
      return;
    }
    if (index < this.start) {
      const by = this.start - index;
      const used = this.end - this.start + 1;
      this.ensureCapacity(used + by, maxSize);
      this.counts.copyWithin(by, 0, used);
      this.counts.fill(0, 1, by);
      this.counts[0] = increment;
      this.start = index;
      return;
    }
    if (index > this.end) {
      this.ensureCapacity(index - this.start + 1, maxSize);
      this.end = index;
    }
    this.counts[index - this.start] += increment;
  }

  /** Merges 2^by adjacent buckets into one: index i becomes i >> by. */
  downscale(by: number): void {
    if (this.empty || by <= 0) return;
    const start = this.start;
    const used = this.end - start + 1;
    const newStart = shiftIndex(start, by);
    const c = this.counts;
    // Target positions never exceed source positions, so one forward pass is safe in place.
    for (let k = 0; k < used; k++) {
      const pos = shiftIndex(start + k, by) - newStart;
      if (pos !== k) {
        c[pos] += c[k];
        c[k] = 0;
      }
    }
    this.start = newStart;
    this.end = shiftIndex(this.end, by);
  }

  clear(): void {
    if (!this.empty) this.counts.fill(0, 0, this.end - this.start + 1);
    this.start = 0;
    this.end = 0;
    this.empty = true;
  }

  /** OpenTelemetry's shape; an empty range is `{ offset: 0, counts: [] }`. */
  toBuckets(): ExponentialBuckets {
    if (this.empty) return { offset: 0, counts: [] };
    return { offset: this.start, counts: Array.from(this.counts.subarray(0, this.end - this.start + 1)) };
  }

  private ensureCapacity(needed: number, maxSize: number): void {
    if (needed <= this.counts.length) return;
    let size = this.counts.length === 0 ? INITIAL_CAPACITY : this.counts.length;
    while (size < needed) size *= 2;
    if (size > maxSize) size = Math.max(maxSize, needed);
    const grown = new Float64Array(size);
    if (!this.empty) grown.set(this.counts.subarray(0, this.end - this.start + 1));
    this.counts = grown;
  }
}

/** Input ranges as they come from OTLP: counts may carry empty buckets at either end. */
function nonEmptyBounds(buckets: ExponentialBuckets, out: Float64Array): boolean {
  const counts = buckets.counts;
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  if (lo < 0) return false;
  out[0] = buckets.offset + lo;
  out[1] = buckets.offset + hi;
  return true;
}

// doubles, so that storing an index never narrows it
const posBounds = new Float64Array(2);
const negBounds = new Float64Array(2);

/** The exponential part of one histogram slot. */
export class ExponentialHistogram {
  readonly maxSize: number;
  readonly maxScale: number;
  /** Current scale; equals maxScale whenever both ranges are empty. */
  scale: number;
  zeroCount = 0;
  readonly positive = new ExponentialRange();
  readonly negative = new ExponentialRange();

  constructor(maxSize: number, maxScale: number) {
    this.maxSize = maxSize;
    this.maxScale = maxScale;
    this.scale = maxScale;
  }

  /** True when neither range holds a count (only zeros, or nothing, recorded). */
  get rangesEmpty(): boolean {
    return this.positive.empty && this.negative.empty;
  }

  /** Observes a finite `value` `increment` (> 0) times; 0 goes to zeroCount. */
  record(value: number, increment: number): void {
    if (value === 0) {
      this.zeroCount += increment;
      return;
    }
    if (value > 0) this.recordMagnitude(this.positive, value, increment);
    else this.recordMagnitude(this.negative, -value, increment);
  }

  /** Adds an OpenTelemetry-shaped histogram: both brought to the smaller scale, then fitted. */
  mergeState(input: ExponentialHistogramState): void {
    this.zeroCount += input.zeroCount;
    const hasPos = nonEmptyBounds(input.positive, posBounds);
    const hasNeg = nonEmptyBounds(input.negative, negBounds);
    if (!hasPos && !hasNeg) return;
    const target = this.commonScale(input.scale, hasPos, posBounds[0], posBounds[1], hasNeg, negBounds[0], negBounds[1]);
    this.downscale(this.scale - target);
    const shift = input.scale - target;
    if (hasPos) addShifted(this.positive, input.positive, shift, this.maxSize);
    if (hasNeg) addShifted(this.negative, input.negative, shift, this.maxSize);
  }

  /** this += other (another slot of the same layout). */
  mergeFrom(other: ExponentialHistogram): void {
    this.zeroCount += other.zeroCount;
    if (other.rangesEmpty) return;
    const p = other.positive;
    const n = other.negative;
    const target = this.commonScale(other.scale, !p.empty, p.start, p.end, !n.empty, n.start, n.end);
    this.downscale(this.scale - target);
    const shift = other.scale - target;
    if (!p.empty) addRangeShifted(this.positive, p, shift, this.maxSize);
    if (!n.empty) addRangeShifted(this.negative, n, shift, this.maxSize);
  }

  reset(): void {
    this.zeroCount = 0;
    this.positive.clear();
    this.negative.clear();
    this.scale = this.maxScale;
  }

  /**
   * OpenTelemetry's shape. With both ranges empty the scale reads 0, as the SDK reports it
   * (its `scale` getter returns 0 while count === zeroCount).
   */
  toState(): ExponentialHistogramState {
    return {
      scale: this.rangesEmpty ? 0 : this.scale,
      zeroCount: this.zeroCount,
      positive: this.positive.toBuckets(),
      negative: this.negative.toBuckets(),
    };
  }

  memoryBytes(): number {
    return this.positive.counts.byteLength + this.negative.counts.byteLength;
  }

  private recordMagnitude(range: ExponentialRange, magnitude: number, increment: number): void {
    let index = mapToIndex(magnitude, this.scale);
    // Mirrors the SDK: find the smallest downscale that fits, then map the value again at the
    // new scale. The loop only repeats if re-mapping lands one bucket off (log rounding).
    while (!range.empty) {
      let change = 0;
      if (index < range.start && range.end - index >= this.maxSize) {
        change = scaleChange(index, range.end, this.maxSize);
      } else if (index > range.end && index - range.start >= this.maxSize) {
        change = scaleChange(range.start, index, this.maxSize);
      }
      if (change === 0) break;
      this.downscale(change);
      index = mapToIndex(magnitude, this.scale);
    }
    range.add(index, increment, this.maxSize);
  }

  /**
   * The scale both this histogram and another one (at `otherScale`, with the given non-empty
   * index bounds per range) fit at: the smaller of the two scales, lowered further until each
   * combined range spans fewer than maxSize buckets (the SDK's `_minScale`).
   */
  private commonScale(
    otherScale: number,
    hasPos: boolean,
    posLo: number,
    posHi: number,
    hasNeg: boolean,
    negLo: number,
    negHi: number,
  ): number {
    const base = Math.min(this.scale, otherScale);
    const ours = this.scale - base;
    const theirs = otherScale - base;
    let change = 0;
    for (let r = 0; r < 2; r++) {
      const range = r === 0 ? this.positive : this.negative;
      const has = r === 0 ? hasPos : hasNeg;
      let low = Infinity;
      let high = -Infinity;
      if (!range.empty) {
        low = shiftIndex(range.start, ours);
        high = shiftIndex(range.end, ours);
      }
      if (has) {
        const lo = shiftIndex(r === 0 ? posLo : negLo, theirs);
        const hi = shiftIndex(r === 0 ? posHi : negHi, theirs);
        if (lo < low) low = lo;
        if (hi > high) high = hi;
      }
      if (low === Infinity) continue;
      const c = scaleChange(low, high, this.maxSize);
      if (c > change) change = c;
    }
    return base - change;
  }

  private downscale(by: number): void {
    if (by <= 0) return;
    this.positive.downscale(by);
    this.negative.downscale(by);
    this.scale -= by;
  }
}

function addShifted(dst: ExponentialRange, src: ExponentialBuckets, shift: number, maxSize: number): void {
  const counts = src.counts;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) dst.add(shiftIndex(src.offset + i, shift), c, maxSize);
  }
}

function addRangeShifted(dst: ExponentialRange, src: ExponentialRange, shift: number, maxSize: number): void {
  const used = src.end - src.start + 1;
  for (let k = 0; k < used; k++) {
    const c = src.counts[k];
    if (c > 0) dst.add(shiftIndex(src.start + k, shift), c, maxSize);
  }
}
