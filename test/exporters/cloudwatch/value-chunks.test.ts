import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createAggregator } from "../../../src/index.ts";
import type { Aggregator, SeriesSnapshot } from "../../../src/core/api.ts";
import { seriesContent, type SeriesContent } from "../../../src/exporters/cloudwatch/series-values.ts";
import { mapUnit } from "../../../src/exporters/cloudwatch/units.ts";
import { chunkWithStatistics, type StatisticTotals, type ValueChunk } from "../../../src/exporters/cloudwatch/value-chunks.ts";

let seq = 0;

/** One window of one histogram series, as the exporters read it. */
function snapshotOf(agg: Aggregator, record: (h: ReturnType<Aggregator["histogram"]>) => void, histogram: { exponential: { maxSize: number } } | { boundaries: number[] }): SeriesSnapshot {
  const h = agg.histogram(`h${seq++}`, histogram);
  const reader = agg.createReader("delta");
  record(h);
  const snap = reader.read().find((s) => s.instrument === h);
  reader.close();
  assert.ok(snap);
  return snap;
}

function weighted(snap: SeriesSnapshot, maxPoints: number): Extract<SeriesContent, { kind: "weighted" }> {
  const content = seriesContent(snap, mapUnit(snap.instrument.unit, snap.instrument.kind), { percentiles: true, maxPoints });
  assert.ok(content !== "value_out_of_range" && content.kind === "weighted", `content ${JSON.stringify(content)}`);
  return content;
}

/** A deterministic permutation of `xs` (CloudWatch may merge the datums in any order). */
function shuffled(xs: readonly number[], seed: number): number[] {
  const out = [...xs];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const add = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Everything the chunks of one series must satisfy against the recorded totals. */
function checkChunks(chunks: readonly ValueChunk[], values: readonly number[], counts: readonly number[], totals: StatisticTotals, maxValues: number, seed: number): void {
  const dealt = chunks.flatMap((c) => c.values.map((v, i) => [v, c.counts[i]] as const)).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(dealt, values.map((v, i) => [v, counts[i]] as const), "the chunks hold every value with its count once");
  for (const c of chunks) {
    assert.ok(c.values.length >= 1 && c.values.length <= maxValues, `${c.values.length} values`);
    assert.ok(c.values.every((v, i) => i === 0 || c.values[i - 1] < v), "a chunk's values ascend");
    assert.equal(c.count, add(c.counts), "a chunk's count is the sum of its Counts");
    for (const v of c.values) assert.ok(v >= c.min && v <= c.max, `value ${v} outside [${c.min}, ${c.max}]`);
    if (totals.sum >= totals.count * totals.min && totals.sum <= totals.count * totals.max) {
      assert.ok(c.sum >= c.count * c.min && c.sum <= c.count * c.max, `sum ${c.sum} outside [${c.count * c.min}, ${c.count * c.max}] (count ${c.count})`);
    }
  }
  assert.equal(add(chunks.map((c) => c.count)), totals.count, "counts add up to the recorded count");
  assert.equal(Math.min(...chunks.map((c) => c.min)), totals.min, "the smallest chunk min is the recorded min");
  assert.equal(Math.max(...chunks.map((c) => c.max)), totals.max, "the largest chunk max is the recorded max");
  const sums = chunks.map((c) => c.sum);
  assert.equal(add(sums), totals.sum, "sums added in datum order give the recorded sum bit for bit");
  assert.equal(add(shuffled(sums, seed)), totals.sum, "and in another order");
  assert.equal(add([...sums].reverse()), totals.sum, "and in reverse order");
}

const BOUNDARIES = Array.from({ length: 60 }, (_, i) => 0.001 * 1.25 ** i);

describe("chunkWithStatistics", () => {
  it("apportions values recorded one by one so the chunks add up to the recorded set in any order, each sum within its own range (property)", async () => {
    const agg = await createAggregator({ engine: "js" });
    const value = fc.oneof(
      fc.tuple(fc.double({ min: -6, max: 6, noNaN: true }), fc.boolean()).map(([e, negative]) => (negative ? -1 : 1) * 10 ** e),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-4, max: 10, noNaN: true }),
      fc.constantFrom(0, 1, 2, 1e-3, -5, 5e-324),
    );
    const values = fc.oneof(fc.array(value, { minLength: 1, maxLength: 20 }), fc.array(value, { minLength: 1, maxLength: 3000, size: "max" }));
    const nonNegative = values.map((xs) => xs.map(Math.abs));
    await fc.assert(
      fc.property(fc.oneof(values, nonNegative), fc.boolean(), fc.integer({ min: 3, max: 600 }), fc.integer({ min: 4, max: 150 }), fc.integer(), (arr, exponential, maxPoints, maxValues, seed) => {
        const snap = snapshotOf(agg, (h) => h.bind().recordBatch(Float64Array.from(arr)), exponential ? { exponential: { maxSize: 160 } } : { boundaries: BOUNDARIES });
        const content = weighted(snap, maxPoints);
        checkChunks(chunkWithStatistics(content.values, content.counts, content, maxValues), content.values, content.counts, content, maxValues, seed);
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it("keeps the totals exact for merged histograms with huge counts whose sum and min/max came from the source (property)", async () => {
    const agg = await createAggregator({ engine: "js" });
    const count = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1e13 }));
    await fc.assert(
      fc.property(
        fc.array(count, { minLength: BOUNDARIES.length + 1, maxLength: BOUNDARIES.length + 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 4, max: 150 }),
        fc.integer(),
        (bucketCounts, at, withMinMax, maxValues, seed) => {
          const total = add(bucketCounts);
          fc.pre(total > 0);
          // Any sum the buckets allow (the open first bucket reaching down to 0), so the source may
          // contradict the min/max the store estimates from the bucket edges.
          let lo = 0;
          let hi = 0;
          bucketCounts.forEach((c, i) => {
            lo += c * (i === 0 ? 0 : BOUNDARIES[i - 1]);
            hi += c * (i < BOUNDARIES.length ? BOUNDARIES[i] : 2 * BOUNDARIES[BOUNDARIES.length - 1]);
          });
          const sum = lo + at * (hi - lo);
          const first = bucketCounts.findIndex((c) => c > 0);
          const last = bucketCounts.length - 1 - [...bucketCounts].reverse().findIndex((c) => c > 0);
          const min = withMinMax ? (first === 0 ? 0 : BOUNDARIES[first - 1]) : NaN;
          const max = withMinMax ? (last < BOUNDARIES.length ? BOUNDARIES[last] : 2 * BOUNDARIES[BOUNDARIES.length - 1]) : NaN;
          const snap = snapshotOf(agg, (h) => h.bind().mergeExplicit({ boundaries: BOUNDARIES, bucketCounts, count: total, sum, min, max }), { boundaries: BOUNDARIES });
          const content = weighted(snap, 600);
          checkChunks(chunkWithStatistics(content.values, content.counts, content, maxValues), content.values, content.counts, content, maxValues, seed);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it("gives the chunks the recorded min or max when the sum lies beyond their own ranges, keeping every sum within its range", () => {
    // 97 samples at 1 and one each at 2, 3 and 4, with a recorded sum of 396 that contradicts them (a
    // source's sum): only chunks that may reach the recorded max 4 can hold it.
    const values = [1, 2, 3, 4];
    const counts = [97, 1, 1, 1];
    const totals = { count: 100, sum: 396, min: 1, max: 4 };
    const chunks = chunkWithStatistics(values, counts, totals, 2);
    assert.deepEqual(chunks.map((c) => c.values), [[1, 3], [2, 4]]);
    assert.deepEqual(chunks.map((c) => c.max), [4, 4], "the chunk of 1 and 3 takes the recorded max");
    checkChunks(chunks, values, counts, totals, 2, 1);
  });

  it("gives a single chunk the recorded set unchanged (the README's OTLP histogram: sum 0.09, no min/max)", async () => {
    const agg = await createAggregator({ engine: "js" });
    const boundaries = [0.01, 0.05, 0.1];
    const snap = snapshotOf(agg, (h) => h.bind().mergeExplicit({ boundaries, bucketCounts: [0, 2, 1, 0], count: 3, sum: 0.09, min: NaN, max: NaN }), { boundaries });
    const content = weighted(snap, 600);
    const chunks = chunkWithStatistics(content.values, content.counts, content, 150);
    assert.equal(chunks.length, 1);
    // Min/max are the store's estimates: the lower edge of the lowest populated bucket and the upper
    // edge of the highest.
    assert.deepEqual({ count: chunks[0].count, sum: chunks[0].sum, min: chunks[0].min, max: chunks[0].max }, { count: 3, sum: 0.09, min: 0.01, max: 0.1 });
  });
});
