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

interface ByteEntry {
  readonly hash: number;
  readonly bytes: DataView;
  readonly set: AttributeSet;
  next: ByteEntry | undefined;
}

export const EMPTY_ATTRIBUTE_SET: AttributeSet = Object.freeze({ attributes: Object.freeze({}), key: "" });

/** Default entries per generation: room for the series of a busy gateway process. */
export const DEFAULT_INTERN_CAPACITY = 65_536;

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

/** Copies of stored byte ranges are carved from slabs: one ArrayBuffer per slab, not per entry. */
const SLAB_BYTES = 64 * 1024;
/** Ranges larger than this get their own buffer rather than wasting a slab tail. */
const MAX_SLAB_ENTRY = 4 * 1024;

export class AttributeInterner {
  /** Entries per generation (each map holds at most twice this many). */
  readonly capacity: number;
  #evictions = 0;
  #bytesCurrent = new Map<number, ByteEntry>();
  #bytesPrevious = new Map<number, ByteEntry>();
  #bytesCurrentCount = 0;
  #bytesPreviousCount = 0;
  #keysCurrent = new Map<string, AttributeSet>();
  #keysPrevious = new Map<string, AttributeSet>();
  #slab = new Uint8Array(SLAB_BYTES);
  #slabPos = 0;

  constructor(capacity: number = DEFAULT_INTERN_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`AttributeInterner capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Entries dropped by generation rotations since construction. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Live entries (both generations, both maps); for tests and self-metrics. */
  get size(): number {
    return this.#bytesCurrentCount + this.#bytesPreviousCount + this.#keysCurrent.size + this.#keysPrevious.size;
  }

  /** The set stored for exactly the bytes view[start, end), or undefined. `hash` is hashView(view, start, end). */
  lookupBytes(view: DataView, start: number, end: number, hash: number): AttributeSet | undefined {
    for (let e = this.#bytesCurrent.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.bytes, view, start, end)) return e.set;
    }
    for (let e = this.#bytesPrevious.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.bytes, view, start, end)) {
        this.#insertBytes(hash, e.bytes, e.set);
        return e.set;
      }
    }
    return undefined;
  }

  /** Remembers `set` for the bytes buf[start, end) (copied, so the request buffer is not retained). */
  storeBytes(buf: Uint8Array, start: number, end: number, hash: number, set: AttributeSet): void {
    this.#insertBytes(hash, this.#copy(buf, start, end), set);
  }

  /** A private copy of buf[start, end) (never a view of the caller's buffer, which may be reused). */
  #copy(buf: Uint8Array, start: number, end: number): DataView {
    const n = end - start;
    if (n > MAX_SLAB_ENTRY) {
      const own = new Uint8Array(n);
      own.set(buf.subarray(start, end));
      return new DataView(own.buffer);
    }
    if (this.#slabPos + n > SLAB_BYTES) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#slabPos = 0;
    }
    const at = this.#slabPos;
    this.#slab.set(buf.subarray(start, end), at);
    this.#slabPos = at + n;
    return new DataView(this.#slab.buffer, at, n);
  }

  /** The interned set with this key; `attributes` (frozen, matching `key`) is stored when the key is new. */
  internKey(key: string, attributes: Attributes): AttributeSet {
    let set = this.#keysCurrent.get(key);
    if (set !== undefined) return set;
    set = this.#keysPrevious.get(key);
    if (set === undefined) set = { attributes, key };
    if (this.#keysCurrent.size >= this.capacity) {
      this.#evictions += this.#keysPrevious.size;
      this.#keysPrevious = this.#keysCurrent;
      this.#keysCurrent = new Map();
    }
    this.#keysCurrent.set(key, set);
    return set;
  }

  /** Looks a key up without inserting. */
  getKey(key: string): AttributeSet | undefined {
    return this.#keysCurrent.get(key) ?? this.#keysPrevious.get(key);
  }

  #insertBytes(hash: number, bytes: DataView, set: AttributeSet): void {
    if (this.#bytesCurrentCount >= this.capacity) {
      this.#evictions += this.#bytesPreviousCount;
      this.#bytesPrevious = this.#bytesCurrent;
      this.#bytesPreviousCount = this.#bytesCurrentCount;
      this.#bytesCurrent = new Map();
      this.#bytesCurrentCount = 0;
    }
    const head = this.#bytesCurrent.get(hash);
    this.#bytesCurrent.set(hash, { hash, bytes, set, next: head });
    this.#bytesCurrentCount++;
  }
}
