// Slot ids are small integers (the facade indexes its own arrays with them); a table maps each id
// to its block. Freed ids are chained through their table entries (tagged with bit 0, which a
// 16-byte aligned block pointer never has) and reused first.

import { alloc, release } from "./heap";
import { expInit, expReset } from "./exponential";
import {
  KIND_HISTOGRAM, L_BLOCK, L_BUCKETS, L_EXP, L_EXP_MAX_SCALE, L_EXP_SIZE, L_NB, PLAIN_LAYOUT,
  R_CARRY, R_COUNTS, R_MID, S_COUNT, S_KIND, S_LAST, S_LAYOUT, S_MAX, S_MIN, S_REJECTED, S_SUM,
  X_NEG, X_POS, X_STATE, layoutRecord,
} from "./layout";

let table: usize = 0;
let capacity: i32 = 0;
let highWater: i32 = 0;
/** Head of the free-id chain plus one; 0 when empty. */
let freeHead: i32 = 0;
let live: i32 = 0;

/** The block of slot `id`, or 0 when `id` is not an allocated slot. */
@inline export function livePtr(id: i32): usize {
  if (<u32>id >= <u32>highWater) return 0;
  const entry = <usize>load<u32>(table + (<usize>id << 2));
  return (entry & 1) != 0 ? 0 : entry;
}

/** 1 when `id` is an allocated slot. */
export function slotIsLive(id: i32): bool {
  return livePtr(id) != 0;
}

function nextId(): i32 {
  if (freeHead != 0) {
    const id = freeHead - 1;
    freeHead = <i32>(load<u32>(table + (<usize>id << 2)) >> 1);
    return id;
  }
  if (highWater == capacity) {
    const grown = max(1024, capacity * 2);
    const next = alloc(<usize>grown << 2);
    if (table != 0) {
      memory.copy(next, table, <usize>capacity << 2);
      release(table, <usize>capacity << 2);
    }
    table = next;
    capacity = grown;
  }
  return highWater++;
}

function clearHeader(slot: usize): void {
  store<f64>(slot, 0.0, S_COUNT);
  store<f64>(slot, 0.0, S_SUM);
  store<f64>(slot, Infinity, S_MIN);
  store<f64>(slot, -Infinity, S_MAX);
  store<f64>(slot, 0.0, S_REJECTED);
  store<f64>(slot, NaN, S_LAST);
}

/** A zeroed slot of `kind`; `layoutId` is used for histograms only. Returns its id. */
export function allocSlot(kind: u32, layoutId: i32): i32 {
  const layout = layoutRecord(kind == KIND_HISTOGRAM ? layoutId : PLAIN_LAYOUT);
  const slot = alloc(<usize>load<u32>(layout, L_BLOCK));
  clearHeader(slot);
  store<u32>(slot, <u32>layout, S_LAYOUT);
  store<u32>(slot, kind, S_KIND);
  if (load<i32>(layout, L_EXP_SIZE) > 0) {
    expInit(slot + <usize>load<u32>(layout, L_EXP), load<i32>(layout, L_EXP_MAX_SCALE));
  }
  const id = nextId();
  store<u32>(table + (<usize>id << 2), <u32>slot);
  live++;
  return id;
}

/** Zeroes slot `id`, keeping kind, layout and any counter blocks. 1 when `id` is not live. */
export function resetSlot(id: i32): i32 {
  const slot = livePtr(id);
  if (slot == 0) return 1;
  clearHeader(slot);
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const nb = load<i32>(layout, L_NB);
  if (nb >= 0) memory.fill(slot + <usize>load<u32>(layout, L_BUCKETS), 0, <usize>(nb + 1) << 3);
  if (load<i32>(layout, L_EXP_SIZE) > 0) {
    expReset(slot + <usize>load<u32>(layout, L_EXP), load<i32>(layout, L_EXP_MAX_SCALE));
  }
  return 0;
}

function releaseRangeBlocks(exp: usize, range: usize, size: i32): void {
  const counts = <usize>load<u32>(range, R_COUNTS);
  if (counts != 0 && counts != exp + X_STATE) release(counts, <usize>size << 1);
  const mid = <usize>load<u32>(range, R_MID);
  if (mid != 0) release(mid, <usize>size << 1);
  const carry = <usize>load<u32>(range, R_CARRY);
  if (carry != 0) release(carry, <usize>size << 2);
}

/** Returns slot `id` and its blocks for reuse; ignored when `id` is not live (no double free). */
export function freeSlot(id: i32): void {
  const slot = livePtr(id);
  if (slot == 0) return;
  const layout = <usize>load<u32>(slot, S_LAYOUT);
  const size = load<i32>(layout, L_EXP_SIZE);
  if (size > 0) {
    const exp = slot + <usize>load<u32>(layout, L_EXP);
    releaseRangeBlocks(exp, exp + X_POS, size);
    releaseRangeBlocks(exp, exp + X_NEG, size);
  }
  release(slot, <usize>load<u32>(layout, L_BLOCK));
  store<u32>(table + (<usize>id << 2), (<u32>freeHead << 1) | 1);
  freeHead = id + 1;
  live--;
}

/** Slots currently allocated. */
export function liveSlots(): i32 {
  return live;
}

/** Bytes of one slot block of layout `layoutId` (for memory reporting). */
export function slotBlockBytes(layoutId: i32): i32 {
  return <i32>load<u32>(layoutRecord(layoutId), L_BLOCK);
}
