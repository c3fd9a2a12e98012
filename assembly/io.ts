// Fixed areas the JavaScript side writes columns into, and a growable scratch block for merge
// inputs and snapshots. Their addresses never change, so views over them only need re-creating
// when linear memory grows.

import { alloc, release } from "./heap";

const STAGE_CAPACITY: i32 = 1024;
const TRANSFER_CAPACITY: i32 = 4096;
/** f64 words of the merge stage (explicit histogram merges queued by the engine facade). */
const MERGE_STAGE_WORDS: i32 = 8192;

const stageSlots: usize = memory.data(STAGE_CAPACITY * 4, 16);
const stageValues: usize = memory.data(STAGE_CAPACITY * 8, 16);
const transferSlots: usize = memory.data(TRANSFER_CAPACITY * 4, 16);
const transferValues: usize = memory.data(TRANSFER_CAPACITY * 8, 16);
export const mergeStage: usize = memory.data(MERGE_STAGE_WORDS * 8, 16);

let scratchPtr: usize = 0;
let scratchSize: usize = 0;

export function stageCapacity(): i32 { return STAGE_CAPACITY; }
export function stageSlotsPtr(): usize { return stageSlots; }
export function stageValuesPtr(): usize { return stageValues; }
export function transferCapacity(): i32 { return TRANSFER_CAPACITY; }
export function transferSlotsPtr(): usize { return transferSlots; }
export function transferValuesPtr(): usize { return transferValues; }
export function mergeStageWords(): i32 { return MERGE_STAGE_WORDS; }
export function mergeStagePtr(): usize { return mergeStage; }

/**
 * A block of `bytes` bytes the JavaScript side stages single records into (it writes values there
 * through a view and records them in place with `recordBatch`); the engine keeps it for its life.
 */
export function allocStageBlock(bytes: usize): usize {
  return alloc(bytes);
}

/** A scratch block of at least `bytes` bytes (contents undefined); valid until the next call. */
export function scratch(bytes: usize): usize {
  if (bytes > scratchSize) {
    if (scratchPtr != 0) release(scratchPtr, scratchSize);
    scratchSize = max<usize>(bytes, scratchSize * 2);
    scratchPtr = alloc(scratchSize);
  }
  return scratchPtr;
}
