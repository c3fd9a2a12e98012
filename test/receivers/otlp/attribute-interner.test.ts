import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AttributeInterner, EMPTY_ATTRIBUTE_SET, hashBytes } from "../../../src/receivers/otlp/attribute-interner.ts";
import { AttributeSetBuilder } from "../../../src/receivers/otlp/attributes-key.ts";
import { attributesKey } from "../../../src/core/attributes-key.ts";

describe("AttributeInterner", () => {
  describe("lookupBytes", () => {
    it("finds a stored set only for byte-identical ranges, even on hash collisions", () => {
      const interner = new AttributeInterner(16);
      const buf = Uint8Array.from([9, 1, 2, 3, 9, 1, 2, 4, 5, 6, 7, 8, 9, 9, 1, 2, 3, 9, 1, 2, 4, 5, 6, 7, 8, 9]);
      const view = new DataView(buf.buffer);
      const set = interner.internKey('"a":1', Object.freeze({ a: 1 }));
      interner.storeBytes(buf, 1, 13, 42, set);
      assert.equal(interner.lookupBytes(view, 1, 13, 42), set);
      assert.equal(interner.lookupBytes(view, 14, 26, 42), set, "same bytes elsewhere");
      // Same (forced) hash, other bytes: no false hit.
      assert.equal(interner.lookupBytes(view, 2, 14, 42), undefined);
      assert.equal(interner.lookupBytes(view, 1, 12, 42), undefined);
      const other = Uint8Array.from(buf);
      other[12] = 0;
      assert.equal(interner.lookupBytes(new DataView(other.buffer), 1, 13, 42), undefined, "last byte differs");
    });

    it("does not retain the caller's buffer", () => {
      const interner = new AttributeInterner(16);
      const buf = Uint8Array.from([1, 2, 3]);
      const set = interner.internKey("k", Object.freeze({}));
      interner.storeBytes(buf, 0, 3, hashBytes(buf, 0, 3), set);
      buf[0] = 7;
      const fresh = Uint8Array.from([1, 2, 3]);
      assert.equal(interner.lookupBytes(new DataView(fresh.buffer), 0, 3, hashBytes(fresh, 0, 3)), set);
    });
  });

  describe("internKey", () => {
    it("returns the first set stored under a key", () => {
      const interner = new AttributeInterner(16);
      const first = interner.internKey('"a":"x"', Object.freeze({ a: "x" }));
      const second = interner.internKey('"a":"x"', Object.freeze({ a: "x" }));
      assert.equal(first, second);
      assert.equal(interner.getKey('"a":"x"'), first);
    });

    it("survives rotations for recently used entries and counts what it drops", () => {
      const interner = new AttributeInterner(4);
      const hot = interner.internKey("hot", Object.freeze({}));
      for (let i = 0; i < 20; i++) {
        interner.internKey(`k${i}`, Object.freeze({}));
        assert.equal(interner.internKey("hot", Object.freeze({})), hot, `hot entry kept at ${i}`);
      }
      assert.ok(interner.size <= 8);
      assert.ok(interner.evictions > 0);
    });

    it("rejects a non-positive capacity", () => {
      assert.throws(() => new AttributeInterner(0), /positive integer/);
    });
  });

  it("has a frozen empty set with the empty key", () => {
    assert.equal(EMPTY_ATTRIBUTE_SET.key, "");
    assert.ok(Object.isFrozen(EMPTY_ATTRIBUTE_SET.attributes));
    assert.equal(attributesKey(EMPTY_ATTRIBUTE_SET.attributes), "");
  });
});

describe("AttributeSetBuilder", () => {
  const primitive = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.integer());
  const pairs = fc.array(fc.tuple(fc.string({ maxLength: 4 }).filter((k) => k !== "__proto__"), primitive), { maxLength: 8 });

  describe("key", () => {
    it("equals core attributesKey of the built set, whatever the order, later duplicates winning", () => {
      fc.assert(
        fc.property(pairs, (list) => {
          const builder = new AttributeSetBuilder();
          builder.reset();
          for (const [k, v] of list) builder.add(k, v);
          const expected: Record<string, string | number | boolean> = {};
          for (const [k, v] of list) expected[k] = v;
          assert.equal(builder.key(), attributesKey(expected));
          assert.equal(builder.key(), attributesKey(builder.build()));
          const reversed = new AttributeSetBuilder();
          const seen = new Set<string>();
          for (const [k, v] of [...list].reverse()) {
            if (seen.has(k)) continue;
            seen.add(k);
            reversed.add(k, v);
          }
          assert.equal(reversed.key(), builder.key());
        }),
      );
    });
  });

  describe("build", () => {
    it("returns a frozen object with the last value of each key", () => {
      fc.assert(
        fc.property(pairs, (list) => {
          const builder = new AttributeSetBuilder();
          for (const [k, v] of list) builder.add(k, v);
          const expected: Record<string, string | number | boolean> = {};
          for (const [k, v] of list) expected[k] = v;
          const built = builder.build();
          assert.deepStrictEqual(built, Object.fromEntries(Object.keys(expected).sort().map((k) => [k, expected[k]])));
          assert.ok(Object.isFrozen(built));
        }),
      );
    });

    it("stores a __proto__ key as a plain property", () => {
      const builder = new AttributeSetBuilder();
      builder.add("__proto__", "x");
      const built = builder.build();
      assert.equal(Object.getPrototypeOf(built), Object.prototype);
      assert.deepStrictEqual(Object.keys(built), ["__proto__"]);
      assert.equal(builder.key(), attributesKey(built));
    });
  });
});
