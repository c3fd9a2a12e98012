/**
 * Bucket indexes at the edges of what OpenTelemetry's mapping can produce, for both engines.
 *
 * Random operation sequences on two slots of one layout (explicit boundaries with edge values,
 * plus an exponential histogram of random maxSize and starting scale): exponential merges at every
 * scale -10..20 with offsets drawn around the valid bounds and the i32/double limits, raw values
 * next to Number.MIN_VALUE and Number.MAX_VALUE, mergeSlot both ways, snapshots with and without
 * reset. Checked against an oracle written here, from the bucket bounds rather than the engines'
 * index comparisons: refusal of exactly the out-of-bounds inputs with no state change, identical
 * WASM and JS state, conservation of counts, every exponential index inside the bounds of the
 * snapshot's scale, and each count in the explicit bucket holding its exponential bucket.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createJsEngine } from "../../src/core/js-engine.ts";
import { createWasmEngine } from "../../src/core/wasm-engine.ts";
import { mapToIndex } from "../../src/core/exponential-mapping.ts";
import { exponentialInputProblem, withExponentialBounds } from "../../src/core/merge-input.ts";
import {
  SlotKind,
  type AggregationEngine,
  type ExponentialBuckets,
  type ExponentialHistogramInput,
  type SlotSnapshot,
} from "../../src/core/types.ts";

/** The indexes finite doubles map to at `scale`, taken from the mapping (exponential-mapping.test.ts ties them to the SDK). */
const lowest = (scale: number): number => mapToIndex(Number.MIN_VALUE, scale);
const highest = (scale: number): number => mapToIndex(Number.MAX_VALUE, scale);

const bits = new Float64Array(1);
const bitsInt = new BigInt64Array(bits.buffer);
function nextDown(x: number): number {
  bits[0] = x;
  bitsInt[0] -= 1n;
  return bits[0];
}
function nextUp(x: number): number {
  bits[0] = x;
  bitsInt[0] += 1n;
  return bits[0];
}

const MIN_NORMAL = 2 ** -1022;
const EDGE_MAGNITUDES = [
  Number.MIN_VALUE, 2 * Number.MIN_VALUE, 3 * Number.MIN_VALUE, nextDown(MIN_NORMAL), MIN_NORMAL, nextUp(MIN_NORMAL),
  2 ** -1021, 1e-300, 1, 1e300, 2 ** 1023, nextDown(Number.MAX_VALUE), Number.MAX_VALUE,
];

const signedEdge = fc.tuple(fc.constantFrom(...EDGE_MAGNITUDES), fc.boolean()).map(([m, neg]) => (neg ? -m : m));
const rawValue = fc.oneof({ arbitrary: signedEdge, weight: 4 }, { arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 });

/**
 * Boundaries: edge values, powers of two (exact bucket bounds) and arbitrary doubles. No neighbours
 * of powers of two: OpenTelemetry's rounded logarithm maps some of those one bucket high, which no
 * bound-based oracle reproduces (docs/aggregation-semantics.md).
 */
const boundariesArb = fc
  .uniqueArray(
    fc.oneof(
      signedEdge.filter((b) => Math.abs(b) !== nextDown(MIN_NORMAL) && Math.abs(b) !== nextUp(MIN_NORMAL)),
      fc.constant(0),
      fc.tuple(fc.integer({ min: -1074, max: 1023 }), fc.boolean()).map(([e, neg]) => (neg ? -(2 ** e) : 2 ** e)),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ),
    { maxLength: 10, selector: (v) => v + 0 },
  )
  .map((bs) => bs.map((b) => b + 0).sort((a, b) => a - b));

/** An offset for `n` buckets at `scale`: around either valid edge, or at an i32 / double limit. */
function offsetArb(scale: number, n: number): fc.Arbitrary<number> {
  const lo = lowest(scale);
  const hi = highest(scale) - Math.max(n, 1) + 1;
  return fc.oneof(
    fc.tuple(fc.constantFrom(lo, hi, lo - 1, hi + 1, 0), fc.integer({ min: -2, max: 2 })).map(([o, d]) => o + d),
    fc.constantFrom(2 ** 31, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31 - 3, 2 ** 32 + 5, 2 ** 53, -(2 ** 53), 2 ** 60),
    fc.integer({ min: lo, max: Math.max(lo, hi) }),
  );
}

function rangeArb(scale: number): fc.Arbitrary<ExponentialBuckets> {
  return fc
    .oneof({ arbitrary: fc.nat(6), weight: 4 }, { arbitrary: fc.integer({ min: 7, max: 40 }), weight: 1 })
    .chain((n) => fc.record({ offset: offsetArb(scale, n), counts: fc.array(fc.nat(5), { minLength: n, maxLength: n }) }));
}

const inputArb: fc.Arbitrary<ExponentialHistogramInput> = fc.integer({ min: -10, max: 20 }).chain((scale) =>
  fc
    .record({ zeroCount: fc.nat(3), positive: rangeArb(scale), negative: fc.oneof(rangeArb(scale), fc.constant<ExponentialBuckets>({ offset: 0, counts: [] })) })
    .map(({ zeroCount, positive, negative }) => {
      const count = zeroCount + [...positive.counts, ...negative.counts].reduce((a, c) => a + c, 0);
      return withExponentialBounds({ scale, zeroCount, positive, negative, count, sum: 0, min: Number.NaN, max: Number.NaN });
    }),
);

function rangeInside(range: ExponentialBuckets, scale: number): boolean {
  const n = range.counts.length;
  return n === 0 || (range.offset >= lowest(scale) && range.offset + n - 1 <= highest(scale));
}

function inside(input: ExponentialHistogramInput): boolean {
  return rangeInside(input.positive, input.scale) && rangeInside(input.negative, input.scale);
}

// ---------------------------------------------------------------------------------------------
// The explicit-bucket oracle: a count goes to the first boundary >= the largest value its bucket
// holds. Positive bucket i holds (base^i, base^(i+1)], the highest one only up to MAX_VALUE;
// negative bucket i holds [-base^(i+1), -base^i), the lowest one (which also takes the subnormals)
// up to -MIN_VALUE. base^k = 2^(k / 2^scale) is computed in floating point: exact when the exponent
// is an integer, else within an ulp or so.

/** Relative distance within which the engines' exact index comparison and the rounded bound may disagree. */
const AMBIGUOUS = 1e-9;

interface Bound {
  value: number;
  /** True when `value` is the bound itself, not a rounding of it. */
  exact: boolean;
}

function largestHeld(index: number, scale: number, negative: boolean): Bound {
  if (!negative && index === highest(scale)) return { value: Number.MAX_VALUE, exact: true };
  if (negative && index === lowest(scale)) return { value: -Number.MIN_VALUE, exact: true };
  const exponent = (negative ? index : index + 1) / 2 ** scale;
  const magnitude = 2 ** exponent;
  return { value: negative ? -magnitude : magnitude, exact: Number.isInteger(exponent) };
}

/** The bucket of `bound`, or null when a boundary sits too close to a rounded bound to decide. */
function bucketOfBound(boundaries: readonly number[], bound: Bound): number | null {
  for (const b of boundaries) {
    if (!bound.exact && b !== bound.value && Math.abs(b - bound.value) <= AMBIGUOUS * Math.abs(bound.value)) return null;
  }
  return firstAtOrAbove(boundaries, bound.value);
}

function firstAtOrAbove(boundaries: readonly number[], v: number): number {
  for (let i = 0; i < boundaries.length; i++) if (v <= boundaries[i]) return i;
  return boundaries.length;
}

/** Adds an accepted input's counts to `expected` per the oracle; false when undecidable (the run is discarded). */
function addInputToOracle(boundaries: readonly number[], expected: number[], input: ExponentialHistogramInput): boolean {
  if (input.zeroCount > 0) expected[firstAtOrAbove(boundaries, 0)] += input.zeroCount;
  for (const [range, negative] of [[input.positive, false], [input.negative, true]] as const) {
    for (let i = 0; i < range.counts.length; i++) {
      const c = range.counts[i];
      if (c === 0) continue;
      const bucket = bucketOfBound(boundaries, largestHeld(range.offset + i, input.scale, negative));
      if (bucket === null) return false;
      expected[bucket] += c;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

type Command =
  | { op: "merge"; slot: number; input: ExponentialHistogramInput }
  | { op: "record"; slot: number; values: number[] }
  | { op: "mergeSlot"; dst: number; src: number }
  | { op: "snapshot"; slot: number; reset: boolean };

const slotArb = fc.constantFrom(0, 1);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("merge" as const), slot: slotArb, input: inputArb }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant("record" as const), slot: slotArb, values: fc.array(rawValue, { minLength: 1, maxLength: 20 }) }), weight: 2 },
  { arbitrary: fc.constantFrom<[number, number]>([0, 1], [1, 0]).map(([dst, src]) => ({ op: "mergeSlot" as const, dst, src })), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("snapshot" as const), slot: slotArb, reset: fc.boolean() }), weight: 2 },
);

const scenarioArb = fc.record({
  boundaries: boundariesArb,
  maxSize: fc.oneof(fc.constantFrom(2, 3, 4, 160), fc.integer({ min: 2, max: 200 })),
  maxScale: fc.integer({ min: -10, max: 20 }),
  commands: fc.array(commandArb, { minLength: 1, maxLength: 30, size: "max" }),
});

/** Everything but the sum, whose rounding depends on the engines' summation order. */
function comparable(s: SlotSnapshot): unknown {
  return { kind: s.kind, count: s.stats.count, min: s.stats.min, max: s.stats.max, rejected: s.rejected, bucketCounts: Array.from(s.bucketCounts ?? []), exponential: s.exponential };
}

function assertInvariants(s: SlotSnapshot, expected: readonly number[], where: string): void {
  const exp = s.exponential;
  assert.ok(exp !== null && s.bucketCounts !== null);
  const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, c) => a + c, 0);
  assert.equal(exp.zeroCount + sum(exp.positive.counts) + sum(exp.negative.counts), s.stats.count, `${where}: exponential counts add up to count`);
  assert.equal(sum(s.bucketCounts), s.stats.count, `${where}: explicit counts add up to count`);
  for (const range of [exp.positive, exp.negative]) {
    if (range.counts.length === 0) continue;
    assert.ok(range.offset >= lowest(exp.scale) && range.offset + range.counts.length - 1 <= highest(exp.scale), `${where}: indexes inside the bounds of scale ${exp.scale}`);
  }
  assert.deepEqual(Array.from(s.bucketCounts), expected, `${where}: explicit buckets hold what their exponential buckets hold`);
}

describe("AggregationEngine (both engines)", () => {
  describe("bucket indexes at the edges of the mapping", () => {
    it("refuse exactly the out-of-bounds inputs unchanged, agree with each other, conserve counts and bucket each count where its values belong", async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async ({ boundaries, maxSize, maxScale, commands }) => {
          const engines: AggregationEngine[] = [await createWasmEngine(), createJsEngine()];
          const slots = engines.map((e) => {
            const layout = e.createLayout({ boundaries: Float64Array.from(boundaries), exponentialMaxSize: maxSize, exponentialMaxScale: maxScale });
            return [e.allocSlot(SlotKind.Histogram, layout), e.allocSlot(SlotKind.Histogram, layout)];
          });
          const expected = [0, 1].map(() => new Array<number>(boundaries.length + 1).fill(0));
          const snap = (k: number, slot: number, reset: boolean): SlotSnapshot => engines[k].snapshot(slots[k][slot], reset);
          for (const [step, c] of commands.entries()) {
            const where = `step ${step} (${c.op})`;
            switch (c.op) {
              case "merge": {
                const ok = inside(c.input);
                assert.equal(exponentialInputProblem(c.input) === null, ok, `${where}: the facade's verdict`);
                if (ok) fc.pre(addInputToOracle(boundaries, expected[c.slot], c.input));
                for (let k = 0; k < engines.length; k++) {
                  if (ok) {
                    engines[k].mergeExponential(slots[k][c.slot], c.input);
                    continue;
                  }
                  const before = snap(k, c.slot, false);
                  assert.throws(
                    () => engines[k].mergeExponential(slots[k][c.slot], c.input),
                    (e: unknown) => e instanceof RangeError && /^mergeExponential: (positive|negative)\.offset -?\d+ .* at scale -?\d+$/.test(e.message),
                    `${where}: ${engines[k].name} refuses ${JSON.stringify(c.input)}`,
                  );
                  assert.deepEqual(comparable(snap(k, c.slot, false)), comparable(before), `${where}: ${engines[k].name} unchanged`);
                }
                break;
              }
              case "record":
                for (const v of c.values) expected[c.slot][firstAtOrAbove(boundaries, v + 0)] += 1;
                for (let k = 0; k < engines.length; k++) engines[k].recordBatch(slots[k][c.slot], Float64Array.from(c.values));
                break;
              case "mergeSlot":
                expected[c.src].forEach((n, i) => (expected[c.dst][i] += n));
                for (let k = 0; k < engines.length; k++) engines[k].mergeSlot(slots[k][c.dst], slots[k][c.src]);
                break;
              case "snapshot": {
                const [w, j] = [snap(0, c.slot, c.reset), snap(1, c.slot, c.reset)];
                assert.deepEqual(comparable(w), comparable(j), `${where}: wasm equals js`);
                assertInvariants(j, expected[c.slot], where);
                if (c.reset) expected[c.slot].fill(0);
                break;
              }
            }
          }
          for (const slot of [0, 1]) {
            const [w, j] = [snap(0, slot, false), snap(1, slot, false)];
            assert.deepEqual(comparable(w), comparable(j), `final slot ${slot}: wasm equals js`);
            assertInvariants(j, expected[slot], `final slot ${slot}`);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
