/**
 * The WebAssembly aggregation engine: slots live in the AssemblyScript core's linear memory
 * (assembly/), and every call across the boundary carries a whole column.
 *
 * - `recordBatch` / `recordScattered` copy the caller's typed arrays into fixed transfer areas in
 *   linear memory (in chunks) and make one call per chunk.
 * - `record(slot, v)` writes into a staging area (an i32 slot column and an f64 value column
 *   viewed from here) and flushes it with one call every `stageCapacity` entries, and before any
 *   other operation, so the order of values per slot is kept.
 * - `mergeExplicit` likewise queues its input in a merge stage (boundaries written once per run of
 *   merges that share them) applied by one call when the stage fills or before any other
 *   operation, so ingesting pre-aggregated histograms costs no boundary crossing per point. A slot
 *   liveness bitmap on this side keeps its "not allocated" error synchronous.
 * - Stage buffers (`createStageBuffer`) are blocks of linear memory that series write single
 *   records into through views; `recordStaged` runs the batch kernel on them in place.
 * - Linear memory grows inside calls; views, stage buffers' included, are re-created after every
 *   call that may allocate.
 */
import { exponentialIndexProblem } from "./merge-input.ts";
import { loadStatsetWasm, type LoadOptions, type StatsetExports, type WasmMemory } from "./wasm-loader.ts";
import {
  EXPONENTIAL_MAX_SCALE,
  SlotKind,
  type AggregationEngine,
  type ExplicitHistogramInput,
  type ExponentialBuckets,
  type ExponentialHistogramInput,
  type HistogramLayout,
  type SlotSnapshot,
  type StageBuffer,
  type StageOwner,
  type StatisticSet,
} from "./types.ts";

/** `mergeExponential`'s status when scale or a bucket range is outside the mapping's indexes (assembly/merge.ts). */
const CORE_BAD_INDEXES = 3;

/** Below this many values a plain loop beats creating a subarray for `TypedArray.set`. */
const SMALL_COPY = 16;

/** Word offsets of the snapshot record written by assembly/snapshot.ts. */
const SNAP = {
  count: 0, sum: 1, min: 2, max: 3, rejected: 4, last: 5, kind: 6, bucketWords: 7, expSize: 8,
  scale: 9, zeroCount: 10, posOffset: 11, posLen: 12, negOffset: 13, negLen: 14, data: 16,
} as const;

/** A stage buffer with the address of its block. */
class WasmStageBuffer implements StageBuffer {
  values: Float64Array;
  owner: StageOwner | null = null;
  readonly ptr: number;
  readonly length: number;

  constructor(values: Float64Array, ptr: number) {
    this.values = values;
    this.ptr = ptr;
    this.length = values.length;
  }
}

class WasmEngine implements AggregationEngine {
  readonly name = "wasm" as const;
  private readonly core: StatsetExports;
  private readonly memory: WasmMemory;
  private buffer: ArrayBuffer;
  private f64: Float64Array;
  private i32: Int32Array;
  private stageSlots: Int32Array;
  private stageValues: Float64Array;
  private stageCount = 0;
  private readonly stageCapacity: number;
  private readonly stageSlotsPtr: number;
  private readonly stageValuesPtr: number;
  private readonly transferCapacity: number;
  private readonly transferSlotsPtr: number;
  private readonly transferValuesPtr: number;
  /** Merge stage: f64 words at `mergeStagePtr`, `mergeWords` of them in use. */
  private mergeStage: Float64Array;
  private mergeWords = 0;
  private readonly mergeStagePtr: number;
  private readonly mergeStageCapacity: number;
  /** Word offset (in the merge stage) of the boundaries the next staged merge refers to; -1 for none. */
  private stagedBoundsAt = -1;
  /** The staged boundaries' array when it is frozen (then identity means equal values), else null. */
  private stagedFrozenBounds: ArrayLike<number> | null = null;
  /** 1 per allocated slot id, mirroring the core's slot table. */
  private live = new Uint8Array(1024);
  /** Stage buffers handed out, whose views follow the memory. */
  private readonly stageBuffers: WasmStageBuffer[] = [];

  constructor(core: StatsetExports, memory: WasmMemory) {
    this.core = core;
    this.memory = memory;
    this.stageCapacity = core.stageCapacity();
    this.stageSlotsPtr = core.stageSlotsPtr() >>> 0;
    this.stageValuesPtr = core.stageValuesPtr() >>> 0;
    this.transferCapacity = core.transferCapacity();
    this.transferSlotsPtr = core.transferSlotsPtr() >>> 0;
    this.transferValuesPtr = core.transferValuesPtr() >>> 0;
    this.mergeStagePtr = core.mergeStagePtr() >>> 0;
    this.mergeStageCapacity = core.mergeStageWords();
    this.buffer = memory.buffer;
    this.f64 = new Float64Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.stageSlots = new Int32Array(this.buffer, this.stageSlotsPtr, this.stageCapacity);
    this.stageValues = new Float64Array(this.buffer, this.stageValuesPtr, this.stageCapacity);
    this.mergeStage = new Float64Array(this.buffer, this.mergeStagePtr, this.mergeStageCapacity);
  }

  /** Re-creates the views when a call grew linear memory (which detaches the old buffer). */
  private sync(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.stageSlots = new Int32Array(buffer, this.stageSlotsPtr, this.stageCapacity);
    this.stageValues = new Float64Array(buffer, this.stageValuesPtr, this.stageCapacity);
    this.mergeStage = new Float64Array(buffer, this.mergeStagePtr, this.mergeStageCapacity);
    for (const b of this.stageBuffers) {
      b.values = new Float64Array(buffer, b.ptr, b.length);
      b.owner?.restage(b.values);
    }
  }

  /** Applies staged `record` and `mergeExplicit` calls; every other operation calls this first. */
  private flush(): void {
    // At most one stage is non-empty: staging into one flushes the other first.
    if (this.stageCount !== 0) this.flushRecords();
    if (this.mergeWords !== 0) this.flushMerges();
  }

  private flushRecords(): void {
    const n = this.stageCount;
    this.stageCount = 0;
    this.core.recordScattered(this.stageSlotsPtr, this.stageValuesPtr, n);
    this.sync();
  }

  private flushMerges(): void {
    const words = this.mergeWords;
    this.mergeWords = 0;
    this.stagedBoundsAt = -1;
    this.stagedFrozenBounds = null;
    this.core.mergeExplicitStaged(words);
    this.sync();
  }

  private isLive(slot: number): boolean {
    return slot >= 0 && slot < this.live.length && this.live[slot] === 1;
  }

  /** A scratch block of `bytes` in linear memory; returns its offset in f64 words. */
  private scratchWords(bytes: number): number {
    const ptr = this.core.scratch(Math.max(bytes, 8)) >>> 0;
    this.sync();
    return ptr >>> 3;
  }

  createLayout(layout: HistogramLayout): number {
    this.flush();
    const bounds = layout.boundaries;
    const nb = bounds === null ? -1 : bounds.length;
    const word = this.scratchWords(Math.max(nb, 0) * 8);
    if (bounds !== null) this.f64.set(bounds, word);
    const id = this.core.createLayout(word * 8, nb, layout.exponentialMaxSize, layout.exponentialMaxScale ?? EXPONENTIAL_MAX_SCALE);
    this.sync();
    return id;
  }

  allocSlot(kind: SlotKind, layout?: number): number {
    const id = this.core.allocSlot(kind, kind === SlotKind.Histogram ? (layout ?? 0) : 0);
    this.sync();
    if (id >= this.live.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.live.length * 2));
      grown.set(this.live);
      this.live = grown;
    }
    this.live[id] = 1;
    return id;
  }

  freeSlot(slot: number): void {
    this.flush();
    this.core.freeSlot(slot);
    if (this.isLive(slot)) this.live[slot] = 0;
  }

  record(slot: number, value: number): void {
    if (this.mergeWords !== 0) this.flushMerges();
    const n = this.stageCount;
    this.stageSlots[n] = slot;
    this.stageValues[n] = value;
    this.stageCount = n + 1;
    if (n + 1 === this.stageCapacity) this.flush();
  }

  recordBatch(slot: number, values: Float64Array, start = 0, end = values.length): void {
    this.flush();
    // the copy must not read past the array: clamp as subarray would
    start = Math.max(0, start);
    end = Math.min(end, values.length);
    const cap = this.transferCapacity;
    const ptr = this.transferValuesPtr;
    const word = ptr >>> 3;
    for (let from = start; from < end; from += cap) {
      const to = Math.min(end, from + cap);
      const f64 = this.f64;
      if (to - from <= SMALL_COPY) {
        for (let i = from; i < to; i++) f64[word + i - from] = values[i];
      } else if (from === 0 && to === values.length) {
        f64.set(values, word);
      } else {
        f64.set(values.subarray(from, to), word);
      }
      const status = this.core.recordBatch(slot, ptr, to - from);
      this.sync();
      if (status !== 0) throw notLive("recordBatch", slot);
    }
  }

  createStageBuffer(length: number): StageBuffer {
    const ptr = this.core.allocStageBlock(length * 8) >>> 0;
    this.sync();
    const buffer = new WasmStageBuffer(new Float64Array(this.buffer, ptr, length), ptr);
    this.stageBuffers.push(buffer);
    return buffer;
  }

  recordStaged(slot: number, buffer: StageBuffer, start: number, end: number): void {
    this.flush();
    const b = buffer as WasmStageBuffer;
    start = Math.max(0, start);
    const n = Math.min(end, b.length) - start;
    if (n <= 0) return;
    const status = this.core.recordBatch(slot, b.ptr + start * 8, n);
    this.sync();
    if (status !== 0) throw notLive("recordStaged", slot);
  }

  recordScattered(slots: Int32Array, values: Float64Array, n: number): void {
    this.flush();
    n = Math.min(n, slots.length, values.length);
    const cap = this.transferCapacity;
    const slotsPtr = this.transferSlotsPtr;
    const valuesPtr = this.transferValuesPtr;
    for (let from = 0; from < n; from += cap) {
      const to = Math.min(n, from + cap);
      if (to - from <= SMALL_COPY) {
        const i32 = this.i32;
        const f64 = this.f64;
        const sw = slotsPtr >>> 2;
        const vw = valuesPtr >>> 3;
        for (let i = from; i < to; i++) {
          i32[sw + i - from] = slots[i];
          f64[vw + i - from] = values[i];
        }
      } else {
        this.i32.set(slots.subarray(from, to), slotsPtr >>> 2);
        this.f64.set(values.subarray(from, to), valuesPtr >>> 3);
      }
      this.core.recordScattered(slotsPtr, valuesPtr, to - from);
      this.sync();
    }
  }

  mergeExplicit(slot: number, input: ExplicitHistogramInput): void {
    if (this.stageCount !== 0) this.flushRecords();
    if (!this.isLive(slot)) throw notLive("mergeExplicit", slot);
    const bounds = input.boundaries;
    const nb = bounds.length;
    const entryWords = 7 + nb;
    if (entryWords + 2 + nb > this.mergeStageCapacity) {
      this.mergeExplicitNow(slot, input);
      return;
    }
    let stage = this.mergeStage;
    let at = this.mergeWords;
    let boundsAt = this.stagedBoundsAt;
    // Reuse the staged boundaries when the values are equal (-0 and 0 place values alike); the same
    // frozen array (decoders intern them) cannot have changed, so it needs no comparison.
    let same = boundsAt >= 0 && stage[boundsAt - 1] === nb;
    if (same && !(bounds === this.stagedFrozenBounds)) {
      for (let i = 0; same && i < nb; i++) same = stage[boundsAt + i] === bounds[i];
    }
    if (at + entryWords + (same ? 0 : 2 + nb) > this.mergeStageCapacity) {
      this.flushMerges();
      stage = this.mergeStage;
      at = 0;
      same = false;
    }
    if (!same) {
      stage[at] = -1;
      stage[at + 1] = nb;
      boundsAt = at + 2;
      for (let i = 0; i < nb; i++) stage[boundsAt + i] = bounds[i];
      at = boundsAt + nb;
      this.stagedBoundsAt = boundsAt;
      this.stagedFrozenBounds = Array.isArray(bounds) && Object.isFrozen(bounds) ? bounds : null;
    }
    stage[at] = slot;
    stage[at + 1] = nb;
    stage[at + 2] = input.count;
    stage[at + 3] = input.sum;
    stage[at + 4] = input.min;
    stage[at + 5] = input.max;
    const counts = input.bucketCounts;
    const c = at + 6;
    for (let i = 0; i <= nb; i++) stage[c + i] = counts[i];
    this.mergeWords = at + entryWords;
  }

  /** One explicit merge straight through the scratch block (inputs too large for the stage). */
  private mergeExplicitNow(slot: number, input: ExplicitHistogramInput): void {
    this.flush();
    const nb = input.boundaries.length;
    const word = this.scratchWords((2 * nb + 1) * 8);
    const f64 = this.f64;
    for (let i = 0; i < nb; i++) f64[word + i] = input.boundaries[i];
    for (let i = 0; i <= nb; i++) f64[word + nb + i] = input.bucketCounts[i];
    const status = this.core.mergeExplicit(slot, word * 8, (word + nb) * 8, nb, input.count, input.sum, input.min, input.max);
    this.sync();
    if (status !== 0) throw notLive("mergeExplicit", slot);
  }

  mergeExponential(slot: number, input: ExponentialHistogramInput): void {
    // Scale and offsets cross as i32, which would silently truncate a larger number: refuse first.
    const problem = exponentialIndexProblem(input);
    if (problem !== null) throw new RangeError(`mergeExponential: ${problem}`);
    this.flush();
    const pos = input.positive.counts;
    const neg = input.negative.counts;
    const word = this.scratchWords((pos.length + neg.length) * 8);
    const f64 = this.f64;
    for (let i = 0; i < pos.length; i++) f64[word + i] = pos[i];
    for (let i = 0; i < neg.length; i++) f64[word + pos.length + i] = neg[i];
    // an empty range's offset is unused and unchecked: it crosses as 0
    const status = this.core.mergeExponential(
      slot, input.scale, input.zeroCount,
      pos.length === 0 ? 0 : input.positive.offset, word * 8, pos.length,
      neg.length === 0 ? 0 : input.negative.offset, (word + pos.length) * 8, neg.length,
      input.count, input.sum, input.min, input.max,
    );
    this.sync();
    if (status === CORE_BAD_INDEXES) throw new RangeError(`mergeExponential: the core refused scale ${input.scale} or its bucket ranges`);
    if (status !== 0) throw notLive("mergeExponential", slot);
  }

  mergeStatistics(slot: number, stats: StatisticSet): void {
    this.flush();
    if (this.core.mergeStatistics(slot, stats.count, stats.sum, stats.min, stats.max) !== 0) {
      throw notLive("mergeStatistics", slot);
    }
  }

  mergeSlot(dst: number, src: number): void {
    this.flush();
    const status = this.core.mergeSlot(dst, src);
    this.sync();
    if (status === 1) throw new RangeError(`mergeSlot: slot ${dst} or ${src} is not allocated`);
    if (status !== 0) throw new RangeError(`mergeSlot: slots ${dst} and ${src} differ in kind or layout`);
  }

  snapshot(slot: number, reset: boolean): SlotSnapshot {
    this.flush();
    const bytes = this.core.snapshotBytes(slot);
    if (bytes === 0) throw notLive("snapshot", slot);
    const w = this.scratchWords(bytes);
    this.core.snapshot(slot, w * 8, reset ? 1 : 0);
    this.sync();
    const f = this.f64;
    const bucketWords = f[w + SNAP.bucketWords];
    const expSize = f[w + SNAP.expSize];
    let data = w + SNAP.data;
    let bucketCounts: Float64Array | null = null;
    if (bucketWords > 0) {
      bucketCounts = f.slice(data, data + bucketWords);
      data += bucketWords;
    }
    let exponential: SlotSnapshot["exponential"] = null;
    if (expSize > 0) {
      const positive = readBuckets(f, f[w + SNAP.posOffset], data, f[w + SNAP.posLen]);
      data += positive.counts.length;
      const negative = readBuckets(f, f[w + SNAP.negOffset], data, f[w + SNAP.negLen]);
      exponential = { scale: f[w + SNAP.scale], zeroCount: f[w + SNAP.zeroCount], positive, negative };
    }
    return {
      kind: f[w + SNAP.kind] as SlotKind,
      stats: { count: f[w + SNAP.count], sum: f[w + SNAP.sum], min: f[w + SNAP.min], max: f[w + SNAP.max] },
      rejected: f[w + SNAP.rejected],
      last: f[w + SNAP.last],
      bucketCounts,
      exponential,
    };
  }

  reset(slot: number): void {
    this.flush();
    if (this.core.resetSlot(slot) !== 0) throw notLive("reset", slot);
  }

  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }
}

function notLive(operation: string, slot: number): RangeError {
  return new RangeError(`${operation}: slot ${slot} is not allocated`);
}

function readBuckets(f: Float64Array, offset: number, word: number, length: number): ExponentialBuckets {
  const counts = new Array<number>(length);
  for (let i = 0; i < length; i++) counts[i] = f[word + i];
  return { offset: length === 0 ? 0 : offset, counts };
}

/** A WASM engine on a fresh instance of the core (its own linear memory). */
export async function createWasmEngine(options: LoadOptions = {}): Promise<AggregationEngine> {
  const { exports, memory } = await loadStatsetWasm(options);
  return new WasmEngine(exports, memory);
}
