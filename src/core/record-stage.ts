/**
 * Per-series staging of single `record(v)` calls on bound series: values wait in a small
 * JavaScript buffer owned by the series and reach the engine as one `recordBatch` when the buffer
 * fills or when the store next needs its state (reads, expiry, an event-time window change,
 * statistics). A staged record is then a store into a typed array, and the engine's batch kernel
 * does the bucketing, which is several times cheaper than one boundary crossing per value.
 *
 * Buffers are handed out lazily (on the first `record` of a bound series) from a store-wide
 * budget, so memory stays bounded however many series are bound; series beyond the budget record
 * through the engine directly, as unbound records do. A series keeps its buffer until it expires,
 * so `record` needs no bookkeeping beyond the count.
 */

/** A series that can hold staged values. */
export interface StagingSeries {
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
  /** Series holding a buffer: `flushAll` visits each (a few hundred cheap calls at most). */
  private readonly holders = new Set<StagingSeries>();
  private readonly free: Float64Array[] = [];
  private readonly maxBuffers: number;

  constructor(maxBuffers = STAGE_BUFFERS) {
    this.maxBuffers = maxBuffers;
  }

  /** A buffer of STAGE_VALUES values for `series`, or null when the budget is spent. */
  claim(series: StagingSeries): Float64Array | null {
    if (this.holders.size >= this.maxBuffers) return null;
    this.holders.add(series);
    return this.free.pop() ?? new Float64Array(STAGE_VALUES);
  }

  /** Takes back the buffer of `series`, whose values were applied (the series expired). */
  release(series: StagingSeries, buffer: Float64Array): void {
    if (this.holders.delete(series)) this.free.push(buffer);
  }

  /** Applies every series' staged values. */
  flushAll(): void {
    for (const s of this.holders) s.flushStaged();
  }

  /** Buffers currently held by series. */
  get buffersInUse(): number {
    return this.holders.size;
  }
}
