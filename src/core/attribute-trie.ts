/**
 * A lookup from attribute objects to series that skips building a key string: it walks the
 * object's own keys in insertion order through nested Maps (key, then value). Objects written by
 * the same code share one path, so the common case is a few Map hits on interned strings. Other key
 * orders get their own paths to the same series; the canonical key decides identity on a miss.
 */
import type { Attributes } from "@opentelemetry/api";

interface TrieNode<T> {
  /** attribute key -> attribute value -> next node */
  next: Map<string, Map<unknown, TrieNode<T>>> | null;
  target: T | undefined;
}

function node<T>(): TrieNode<T> {
  return { next: null, target: undefined };
}

export class AttributeTrie<T> {
  private root: TrieNode<T> = node();
  private empty: T | undefined = undefined;
  private entries = 0;
  private readonly maxEntries: number;

  /** At most `maxEntries` paths are remembered; lookups past that fall back to the caller's slow path. */
  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** The remembered target for this object's path, or undefined. Never allocates. */
  get(attributes: Attributes | undefined): T | undefined {
    if (attributes === undefined) return this.empty;
    let n: TrieNode<T> | undefined = this.root;
    let any = false;
    for (const k in attributes) {
      const v = attributes[k];
      if (v === undefined) continue;
      any = true;
      const byValue: Map<unknown, TrieNode<T>> | undefined = n.next?.get(k);
      if (byValue === undefined) return undefined;
      n = byValue.get(v);
      if (n === undefined) return undefined;
    }
    return any ? n.target : this.empty;
  }

  /**
   * Remembers `target` for this object's path. Objects with non-primitive values (arrays) are not
   * remembered: their identity is not their value.
   */
  set(attributes: Attributes | undefined, target: T): void {
    if (attributes === undefined) {
      this.empty = target;
      return;
    }
    if (this.entries >= this.maxEntries) return;
    for (const k in attributes) {
      const v = attributes[k];
      if (v !== undefined && typeof v === "object") return;
    }
    let n = this.root;
    let any = false;
    for (const k in attributes) {
      const v = attributes[k];
      if (v === undefined) continue;
      any = true;
      if (n.next === null) n.next = new Map();
      let byValue = n.next.get(k);
      if (byValue === undefined) n.next.set(k, (byValue = new Map()));
      let child = byValue.get(v);
      if (child === undefined) byValue.set(v, (child = node()));
      n = child;
    }
    if (!any) {
      this.empty = target;
      return;
    }
    if (n.target === undefined) this.entries++;
    n.target = target;
  }

  /** Forgets every path (after series were removed). */
  clear(): void {
    this.root = node();
    this.empty = undefined;
    this.entries = 0;
  }
}
