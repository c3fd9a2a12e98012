/**
 * The JS engine's exponential helper on its own, below the engine's index check: its index
 * arithmetic must stay exact (no int32 wrap) and its loops must end for any safe-integer index,
 * so that a point that bypassed merge-input.ts cannot corrupt it. The reference is a BigInt model
 * of the SDK's merge (bring both to the smaller scale, then halve until each range fits maxSize).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ExponentialHistogram, scaleChange } from "../../src/core/exponential-histogram.ts";
import type { ExponentialBuckets, ExponentialHistogramState } from "../../src/core/types.ts";

/** index -> count of one range, at the model's scale. */
type Counts = Map<bigint, number>;

interface Model {
  scale: number;
  zeroCount: number;
  positive: Counts;
  negative: Counts;
}

function nonZero(range: ExponentialBuckets): Counts {
  const out: Counts = new Map();
  range.counts.forEach((c, i) => {
    if (c > 0) out.set(BigInt(range.offset) + BigInt(i), c);
  });
  return out;
}

function shifted(counts: Counts, by: number, into: Counts = new Map()): Counts {
  for (const [i, c] of counts) {
    const j = i >> BigInt(by);
    into.set(j, (into.get(j) ?? 0) + c);
  }
  return into;
}

/** The fewest halvings after which [min, max] of `indexes` spans fewer than maxSize buckets. */
function changeToFit(indexes: bigint[], maxSize: number): number {
  if (indexes.length === 0) return 0;
  let lo = indexes.reduce((a, b) => (b < a ? b : a));
  let hi = indexes.reduce((a, b) => (b > a ? b : a));
  let change = 0;
  while (hi - lo >= BigInt(maxSize)) {
    lo >>= 1n;
    hi >>= 1n;
    change++;
  }
  return change;
}

function modelMerge(m: Model, input: ExponentialHistogramState, maxSize: number): void {
  m.zeroCount += input.zeroCount;
  const inPos = nonZero(input.positive);
  const inNeg = nonZero(input.negative);
  if (inPos.size === 0 && inNeg.size === 0) return;
  const target = Math.min(m.scale, input.scale);
  const change = Math.max(
    ...[[m.positive, inPos], [m.negative, inNeg]].map(([ours, theirs]) =>
      changeToFit([...shifted(ours, m.scale - target).keys(), ...shifted(theirs, input.scale - target).keys()], maxSize),
    ),
  );
  const final = target - change;
  m.positive = shifted(inPos, input.scale - final, shifted(m.positive, m.scale - final));
  m.negative = shifted(inNeg, input.scale - final, shifted(m.negative, m.scale - final));
  m.scale = final;
}

function dense(counts: Counts): { offset: number; counts: number[] } {
  if (counts.size === 0) return { offset: 0, counts: [] };
  const keys = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lo = keys[0];
  const out = new Array<number>(Number(keys[keys.length - 1] - lo) + 1).fill(0);
  for (const [i, c] of counts) out[Number(i - lo)] = c;
  return { offset: Number(lo), counts: out };
}

function modelState(m: Model): ExponentialHistogramState {
  const empty = m.positive.size === 0 && m.negative.size === 0;
  return { scale: empty ? 0 : m.scale, zeroCount: m.zeroCount, positive: dense(m.positive), negative: dense(m.negative) };
}

/** Offsets at and beyond the i32 limits and across the safe integers: none of them checked here. */
const offsetArb = fc.oneof(
  fc.constantFrom(2 ** 31 - 3, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 + 5, 2 ** 52, -(2 ** 52)),
  fc.tuple(fc.constantFrom(2 ** 31, -(2 ** 31), 2 ** 32, 0), fc.integer({ min: -40, max: 40 })).map(([o, d]) => o + d),
  fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
);
const rangeArb: fc.Arbitrary<ExponentialBuckets> = fc.record({ offset: offsetArb, counts: fc.array(fc.nat(4), { maxLength: 12 }) });
const inputArb: fc.Arbitrary<ExponentialHistogramState> = fc.record({
  scale: fc.integer({ min: -10, max: 20 }),
  zeroCount: fc.nat(2),
  positive: rangeArb,
  negative: fc.oneof(rangeArb, fc.constant<ExponentialBuckets>({ offset: 0, counts: [] })),
});

describe("ExponentialHistogram", () => {
  describe("mergeState", () => {
    it("downscales a range across 2^31 exactly, keeping maxSize, when nothing checked its indexes", () => {
      const h = new ExponentialHistogram(4, 0);
      h.mergeState({ scale: 0, zeroCount: 0, positive: { offset: 2 ** 31 - 2, counts: [1, 1, 1, 1, 1] }, negative: { offset: 0, counts: [] } });
      // (2^31 - 2 .. 2^31 + 2) >> 1 = 2^30 - 1 .. 2^30 + 1
      assert.deepEqual(h.toState(), { scale: -1, zeroCount: 0, positive: { offset: 2 ** 30 - 1, counts: [2, 2, 1] }, negative: { offset: 0, counts: [] } });
    });

    it("places every count at its index shifted by the scale change, exactly as a BigInt model of the SDK's merge, for any safe-integer offsets", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 40 }),
          fc.integer({ min: -10, max: 20 }),
          fc.array(inputArb, { minLength: 1, maxLength: 6 }),
          (maxSize, maxScale, inputs) => {
            const h = new ExponentialHistogram(maxSize, maxScale);
            const other = new ExponentialHistogram(maxSize, maxScale);
            const model: Model = { scale: maxScale, zeroCount: 0, positive: new Map(), negative: new Map() };
            for (const [k, input] of inputs.entries()) {
              h.mergeState(input);
              other.mergeState(input);
              modelMerge(model, input, maxSize);
              assert.deepEqual(h.toState(), modelState(model), `after input ${k}`);
            }
            // mergeFrom the same histogram: every count doubles, scale and indexes unchanged
            h.mergeFrom(other);
            const doubled = modelState(model);
            for (const r of [doubled.positive, doubled.negative]) r.counts = r.counts.map((c) => 2 * c);
            doubled.zeroCount *= 2;
            assert.deepEqual(h.toState(), doubled, "after mergeFrom");
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});

describe("scaleChange", () => {
  it("halves exactly beyond the i32 range", () => {
    assert.equal(scaleChange(0, 2 ** 32, 2), 32);
    assert.equal(scaleChange(-(2 ** 31) - 1, -(2 ** 31) + 3, 4), 1);
    assert.equal(scaleChange(-(2 ** 52), 2 ** 52, 2), 53);
  });

  it("ends for indexes no check admitted", () => {
    assert.equal(scaleChange(0, Infinity, 2), 54);
    assert.equal(scaleChange(Number.NaN, 5, 2), 0);
  });
});
