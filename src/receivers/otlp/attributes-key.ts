/**
 * Builds interned attribute sets for the OTLP decoders. Keys are the project's canonical series keys
 * (`attributesKey` in src/core/attributes-key.ts), produced here straight from the decoded pairs so a
 * cache lookup does not need the object first; a property test holds the two to the same output.
 */
import type { Attributes } from "@opentelemetry/api";
import { MAX_ATTRIBUTE_KEY_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH, truncatedValue } from "../attribute-limits.ts";

type PrimitiveAttribute = string | number | boolean;

/** Separator of core's attributesKey. */
const SEP = "\u0000";

/** core's value encoding for the primitive values decoders produce. */
function encodeValue(v: PrimitiveAttribute): string {
  if (typeof v === "string") return "s" + v;
  if (typeof v === "number") return "n" + v;
  return v ? "bt" : "bf";
}

/**
 * Reusable builder for decoders: collects (key, value) pairs of one set, then produces the frozen
 * object and its canonical key. Later duplicates of a key win, as a protobuf map would.
 */
export class AttributeSetBuilder {
  readonly #keys: string[] = [];
  readonly #values: PrimitiveAttribute[] = [];
  readonly #order: number[] = [];
  #problem = "";
  #truncated = 0;

  reset(): void {
    this.#keys.length = 0;
    this.#values.length = 0;
    this.#problem = "";
    this.#truncated = 0;
  }

  /** Values cut to MAX_ATTRIBUTE_VALUE_LENGTH since reset(). */
  get truncated(): number {
    return this.#truncated;
  }

  /**
   * Why the pairs added since reset() cannot form a set ("" when they can): an empty key, which no
   * exporter can name (Prometheus would render `{="v"}` and lose the whole scrape), or a key over
   * MAX_ATTRIBUTE_KEY_LENGTH (src/receivers/attribute-limits.ts).
   */
  get problem(): string {
    return this.#problem;
  }

  get size(): number {
    return this.#keys.length;
  }

  add(key: string, value: PrimitiveAttribute): void {
    if (this.#problem === "") {
      if (key === "") this.#problem = "empty attribute key";
      else if (key.length > MAX_ATTRIBUTE_KEY_LENGTH) this.#problem = `attribute key of ${key.length} characters exceeds ${MAX_ATTRIBUTE_KEY_LENGTH}`;
    }
    if (typeof value === "string" && value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      value = truncatedValue(value);
      this.#truncated++;
    }
    this.#keys.push(key);
    this.#values.push(value);
  }

  /** Canonical key (core `attributesKey`) of the pairs added since reset(). */
  key(): string {
    const keys = this.#keys;
    const order = this.#sortedOrder();
    let out = "";
    let prev: string | undefined;
    let first = true;
    for (let i = 0; i < order.length; i++) {
      const idx = order[i];
      const k = keys[idx];
      if (k === prev) continue;
      prev = k;
      out += (first ? "" : SEP) + k + SEP + encodeValue(this.#values[idx]);
      first = false;
    }
    return out;
  }

  /** A fresh frozen object holding the pairs added since reset(). */
  build(): Attributes {
    const obj: Record<string, PrimitiveAttribute> = {};
    const keys = this.#keys;
    const values = this.#values;
    const order = this.#sortedOrder();
    let prev: string | undefined;
    for (let i = 0; i < order.length; i++) {
      const idx = order[i];
      const k = keys[idx];
      if (k === prev) continue;
      prev = k;
      // "__proto__" would otherwise set the prototype instead of creating a property.
      if (k === "__proto__") {
        Object.defineProperty(obj, k, { value: values[idx], enumerable: true, writable: true, configurable: true });
      } else {
        obj[k] = values[idx];
      }
    }
    return Object.freeze(obj);
  }

  /** Indexes sorted by key; among equal keys the last added comes first (so it wins the dedupe). */
  #sortedOrder(): readonly number[] {
    const order = this.#order;
    const keys = this.#keys;
    const n = keys.length;
    order.length = n;
    // Insertion sort: attribute sets are small, and this avoids a comparator closure per call.
    // `>=` puts a later index before an equal key, so the last duplicate comes first.
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      let j = i - 1;
      while (j >= 0 && keys[order[j]] >= k) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = i;
    }
    return order;
  }
}
