/**
 * Per-series staging of single `record(v)` calls on bound series: values wait in a small buffer
 * held by the series and reach the engine as one batch when the buffer fills or when the store
 * next needs its state (reads, expiry, an event-time window change, statistics). A staged record
 * is then a store into a typed array, and the engine's batch kernel does the bucketing, which is
 * several times cheaper than one boundary crossing per value. The engine places the buffers
 * (`createStageBuffer`): the WASM engine's are blocks of its linear memory, recorded in place.
 *
 * Buffers are handed out lazily (on the first `record` of a bound series) from a store-wide
 * budget, so memory stays bounded however many series are bound; series beyond the budget record
 * through the engine directly, as unbound records do. A series keeps its buffer until it expires.
 * A flush parks every buffer it applied; the first `record` into a parked buffer takes the slow
 * path once and enlists the series, so flushes (one per event-time window change, for instance)
 * visit only the series that staged something since the last one.
 */

import type { AggregationEngine, StageBuffer, StageOwner } from "./types.ts";

/** A series that can hold staged values. */
export interface StagingSeries extends StageOwner {
  /** Applies the staged values (in order) and empties the buffer. */
  flushStaged(): void;
}

/** Values per staging buffer: 4 KiB per buffer; the per-batch cost is spread over this many. */
export const STAGE_VALUES = 512;
/** Buffers per store: 4 MiB at most. */
export const STAGE_BUFFERS = 1024;

/** A series that records directly (unbound, a gauge, or bound after the budget ran out). */
export const NOT_STAGED = new Float64Array(0);
/** A bound series that has not staged yet: its first `record` claims a buffer. */
export const STAGE_ON_RECORD = new Float64Array(0);

export class RecordStage {
  private readonly engine: AggregationEngine;
  /** Series that staged values since the last `flushAll` (each once). */
  private pending: StagingSeries[] = [];
  private readonly free: StageBuffer[] = [];
  private held = 0;

  constructor(engine: AggregationEngine) {
    this.engine = engine;
  }

  /**
   * A buffer of STAGE_VALUES values owned by `series`, or null when the budget is spent. The
   * claiming series starts parked: its first `record` enlists it.
   */
  claim(series: StagingSeries): StageBuffer | null {
    if (this.held >= STAGE_BUFFERS) return null;
    this.held++;
    const buffer = this.free.pop() ?? this.engine.createStageBuffer(STAGE_VALUES);
    buffer.owner = series;
    return buffer;
  }

  /** Takes back a buffer whose values were applied (its series expired after a `flushAll`). */
  release(buffer: StageBuffer): void {
    this.held--;
    buffer.owner = null;
    this.free.push(buffer);
  }

  /** Remembers a series whose parked buffer received a value. */
  enlist(series: StagingSeries): void {
    this.pending.push(series);
  }

  /** Applies the staged values of every series that staged any since the last call, and parks them. */
  flushAll(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const s of pending) s.flushStaged();
  }
}
