// Hand-managed heap. The module is built with the stub runtime (no GC), so every block has one
// owner that returns it explicitly. Blocks are 16-byte aligned and handed out zeroed.
//   - sizes up to SMALL_LIMIT: exact-size free lists (one per 16-byte class), O(1) both ways;
//     every slot of a layout has the same size, so freed slots are reused by the next allocation
//     of that layout without fragmentation.
//   - larger sizes (slot table, big scratch areas): one first-fit list, the tail split off.
//   - fresh memory comes from a bump pointer; `memory.grow` in steps of at least GROW_PAGES.

@external("env", "statsetOutOfMemory")
declare function outOfMemory(bytes: u32): void;

const ALIGN: usize = 16;
const SMALL_LIMIT: usize = 65536;
const SMALL_CLASSES: usize = SMALL_LIMIT / ALIGN + 1;
const GROW_PAGES: i32 = 16;

/** Heads of the exact-size free lists (u32 each), indexed by size / 16. */
const smallHeads: usize = memory.data(<i32>(SMALL_CLASSES * 4), 16);
/** Head of the large-block list; a free large block starts with [next u32, size u32]. */
let largeHead: usize = 0;
let top: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
let inUse: usize = 0;

@inline function roundUp(size: usize): usize {
  return (size + ALIGN - 1) & ~(ALIGN - 1);
}

function bump(size: usize): usize {
  const p = top;
  const end = p + size;
  const capacity = (<usize>memory.size()) << 16;
  if (end > capacity) {
    const need = <i32>((end - capacity + 0xffff) >> 16);
    if (memory.grow(max(need, GROW_PAGES)) < 0 && memory.grow(need) < 0) {
      outOfMemory(<u32>size);
      unreachable();
    }
  }
  top = end;
  return p;
}

/** A zeroed, 16-byte aligned block of at least `size` bytes. */
export function alloc(size: usize): usize {
  size = roundUp(max<usize>(size, ALIGN));
  inUse += size;
  if (size <= SMALL_LIMIT) {
    const head = smallHeads + (size >> 4) * 4;
    const p = <usize>load<u32>(head);
    if (p != 0) {
      store<u32>(head, load<u32>(p));
      memory.fill(p, 0, size);
      return p;
    }
    return bump(size);
  }
  let prev: usize = 0;
  let p = largeHead;
  while (p != 0) {
    const next = <usize>load<u32>(p);
    const have = <usize>load<u32>(p, 4);
    if (have >= size) {
      if (prev == 0) largeHead = next;
      else store<u32>(prev, <u32>next);
      if (have > size) {
        inUse += have - size;
        release(p + size, have - size);
      }
      memory.fill(p, 0, size);
      return p;
    }
    prev = p;
    p = next;
  }
  return bump(size);
}

/** Returns a block obtained from `alloc(size)` (same size). */
export function release(p: usize, size: usize): void {
  size = roundUp(max<usize>(size, ALIGN));
  inUse -= size;
  if (size <= SMALL_LIMIT) {
    const head = smallHeads + (size >> 4) * 4;
    store<u32>(p, load<u32>(head));
    store<u32>(head, <u32>p);
    return;
  }
  store<u32>(p, <u32>largeHead);
  store<u32>(p, <u32>size, 4);
  largeHead = p;
}

/** Bytes currently handed out (live blocks). */
export function heapInUse(): usize {
  return inUse;
}

/** Bytes taken from linear memory so far (live + free-listed). */
export function heapTop(): usize {
  return top;
}
