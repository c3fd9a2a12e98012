/**
 * Bounded intern cache for attribute sets, shared by a receiver's decoders so identical sets share one
 * frozen `Attributes` object and one key string across requests and encodings.
 *
 * Two lookups: by the raw protobuf bytes of the attribute fields (hash the byte range, compare bytes on
 * hit: no string decoding at all for a known set) and by canonical key string (JSON input, and the
 * second chance for protobuf input whose bytes differ but whose set does not, e.g. another order).
 *
 * Bounding is two-generational ("LRU-ish"): lookups hit the current generation, then the previous one
 * (promoting the entry); when the current generation is full it becomes the previous one and the old
 * previous generation is dropped, its entries counted as evictions. Memory is bounded by 2 * capacity
 * entries per map and recently used sets survive a rotation.
 */
import type { Attributes } from "@opentelemetry/api";

/** One interned set. */
export interface AttributeSet {
  readonly attributes: Attributes;
  readonly key: string;
}

export const EMPTY_ATTRIBUTE_SET: AttributeSet = Object.freeze({ attributes: Object.freeze({}), key: "" });

/** Default entries per generation: room for the series of a busy gateway process. */
export const DEFAULT_INTERN_CAPACITY = 65_536;
/**
 * Bytes of stored attribute fields, and characters of keys, per generation: with large sets (up
 * to 128 attributes of 4096 characters each) the entry count alone would not bound memory.
 */
export const GENERATION_BYTE_BUDGET = 32 * 1024 * 1024;
/** Attribute fields longer than this are not cached by bytes (rare; they are built each time). */
export const MAX_CACHED_ATTRIBUTE_BYTES = 16 * 1024;

/**
 * Hash of a byte range, four bytes per step (word-wise FNV-style mixing with a rotate, then the
 * murmur3 finaliser). Collisions only cost a byte comparison: entries are always compared in full.
 */
export function hashView(view: DataView, start: number, end: number): number {
  let h = (0x811c9dc5 ^ (end - start)) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
    h = (h << 13) | (h >>> 19);
  }
  for (; i < end; i++) h = Math.imul(h ^ view.getUint8(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** hashView over a plain byte array (allocates a view: for tests and cold paths). */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  return hashView(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), start, end);
}

/** Compares `stored` with view[start, end), four bytes per step. */
export function sameBytes(stored: DataView, view: DataView, start: number, end: number): boolean {
  const n = stored.byteLength;
  if (n !== end - start) return false;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (stored.getInt32(i, true) !== view.getInt32(start + i, true)) return false;
  }
  for (; i < n; i++) {
    if (stored.getUint8(i) !== view.getUint8(start + i)) return false;
  }
  return true;
}

/** Compares a[aStart, aStart + n) with b[bStart, bStart + n), four bytes per step. */
function equalAt(a: DataView, aStart: number, b: DataView, bStart: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (a.getInt32(aStart + i, true) !== b.getInt32(bStart + i, true)) return false;
  }
  for (; i < n; i++) {
    if (a.getUint8(aStart + i) !== b.getUint8(bStart + i)) return false;
  }
  return true;
}

const INITIAL_BUCKETS = 1024;
const INITIAL_ARENA_BYTES = 16 * 1024;

/**
 * One generation of the byte-keyed index. Open addressing over typed arrays (linear probing, load
 * <= 1/2) and every stored byte range in one arena: a lookup touches a few flat arrays instead of
 * a Map bucket, an entry object, a DataView and its buffer, which is what a per-point lookup over
 * tens of thousands of sets pays for in cache misses.
 */
class ByteGeneration {
  count = 0;
  /** Bytes stored in the arena. */
  get bytes(): number {
    return this.#arenaPos;
  }
  /** Per bucket: [hash, entry + 1]; entry + 1 === 0 marks an empty bucket. */
  #table = new Int32Array(INITIAL_BUCKETS * 2);
  #mask = INITIAL_BUCKETS - 1;
  /** Per entry: [arena offset, length, hash]. */
  #spans = new Int32Array(INITIAL_BUCKETS * 3);
  readonly #sets: AttributeSet[] = [];
  #arena = new Uint8Array(INITIAL_ARENA_BYTES);
  #arenaView = new DataView(this.#arena.buffer);
  #arenaPos = 0;
  /** The entry after the last one found or stored: the likely next lookup. */
  #next = 0;

  /** The entry after the previous hit when it holds exactly view[start, end), else -1. No hashing. */
  findNext(view: DataView, start: number, end: number): number {
    const e = this.#next;
    if (e >= this.count) return -1;
    const spans = this.#spans;
    const n = end - start;
    if (spans[3 * e + 1] !== n || !equalAt(this.#arenaView, spans[3 * e], view, start, n)) return -1;
    this.#next = e + 1;
    return e;
  }

  /** The entry holding exactly view[start, end), or -1. */
  find(view: DataView, start: number, end: number, hash: number): number {
    const table = this.#table;
    const spans = this.#spans;
    const mask = this.#mask;
    const h = hash | 0;
    const n = end - start;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const e1 = table[2 * b + 1];
      if (e1 === 0) return -1;
      if (table[2 * b] === h) {
        const e = e1 - 1;
        if (spans[3 * e + 1] === n && equalAt(this.#arenaView, spans[3 * e], view, start, n)) {
          this.#next = e + 1;
          return e;
        }
      }
    }
  }

  set(entry: number): AttributeSet {
    return this.#sets[entry];
  }

  /** The stored bytes of `entry` (for promotion into the next generation). */
  bytesOf(entry: number): Uint8Array {
    const at = this.#spans[3 * entry];
    return this.#arena.subarray(at, at + this.#spans[3 * entry + 1]);
  }

  /** Stores a copy of `bytes` (never a view of the caller's buffer, which may be reused). */
  insert(bytes: Uint8Array, hash: number, set: AttributeSet): void {
    const e = this.count;
    if (2 * (e + 1) > this.#mask + 1) this.#grow();
    const n = bytes.length;
    if (this.#arenaPos + n > this.#arena.length) {
      const grown = new Uint8Array(Math.max(this.#arena.length * 2, this.#arenaPos + n));
      grown.set(this.#arena.subarray(0, this.#arenaPos));
      this.#arena = grown;
      this.#arenaView = new DataView(grown.buffer);
    }
    const at = this.#arenaPos;
    this.#arena.set(bytes, at);
    this.#arenaPos = at + n;
    if (3 * (e + 1) > this.#spans.length) {
      const grown = new Int32Array(this.#spans.length * 2);
      grown.set(this.#spans);
      this.#spans = grown;
    }
    const h = hash | 0;
    this.#spans[3 * e] = at;
    this.#spans[3 * e + 1] = n;
    this.#spans[3 * e + 2] = h;
    this.#sets.push(set);
    this.count = e + 1;
    this.#next = e + 1;
    this.#place(e, h);
  }

  #place(e: number, h: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let b = h & mask;
    while (table[2 * b + 1] !== 0) b = (b + 1) & mask;
    table[2 * b] = h;
    table[2 * b + 1] = e + 1;
  }

  #grow(): void {
    const buckets = (this.#mask + 1) * 2;
    this.#table = new Int32Array(buckets * 2);
    this.#mask = buckets - 1;
    for (let e = 0; e < this.count; e++) this.#place(e, this.#spans[3 * e + 2]);
  }
}

export class AttributeInterner {
  /** Entries per generation (each map holds at most twice this many). */
  readonly capacity: number;
  #evictions = 0;
  #bytesCurrent = new ByteGeneration();
  #bytesPrevious = new ByteGeneration();
  #keysCurrent = new Map<string, AttributeSet>();
  #keysPrevious = new Map<string, AttributeSet>();
  /** Characters of the keys in the current key generation. */
  #keyChars = 0;
  #truncated = 0;

  constructor(capacity: number = DEFAULT_INTERN_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`AttributeInterner capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Attribute values cut to MAX_ATTRIBUTE_VALUE_LENGTH by the decoders using this cache. */
  get truncatedValues(): number {
    return this.#truncated;
  }

  /** Called by a decoder that built a set with `n` truncated values. */
  countTruncated(n: number): void {
    this.#truncated += n;
  }

  /** Entries dropped by generation rotations since construction. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Live entries (both generations, both maps); for tests and self-metrics. */
  get size(): number {
    return this.#bytesCurrent.count + this.#bytesPrevious.count + this.#keysCurrent.size + this.#keysPrevious.size;
  }

  /** The set stored for exactly the bytes view[start, end), or undefined. `hash` is hashView(view, start, end). */
  lookupBytes(view: DataView, start: number, end: number, hash: number): AttributeSet | undefined {
    const current = this.#bytesCurrent;
    const hit = current.find(view, start, end, hash);
    if (hit >= 0) return current.set(hit);
    const previous = this.#bytesPrevious;
    const old = previous.find(view, start, end, hash);
    if (old < 0) return undefined;
    const set = previous.set(old);
    this.#insertBytes(previous.bytesOf(old), hash, set);
    return set;
  }

  /**
   * lookupBytes for a decoder walking a request: first the entry stored right after the previous
   * hit, without hashing (clients export their series in the same order every time, and the entries
   * were stored in that order), then the hash lookup.
   */
  lookupSequential(view: DataView, start: number, end: number): AttributeSet | undefined {
    const current = this.#bytesCurrent;
    const next = current.findNext(view, start, end);
    if (next >= 0) return current.set(next);
    return this.lookupBytes(view, start, end, hashView(view, start, end));
  }

  /** Remembers `set` for the bytes buf[start, end) (copied, so the request buffer is not retained). */
  storeBytes(buf: Uint8Array, start: number, end: number, hash: number, set: AttributeSet): void {
    if (end - start > MAX_CACHED_ATTRIBUTE_BYTES) return;
    this.#insertBytes(buf.subarray(start, end), hash, set);
  }

  /** The interned set with this key; `attributes` (frozen, matching `key`) is stored when the key is new. */
  internKey(key: string, attributes: Attributes): AttributeSet {
    let set = this.#keysCurrent.get(key);
    if (set !== undefined) return set;
    set = this.#keysPrevious.get(key);
    if (set === undefined) set = { attributes, key };
    if (this.#keysCurrent.size >= this.capacity || this.#keyChars + key.length > GENERATION_BYTE_BUDGET) {
      this.#evictions += this.#keysPrevious.size;
      this.#keysPrevious = this.#keysCurrent;
      this.#keysCurrent = new Map();
      this.#keyChars = 0;
    }
    this.#keysCurrent.set(key, set);
    this.#keyChars += key.length;
    return set;
  }

  /** Looks a key up without inserting. */
  getKey(key: string): AttributeSet | undefined {
    return this.#keysCurrent.get(key) ?? this.#keysPrevious.get(key);
  }

  /** `bytes` is copied before any generation is dropped, so it may point into the previous one. */
  #insertBytes(bytes: Uint8Array, hash: number, set: AttributeSet): void {
    if (this.#bytesCurrent.count >= this.capacity || this.#bytesCurrent.bytes + bytes.length > GENERATION_BYTE_BUDGET) {
      const next = new ByteGeneration();
      next.insert(bytes, hash, set);
      this.#evictions += this.#bytesPrevious.count;
      this.#bytesPrevious = this.#bytesCurrent;
      this.#bytesCurrent = next;
      return;
    }
    this.#bytesCurrent.insert(bytes, hash, set);
  }
}
