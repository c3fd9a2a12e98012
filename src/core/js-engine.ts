/**
 * The pure-TypeScript aggregation engine: the reference the WASM engine is tested against and the
 * fallback where WebAssembly is unavailable. Semantics: docs/aggregation-semantics.md.
 *
 * Per-slot scalars live in parallel typed arrays (grown by doubling); histogram buckets live in
 * per-slot Float64Arrays allocated with the slot. Recording allocates nothing.
 */
import { addExplicitCounts, findBucket } from "./explicit-buckets.ts";
import { ExponentialHistogram } from "./exponential-histogram.ts";
import { addExplicitToExponential, addExponentialToExplicit } from "./histogram-conversion.ts";
import { exponentialIndexProblem } from "./merge-input.ts";
import {
  EXPONENTIAL_MAX_SCALE,
  SlotKind,
  type AggregationEngine,
  type ExplicitHistogramInput,
  type ExponentialHistogramInput,
  type HistogramLayout,
  type SlotSnapshot,
  type StageBuffer,
  type StatisticSet,
} from "./types.ts";

interface StoredLayout {
  readonly boundaries: Float64Array | null;
  readonly exponentialMaxSize: number;
  readonly exponentialMaxScale: number;
}

const INITIAL_SLOTS = 64;
const NO_LAYOUT = -1;

class JsEngine implements AggregationEngine {
  readonly name = "js" as const;

  private readonly layouts: StoredLayout[] = [];
  private capacity = 0;
  private used = 0;
  private kinds = new Int8Array(0);
  private layoutOf = new Int32Array(0);
  private live = new Uint8Array(0);
  private counts = new Float64Array(0);
  private sums = new Float64Array(0);
  private mins = new Float64Array(0);
  private maxs = new Float64Array(0);
  private lasts = new Float64Array(0);
  private rejected = new Float64Array(0);
  private readonly explicit: (Float64Array | null)[] = [];
  /** The layout's boundaries per slot, so recording skips the layout lookup. */
  private readonly boundariesOf: (Float64Array | null)[] = [];
  private readonly exponential: (ExponentialHistogram | null)[] = [];
  private freeList = new Int32Array(0);
  private freeCount = 0;

  createLayout(layout: HistogramLayout): number {
    this.layouts.push({
      boundaries: layout.boundaries === null ? null : Float64Array.from(layout.boundaries),
      exponentialMaxSize: layout.exponentialMaxSize,
      exponentialMaxScale: layout.exponentialMaxScale ?? EXPONENTIAL_MAX_SCALE,
    });
    return this.layouts.length - 1;
  }

  allocSlot(kind: SlotKind, layout?: number): number {
    let layoutId = NO_LAYOUT;
    if (kind === SlotKind.Histogram) {
      if (layout === undefined || this.layouts[layout] === undefined) {
        throw new RangeError(`allocSlot: histogram slots need a registered layout, got ${String(layout)}`);
      }
      layoutId = layout;
    }
    let slot: number;
    if (this.freeCount > 0) slot = this.freeList[--this.freeCount];
    else {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.kinds[slot] = kind;
    this.layoutOf[slot] = layoutId;
    this.live[slot] = 1;
    this.zeroScalars(slot);
    if (layoutId === NO_LAYOUT) {
      this.boundariesOf[slot] = null;
      this.explicit[slot] = null;
      this.exponential[slot] = null;
    } else {
      const l = this.layouts[layoutId];
      this.boundariesOf[slot] = l.boundaries;
      this.explicit[slot] = l.boundaries === null ? null : new Float64Array(l.boundaries.length + 1);
      this.exponential[slot] =
        l.exponentialMaxSize > 0 ? new ExponentialHistogram(l.exponentialMaxSize, l.exponentialMaxScale) : null;
    }
    return slot;
  }

  freeSlot(slot: number): void {
    if (this.live[slot] !== 1) return;
    this.live[slot] = 0;
    this.boundariesOf[slot] = null;
    this.explicit[slot] = null;
    this.exponential[slot] = null;
    if (this.freeCount === this.freeList.length) {
      const grown = new Int32Array(Math.max(16, this.freeList.length * 2));
      grown.set(this.freeList);
      this.freeList = grown;
    }
    this.freeList[this.freeCount++] = slot;
  }

  record(slot: number, value: number): void {
    // v - v is NaN exactly for NaN and ±Infinity.
    if (value - value !== 0) {
      this.rejected[slot] += 1;
      return;
    }
    const v = value + 0; // -0 + 0 === +0
    this.counts[slot] += 1;
    this.sums[slot] += v;
    if (v < this.mins[slot]) this.mins[slot] = v;
    if (v > this.maxs[slot]) this.maxs[slot] = v;
    const kind = this.kinds[slot];
    if (kind === SlotKind.Gauge) {
      this.lasts[slot] = v;
    } else if (kind === SlotKind.Histogram) {
      const counts = this.explicit[slot];
      if (counts !== null) counts[findBucket(this.boundariesOf[slot] as Float64Array, v)] += 1;
      const exp = this.exponential[slot];
      if (exp !== null) exp.record(v, 1);
    }
  }

  recordBatch(slot: number, values: Float64Array, start = 0, end = values.length): void {
    for (let i = start; i < end; i++) this.record(slot, values[i]);
  }

  recordScattered(slots: Int32Array, values: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) this.record(slots[i], values[i]);
  }

  createStageBuffer(length: number): StageBuffer {
    return { values: new Float64Array(length), owner: null };
  }

  recordStaged(slot: number, buffer: StageBuffer, start: number, end: number): void {
    this.recordBatch(slot, buffer.values, start, end);
  }

  mergeExplicit(slot: number, input: ExplicitHistogramInput): void {
    this.mergeStats(slot, input.count, input.sum, input.min, input.max);
    if (this.kinds[slot] !== SlotKind.Histogram) return;
    const counts = this.explicit[slot];
    if (counts !== null) {
      const boundaries = this.boundariesOf[slot] as Float64Array;
      addExplicitCounts(boundaries, counts, input.boundaries, input.bucketCounts);
    }
    const exp = this.exponential[slot];
    if (exp !== null) addExplicitToExponential(exp, input);
  }

  mergeExponential(slot: number, input: ExponentialHistogramInput): void {
    // as the WASM engine, which must refuse these before its i32 ABI truncates them
    const problem = exponentialIndexProblem(input);
    if (problem !== null) throw new RangeError(`mergeExponential: ${problem}`);
    this.mergeStats(slot, input.count, input.sum, input.min, input.max);
    if (this.kinds[slot] !== SlotKind.Histogram) return;
    const counts = this.explicit[slot];
    if (counts !== null) {
      const boundaries = this.boundariesOf[slot] as Float64Array;
      addExponentialToExplicit(boundaries, counts, input);
    }
    const exp = this.exponential[slot];
    if (exp !== null) exp.mergeState(input);
  }

  mergeStatistics(slot: number, stats: StatisticSet): void {
    this.mergeStats(slot, stats.count, stats.sum, stats.min, stats.max);
  }

  mergeSlot(dst: number, src: number): void {
    if (this.kinds[dst] !== this.kinds[src] || this.layoutOf[dst] !== this.layoutOf[src]) {
      throw new RangeError(`mergeSlot: slots ${dst} and ${src} differ in kind or layout`);
    }
    const srcCount = this.counts[src];
    this.mergeStats(dst, srcCount, this.sums[src], this.mins[src], this.maxs[src]);
    this.rejected[dst] += this.rejected[src];
    // A source whose only data came from mergeStatistics has no last value (NaN): keep ours.
    if (this.kinds[dst] === SlotKind.Gauge && !Number.isNaN(this.lasts[src])) this.lasts[dst] = this.lasts[src];
    const dstCounts = this.explicit[dst];
    const srcCounts = this.explicit[src];
    if (dstCounts !== null && srcCounts !== null) {
      for (let i = 0; i < dstCounts.length; i++) dstCounts[i] += srcCounts[i];
    }
    const dstExp = this.exponential[dst];
    const srcExp = this.exponential[src];
    if (dstExp !== null && srcExp !== null) dstExp.mergeFrom(srcExp);
  }

  snapshot(slot: number, reset: boolean): SlotSnapshot {
    if (this.live[slot] !== 1) throw new RangeError(`snapshot: slot ${slot} is not allocated`);
    const kind = this.kinds[slot] as SlotKind;
    const counts = this.explicit[slot];
    const exp = this.exponential[slot];
    const snap: SlotSnapshot = {
      kind,
      stats: { count: this.counts[slot], sum: this.sums[slot], min: this.mins[slot], max: this.maxs[slot] },
      rejected: this.rejected[slot],
      last: kind === SlotKind.Sum ? this.sums[slot] : this.lasts[slot],
      bucketCounts: counts === null ? null : counts.slice(),
      exponential: exp === null ? null : exp.toState(),
    };
    if (reset) this.reset(slot);
    return snap;
  }

  reset(slot: number): void {
    this.zeroScalars(slot);
    const counts = this.explicit[slot];
    if (counts !== null) counts.fill(0);
    const exp = this.exponential[slot];
    if (exp !== null) exp.reset();
  }

  memoryBytes(): number {
    let bytes =
      this.kinds.byteLength +
      this.layoutOf.byteLength +
      this.live.byteLength +
      this.counts.byteLength * 6 +
      this.freeList.byteLength;
    for (let s = 0; s < this.used; s++) {
      const counts = this.explicit[s];
      if (counts !== null) bytes += counts.byteLength;
      const exp = this.exponential[s];
      if (exp !== null) bytes += exp.memoryBytes();
    }
    for (const l of this.layouts) if (l.boundaries !== null) bytes += l.boundaries.byteLength;
    return bytes;
  }

  /** Statistic-set merge: count and sum add; min/max widen only when the input has values. */
  private mergeStats(slot: number, count: number, sum: number, min: number, max: number): void {
    this.counts[slot] += count;
    this.sums[slot] += sum;
    if (count > 0) {
      const lo = min + 0;
      const hi = max + 0;
      if (lo < this.mins[slot]) this.mins[slot] = lo;
      if (hi > this.maxs[slot]) this.maxs[slot] = hi;
    }
  }

  private zeroScalars(slot: number): void {
    this.counts[slot] = 0;
    this.sums[slot] = 0;
    this.mins[slot] = Infinity;
    this.maxs[slot] = -Infinity;
    this.lasts[slot] = NaN;
    this.rejected[slot] = 0;
  }

  private grow(): void {
    const next = this.capacity === 0 ? INITIAL_SLOTS : this.capacity * 2;
    this.kinds = growTo(this.kinds, new Int8Array(next));
    this.layoutOf = growTo(this.layoutOf, new Int32Array(next));
    this.live = growTo(this.live, new Uint8Array(next));
    this.counts = growTo(this.counts, new Float64Array(next));
    this.sums = growTo(this.sums, new Float64Array(next));
    this.mins = growTo(this.mins, new Float64Array(next));
    this.maxs = growTo(this.maxs, new Float64Array(next));
    this.lasts = growTo(this.lasts, new Float64Array(next));
    this.rejected = growTo(this.rejected, new Float64Array(next));
    this.capacity = next;
  }
}

function growTo<T extends Int8Array | Uint8Array | Int32Array | Float64Array>(old: T, grown: T): T {
  grown.set(old);
  return grown;
}

/** Creates a pure-TypeScript engine. */
export function createJsEngine(): AggregationEngine {
  return new JsEngine();
}
