/**
 * Reusable request-body buffers for the OTLP/HTTP receiver. A body of a few hundred KiB assembled
 * with `Buffer.concat` is a fresh allocation above the C allocator's mmap threshold: every request
 * paid for new pages (faults, zeroing by the kernel) and external-memory GC pressure, which cost
 * about as much CPU as decoding it. Bodies are decoded synchronously and the decoders copy what
 * they keep, so a buffer can go back to the pool as soon as the decoder returns.
 *
 * Bounded: buffers above `maxBufferBytes` are never pooled, and the free list holds at most
 * `maxPooledBytes` in total; beyond that released buffers are left to the GC.
 */

/** Default largest pooled body (bigger bodies take the ordinary path). */
export const DEFAULT_MAX_POOLED_BODY_BYTES = 1024 * 1024;
/** Default bound on the bytes kept in the free list. */
export const DEFAULT_MAX_POOLED_BYTES = 16 * 1024 * 1024;
/** Pooled buffers are sized in powers of two from here, so nearby body sizes share them. */
const MIN_BUFFER_BYTES = 64 * 1024;

export class BodyBufferPool {
  readonly maxBufferBytes: number;
  readonly maxPooledBytes: number;
  readonly #free: Buffer[] = [];
  #freeBytes = 0;
  /** Buffers this pool handed out, by their memory, so `release` accepts any view of them. */
  readonly #owned = new WeakMap<ArrayBufferLike, Buffer>();

  constructor(maxBufferBytes = DEFAULT_MAX_POOLED_BODY_BYTES, maxPooledBytes = DEFAULT_MAX_POOLED_BYTES) {
    if (!(Number.isInteger(maxBufferBytes) && maxBufferBytes > 0)) {
      throw new RangeError(`BodyBufferPool maxBufferBytes must be a positive integer, got ${maxBufferBytes}`);
    }
    if (!(Number.isInteger(maxPooledBytes) && maxPooledBytes >= 0)) {
      throw new RangeError(`BodyBufferPool maxPooledBytes must be a non-negative integer, got ${maxPooledBytes}`);
    }
    this.maxBufferBytes = maxBufferBytes;
    this.maxPooledBytes = maxPooledBytes;
  }

  /** Bytes currently held in the free list (for tests). */
  get pooledBytes(): number {
    return this.#freeBytes;
  }

  /** A buffer of at least `bytes` (contents undefined), or undefined when `bytes` is too large to pool. */
  acquire(bytes: number): Buffer | undefined {
    if (bytes > this.maxBufferBytes) return undefined;
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      const b = free[i];
      if (b.length >= bytes) {
        free[i] = free[free.length - 1];
        free.pop();
        this.#freeBytes -= b.length;
        return b;
      }
    }
    let size = MIN_BUFFER_BYTES;
    while (size < bytes) size *= 2;
    const b = Buffer.allocUnsafeSlow(Math.min(size, Math.max(bytes, this.maxBufferBytes)));
    this.#owned.set(b.buffer, b);
    return b;
  }

  /** Returns a buffer from `acquire` (or any view of it); other buffers are ignored. Using it afterwards is a bug. */
  release(view: Uint8Array): void {
    const b = this.#owned.get(view.buffer);
    if (b === undefined) return;
    if (this.#freeBytes + b.length > this.maxPooledBytes) {
      this.#owned.delete(b.buffer);
      return;
    }
    for (const f of this.#free) if (f === b) return;
    this.#free.push(b);
    this.#freeBytes += b.length;
  }
}
