/**
 * A bounded FIFO with drop-oldest: a ring that grows on demand up to `capacity`. When full, push()
 * evicts and returns the oldest item so the caller can count it.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  private items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.items = new Array<T | undefined>(Math.min(capacity, 1024));
  }

  get length(): number {
    return this.size;
  }

  /** Appends; returns the evicted oldest item when the queue was full, else undefined. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.size === this.capacity) evicted = this.shift();
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
    return evicted;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const n = this.size;
    this.items = new Array<T | undefined>(Math.min(this.capacity, 1024));
    this.head = 0;
    this.size = 0;
    return n;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
