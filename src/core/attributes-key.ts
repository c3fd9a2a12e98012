/**
 * Canonical series keys for attribute sets: equal sets in any key order give equal keys, and values
 * of different types never collide ("1" vs 1 vs true).
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";

const SEP = "\u0000";

function encodeValue(v: AttributeValue | undefined): string {
  switch (typeof v) {
    case "string":
      return "s" + v;
    case "number":
      return "n" + v;
    case "boolean":
      return v ? "bt" : "bf";
    default:
      return v === undefined || v === null ? "u" : "a" + JSON.stringify(v);
  }
}

/** The canonical key of `attributes` (keys sorted; undefined values skipped). */
export function attributesKey(attributes: Attributes | undefined): string {
  if (attributes === undefined) return "";
  const keys = Object.keys(attributes);
  const n = keys.length;
  if (n === 0) return "";
  if (n === 1) {
    const k = keys[0];
    const v = attributes[k];
    return v === undefined ? "" : k + SEP + encodeValue(v);
  }
  // Insertion sort: attribute sets are small, and this avoids Array.prototype.sort's comparator calls.
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  let out = "";
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const v = attributes[k];
    if (v === undefined) continue;
    out += (out === "" ? "" : SEP) + k + SEP + encodeValue(v);
  }
  return out;
}

/** A frozen copy with keys in sorted order and undefined values removed (what collect reports). */
export function normalizeAttributes(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {};
  if (attributes !== undefined) {
    for (const k of Object.keys(attributes).sort()) {
      const v = attributes[k];
      if (v !== undefined) out[k] = Array.isArray(v) ? Object.freeze(v.slice()) as AttributeValue : v;
    }
  }
  return Object.freeze(out);
}
