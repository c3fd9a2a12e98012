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

  describe("storeBytes", () => {
    it("does not cache attribute fields beyond 16 KiB, and bounds the bytes of a generation", () => {
      const interner = new AttributeInterner(1_000_000);
      const set = interner.internKey("x", Object.freeze({}));
      const large = new Uint8Array(16 * 1024 + 1);
      interner.storeBytes(large, 0, large.length, hashBytes(large, 0, large.length), set);
      assert.equal(interner.lookupBytes(new DataView(large.buffer), 0, large.length, hashBytes(large, 0, large.length)), undefined);
      const chunk = new Uint8Array(16 * 1024);
      for (let i = 0; i < 5000; i++) {
        new DataView(chunk.buffer).setUint32(0, i);
        interner.storeBytes(chunk, 0, chunk.length, hashBytes(chunk, 0, chunk.length), set);
      }
      assert.ok(interner.evictions > 0, "5000 entries of 16 KiB (80 MiB) forced rotations");
    });
  });

  describe("lookupSequential", () => {
    /** Stores `ranges` (byte arrays laid out one after the other in one buffer) under sets k0, k1, ... */
    function stored(interner: AttributeInterner, ranges: number[][]): { view: DataView; spans: [number, number][]; sets: ReturnType<AttributeInterner["internKey"]>[] } {
      const buf = Uint8Array.from(ranges.flat());
      const spans: [number, number][] = [];
      const sets: ReturnType<AttributeInterner["internKey"]>[] = [];
      let at = 0;
      ranges.forEach((r, i) => {
        const set = interner.internKey(`k${i}`, Object.freeze({ i }));
        interner.storeBytes(buf, at, at + r.length, hashBytes(buf, at, at + r.length), set);
        spans.push([at, at + r.length]);
        sets.push(set);
        at += r.length;
      });
      return { view: new DataView(buf.buffer), spans, sets };
    }

    it("finds sets in storage order, in another order and after a miss", () => {
      const interner = new AttributeInterner(16);
      const { view, spans, sets } = stored(interner, [[1, 2, 3, 4, 5], [1, 2, 3, 4, 6], [7], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
      for (const order of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [0, 1, 2, 3]]) {
        for (const i of order) assert.equal(interner.lookupSequential(view, spans[i][0], spans[i][1]), sets[i], `entry ${i}`);
      }
      const unknown = new DataView(Uint8Array.from([1, 2, 3, 4, 7]).buffer);
      assert.equal(interner.lookupSequential(unknown, 0, 5), undefined);
      assert.equal(interner.lookupSequential(view, spans[2][0], spans[2][1]), sets[2]);
    });

    it("never returns a set stored for other bytes, across generation rotations", () => {
      const ranges = fc.array(fc.uint8Array({ minLength: 0, maxLength: 9 }), { minLength: 1, maxLength: 30 });
      fc.assert(
        fc.property(ranges, fc.array(fc.nat(), { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), (list, picks, capacity) => {
          const interner = new AttributeInterner(capacity);
          const bytesOf = new Map<object, string>();
          const buf = Uint8Array.from(list.flatMap((r) => Array.from(r)));
          const view = new DataView(buf.buffer);
          const starts: number[] = [];
          let at = 0;
          for (const r of list) {
            starts.push(at);
            at += r.length;
          }
          for (const pick of picks) {
            const i = pick % list.length;
            const [s, e] = [starts[i], starts[i] + list[i].length];
            const key = Array.from(list[i]).join(",");
            const hit = interner.lookupSequential(view, s, e);
            if (hit === undefined) {
              const set = interner.internKey(key, Object.freeze({}));
              bytesOf.set(set, key);
              interner.storeBytes(buf, s, e, hashBytes(buf, s, e), set);
            } else {
              assert.equal(bytesOf.get(hit), key);
            }
          }
        }),
      );
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

    it("rotates by characters as well as by entries, so large keys cannot grow it without bound", () => {
      const interner = new AttributeInterner(1_000_000);
      const big = "k".repeat(1024 * 1024);
      for (let i = 0; i < 100; i++) interner.internKey(`${i}${big}`, Object.freeze({}));
      assert.ok(interner.size <= 64, `${interner.size} keys of 1 MiB held`);
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
