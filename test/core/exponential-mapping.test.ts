import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MIN_NORMAL_VALUE,
  isBucketUpperBound,
  isPowerOfTwo,
  lowerBoundary,
  mapToIndex,
  maxIndex,
  minIndex,
  normalExponent,
} from "../../src/core/exponential-mapping.ts";

const SCALES = Array.from({ length: 31 }, (_, i) => i - 10);

interface SdkMapping {
  mapToIndex(value: number): number;
  lowerBoundary(index: number): number;
}

/**
 * The SDK's own mapping classes, loaded from the pinned package's build (they are not part of its
 * public exports). Used as the oracle for index-by-index equality at every scale.
 */
async function loadSdkGetMapping(): Promise<(scale: number) => SdkMapping> {
  const url = new URL(
    "../../node_modules/@opentelemetry/sdk-metrics/dist/aggregator/exponential-histogram/mapping/getMapping.mjs",
    import.meta.url,
  );
  const mod: unknown = await import(url.href);
  const getMapping = (mod as { getMapping?: unknown }).getMapping;
  assert.equal(typeof getMapping, "function", "sdk-metrics no longer ships getMapping.mjs where expected");
  return getMapping as (scale: number) => SdkMapping;
}

const sdkGetMapping = await loadSdkGetMapping();

const bits = new Float64Array(1);
const bitsInt = new BigInt64Array(bits.buffer);
function nextUp(x: number): number {
  bits[0] = x;
  bitsInt[0] += 1n;
  return bits[0];
}
function nextDown(x: number): number {
  bits[0] = x;
  bitsInt[0] -= 1n;
  return bits[0];
}

const positiveFinite = fc.oneof(
  fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1074, max: 1023 }).map((e) => 2 ** e),
  fc.integer({ min: -1022, max: 1022 }).map((e) => nextUp(2 ** e)),
  fc.integer({ min: -1021, max: 1023 }).map((e) => nextDown(2 ** e)),
  fc.integer({ min: 1, max: 2 ** 20 }).map((k) => k * Number.MIN_VALUE),
  fc.constantFrom(Number.MIN_VALUE, MIN_NORMAL_VALUE, nextDown(MIN_NORMAL_VALUE), nextUp(MIN_NORMAL_VALUE), Number.MAX_VALUE, 1e308, 1, 1.5, 3),
);

describe("exponential-mapping", () => {
  describe("mapToIndex", () => {
    it("equals the OpenTelemetry SDK's mapping at every scale for random and edge values", () => {
      fc.assert(
        fc.property(positiveFinite, fc.constantFrom(...SCALES), (v, scale) => {
          assert.equal(mapToIndex(v, scale), sdkGetMapping(scale).mapToIndex(v), `value ${v} scale ${scale}`);
        }),
        { numRuns: 2000 },
      );
    });

    it("puts every power of two on the upper bound of its bucket", () => {
      for (const scale of SCALES) {
        for (let e = -1022; e <= 1023; e += 7) {
          const expected = scale > 0 ? (e << scale) - 1 : (e - 1) >> -scale;
          assert.equal(mapToIndex(2 ** e, scale), expected, `2^${e} at scale ${scale}`);
        }
      }
    });

    it("maps 1 to bucket -1 and the next double above 1 to bucket 0 at every scale", () => {
      for (const scale of SCALES) {
        assert.equal(mapToIndex(1, scale), -1);
        assert.equal(mapToIndex(nextUp(1), scale), 0);
      }
    });

    it("maps subnormals to the lowest index and the largest doubles to the highest", () => {
      for (const scale of SCALES) {
        assert.equal(mapToIndex(Number.MIN_VALUE, scale), minIndex(scale), `MIN_VALUE at ${scale}`);
        assert.equal(mapToIndex(nextDown(MIN_NORMAL_VALUE), scale), minIndex(scale), `largest subnormal at ${scale}`);
        assert.equal(mapToIndex(Number.MAX_VALUE, scale), maxIndex(scale), `MAX_VALUE at ${scale}`);
      }
    });

    it("uses the exact exponent for scale <= 0 (bucket i holds (2^(i*2^-s), 2^((i+1)*2^-s)])", () => {
      fc.assert(
        fc.property(fc.double({ min: MIN_NORMAL_VALUE, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -10, max: 0 }), (v, scale) => {
          const i = mapToIndex(v, scale);
          const width = 2 ** -scale;
          assert.ok(2 ** (i * width) < v || (i === minIndex(scale) && v <= 2 ** ((i + 1) * width)), `${v} above lower bound of ${i}`);
          assert.ok(v <= 2 ** ((i + 1) * width), `${v} within upper bound of ${i}`);
        }),
        { numRuns: 500 },
      );
    });

    it("is monotone in the value, except that a power of two may sit one bucket below the doubles just under it", () => {
      fc.assert(
        fc.property(positiveFinite, positiveFinite, fc.constantFrom(...SCALES), (a, b, scale) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          // OpenTelemetry special-cases powers of two exactly but maps their lower neighbours with a
          // rounded logarithm, which can land on the next bucket (e.g. 16 and 16 - 1 ulp at scale 2).
          const slack = scale > 0 && hi > MIN_NORMAL_VALUE && isPowerOfTwo(hi) ? 1 : 0;
          assert.ok(mapToIndex(lo, scale) <= mapToIndex(hi, scale) + slack, `${lo} <= ${hi} at scale ${scale}`);
        }),
        { numRuns: 1000 },
      );
    });

    it("reproduces the SDK's index for 16 - 1 ulp at scale 2, one above 16's own bucket", () => {
      assert.equal(mapToIndex(16, 2), 15);
      assert.equal(mapToIndex(nextDown(16), 2), sdkGetMapping(2).mapToIndex(nextDown(16)));
      assert.equal(mapToIndex(nextDown(16), 2), 16);
    });

    it("is consistent with downscaling for random doubles: the index at scale s-1 is the index at s shifted right", () => {
      fc.assert(
        fc.property(fc.double({ min: MIN_NORMAL_VALUE, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -9, max: 20 }), (v, scale) => {
          assert.equal(mapToIndex(v, scale - 1), mapToIndex(v, scale) >> 1, `${v} at ${scale}`);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("minIndex and maxIndex", () => {
    it("are exactly where Number.MIN_VALUE and Number.MAX_VALUE map, here and in the SDK, at every scale", () => {
      for (const scale of SCALES) {
        const sdk = sdkGetMapping(scale);
        assert.equal(mapToIndex(Number.MIN_VALUE, scale), minIndex(scale), `MIN_VALUE at ${scale}`);
        assert.equal(sdk.mapToIndex(Number.MIN_VALUE), minIndex(scale), `SDK MIN_VALUE at ${scale}`);
        assert.equal(mapToIndex(Number.MAX_VALUE, scale), maxIndex(scale), `MAX_VALUE at ${scale}`);
        assert.equal(sdk.mapToIndex(Number.MAX_VALUE), maxIndex(scale), `SDK MAX_VALUE at ${scale}`);
      }
    });

    it("bound every index the mapping gives a positive finite double", () => {
      fc.assert(
        fc.property(positiveFinite, fc.constantFrom(...SCALES), (v, scale) => {
          const i = mapToIndex(v, scale);
          assert.ok(i >= minIndex(scale) && i <= maxIndex(scale), `${v} -> ${i} at ${scale}`);
        }),
        { numRuns: 1000 },
      );
    });

    it("are the SDK's lowerBoundary domain: it answers at both and throws one past either", () => {
      for (const scale of SCALES) {
        const sdk = sdkGetMapping(scale);
        assert.ok(Number.isFinite(sdk.lowerBoundary(minIndex(scale))), `min at ${scale}`);
        assert.ok(Number.isFinite(sdk.lowerBoundary(maxIndex(scale))), `max at ${scale}`);
        assert.throws(() => sdk.lowerBoundary(minIndex(scale) - 1), /underflow|overflow/, `min - 1 at ${scale}`);
        assert.throws(() => sdk.lowerBoundary(maxIndex(scale) + 1), /overflow/, `max + 1 at ${scale}`);
      }
    });

    it("shift to the bounds one scale down, so downscaling keeps an index inside them", () => {
      for (const scale of SCALES.filter((s) => s > -10)) {
        assert.equal(minIndex(scale) >> 1, minIndex(scale - 1), `min at ${scale}`);
        assert.equal(maxIndex(scale) >> 1, maxIndex(scale - 1), `max at ${scale}`);
      }
    });

    it("are -1022 * 2^s - 1 and 1024 * 2^s - 1 at scales s >= 0, and the scale-0 bounds shifted right by -s below", () => {
      for (const scale of SCALES) {
        const expected = scale >= 0 ? [-1022 * 2 ** scale - 1, 1024 * 2 ** scale - 1] : [Math.floor(-1023 / 2 ** -scale), Math.floor(1023 / 2 ** -scale)];
        assert.deepEqual([minIndex(scale), maxIndex(scale)], expected, `at ${scale}`);
      }
      assert.deepEqual([minIndex(1), maxIndex(1), minIndex(-1), maxIndex(-1)], [-2045, 2047, -512, 511]);
    });

    it("span less than 2^31 at scale 20 (a difference of two indexes fits an i32) and just -1..0 at scale -10", () => {
      assert.deepEqual([minIndex(20), maxIndex(20)], [-1071644673, 1073741823]);
      assert.ok(maxIndex(20) - minIndex(20) < 2 ** 31 - 1);
      assert.deepEqual([minIndex(-10), maxIndex(-10)], [-1, 0]);
    });
  });

  describe("lowerBoundary", () => {
    it("equals the OpenTelemetry SDK's lower boundary at every scale", () => {
      fc.assert(
        fc.property(fc.constantFrom(...SCALES), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (scale, t) => {
          const index = minIndex(scale) + Math.floor(t * (maxIndex(scale) - minIndex(scale) + 1));
          assert.equal(lowerBoundary(index, scale), sdkGetMapping(scale).lowerBoundary(index));
        }),
        { numRuns: 1000 },
      );
    });

    it("brackets the values mapToIndex assigns to a bucket (scale <= 0 exactly)", () => {
      for (const scale of SCALES.filter((s) => s <= 0)) {
        for (const v of [3, 1000, 1e-300, 1e300]) {
          const i = mapToIndex(v, scale);
          const upper = i < maxIndex(scale) ? lowerBoundary(i + 1, scale) : 2 ** ((i + 1) * 2 ** -scale);
          assert.ok(lowerBoundary(i, scale) < v && v <= upper, `${v} at ${scale}`);
        }
      }
    });

    it("throws a RangeError naming the index outside the mappable range", () => {
      assert.throws(() => lowerBoundary(maxIndex(3) + 1, 3), /exponential index \d+ is outside/);
      assert.throws(() => lowerBoundary(minIndex(-2) - 1, -2), RangeError);
    });
  });

  describe("isPowerOfTwo and normalExponent", () => {
    it("read the IEEE 754 bits of normal doubles", () => {
      assert.equal(isPowerOfTwo(1), true);
      assert.equal(isPowerOfTwo(0.75), false);
      assert.equal(isPowerOfTwo(2 ** -1022), true);
      assert.equal(isPowerOfTwo(2 ** 1023), true);
      assert.equal(isPowerOfTwo(nextUp(4)), false);
      assert.equal(normalExponent(1), 0);
      assert.equal(normalExponent(3), 1);
      assert.equal(normalExponent(0.3), -2);
      assert.equal(normalExponent(Number.MAX_VALUE), 1023);
      assert.equal(normalExponent(MIN_NORMAL_VALUE), -1022);
    });
  });

  describe("isBucketUpperBound", () => {
    it("is true for powers of two at scale >= 0 and only for multiples of 2^-scale exponents below 0", () => {
      assert.equal(isBucketUpperBound(8, 0), true);
      assert.equal(isBucketUpperBound(8, 5), true);
      assert.equal(isBucketUpperBound(6, 5), false);
      assert.equal(isBucketUpperBound(2 ** 3, -1), false);
      assert.equal(isBucketUpperBound(2 ** 4, -2), true);
      assert.equal(isBucketUpperBound(2 ** 6, -2), false);
      assert.equal(isBucketUpperBound(Number.MIN_VALUE, 0), false);
    });

    it("agrees with the bucket's exact upper bound for scale <= 0", () => {
      fc.assert(
        fc.property(fc.integer({ min: -1022, max: 1023 }), fc.integer({ min: -10, max: 0 }), (e, scale) => {
          const v = 2 ** e;
          const upper = 2 ** ((mapToIndex(v, scale) + 1) * 2 ** -scale);
          assert.equal(isBucketUpperBound(v, scale), upper === v);
        }),
        { numRuns: 500 },
      );
    });
  });
});
