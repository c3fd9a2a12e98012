import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { exponentialIndexProblem, exponentialInputProblem, withExplicitBounds, withExponentialBounds } from "../../src/core/merge-input.ts";
import { mapToIndex } from "../../src/core/exponential-mapping.ts";
import type { ExplicitHistogramInput, ExponentialBuckets, ExponentialHistogramInput } from "../../src/core/types.ts";

const SCALES = Array.from({ length: 31 }, (_, i) => i - 10);
const EMPTY: ExponentialBuckets = { offset: 0, counts: [] };

/** The bucket indexes finite doubles map to, taken from the mapping itself. */
const lowest = (scale: number): number => mapToIndex(Number.MIN_VALUE, scale);
const highest = (scale: number): number => mapToIndex(Number.MAX_VALUE, scale);

function input(scale: number, positive: ExponentialBuckets, negative: ExponentialBuckets = EMPTY): ExponentialHistogramInput {
  const count = [...positive.counts, ...negative.counts].reduce((a, c) => a + c, 0);
  return { scale, zeroCount: 0, positive, negative, count, sum: 0, min: 0, max: 0 };
}

describe("merge-input", () => {
  describe("exponentialInputProblem", () => {
    it("refuses a range reaching past the largest index, naming offset, bucket count, bound and scale", () => {
      assert.equal(
        exponentialInputProblem(input(0, { offset: 2 ** 31 - 3, counts: [1, 1, 1] })),
        "positive.offset 2147483645 + 3 buckets exceeds the largest bucket index 1023 at scale 0",
      );
      assert.equal(
        exponentialInputProblem(input(20, EMPTY, { offset: 1073741823, counts: [1, 1] })),
        "negative.offset 1073741823 + 2 buckets exceeds the largest bucket index 1073741823 at scale 20",
      );
    });

    it("counts empty buckets in the range: trailing zeros past the largest index are refused too", () => {
      assert.equal(
        exponentialInputProblem(input(0, { offset: 1023, counts: [1, 0] })),
        "positive.offset 1023 + 2 buckets exceeds the largest bucket index 1023 at scale 0",
      );
    });

    it("refuses a range starting below the smallest index", () => {
      assert.equal(
        exponentialInputProblem(input(-10, { offset: -2, counts: [1] })),
        "positive.offset -2 is below the smallest bucket index -1 at scale -10",
      );
      assert.equal(
        exponentialInputProblem(input(20, EMPTY, { offset: -(2 ** 31), counts: [1] })),
        "negative.offset -2147483648 is below the smallest bucket index -1071644673 at scale 20",
      );
    });

    it("refuses non-integer offsets, and non-safe integers by the bounds", () => {
      assert.equal(exponentialInputProblem(input(0, { offset: 1.5, counts: [1] })), "positive.offset 1.5 is not an integer");
      assert.equal(exponentialInputProblem(input(0, { offset: Number.NaN, counts: [] })), "positive.offset NaN is not an integer");
      assert.equal(exponentialInputProblem(input(0, EMPTY, { offset: Infinity, counts: [1] })), "negative.offset Infinity is not an integer");
      assert.equal(
        exponentialInputProblem(input(3, { offset: 2 ** 60, counts: [1] })),
        "positive.offset 1152921504606847000 + 1 buckets exceeds the largest bucket index 8191 at scale 3",
      );
      assert.equal(
        exponentialInputProblem(input(3, { offset: -(2 ** 53) - 2, counts: [1] })),
        "positive.offset -9007199254740994 is below the smallest bucket index -8177 at scale 3",
      );
    });

    it("refuses 2^32 + 5, which the WASM core's i32 would read as the valid offset 5", () => {
      assert.match(exponentialInputProblem(input(0, { offset: 2 ** 32 + 5, counts: [1] })) ?? "", /^positive\.offset 4294967301 \+ 1 buckets exceeds/);
    });

    it("ignores an empty range's offset as long as it is an integer", () => {
      assert.equal(exponentialInputProblem(input(0, { offset: 2 ** 40, counts: [] }, { offset: -(2 ** 31), counts: [] })), null);
    });

    it("checks the scale first", () => {
      assert.equal(exponentialInputProblem(input(21, { offset: 2 ** 40, counts: [1] })), "scale 21 is outside -10..20");
      assert.equal(exponentialInputProblem(input(0.5, EMPTY)), "scale 0.5 is outside -10..20");
    });

    it("accepts ranges from the smallest to the largest index at every scale, and refuses one bucket more on either side", () => {
      for (const scale of SCALES) {
        const lo = lowest(scale);
        const hi = highest(scale);
        assert.equal(exponentialInputProblem(input(scale, { offset: lo, counts: [1] }, { offset: hi, counts: [2] })), null, `edges at ${scale}`);
        const top = Math.min(3, hi - lo + 1);
        assert.equal(exponentialInputProblem(input(scale, { offset: hi - top + 1, counts: new Array<number>(top).fill(1) })), null, `top at ${scale}`);
        assert.notEqual(exponentialInputProblem(input(scale, { offset: lo - 1, counts: [1] })), null, `below at ${scale}`);
        assert.notEqual(exponentialInputProblem(input(scale, EMPTY, { offset: hi - 1, counts: [1, 0, 1] })), null, `above at ${scale}`);
      }
    });
  });

  describe("exponentialIndexProblem", () => {
    it("accepts exactly the ranges within the mapping's indexes, whatever the offset", () => {
      const offset = fc.oneof(
        fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 31 + 5 }),
        fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 0),
        fc.tuple(fc.constantFrom(...SCALES), fc.integer({ min: -3, max: 3 }), fc.boolean()).map(([s, d, top]) => (top ? highest(s) : lowest(s)) + d),
      );
      fc.assert(
        fc.property(fc.constantFrom(...SCALES), offset, fc.nat(6), (scale, start, n) => {
          const counts = new Array<number>(n).fill(1);
          const inside = n === 0 || (start >= lowest(scale) && start + n - 1 <= highest(scale));
          const problem = exponentialIndexProblem({ scale, zeroCount: 0, positive: { offset: start, counts }, negative: EMPTY });
          assert.equal(problem === null, inside, `${n} buckets from ${start} at ${scale}: ${problem}`);
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe("withExplicitBounds", () => {
    const explicit = (bucketCounts: number[], sum: number, boundaries: number[] = [0.01, 0.05, 0.1]): ExplicitHistogramInput => ({
      boundaries,
      bucketCounts,
      count: bucketCounts.reduce((a, c) => a + c, 0),
      sum,
      min: Number.NaN,
      max: Number.NaN,
    });
    const bounds = (input: ExplicitHistogramInput): [number, number] => {
      const out = withExplicitBounds(input);
      return [out.min, out.max];
    };

    it("estimates a missing min/max as the lower bound of the lowest non-empty bucket and the upper bound of the highest", () => {
      assert.deepEqual(bounds(explicit([0, 2, 1, 0], 0.09)), [0.01, 0.1], "the README's example");
      assert.deepEqual(bounds(explicit([0, 0, 3, 0], 0.2)), [0.05, 0.1]);
    });

    it("takes b[0] for the first (open-ended) bucket and b[last] for the overflow bucket", () => {
      assert.deepEqual(bounds(explicit([1, 0, 0, 1], 0.105)), [0.01, 0.1]);
    });

    it("widens an estimate the recorded sum contradicts to the mean, so min <= sum / count <= max", () => {
      assert.deepEqual(bounds(explicit([2, 0, 0, 0], -50)), [-25, 0.01], "values below b[0]");
      assert.deepEqual(bounds(explicit([0, 0, 0, 2], 50)), [0.1, 25], "values above b[last]");
    });

    it("takes the mean without boundaries, and keeps a min/max the source gave", () => {
      assert.deepEqual(bounds(explicit([4], 10, [])), [2.5, 2.5]);
      const given = { ...explicit([2, 0, 0, 0], -50), min: -40, max: -10 };
      assert.deepEqual(bounds(given), [-40, -10]);
    });
  });

  describe("withExponentialBounds", () => {
    const exponential = (positive: ExponentialBuckets, zeroCount: number, sum: number): ExponentialHistogramInput => ({
      scale: 0,
      zeroCount,
      positive,
      negative: EMPTY,
      count: zeroCount + positive.counts.reduce((a, c) => a + c, 0),
      sum,
      min: Number.NaN,
      max: Number.NaN,
    });

    it("estimates a missing min/max from the bucket bounds, 0 for the zero bucket", () => {
      const a = withExponentialBounds(exponential({ offset: 2, counts: [1, 0, 1] }, 0, 20));
      assert.deepEqual([a.min, a.max], [4, 32], "buckets (4, 8] and (16, 32]");
      const b = withExponentialBounds(exponential({ offset: 2, counts: [1] }, 1, 6));
      assert.deepEqual([b.min, b.max], [0, 8]);
    });

    it("widens an estimate the recorded sum contradicts to the mean", () => {
      const a = withExponentialBounds(exponential({ offset: 2, counts: [2] }, 0, 100));
      assert.deepEqual([a.min, a.max], [4, 50]);
    });
  });
});
