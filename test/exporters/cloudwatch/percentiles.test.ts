import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createAggregator, exponentialBuckets } from "../../../src/index.ts";
import type { Aggregator, Histogram, SeriesSnapshot } from "../../../src/core/api.ts";
import { DEFAULT_MAX_POINTS, flushTiny, histogramToWeightedValues, type WeightedValues } from "../../../src/exporters/cloudwatch/percentiles.ts";
import { exactPercentile, lognormalSamples, seededRandom, weightedPercentile } from "./oracle.ts";

let seq = 0;

async function record(
  agg: Aggregator,
  values: Float64Array,
  options: { exponential?: { maxSize: number }; boundaries?: number[] },
): Promise<{ h: Histogram; snap: SeriesSnapshot }> {
  const h = agg.histogram(`h${seq++}`, options);
  const reader = agg.createReader("delta");
  h.bind().recordBatch(values);
  const snap = reader.read().find((s) => s.instrument === h);
  reader.close();
  assert.ok(snap);
  return { h, snap };
}

function convert(h: Histogram, snap: SeriesSnapshot, maxPoints: number, scale = 1): WeightedValues {
  const w = histogramToWeightedValues(
    { stats: snap.state.stats, bucketCounts: snap.state.bucketCounts, boundaries: h.boundaries, exponential: snap.state.exponential },
    scale,
    maxPoints,
  );
  assert.ok(typeof w !== "string", `conversion failed: ${String(w)}`);
  return w;
}

function checkInvariants(w: WeightedValues, xs: Float64Array, scale = 1): void {
  const n = xs.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let abs = 0;
  for (const x of xs) {
    const v = flushTiny((x === 0 ? 0 : x) * scale);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    abs += Math.abs(v);
  }
  assert.equal(w.counts.reduce((a, b) => a + b, 0), n, "SampleCount = sum of Counts is exact");
  // Magnitudes below 2^-360 are sent as 0 (CloudWatch refuses them).
  assert.equal(w.values[0], flushTiny(min), "Minimum is exact");
  assert.equal(w.values[w.values.length - 1], flushTiny(max), "Maximum is exact");
  const sent = w.values.reduce((a, v, i) => a + v * w.counts[i], 0);
  assert.ok(Math.abs(sent - sum) <= 1e-9 * abs + n * 2 ** -360, `Sum ${sent} vs ${sum}`);
  for (let i = 0; i < w.values.length; i++) {
    assert.ok(Number.isInteger(w.counts[i]) && w.counts[i] >= 1, "counts are positive integers");
    if (i > 0) assert.ok(w.values[i] > w.values[i - 1], "values ascend strictly (each listed once)");
  }
}

describe("histogramToWeightedValues", () => {
  it("keeps SampleCount, Min, Max exact and Sum exact to rounding, for any values (property)", async () => {
    const agg = await createAggregator({ engine: "js" });
    const value = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0, 1, 2, 1e-3, -5),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 400 }), fc.boolean(), fc.integer({ min: 3, max: 400 }), async (arr, explicit, budget) => {
        const xs = Float64Array.from(arr);
        const { h, snap } = await record(agg, xs, explicit ? { boundaries: [-10, -1, 0, 1, 10, 100] } : { exponential: { maxSize: 160 } });
        const w = convert(h, snap, budget);
        checkInvariants(w, xs);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it("stays within the points budget when the buckets allow", async () => {
    const agg = await createAggregator({ engine: "js" });
    const xs = lognormalSamples(seededRandom(7), 50_000, Math.log(0.02), 0.6);
    const { h, snap } = await record(agg, xs, { exponential: { maxSize: 160 } });
    const sizes = [150, 300, 600].map((budget) => {
      const w = convert(h, snap, budget);
      assert.ok(w.values.length <= budget, `${w.values.length} points for a budget of ${budget}`);
      return w.values.length;
    });
    assert.ok(sizes[0] < sizes[1], `a larger budget buys more points: ${sizes.join(", ")}`);
    // Beyond scale-5 resolution more points buy nothing: the cap is not spent for its own sake.
    assert.ok(sizes[2] < 600, `${sizes[2]} points at a cap of 600`);
  });

  it("applies the unit scale to every value (ns to microseconds)", async () => {
    const agg = await createAggregator({ engine: "js" });
    const xs = Float64Array.from([1500, 2500, 10_000, 123_456]);
    const { h, snap } = await record(agg, xs, { exponential: { maxSize: 160 } });
    checkInvariants(convert(h, snap, 300, 1e-3), xs, 1e-3);
  });

  it("refuses values beyond CloudWatch's range and histograms whose buckets miss samples", async () => {
    const agg = await createAggregator({ engine: "js" });
    const { h, snap } = await record(agg, Float64Array.from([1, 2 ** 361]), { exponential: { maxSize: 160 } });
    assert.equal(
      histogramToWeightedValues({ stats: snap.state.stats, bucketCounts: null, boundaries: null, exponential: snap.state.exponential }, 1),
      "value_out_of_range",
    );
    const partial = await record(agg, Float64Array.from([1, 2, 3]), { exponential: { maxSize: 160 } });
    partial.h.bind().mergeStatistics({ count: 2, sum: 10, min: 4, max: 6 });
    const reader = agg.createReader("delta");
    partial.h.bind().mergeStatistics({ count: 2, sum: 10, min: 4, max: 6 });
    partial.h.bind().record(1);
    const snap2 = reader.read().find((s) => s.instrument === partial.h);
    assert.ok(snap2);
    assert.equal(
      histogramToWeightedValues({ stats: snap2.state.stats, bucketCounts: null, boundaries: null, exponential: snap2.state.exponential }, 1),
      "buckets_incomplete",
    );
    void h;
  });

  it("gives p50/p90/p99 within 2% of the exact quantiles for lognormal latencies in an exponential histogram (maxSize 160)", async () => {
    const agg = await createAggregator({ engine: "js" });
    let worst = 0;
    for (let trial = 0; trial < 40; trial++) {
      const rnd = seededRandom(1000 + trial);
      const sigma = 0.1 + rnd() * 1.1;
      const mu = Math.log(0.001 + rnd() * 0.2);
      const n = 10_000 + Math.floor(rnd() * 90_000);
      const xs = lognormalSamples(rnd, n, mu, sigma);
      const { h, snap } = await record(agg, xs, { exponential: { maxSize: 160 } });
      const w = convert(h, snap, DEFAULT_MAX_POINTS);
      checkInvariants(w, xs);
      const sorted = Float64Array.from(xs).sort();
      for (const p of [0.5, 0.9, 0.99]) {
        const exact = exactPercentile(sorted, p);
        const err = Math.abs(weightedPercentile(w.values, w.counts, p) - exact) / exact;
        worst = Math.max(worst, err);
        assert.ok(err <= 0.02, `trial ${trial} (sigma ${sigma.toFixed(2)}, n ${n}) p${p * 100}: ${(err * 100).toFixed(2)}%`);
      }
    }
    assert.ok(worst > 0, "the comparison measured something");
  });

  it("gives p50/p90/p99 within 10% for lognormal data re-bucketed into exponentialBuckets(0.001, 1.5, 10)", async () => {
    // The stated bound for explicit buckets with factor 1.5 when the quantiles fall inside the
    // bucket range (the overflow bucket is bounded only by [last boundary, max]).
    const agg = await createAggregator({ engine: "js" });
    for (let trial = 0; trial < 25; trial++) {
      const rnd = seededRandom(2000 + trial);
      const sigma = 0.2 + rnd() * 0.4;
      const mu = Math.log(0.004 + rnd() * 0.004);
      const n = 10_000 + Math.floor(rnd() * 90_000);
      const xs = lognormalSamples(rnd, n, mu, sigma);
      const { h, snap } = await record(agg, xs, { boundaries: exponentialBuckets(0.001, 1.5, 10) });
      const w = convert(h, snap, 300);
      checkInvariants(w, xs);
      const sorted = Float64Array.from(xs).sort();
      for (const p of [0.5, 0.9, 0.99]) {
        const exact = exactPercentile(sorted, p);
        const err = Math.abs(weightedPercentile(w.values, w.counts, p) - exact) / exact;
        assert.ok(err <= 0.1, `trial ${trial} p${p * 100}: ${(err * 100).toFixed(2)}%`);
      }
    }
  });
});
