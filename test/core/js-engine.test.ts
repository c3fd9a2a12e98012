import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createJsEngine } from "../../src/core/js-engine.ts";
import { mapToIndex, maxIndex, minIndex } from "../../src/core/exponential-mapping.ts";
import {
  SlotKind,
  type AggregationEngine,
  type ExponentialHistogramInput,
  type ExponentialHistogramState,
  type HistogramLayout,
  type SlotSnapshot,
} from "../../src/core/types.ts";

function layout(boundaries: number[] | null, exponentialMaxSize = 0, exponentialMaxScale?: number): HistogramLayout {
  return {
    boundaries: boundaries === null ? null : Float64Array.from(boundaries),
    exponentialMaxSize,
    ...(exponentialMaxScale === undefined ? {} : { exponentialMaxScale }),
  };
}

function histogram(engine: AggregationEngine, boundaries: number[] | null, maxSize = 0, maxScale?: number): number {
  return engine.allocSlot(SlotKind.Histogram, engine.createLayout(layout(boundaries, maxSize, maxScale)));
}

function counts(snap: SlotSnapshot): number[] {
  assert.ok(snap.bucketCounts !== null, "expected explicit buckets");
  return Array.from(snap.bucketCounts);
}

function exp(snap: SlotSnapshot): ExponentialHistogramState {
  assert.ok(snap.exponential !== null, "expected an exponential histogram");
  return snap.exponential;
}

function recordAll(engine: AggregationEngine, slot: number, values: number[]): void {
  for (const v of values) engine.record(slot, v);
}

/** A snapshot turned into an exponential merge input. */
function asExponentialInput(snap: SlotSnapshot): ExponentialHistogramInput {
  return { ...exp(snap), count: snap.stats.count, sum: snap.stats.sum, min: snap.stats.min, max: snap.stats.max };
}

const EMPTY_EXP: ExponentialHistogramState = { scale: 0, zeroCount: 0, positive: { offset: 0, counts: [] }, negative: { offset: 0, counts: [] } };

describe("JsEngine", () => {
  describe("name", () => {
    it("is js", () => {
      assert.equal(createJsEngine().name, "js");
    });
  });

  describe("createLayout", () => {
    it("returns distinct ids and copies the boundaries", () => {
      const e = createJsEngine();
      const b = Float64Array.from([1, 2]);
      const a = e.createLayout({ boundaries: b, exponentialMaxSize: 0 });
      const c = e.createLayout({ boundaries: null, exponentialMaxSize: 4 });
      assert.notEqual(a, c);
      b[0] = 100;
      const slot = e.allocSlot(SlotKind.Histogram, a);
      e.record(slot, 1.5);
      assert.deepEqual(counts(e.snapshot(slot, false)), [0, 1, 0]);
    });
  });

  describe("allocSlot", () => {
    it("returns zeroed slots of every kind", () => {
      const e = createJsEngine();
      const sum = e.snapshot(e.allocSlot(SlotKind.Sum), false);
      assert.deepEqual(sum.stats, { count: 0, sum: 0, min: Infinity, max: -Infinity });
      assert.equal(sum.kind, SlotKind.Sum);
      assert.equal(sum.last, 0);
      assert.equal(sum.rejected, 0);
      assert.equal(sum.bucketCounts, null);
      assert.equal(sum.exponential, null);
      const gauge = e.snapshot(e.allocSlot(SlotKind.Gauge), false);
      assert.equal(gauge.kind, SlotKind.Gauge);
      assert.ok(Number.isNaN(gauge.last));
      const h = e.snapshot(histogram(e, [0, 10], 8), false);
      assert.equal(h.kind, SlotKind.Histogram);
      assert.deepEqual(counts(h), [0, 0, 0]);
      assert.deepEqual(h.exponential, EMPTY_EXP);
    });

    it("gives a histogram layout without explicit buckets null bucketCounts and one without exponential null exponential", () => {
      const e = createJsEngine();
      assert.equal(e.snapshot(histogram(e, null, 4), false).bucketCounts, null);
      assert.equal(e.snapshot(histogram(e, [1], 0), false).exponential, null);
    });

    it("throws for a histogram slot without a registered layout", () => {
      const e = createJsEngine();
      assert.throws(() => e.allocSlot(SlotKind.Histogram), /layout/);
      assert.throws(() => e.allocSlot(SlotKind.Histogram, 7), /layout/);
    });

    it("grows past its initial capacity keeping earlier slots intact", () => {
      const e = createJsEngine();
      const slots: number[] = [];
      for (let i = 0; i < 300; i++) {
        const s = e.allocSlot(SlotKind.Sum);
        e.record(s, i);
        slots.push(s);
      }
      assert.equal(new Set(slots).size, 300);
      slots.forEach((s, i) => assert.equal(e.snapshot(s, false).stats.sum, i));
    });
  });

  describe("record", () => {
    it("adds increments to a Sum slot and keeps the statistic set over the increments", () => {
      const e = createJsEngine();
      const s = e.allocSlot(SlotKind.Sum);
      recordAll(e, s, [3, -1, 5]);
      const snap = e.snapshot(s, false);
      assert.deepEqual(snap.stats, { count: 3, sum: 7, min: -1, max: 5 });
      assert.equal(snap.last, 7);
    });

    it("keeps a Gauge's last value and the statistic set over the samples", () => {
      const e = createJsEngine();
      const s = e.allocSlot(SlotKind.Gauge);
      recordAll(e, s, [3, -1, 2]);
      const snap = e.snapshot(s, false);
      assert.deepEqual(snap.stats, { count: 3, sum: 4, min: -1, max: 3 });
      assert.equal(snap.last, 2);
    });

    it("counts a value in the first bucket whose boundary it does not exceed (le semantics)", () => {
      const e = createJsEngine();
      const s = histogram(e, [-5, 0, 1, 10]);
      recordAll(e, s, [-7, -5, -4.9, 0, 0.5, 1, 10, 10.000001, 1e300]);
      assert.deepEqual(counts(e.snapshot(s, false)), [2, 2, 2, 1, 2]);
    });

    it("uses a single overflow bucket when there are no boundaries", () => {
      const e = createJsEngine();
      const s = histogram(e, []);
      recordAll(e, s, [-1, 0, 1]);
      assert.deepEqual(counts(e.snapshot(s, false)), [3]);
    });

    for (const kind of [SlotKind.Sum, SlotKind.Gauge, SlotKind.Histogram] as const) {
      it(`refuses NaN, +Inf and -Inf on a ${["Sum", "Gauge", "Histogram"][kind]} slot, counting them as rejected only`, () => {
        const e = createJsEngine();
        const s = kind === SlotKind.Histogram ? histogram(e, [0], 4) : e.allocSlot(kind);
        e.record(s, 2);
        recordAll(e, s, [NaN, Infinity, -Infinity]);
        e.recordBatch(s, Float64Array.from([NaN, Infinity]));
        e.recordScattered(Int32Array.from([s]), Float64Array.from([-Infinity]), 1);
        const snap = e.snapshot(s, false);
        assert.equal(snap.rejected, 6);
        assert.deepEqual(snap.stats, { count: 1, sum: 2, min: 2, max: 2 });
        if (kind === SlotKind.Gauge) assert.equal(snap.last, 2);
        if (kind === SlotKind.Histogram) {
          assert.deepEqual(counts(snap), [0, 1]);
          assert.deepEqual(exp(snap), { scale: 20, zeroCount: 0, positive: { offset: (1 << 20) - 1, counts: [1] }, negative: { offset: 0, counts: [] } });
        }
      });
    }

    it("records -0 as +0 in min, max, last, the explicit bucket of 0 and zeroCount", () => {
      const e = createJsEngine();
      const g = e.allocSlot(SlotKind.Gauge);
      e.record(g, -0);
      const gs = e.snapshot(g, false);
      assert.ok(Object.is(gs.stats.min, 0) && Object.is(gs.stats.max, 0) && Object.is(gs.last, 0) && Object.is(gs.stats.sum, 0));
      const h = histogram(e, [-1, 0, 1], 4);
      e.record(h, -0);
      const hs = e.snapshot(h, false);
      assert.deepEqual(counts(hs), [0, 1, 0, 0]);
      assert.deepEqual(exp(hs), { ...EMPTY_EXP, zeroCount: 1 });
      assert.ok(Object.is(hs.stats.min, 0));
    });

    it("maps Number.MIN_VALUE and other subnormals to the lowest exponential bucket", () => {
      const e = createJsEngine();
      const h = histogram(e, [0, 1e-320], 160);
      recordAll(e, h, [Number.MIN_VALUE, 1e-310, -Number.MIN_VALUE]);
      const snap = e.snapshot(h, false);
      assert.deepEqual(counts(snap), [1, 1, 1]);
      assert.deepEqual(exp(snap), {
        scale: 20,
        zeroCount: 0,
        positive: { offset: minIndex(20), counts: [2] },
        negative: { offset: minIndex(20), counts: [1] },
      });
      assert.equal(snap.stats.min, -Number.MIN_VALUE);
      assert.equal(snap.stats.max, 1e-310);
    });

    it("records 1e308 and Number.MAX_VALUE, letting the sum overflow to Infinity as OpenTelemetry does", () => {
      const e = createJsEngine();
      const h = histogram(e, [1e308], 160);
      recordAll(e, h, [1e308, Number.MAX_VALUE]);
      const snap = e.snapshot(h, false);
      assert.deepEqual(snap.stats, { count: 2, sum: Infinity, min: 1e308, max: Number.MAX_VALUE });
      assert.deepEqual(counts(snap), [1, 1]);
      // 1e308 is about 2^1023.15 and MAX_VALUE about 2^1024: 0.85 * 2^s < 160 first holds at s = 7.
      const x = exp(snap);
      assert.equal(x.scale, 7);
      assert.equal(x.positive.offset, mapToIndex(1e308, 7));
      assert.equal(x.positive.offset + x.positive.counts.length - 1, maxIndex(7));
      assert.equal(snap.rejected, 0);
    });

    it("puts negative values in the negative range, mirrored", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 160, 0);
      recordAll(e, h, [-1, -2, -3, 3]);
      assert.deepEqual(exp(e.snapshot(h, false)), {
        scale: 0,
        zeroCount: 0,
        positive: { offset: 1, counts: [1] },
        negative: { offset: -1, counts: [1, 1, 1] },
      });
    });

    it("downscales by the smallest step that keeps a range within maxSize", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 2);
      recordAll(e, h, [1, 2]);
      // At scale 20, 1 -> -1 and 2 -> 2^20 - 1; 20 halvings bring them to -1 and 0.
      assert.deepEqual(exp(e.snapshot(h, false)), { scale: 0, zeroCount: 0, positive: { offset: -1, counts: [1, 1] }, negative: { offset: 0, counts: [] } });
      e.record(h, 4);
      assert.deepEqual(exp(e.snapshot(h, false)), { scale: -1, zeroCount: 0, positive: { offset: -1, counts: [1, 2] }, negative: { offset: 0, counts: [] } });
    });

    it("downscales again when re-mapping after a downscale lands one bucket past maxSize", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 3);
      // 2^24 + 1 ulp maps like 2^24 at scale > 0 (log rounding) but to bucket 3 at scale -3, three
      // buckets from 4's bucket 0: the SDK overflows its backing array here; the engine goes to -4.
      recordAll(e, h, [4, 16777216.000000004]);
      assert.deepEqual(exp(e.snapshot(h, false)), { scale: -4, zeroCount: 0, positive: { offset: 0, counts: [1, 1] }, negative: { offset: 0, counts: [] } });
    });

    it("keeps the positive and negative ranges at one shared scale", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 4);
      recordAll(e, h, [-1.5, 1, 1e6]);
      const x = exp(e.snapshot(h, false));
      assert.equal(x.negative.offset, mapToIndex(1.5, x.scale));
      assert.equal(x.positive.offset, mapToIndex(1, x.scale));
      assert.ok(x.positive.counts.length <= 4);
    });

    it("starts at the layout's maxScale", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 160, 3);
      e.record(h, 10);
      assert.deepEqual(exp(e.snapshot(h, false)), { scale: 3, zeroCount: 0, positive: { offset: mapToIndex(10, 3), counts: [1] }, negative: { offset: 0, counts: [] } });
    });

    it("reports scale 0 while only zeros were recorded", () => {
      const e = createJsEngine();
      const h = histogram(e, null, 160);
      recordAll(e, h, [0, 0]);
      assert.deepEqual(exp(e.snapshot(h, false)), { ...EMPTY_EXP, zeroCount: 2 });
    });

    it("gives the same state whatever the order of the values", () => {
      const e = createJsEngine();
      const values = [1e-5, 3, 1e9, 0.25, -7, 12345.678, 2 ** -1022, 1e300, -1e-200];
      const a = histogram(e, [0, 1, 100], 6);
      const b = histogram(e, [0, 1, 100], 6);
      recordAll(e, a, values);
      recordAll(e, b, [...values].reverse());
      const sa = e.snapshot(a, false);
      const sb = e.snapshot(b, false);
      assert.deepEqual(sa.exponential, sb.exponential);
      assert.deepEqual(counts(sa), counts(sb));
      assert.equal(sa.stats.min, sb.stats.min);
    });
  });

  describe("recordBatch", () => {
    it("records values[start..end) only", () => {
      const e = createJsEngine();
      const s = histogram(e, [1, 2]);
      e.recordBatch(s, Float64Array.from([0.5, 1.5, 2.5, 3.5]), 1, 3);
      const snap = e.snapshot(s, false);
      assert.deepEqual(counts(snap), [0, 1, 1]);
      assert.deepEqual(snap.stats, { count: 2, sum: 4, min: 1.5, max: 2.5 });
    });

    it("records the whole array by default and nothing for an empty range", () => {
      const e = createJsEngine();
      const s = e.allocSlot(SlotKind.Sum);
      e.recordBatch(s, Float64Array.from([1, 2, 3]));
      e.recordBatch(s, Float64Array.from([5, 5]), 1, 1);
      assert.equal(e.snapshot(s, false).stats.sum, 6);
    });
  });

  describe("recordScattered", () => {
    it("records values[i] into slots[i] for i < n and ignores the rest", () => {
      const e = createJsEngine();
      const a = e.allocSlot(SlotKind.Sum);
      const g = e.allocSlot(SlotKind.Gauge);
      e.recordScattered(Int32Array.from([a, g, a, g, a]), Float64Array.from([1, 2, 3, 4, 100]), 4);
      assert.equal(e.snapshot(a, false).stats.sum, 4);
      const gs = e.snapshot(g, false);
      assert.equal(gs.last, 4);
      assert.equal(gs.stats.count, 2);
    });
  });

  describe("mergeExplicit", () => {
    it("adds counts bucket by bucket when the boundaries are the same", () => {
      const e = createJsEngine();
      const s = histogram(e, [1, 2]);
      e.record(s, 1.5);
      e.mergeExplicit(s, { boundaries: [1, 2], bucketCounts: [1, 2, 3], count: 6, sum: 10, min: 0.5, max: 7 });
      const snap = e.snapshot(s, false);
      assert.deepEqual(counts(snap), [1, 3, 3]);
      assert.deepEqual(snap.stats, { count: 7, sum: 11.5, min: 0.5, max: 7 });
    });

    it("re-buckets other boundaries by each source bucket's upper bound", () => {
      const e = createJsEngine();
      const s = histogram(e, [0, 10, 100]);
      e.mergeExplicit(s, { boundaries: [5, 50, 500], bucketCounts: [1, 2, 3, 4], count: 10, sum: 1000, min: 1, max: 900 });
      assert.deepEqual(counts(e.snapshot(s, false)), [0, 1, 2, 7]);
    });

    it("keeps a source bucket whose upper bound equals a destination boundary in that boundary's bucket", () => {
      const e = createJsEngine();
      const s = histogram(e, [1, 2, 4]);
      e.mergeExplicit(s, { boundaries: [-3, 2], bucketCounts: [5, 6, 7], count: 18, sum: 0, min: -9, max: 9 });
      assert.deepEqual(counts(e.snapshot(s, false)), [5, 6, 0, 7]);
    });

    it("inserts each bucket's count at its clamped midpoint into an exponential histogram", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160);
      e.mergeExplicit(s, { boundaries: [0, 10], bucketCounts: [1, 2, 3], count: 6, sum: 60, min: -4, max: 30 });
      const reference = histogram(e, null, 160);
      recordAll(e, reference, [-2, 5, 5, 20, 20, 20]);
      assert.deepEqual(exp(e.snapshot(s, false)), exp(e.snapshot(reference, false)));
      assert.deepEqual(e.snapshot(s, false).stats, { count: 6, sum: 60, min: -4, max: 30 });
    });

    it("clamps representatives to [min, max], including an overflowing midpoint", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160);
      e.mergeExplicit(s, { boundaries: [0, 10], bucketCounts: [0, 1, 1], count: 2, sum: 19, min: 7, max: 12 });
      const huge = histogram(e, null, 160);
      e.mergeExplicit(huge, { boundaries: [1e308], bucketCounts: [0, 1], count: 1, sum: Number.MAX_VALUE, min: Number.MAX_VALUE, max: Number.MAX_VALUE });
      const reference = histogram(e, null, 160);
      recordAll(e, reference, [7, 11]);
      assert.deepEqual(exp(e.snapshot(s, false)), exp(e.snapshot(reference, false)));
      assert.deepEqual(exp(e.snapshot(huge, false)).positive, { offset: maxIndex(20), counts: [1] });
    });

    it("puts a representative of 0 in zeroCount", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160);
      e.mergeExplicit(s, { boundaries: [-1, 1], bucketCounts: [0, 4, 0], count: 4, sum: 0, min: -0.5, max: 0.5 });
      assert.deepEqual(exp(e.snapshot(s, false)), { ...EMPTY_EXP, zeroCount: 4 });
    });

    it("fills both parts of a layout with explicit and exponential buckets", () => {
      const e = createJsEngine();
      const s = histogram(e, [10], 160);
      e.mergeExplicit(s, { boundaries: [10], bucketCounts: [2, 1], count: 3, sum: 25, min: 4, max: 12 });
      const snap = e.snapshot(s, false);
      assert.deepEqual(counts(snap), [2, 1]);
      assert.equal(exp(snap).positive.counts.reduce((a, c) => a + c, 0), 3);
    });

    it("leaves min and max alone for an input with count 0", () => {
      const e = createJsEngine();
      const s = histogram(e, [1]);
      e.record(s, 0.5);
      e.mergeExplicit(s, { boundaries: [1], bucketCounts: [0, 0], count: 0, sum: 0, min: -100, max: 100 });
      assert.deepEqual(e.snapshot(s, false).stats, { count: 1, sum: 0.5, min: 0.5, max: 0.5 });
    });

    it("applies the statistic set rule to Sum and Gauge slots", () => {
      const e = createJsEngine();
      const sum = e.allocSlot(SlotKind.Sum);
      e.record(sum, 1);
      e.mergeExplicit(sum, { boundaries: [1], bucketCounts: [1, 1], count: 2, sum: 5, min: 1, max: 4 });
      const ss = e.snapshot(sum, false);
      assert.deepEqual(ss.stats, { count: 3, sum: 6, min: 1, max: 4 });
      assert.equal(ss.last, 6);
      const g = e.allocSlot(SlotKind.Gauge);
      e.record(g, 9);
      e.mergeExplicit(g, { boundaries: [1], bucketCounts: [1, 1], count: 2, sum: 5, min: 1, max: 4 });
      const gs = e.snapshot(g, false);
      assert.deepEqual(gs.stats, { count: 3, sum: 14, min: 1, max: 9 });
      assert.equal(gs.last, 9);
    });
  });

  describe("mergeExponential", () => {
    it("throws a RangeError naming a scale or bucket range outside the mapping's indexes, and changes nothing", () => {
      const e = createJsEngine();
      const s = histogram(e, [0, 5], 160);
      e.mergeExponential(s, { scale: 0, zeroCount: 0, positive: { offset: 1, counts: [2] }, negative: { offset: 0, counts: [] }, count: 2, sum: 7, min: 3, max: 4 });
      const before = e.snapshot(s, false);
      const refused: [ExponentialHistogramInput, string][] = [
        [{ scale: 0, zeroCount: 1, positive: { offset: 2 ** 31 - 3, counts: [1, 1, 1] }, negative: { offset: 0, counts: [] }, count: 4, sum: 3, min: 0, max: 8 },
          "mergeExponential: positive.offset 2147483645 + 3 buckets exceeds the largest bucket index 1023 at scale 0"],
        [{ scale: 20, zeroCount: 0, positive: { offset: 0, counts: [] }, negative: { offset: minIndex(20) - 1, counts: [1] }, count: 1, sum: -1, min: -1, max: -1 },
          "mergeExponential: negative.offset -1071644674 is below the smallest bucket index -1071644673 at scale 20"],
        [{ scale: 21, zeroCount: 0, positive: { offset: 0, counts: [1] }, negative: { offset: 0, counts: [] }, count: 1, sum: 1, min: 1, max: 1 },
          "mergeExponential: scale 21 is outside -10..20"],
      ];
      for (const [input, message] of refused) {
        assert.throws(() => e.mergeExponential(s, input), { name: "RangeError", message });
        assert.deepEqual(e.snapshot(s, false), before);
      }
    });

    it("adds counts at the same scale", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160, 0);
      e.record(s, 3);
      e.mergeExponential(s, { scale: 0, zeroCount: 2, positive: { offset: 1, counts: [4, 1] }, negative: { offset: 0, counts: [1] }, count: 8, sum: 20, min: -2, max: 8 });
      const snap = e.snapshot(s, false);
      assert.deepEqual(exp(snap), { scale: 0, zeroCount: 2, positive: { offset: 1, counts: [5, 1] }, negative: { offset: 0, counts: [1] } });
      assert.deepEqual(snap.stats, { count: 9, sum: 23, min: -2, max: 8 });
    });

    it("brings both to the smaller scale", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160, 2);
      e.record(s, 3); // scale 2: index floor(log2(3) * 4) = 6
      e.mergeExponential(s, { scale: 1, zeroCount: 0, positive: { offset: 3, counts: [1] }, negative: { offset: 0, counts: [] }, count: 1, sum: 3, min: 3, max: 3 });
      assert.deepEqual(exp(e.snapshot(s, false)), { scale: 1, zeroCount: 0, positive: { offset: 3, counts: [2] }, negative: { offset: 0, counts: [] } });
    });

    it("downscales further when the combined range would exceed maxSize", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 4, 0);
      e.record(s, 1.5); // index 0
      e.mergeExponential(s, { scale: 0, zeroCount: 0, positive: { offset: 7, counts: [2] }, negative: { offset: 0, counts: [] }, count: 2, sum: 400, min: 200, max: 200 });
      // 0..7 needs 8 buckets; one halving gives 0..3.
      assert.deepEqual(exp(e.snapshot(s, false)), { scale: -1, zeroCount: 0, positive: { offset: 0, counts: [1, 0, 0, 2] }, negative: { offset: 0, counts: [] } });
    });

    it("ignores empty buckets at the ends of an input range and leaves the scale alone for an input without buckets", () => {
      const e = createJsEngine();
      const s = histogram(e, null, 160);
      e.record(s, 3);
      const before = exp(e.snapshot(s, false));
      e.mergeExponential(s, { scale: -10, zeroCount: 3, positive: { offset: -1, counts: [0, 0] }, negative: { offset: 0, counts: [] }, count: 3, sum: 0, min: 0, max: 0 });
      assert.deepEqual(exp(e.snapshot(s, false)), { ...before, zeroCount: 3 });
      e.mergeExponential(s, { scale: 20, zeroCount: 0, positive: { offset: before.positive.offset - 2, counts: [0, 0, 1, 0] }, negative: { offset: 0, counts: [] }, count: 1, sum: 3, min: 3, max: 3 });
      assert.deepEqual(exp(e.snapshot(s, false)).positive, { offset: before.positive.offset, counts: [2] });
    });

    it("equals recording the union of the values", () => {
      const e = createJsEngine();
      const a = [0.001, 5, 7, -3, 0, 1e6];
      const b = [2 ** 40, 1e-9, -1e-3, 0];
      const merged = histogram(e, null, 20);
      const other = histogram(e, null, 20);
      const union = histogram(e, null, 20);
      recordAll(e, merged, a);
      recordAll(e, other, b);
      recordAll(e, union, [...a, ...b]);
      e.mergeExponential(merged, asExponentialInput(e.snapshot(other, false)));
      const ms = e.snapshot(merged, false);
      const us = e.snapshot(union, false);
      assert.deepEqual(exp(ms), exp(us));
      assert.deepEqual({ ...ms.stats, sum: 0 }, { ...us.stats, sum: 0 });
    });

    it("moves each bucket into the explicit bucket containing its upper bound, exactly at powers of two", () => {
      const e = createJsEngine();
      const s = histogram(e, [1, 2, 4]);
      // scale 0: positive index 0 = (1, 2] -> le 2; index 1 = (2, 4] -> le 4; index 2 = (4, 8] -> overflow;
      // index -1 = (0.5, 1] -> le 1.
      e.mergeExponential(s, { scale: 0, zeroCount: 0, positive: { offset: -1, counts: [1, 2, 3, 4] }, negative: { offset: 0, counts: [] }, count: 10, sum: 40, min: 0.6, max: 8 });
      assert.deepEqual(counts(e.snapshot(s, false)), [1, 2, 3, 4]);
      const fine = histogram(e, [1, 2, 4]);
      // scale 3: index 7 = (2^(7/8), 2] -> le 2; index 8 = (2, 2^(9/8)] -> le 4.
      e.mergeExponential(fine, { scale: 3, zeroCount: 0, positive: { offset: 7, counts: [5, 6] }, negative: { offset: 0, counts: [] }, count: 11, sum: 22, min: 1.9, max: 2.1 });
      assert.deepEqual(counts(e.snapshot(fine, false)), [0, 5, 6, 0]);
    });

    it("moves a bucket whose irrational upper bound lies just below a boundary into that boundary's bucket", () => {
      const e = createJsEngine();
      // scale 1: index 0 = (1, sqrt 2]; 1.4142135623730951 (the double nearest sqrt 2) is above sqrt 2.
      const s = histogram(e, [1.4142135623730951, 1.5]);
      e.mergeExponential(s, { scale: 1, zeroCount: 0, positive: { offset: 0, counts: [1] }, negative: { offset: 0, counts: [] }, count: 1, sum: 1.2, min: 1.2, max: 1.2 });
      assert.deepEqual(counts(e.snapshot(s, false)), [1, 0, 0]);
    });

    it("moves negative buckets by their upper bound -base^i and zeroCount to the bucket of 0", () => {
      const e = createJsEngine();
      const s = histogram(e, [-3, -2, -1, 0, 1]);
      // scale 0: negative index 0 = [-2, -1) -> le -1; index 1 = [-4, -2) -> le -2; index 2 = [-8, -4) -> le -3.
      e.mergeExponential(s, { scale: 0, zeroCount: 7, positive: { offset: 5, counts: [1] }, negative: { offset: 0, counts: [1, 2, 3] }, count: 14, sum: 0, min: -8, max: 64 });
      assert.deepEqual(counts(e.snapshot(s, false)), [3, 2, 1, 7, 0, 1]);
    });

    it("applies the statistic set rule to a Gauge slot", () => {
      const e = createJsEngine();
      const g = e.allocSlot(SlotKind.Gauge);
      e.record(g, 1);
      e.mergeExponential(g, { scale: 0, zeroCount: 1, positive: { offset: 0, counts: [1] }, negative: { offset: 0, counts: [] }, count: 2, sum: 1.5, min: 0, max: 1.5 });
      const snap = e.snapshot(g, false);
      assert.deepEqual(snap.stats, { count: 3, sum: 2.5, min: 0, max: 1.5 });
      assert.equal(snap.last, 1);
    });
  });

  describe("mergeStatistics", () => {
    it("adds count and sum and widens min/max without touching buckets", () => {
      const e = createJsEngine();
      const s = histogram(e, [1], 8);
      e.record(s, 0.5);
      e.mergeStatistics(s, { count: 3, sum: 9, min: -0, max: 5 });
      const snap = e.snapshot(s, false);
      assert.deepEqual(snap.stats, { count: 4, sum: 9.5, min: 0, max: 5 });
      assert.ok(Object.is(snap.stats.min, 0));
      assert.deepEqual(counts(snap), [1, 0]);
      assert.equal(exp(snap).positive.counts.reduce((a, c) => a + c, 0), 1);
    });

    it("grows a Sum slot's value and leaves a Gauge's last value untouched", () => {
      const e = createJsEngine();
      const sum = e.allocSlot(SlotKind.Sum);
      e.mergeStatistics(sum, { count: 2, sum: 10, min: 4, max: 6 });
      assert.equal(e.snapshot(sum, false).last, 10);
      const g = e.allocSlot(SlotKind.Gauge);
      e.mergeStatistics(g, { count: 2, sum: 10, min: 4, max: 6 });
      assert.ok(Number.isNaN(e.snapshot(g, false).last));
    });

    it("leaves min/max alone for count 0", () => {
      const e = createJsEngine();
      const g = e.allocSlot(SlotKind.Gauge);
      e.mergeStatistics(g, { count: 0, sum: 0, min: -5, max: 5 });
      assert.deepEqual(e.snapshot(g, false).stats, { count: 0, sum: 0, min: Infinity, max: -Infinity });
    });
  });

  describe("mergeSlot", () => {
    it("adds statistic sets, rejected counts and explicit buckets", () => {
      const e = createJsEngine();
      const l = e.createLayout(layout([0, 10]));
      const a = e.allocSlot(SlotKind.Histogram, l);
      const b = e.allocSlot(SlotKind.Histogram, l);
      recordAll(e, a, [1, NaN]);
      recordAll(e, b, [-1, 11, Infinity, 12]);
      e.mergeSlot(a, b);
      const snap = e.snapshot(a, false);
      assert.deepEqual(snap.stats, { count: 4, sum: 23, min: -1, max: 12 });
      assert.equal(snap.rejected, 2);
      assert.deepEqual(counts(snap), [1, 1, 2]);
      assert.deepEqual(e.snapshot(b, false).stats.count, 3, "the source is unchanged");
    });

    it("merges exponential histograms at different scales like recording the union", () => {
      const e = createJsEngine();
      const l = e.createLayout(layout(null, 8));
      const a = e.allocSlot(SlotKind.Histogram, l);
      const b = e.allocSlot(SlotKind.Histogram, l);
      const u = e.allocSlot(SlotKind.Histogram, l);
      recordAll(e, a, [1.0001, 1.0002]); // stays at a high scale
      recordAll(e, b, [1e-3, 1e3, -5]); // downscaled a lot
      recordAll(e, u, [1.0001, 1.0002, 1e-3, 1e3, -5]);
      e.mergeSlot(a, b);
      assert.deepEqual(exp(e.snapshot(a, false)), exp(e.snapshot(u, false)));
    });

    it("takes a gauge's last value from the source only when the source has samples", () => {
      const e = createJsEngine();
      const a = e.allocSlot(SlotKind.Gauge);
      const b = e.allocSlot(SlotKind.Gauge);
      e.record(a, 1);
      e.mergeSlot(a, b);
      assert.equal(e.snapshot(a, false).last, 1);
      e.record(b, 2);
      e.mergeSlot(a, b);
      assert.equal(e.snapshot(a, false).last, 2);
    });

    it("keeps a gauge's last value when the source only holds merged statistic sets", () => {
      const e = createJsEngine();
      const a = e.allocSlot(SlotKind.Gauge);
      const b = e.allocSlot(SlotKind.Gauge);
      e.record(a, 0);
      e.mergeStatistics(b, { count: 1, sum: 1, min: 1, max: 1 });
      e.mergeSlot(a, b);
      const snap = e.snapshot(a, false);
      assert.ok(Object.is(snap.last, 0));
      assert.equal(snap.stats.count, 2);
    });

    it("adds a Sum slot's value", () => {
      const e = createJsEngine();
      const a = e.allocSlot(SlotKind.Sum);
      const b = e.allocSlot(SlotKind.Sum);
      e.record(a, 1);
      e.record(b, 2);
      e.mergeSlot(a, b);
      assert.equal(e.snapshot(a, false).last, 3);
    });

    it("throws when the slots differ in kind or layout", () => {
      const e = createJsEngine();
      assert.throws(() => e.mergeSlot(e.allocSlot(SlotKind.Sum), e.allocSlot(SlotKind.Gauge)), /differ/);
      assert.throws(() => e.mergeSlot(histogram(e, [1]), histogram(e, [1])), /differ/);
    });
  });

  describe("snapshot", () => {
    it("returns a copy that later recording does not change", () => {
      const e = createJsEngine();
      const s = histogram(e, [1], 8);
      e.record(s, 0.5);
      const first = e.snapshot(s, false);
      e.record(s, 2);
      assert.deepEqual(counts(first), [1, 0]);
      assert.equal(first.stats.count, 1);
      assert.deepEqual(exp(first).positive.counts, [1]);
      first.bucketCounts?.fill(9);
      assert.deepEqual(counts(e.snapshot(s, false)), [1, 1]);
    });

    it("with reset returns the state and zeroes the slot in the same step", () => {
      const e = createJsEngine();
      const s = histogram(e, [1], 2);
      recordAll(e, s, [0.5, 1e6, NaN]);
      const taken = e.snapshot(s, true);
      assert.equal(taken.stats.count, 2);
      assert.equal(taken.rejected, 1);
      const after = e.snapshot(s, false);
      assert.deepEqual(after.stats, { count: 0, sum: 0, min: Infinity, max: -Infinity });
      assert.equal(after.rejected, 0);
      assert.deepEqual(counts(after), [0, 0]);
      assert.deepEqual(after.exponential, EMPTY_EXP);
    });

    it("throws for a freed slot", () => {
      const e = createJsEngine();
      const s = e.allocSlot(SlotKind.Sum);
      e.freeSlot(s);
      assert.throws(() => e.snapshot(s, false), /not allocated/);
    });
  });

  describe("reset", () => {
    it("zeroes every part of the slot, keeps its kind and layout, and restarts the exponential scale at maxScale", () => {
      const e = createJsEngine();
      const s = histogram(e, [1], 2);
      recordAll(e, s, [1e-100, 1e100, -Infinity]);
      assert.ok(exp(e.snapshot(s, false)).scale < 0);
      e.reset(s);
      const snap = e.snapshot(s, false);
      assert.deepEqual(snap.stats, { count: 0, sum: 0, min: Infinity, max: -Infinity });
      assert.equal(snap.rejected, 0);
      assert.deepEqual(counts(snap), [0, 0]);
      e.record(s, 3);
      assert.equal(exp(e.snapshot(s, false)).scale, 20);
    });

    it("returns a gauge's last value to NaN", () => {
      const e = createJsEngine();
      const g = e.allocSlot(SlotKind.Gauge);
      e.record(g, 4);
      e.reset(g);
      assert.ok(Number.isNaN(e.snapshot(g, false).last));
    });
  });

  describe("freeSlot", () => {
    it("lets a freed slot be reused, zeroed, with another kind or layout", () => {
      const e = createJsEngine();
      const s = histogram(e, [1, 2], 8);
      recordAll(e, s, [1, 5, NaN]);
      e.freeSlot(s);
      const g = e.allocSlot(SlotKind.Gauge);
      assert.equal(g, s);
      const snap = e.snapshot(g, false);
      assert.equal(snap.kind, SlotKind.Gauge);
      assert.deepEqual(snap.stats, { count: 0, sum: 0, min: Infinity, max: -Infinity });
      assert.equal(snap.rejected, 0);
      assert.equal(snap.bucketCounts, null);
      e.freeSlot(g);
      const h = histogram(e, [7], 0);
      assert.equal(h, s);
      assert.deepEqual(counts(e.snapshot(h, false)), [0, 0]);
    });

    it("ignores a second free of the same slot", () => {
      const e = createJsEngine();
      const s = e.allocSlot(SlotKind.Sum);
      e.freeSlot(s);
      e.freeSlot(s);
      const a = e.allocSlot(SlotKind.Sum);
      const b = e.allocSlot(SlotKind.Sum);
      assert.notEqual(a, b);
    });
  });

  describe("memoryBytes", () => {
    it("grows with slots and buckets", () => {
      const e = createJsEngine();
      const empty = e.memoryBytes();
      const s = histogram(e, [1, 2, 3], 160);
      const withSlot = e.memoryBytes();
      assert.ok(withSlot > empty);
      for (let i = 0; i < 100; i++) e.record(s, 1 + i / 1000);
      assert.ok(e.memoryBytes() > withSlot);
    });
  });
});
