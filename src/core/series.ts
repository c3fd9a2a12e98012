/**
 * One series of one instrument: its live accumulator slot and, per reader, the slot that reader
 * drains into. Recording touches only the live slot and a dirty flag.
 */
import type { Attributes } from "@opentelemetry/api";
import type { BoundSeries } from "./api.ts";
import { NOT_STAGED, STAGE_ON_RECORD, type RecordStage, type StagingSeries } from "./record-stage.ts";
import type {
  AggregationEngine,
  ExplicitHistogramInput,
  ExponentialHistogramInput,
  SlotKind,
  StageBuffer,
  StatisticSet,
} from "./types.ts";

/**
 * The instrument side of a series: facade-level refusals (negative increments on monotonic
 * counters), overflow accounting, and the checks a pre-aggregated input passes before the engine.
 */
export interface SeriesOwner {
  /**
   * A record arrived through a handle to an expired series: re-register it with a fresh live slot
   * and return that slot, or, over the budget, return the overflow series' slot.
   */
  revive(series: Series): number;
  rejectValues(count: number): void;
  countOverflow(points: number): void;
  explicit(series: Series, input: ExplicitHistogramInput): ExplicitHistogramInput | null;
  exponential(series: Series, input: ExponentialHistogramInput): ExponentialHistogramInput | null;
  statistics(series: Series, stats: StatisticSet): StatisticSet | null;
}

/**
 * The store's event-time state, shared by all its series: the start of the closed window the
 * current records belong to (set by `Aggregator.setEventTime`), or 0 for the open window.
 */
export interface EventClock {
  lateWindow: number;
}

/** Late data of one closed window waiting for one delta reader. */
export interface LateEntry {
  readonly reader: number;
  readonly windowStartMs: number;
  readonly slot: number;
}

/**
 * What every series of one instrument shares, held once per instrument so a series costs only its
 * own state (the store keeps 100k+ of them).
 */
export interface SeriesShape {
  readonly engine: AggregationEngine;
  readonly owner: SeriesOwner;
  readonly clock: EventClock;
  /** Slot kind and engine layout, for allocating reader and late slots of the same shape. */
  readonly kind: SlotKind;
  readonly layout: number;
  /** Monotonic counters refuse negative increments. */
  readonly refuseNegative: boolean;
  /** The store's staging of single records on bound series. */
  readonly stage: RecordStage;
}

export class Series implements BoundSeries, StagingSeries {
  readonly attributes: Attributes;
  readonly key: string;
  /**
   * Live accumulator: everything recorded since the last drain. -1 once the series expired; a
   * record through a handle kept past expiry revives it with a fresh slot (see SeriesOwner.revive).
   */
  slot: number;
  /**
   * Per reader id: `slot * 2 + pending` (pending: the reader's slot holds data it has not read),
   * or -1 / absent when the reader has no slot yet. Allocated at the first drain.
   */
  private readers: number[] | null = null;
  /** Something was recorded since the last drain. */
  touched = false;
  readonly createdMs: number;
  lastActiveMs: number;
  readonly isOverflow: boolean;
  readonly shape: SeriesShape;
  /** Records for closed windows (event time), by window start: kept apart from the live slot. */
  late: Map<number, number> | null = null;
  /** Drained late data per delta reader and window, until that reader reads it. */
  lateForReaders: LateEntry[] | null = null;
  /** The store's staging buffer this series holds (see record-stage.ts), if any. */
  private stageBuffer: StageBuffer | null = null;
  /** `stageBuffer.values` (the engine re-points it), or one of the shared empty states. */
  private staged: Float64Array = NOT_STAGED;
  /** Values in `staged`. */
  private stagedCount = 0;
  /**
   * `staged.length` while the series may stage without telling the store, else 0 (no buffer, or
   * parked by the store's last flush). A plain field: reading the typed array's length on the fast
   * path cost ~1.5 ns.
   */
  private stagedCapacity = 0;

  constructor(shape: SeriesShape, slot: number, attributes: Attributes, key: string, nowMs: number, isOverflow: boolean) {
    this.shape = shape;
    this.slot = slot;
    this.attributes = attributes;
    this.key = key;
    this.createdMs = nowMs;
    this.lastActiveMs = nowMs;
    this.isOverflow = isOverflow;
  }

  get kind(): SlotKind {
    return this.shape.kind;
  }

  get layout(): number {
    return this.shape.layout;
  }

  /** The slot records go to now: the live one, or the late slot of the window set by setEventTime. */
  private target(): number {
    if (this.slot < 0) {
      const live = this.shape.owner.revive(this);
      if (live !== this.slot) return live;
    }
    const w = this.shape.clock.lateWindow;
    if (w === 0) return this.slot;
    if (this.late === null) this.late = new Map();
    let slot = this.late.get(w);
    if (slot === undefined) {
      slot = this.shape.engine.allocSlot(this.shape.kind, this.shape.layout);
      this.late.set(w, slot);
    }
    return slot;
  }

  /** The reader's slot, or -1. */
  readerSlot(reader: number): number {
    const r = this.readers?.[reader];
    return r === undefined || r < 0 ? -1 : r >> 1;
  }

  /** Whether the reader's slot holds data the reader has not read. */
  isPending(reader: number): boolean {
    const r = this.readers?.[reader];
    return r !== undefined && r >= 0 && (r & 1) === 1;
  }

  setReaderSlot(reader: number, slot: number, pending: boolean): void {
    if (this.readers === null) this.readers = [];
    while (this.readers.length < reader) this.readers.push(-1);
    this.readers[reader] = slot < 0 ? -1 : slot * 2 + (pending ? 1 : 0);
  }

  /** Forgets every reader slot (after they were freed). */
  clearReaderSlots(): void {
    this.readers = null;
  }

  /** Every allocated reader slot. */
  readerSlots(): number[] {
    return this.readers === null ? [] : this.readers.filter((r) => r >= 0).map((r) => r >> 1);
  }

  /** Reader ids whose slot holds unread data. */
  pendingReaders(): number[] {
    const out: number[] = [];
    if (this.readers !== null) this.readers.forEach((r, id) => r >= 0 && (r & 1) === 1 && out.push(id));
    return out;
  }

  record(value: number): void {
    const n = this.stagedCount;
    if (n < this.stagedCapacity) {
      this.staged[n] = value;
      this.stagedCount = n + 1;
      return;
    }
    this.recordUnstaged(value);
  }

  /** Lets `record(v)` stage (bound series, not gauges); idempotent. */
  allowStaging(): void {
    if (this.staged === NOT_STAGED) this.staged = STAGE_ON_RECORD;
  }

  /**
   * `record` when the fast path is closed: the buffer is full (apply it), parked by the store's
   * last flush (reopen it and tell the store), not claimed yet (claim one), or there is none
   * (record directly).
   */
  private recordUnstaged(value: number): void {
    if (this.staged === STAGE_ON_RECORD) {
      this.stageBuffer = this.shape.stage.claim(this);
      this.staged = this.stageBuffer?.values ?? NOT_STAGED;
    }
    if (this.stageBuffer !== null) {
      if (this.stagedCapacity === 0) {
        this.stagedCapacity = this.staged.length;
        this.shape.stage.enlist(this);
      } else {
        this.applyStaged();
      }
      // read `staged` after applying: an allocation in there may have re-pointed it (restage)
      this.staged[this.stagedCount] = value;
      this.stagedCount++;
      return;
    }
    const shape = this.shape;
    if (shape.refuseNegative && value < 0) {
      shape.owner.rejectValues(1);
      return;
    }
    if (this.isOverflow) shape.owner.countOverflow(1);
    this.touched = true;
    shape.engine.record(shape.clock.lateWindow === 0 && this.slot >= 0 ? this.slot : this.target(), value);
  }

  restage(values: Float64Array): void {
    this.staged = values;
  }

  /**
   * Applies the staged values and parks the buffer (the store calls this before it reads or
   * changes the window): the next `record` takes the slow path once and enlists the series again,
   * so the store only ever visits series that staged something since its last flush.
   */
  flushStaged(): void {
    this.applyStaged();
    this.stagedCapacity = 0;
  }

  private applyStaged(): void {
    let n = this.stagedCount;
    if (n === 0) return;
    this.stagedCount = 0;
    if (this.shape.refuseNegative) n = this.dropNegativeStaged(n);
    // the slot first: allocating it may move the buffer, which the engine then reads where it is
    if (n !== 0) this.shape.engine.recordStaged(this.batchTarget(n), this.stageBuffer as StageBuffer, 0, n);
  }

  /** Refuses the negative increments among the first `n` staged values, keeping the others in order; returns how many are kept. */
  private dropNegativeStaged(n: number): number {
    const values = this.staged;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v < 0) continue;
      values[kept++] = v;
    }
    if (kept < n) this.shape.owner.rejectValues(n - kept);
    return kept;
  }

  /** Gives the staging buffer back to the store (the series expired); a later record claims again. */
  releaseStage(): void {
    const buffer = this.stageBuffer;
    if (buffer === null) return;
    this.applyStaged();
    this.shape.stage.release(buffer);
    this.stageBuffer = null;
    this.staged = STAGE_ON_RECORD;
    this.stagedCapacity = 0;
  }

  recordBatch(values: Float64Array, start = 0, end = values.length): void {
    this.applyStaged();
    this.applyBatch(values, start, end);
  }

  private applyBatch(values: Float64Array, start: number, end: number): void {
    if (end <= start) return;
    if (this.shape.refuseNegative) {
      for (let i = start; i < end; i++) {
        if (values[i] < 0) {
          this.recordMonotonicSlow(values, start, end);
          return;
        }
      }
    }
    this.sendBatch(values, start, end);
  }

  /** A batch with negative increments: record the valid runs, refuse the rest. */
  private recordMonotonicSlow(values: Float64Array, start: number, end: number): void {
    let runStart = start;
    for (let i = start; i <= end; i++) {
      if (i === end || values[i] < 0) {
        if (i > runStart) this.sendBatch(values, runStart, i);
        if (i < end) this.shape.owner.rejectValues(1);
        runStart = i + 1;
      }
    }
  }

  /** `values[start..end)` (accepted as they are) into the engine. */
  private sendBatch(values: Float64Array, start: number, end: number): void {
    this.shape.engine.recordBatch(this.batchTarget(end - start), values, start, end);
  }

  /** The slot a batch of `n` accepted values goes to; counts them if this is the overflow series. */
  private batchTarget(n: number): number {
    if (this.isOverflow) this.shape.owner.countOverflow(n);
    this.touched = true;
    return this.target();
  }

  mergeExplicit(input: ExplicitHistogramInput): void {
    this.applyStaged();
    const checked = this.shape.owner.explicit(this, input);
    if (checked === null) return;
    this.touched = true;
    this.shape.engine.mergeExplicit(this.target(), checked);
  }

  mergeExponential(input: ExponentialHistogramInput): void {
    this.applyStaged();
    const checked = this.shape.owner.exponential(this, input);
    if (checked === null) return;
    this.touched = true;
    this.shape.engine.mergeExponential(this.target(), checked);
  }

  mergeStatistics(stats: StatisticSet): void {
    this.applyStaged();
    const checked = this.shape.owner.statistics(this, stats);
    if (checked === null) return;
    this.touched = true;
    this.shape.engine.mergeStatistics(this.target(), checked);
  }
}
