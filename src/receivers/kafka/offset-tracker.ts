/**
 * The receiver's own record of how far each partition has been handed to the pipeline, and what
 * has been committed. Offsets are decimal strings on the wire (64-bit); arithmetic uses bigint, once
 * per batch.
 */

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume (Kafka's commit convention: last processed + 1). */
  readonly offset: string;
}

export interface UncommittedSpan {
  readonly topic: string;
  readonly partition: number;
  /** The offset a commit would record now. */
  readonly next: string;
  readonly committed: string | null;
  readonly messages: number | null;
}

interface Position {
  readonly topic: string;
  readonly partition: number;
  next: bigint;
  committed: bigint;
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class OffsetTracker {
  readonly #positions = new Map<string, Position>();

  /** Everything up to and including `lastOffset` of the partition has been handed to the pipeline. */
  processed(topic: string, partition: number, lastOffset: string): void {
    const next = BigInt(lastOffset) + 1n;
    const key = keyOf(topic, partition);
    const p = this.#positions.get(key);
    if (p === undefined) this.#positions.set(key, { topic, partition, next, committed: -1n });
    else if (next > p.next) p.next = next;
  }

  /** Next offset to consume for the partition, if this process has consumed from it. */
  position(topic: string, partition: number): string | undefined {
    const p = this.#positions.get(keyOf(topic, partition));
    return p === undefined ? undefined : p.next.toString();
  }

  /** Partitions whose position moved past their last commit, with the offsets to commit. */
  uncommitted(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.#positions.values()) {
      if (p.next > p.committed) out.push({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
    }
    return out;
  }

  /**
   * Partitions handed to the pipeline past their last commit, with the span that stays uncommitted:
   * `committed` is this process's last commit (null before its first one, when the group's offset
   * is unknown here) and `messages` the offsets in between (null with it).
   */
  uncommittedSpans(): UncommittedSpan[] {
    const out: UncommittedSpan[] = [];
    for (const p of this.#positions.values()) {
      if (p.next <= p.committed) continue;
      const known = p.committed >= 0n;
      out.push({
        topic: p.topic,
        partition: p.partition,
        next: p.next.toString(),
        committed: known ? p.committed.toString() : null,
        messages: known ? Number(p.next - p.committed) : null,
      });
    }
    return out;
  }

  /** Records a successful commit of `offsets`. */
  committed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const p = this.#positions.get(keyOf(o.topic, o.partition));
      if (p !== undefined) {
        const c = BigInt(o.offset);
        if (c > p.committed) p.committed = c;
      }
    }
  }

  /**
   * Forgets partitions not in `assignment` (topic -> partitions) after a rebalance: their positions
   * are stale once another member owns them. Returns the retained positions (for re-seeking).
   */
  retain(assignment: Readonly<Record<string, readonly number[]>>): TopicPartitionOffset[] {
    const keep = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) for (const partition of partitions) keep.add(keyOf(topic, partition));
    const retained: TopicPartitionOffset[] = [];
    for (const [key, p] of this.#positions) {
      if (!keep.has(key)) this.#positions.delete(key);
      else retained.push({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
    }
    return retained;
  }

  /** Every tracked partition. */
  get size(): number {
    return this.#positions.size;
  }
}
