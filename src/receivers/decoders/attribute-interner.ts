/**
 * Interns attribute sets coming from decoded messages (JSON label objects, regex groups, EMF
 * dimensions). The common case, a set seen before, costs one canonical-key computation and one Map
 * hit; only a new set is validated, copied and frozen.
 *
 * A new set is held to the limits the OTLP decoders apply (src/receivers/attribute-limits.ts): an
 * empty key, a key longer than MAX_ATTRIBUTE_KEY_LENGTH, or a key or string that is not well-formed
 * Unicode (a lone surrogate, which JSON's `\ud800` escapes can spell) refuses the set; a string
 * longer than MAX_ATTRIBUTE_VALUE_LENGTH is cut, and so is an array whose JSON text is longer (it
 * becomes that text, as OTLP array values do); cuts are counted in `truncatedValues`.
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import { attributesKey } from "../../core/attributes-key.ts";
import { MAX_ATTRIBUTE_KEY_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH, truncatedValue } from "../attribute-limits.ts";
import { preview } from "./decode-error.ts";
import type { InternedAttributes } from "./types.ts";

/**
 * Beyond this many distinct raw sets the table is emptied and refilled: a high-cardinality topic
 * then costs re-interning, never unbounded memory. (Series budgets downstream bound cardinality;
 * this only bounds the decoder's cache.)
 */
export const DEFAULT_INTERNER_CAPACITY = 50_000;

/**
 * Raw sets with a longer canonical key are interned but not cached by that key: one huge value
 * must not sit in the cache (up to `capacity` times) after its set was cut down.
 */
const MAX_CACHED_RAW_KEY_CHARS = 16 * 1024;

const EMPTY: InternedAttributes = Object.freeze({ attributes: Object.freeze({}), attributesKey: "" });

function isPrimitive(v: unknown): v is string | number | boolean {
  const t = typeof v;
  return t === "string" || t === "boolean" || (t === "number" && Number.isFinite(v));
}

function cleanValue(v: unknown): AttributeValue | undefined | null {
  if (isPrimitive(v)) return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return Object.freeze([]) as unknown as AttributeValue;
    const t = typeof v[0];
    for (const item of v) {
      if (!isPrimitive(item) || typeof item !== t) return null;
    }
    return Object.freeze(v.slice()) as unknown as AttributeValue;
  }
  return null;
}

/** Whether a clean value holds a string that is not well-formed Unicode (a lone surrogate). */
function hasLoneSurrogate(v: AttributeValue): boolean {
  if (typeof v === "string") return !v.isWellFormed();
  if (Array.isArray(v)) for (const item of v) if (typeof item === "string" && !item.isWellFormed()) return true;
  return false;
}

export class AttributeInterner {
  readonly #byRawKey = new Map<string, InternedAttributes>();
  readonly #byKey = new Map<string, InternedAttributes>();
  readonly #capacity: number;
  #truncated = 0;
  /** Why the last `intern` returned null. */
  lastError = "";

  constructor(capacity: number = DEFAULT_INTERNER_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The empty set (shared). */
  static readonly empty: InternedAttributes = EMPTY;

  /**
   * The interned form of `raw`. `null` values are dropped (JSON has no "absent"); a value that is
   * not a string, finite number, boolean or homogeneous array of those, or a key or string out of the
   * limits above, makes the set invalid: returns null and sets `lastError` (`<prefix>.<key>: ...`).
   */
  intern(raw: Readonly<Record<string, unknown>>, prefix: string): InternedAttributes | null {
    const rawKey = attributesKey(raw as Attributes);
    const hit = this.#byRawKey.get(rawKey);
    if (hit !== undefined) return hit;
    const clean: Attributes = {};
    for (const k of Object.keys(raw).sort()) {
      const v = raw[k];
      if (v === null || v === undefined) continue;
      if (k === "") {
        this.lastError = `${prefix}: empty attribute key`;
        return null;
      }
      if (k.length > MAX_ATTRIBUTE_KEY_LENGTH) {
        this.lastError = `${prefix}: attribute key of ${k.length} characters exceeds ${MAX_ATTRIBUTE_KEY_LENGTH} (${preview(k)})`;
        return null;
      }
      if (!k.isWellFormed()) {
        this.lastError = `${prefix}: attribute key ${preview(k)} is not well-formed Unicode (lone surrogate)`;
        return null;
      }
      const c = cleanValue(v);
      if (c === null) {
        this.lastError = `${prefix}.${k}: expected a string, number, boolean or array of one of those, got ${preview(v)}`;
        return null;
      }
      if (c !== undefined && hasLoneSurrogate(c)) {
        this.lastError = `${prefix}.${k}: the value is not well-formed Unicode (lone surrogate)`;
        return null;
      }
      clean[k] = c === undefined ? c : this.#limited(c);
    }
    const key = attributesKey(clean);
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = Object.freeze({ attributes: Object.freeze(clean), attributesKey: key });
      if (this.#byKey.size >= this.#capacity) this.#byKey.clear();
      this.#byKey.set(key, entry);
    }
    if (rawKey.length <= MAX_CACHED_RAW_KEY_CHARS) {
      if (this.#byRawKey.size >= this.#capacity) this.#byRawKey.clear();
      this.#byRawKey.set(rawKey, entry);
    }
    return entry;
  }

  /** Attribute values cut to MAX_ATTRIBUTE_VALUE_LENGTH since construction (counted when a set is built, not for a cached set). */
  get truncatedValues(): number {
    return this.#truncated;
  }

  #limited(value: AttributeValue): AttributeValue {
    if (typeof value === "string") {
      if (value.length <= MAX_ATTRIBUTE_VALUE_LENGTH) return value;
      this.#truncated++;
      return truncatedValue(value);
    }
    if (!Array.isArray(value)) return value;
    const text = JSON.stringify(value);
    if (text.length <= MAX_ATTRIBUTE_VALUE_LENGTH) return value;
    this.#truncated++;
    return truncatedValue(text);
  }

  /** Distinct raw sets currently cached. */
  get size(): number {
    return this.#byRawKey.size;
  }
}
