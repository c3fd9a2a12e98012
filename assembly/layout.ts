// Layout registry and the byte layout of every structure kept in linear memory.
//
// Slot block (one allocation, size fixed by the layout):
//   [0..64)   header: count f64, sum f64, min f64, max f64, rejected f64, last f64, layout u32, kind u32
//   [B..)     explicit bucket counts: f64 x (nb + 1)                 (nb = -1: no explicit buckets)
//   [X..)     exponential state, 64 bytes:                            (only when the layout has one)
//               scale i32, inlineUsed u32, zeroCount f64, positive range, negative range
//             range (24 bytes): base i32, lo i32, hi i32, counts ptr, carry ptr, mid ptr
//   [X+64..)  one inline block of maxSize u16 counts (the low 16 bits of each bucket's count),
//             claimed by whichever range fills first; the other range gets its block from the
//             heap when its first value arrives. Bits 16..31 (`mid`, u16) and 32..63 (`carry`,
//             u32) live in blocks a range allocates on its first carry into them.
//
// Layout record (64 bytes): bounds ptr (f64 x nbPadded, padded with +Inf), nb, nbPadded,
//   exp max size, exp max scale, slot block size, bucket offset, exp offset, bucket table record.

import { buildBucketTable } from "./bucket-table";
import { alloc, release } from "./heap";

export const KIND_SUM: u32 = 0;
export const KIND_GAUGE: u32 = 1;
export const KIND_HISTOGRAM: u32 = 2;

export const S_COUNT: usize = 0;
export const S_SUM: usize = 8;
export const S_MIN: usize = 16;
export const S_MAX: usize = 24;
export const S_REJECTED: usize = 32;
export const S_LAST: usize = 40;
export const S_LAYOUT: usize = 48;
export const S_KIND: usize = 52;
export const SLOT_HEADER: usize = 64;

export const X_SCALE: usize = 0;
export const X_INLINE_USED: usize = 4;
export const X_ZERO: usize = 8;
export const X_POS: usize = 16;
export const X_NEG: usize = 40;
export const X_STATE: usize = 64;

export const R_BASE: usize = 0;
export const R_LO: usize = 4;
export const R_HI: usize = 8;
export const R_COUNTS: usize = 12;
export const R_CARRY: usize = 16;
export const R_MID: usize = 20;

export const L_BOUNDS: usize = 0;
export const L_NB: usize = 4;
export const L_NB_PADDED: usize = 8;
export const L_EXP_SIZE: usize = 12;
export const L_EXP_MAX_SCALE: usize = 16;
export const L_BLOCK: usize = 20;
export const L_BUCKETS: usize = 24;
export const L_EXP: usize = 28;
/** The explicit boundaries' direct-lookup table record (assembly/bucket-table.ts), 20 bytes. */
export const L_TABLE: usize = 32;
const LAYOUT_RECORD: usize = 64;

/** Boundaries are padded to a multiple of this many lanes so the SIMD count runs whole steps. */
export const BOUND_PAD: i32 = 8;

let layoutTable: usize = 0;
let layoutCapacity: i32 = 0;
let layoutCount: i32 = 0;

function addLayout(record: usize): i32 {
  if (layoutCount == layoutCapacity) {
    const capacity = max(16, layoutCapacity * 2);
    const table = alloc(<usize>capacity * 4);
    if (layoutTable != 0) {
      memory.copy(table, layoutTable, <usize>layoutCount * 4);
      release(layoutTable, <usize>layoutCapacity * 4);
    }
    layoutTable = table;
    layoutCapacity = capacity;
  }
  store<u32>(layoutTable + <usize>layoutCount * 4, <u32>record);
  return layoutCount++;
}

/**
 * Registers a layout: `nb` boundaries (f64) at `boundsPtr` (copied; -1 for no explicit buckets,
 * 0 for the overflow bucket alone), an exponential histogram of
 * `expMaxSize` buckets per range (0 for none) starting at `expMaxScale`. Returns the layout id.
 */
export function createLayout(boundsPtr: usize, nb: i32, expMaxSize: i32, expMaxScale: i32): i32 {
  const record = alloc(LAYOUT_RECORD);
  const padded = nb <= 0 ? 0 : (nb + BOUND_PAD - 1) / BOUND_PAD * BOUND_PAD;
  if (nb > 0) {
    const bounds = alloc(<usize>padded * 8);
    memory.copy(bounds, boundsPtr, <usize>nb * 8);
    for (let i = nb; i < padded; i++) store<f64>(bounds + <usize>i * 8, Infinity);
    store<u32>(record, <u32>bounds, L_BOUNDS);
    buildBucketTable(bounds, nb, record + L_TABLE);
  }
  store<i32>(record, nb, L_NB);
  store<i32>(record, padded, L_NB_PADDED);
  store<i32>(record, expMaxSize, L_EXP_SIZE);
  store<i32>(record, expMaxScale, L_EXP_MAX_SCALE);
  let size = SLOT_HEADER;
  if (nb >= 0) {
    store<u32>(record, <u32>size, L_BUCKETS);
    size += (<usize>(nb + 1) * 8 + 15) & ~15;
  }
  if (expMaxSize > 0) {
    store<u32>(record, <u32>size, L_EXP);
    size += X_STATE + ((<usize>expMaxSize * 2 + 15) & ~15);
  }
  store<u32>(record, <u32>size, L_BLOCK);
  return addLayout(record);
}

@inline export function layoutRecord(id: i32): usize {
  return <usize>load<u32>(layoutTable + <usize>id * 4);
}

/** Layout 0: no buckets. Sum and gauge slots use it. */
export const PLAIN_LAYOUT: i32 = createLayout(0, -1, 0, 0);
