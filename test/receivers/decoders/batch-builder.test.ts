import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AttributeInterner } from "../../../src/receivers/decoders/attribute-interner.ts";
import { DecodedBatchBuilder, countPoints } from "../../../src/receivers/decoders/batch-builder.ts";
import { flatten } from "../kafka/recording-consumer.ts";

describe("DecodedBatchBuilder", () => {
  describe("build", () => {
    it("merges consecutive samples of one series with one timestamp into one point", () => {
      const b = new DecodedBatchBuilder();
      const interner = new AttributeInterner();
      const a = interner.intern({ k: "a" }, "labels")!;
      const m = b.metric("s", "lat", "samples", "ms");
      m.addSample(a, 1000, 1);
      m.addSample(a, 1000, 2);
      m.addSampleRange(a, 1000, [3, 4, 5], 1, 3);
      m.addSample(a, 2000, 6);
      const batch = b.build();
      const metric = batch.resources[0].scopes[0].metrics[0];
      assert.ok(metric.type === "samples");
      assert.deepEqual(metric.points.map((p) => [p.timeMs, [...p.values]]), [[1000, [1, 2, 4, 5]], [2000, [6]]]);
      assert.equal(countPoints(batch), 5);
    });

    it("keeps metrics of one name with different types or units apart", () => {
      const b = new DecodedBatchBuilder();
      const e = AttributeInterner.empty;
      b.metric("s", "x", "samples", "ms").addSample(e, 1, 1);
      b.metric("s", "x", "samples", "s").addSample(e, 1, 1);
      b.metric("s", "x", "gauge", "ms").addNumber(e, 1, 1);
      assert.equal(b.build().resources[0].scopes[0].metrics.length, 3);
    });

    it("starts over empty after build, keeping rejections with the batch they belong to", () => {
      const b = new DecodedBatchBuilder();
      b.reject(2, "first");
      b.reject(1, "second");
      b.metric("s", "x", "gauge", "").addNumber(AttributeInterner.empty, 5, 5);
      const first = b.build();
      assert.equal(first.rejectedPoints, 3);
      assert.equal(first.rejectionMessage, "first");
      assert.ok(b.isEmpty);
      const second = b.build();
      assert.deepEqual(second, { resources: [], rejectedPoints: 0, rejectionMessage: "" });
    });

    it("preserves every appended value, in order per series (property)", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 200 }),
          (entries) => {
            const b = new DecodedBatchBuilder();
            const interner = new AttributeInterner();
            const expected = new Map<string, number[]>();
            for (const [series, t, v] of entries) {
              const attrs = interner.intern({ s: series }, "l")!;
              b.metric("scope", "m", "samples", "").addSample(attrs, t, v);
              const k = `${series}`;
              expected.set(k, [...(expected.get(k) ?? []), v]);
            }
            const got = new Map<string, number[]>();
            for (const o of flatten(b.build())) {
              const k = `${o.attributes.s}`;
              got.set(k, [...(got.get(k) ?? []), o.value]);
            }
            assert.deepEqual(got, expected);
          },
        ),
      );
    });
  });
});

describe("AttributeInterner", () => {
  describe("intern", () => {
    it("drops nulls, refuses nested objects and returns one frozen entry per set", () => {
      const i = new AttributeInterner();
      const a = i.intern({ b: 1, a: "x", n: null }, "labels")!;
      assert.deepEqual(a.attributes, { a: "x", b: 1 });
      assert.equal(i.intern({ a: "x", b: 1 }, "labels"), a);
      assert.equal(i.intern({ a: { deep: 1 } }, "labels"), null);
      assert.match(i.lastError, /^labels\.a: expected a string/);
    });

    it("empties its table beyond capacity and still returns equal keys", () => {
      const i = new AttributeInterner(2);
      const first = i.intern({ a: "1" }, "l")!;
      i.intern({ a: "2" }, "l");
      i.intern({ a: "3" }, "l");
      assert.ok(i.size <= 2);
      assert.equal(i.intern({ a: "1" }, "l")!.attributesKey, first.attributesKey);
    });
  });
});
