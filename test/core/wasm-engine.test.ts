import { seededRandom } from "../support/random.ts";
import { assertDownscaledInstead, sdkStateValid } from "../support/sdk-exponential-state.ts";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AggregationType, DataPointType, MeterProvider, MetricReader, type MetricData } from "@opentelemetry/sdk-metrics";
import { createJsEngine } from "../../src/core/js-engine.ts";
import { createWasmEngine } from "../../src/core/wasm-engine.ts";
import { loadStatsetWasm } from "../../src/core/wasm-loader.ts";
import { maxIndex, minIndex } from "../../src/core/exponential-mapping.ts";
import { SlotKind, type AggregationEngine, type ExponentialHistogramInput, type SlotSnapshot } from "../../src/core/types.ts";

const SCALES = Array.from({ length: 31 }, (_, i) => i - 10);
const MIN_NORMAL = 2 ** -1022;

// ---------------------------------------------------------------------------------------------
// The SDK's own mapping classes (ExponentMapping for scale <= 0, LogarithmMapping for scale > 0).
// They are not in the package's public exports, so they are loaded from its dist files, located
// through the package's resolved entry point.

interface SdkMapping {
  mapToIndex(value: number): number;
}

async function loadSdkGetMapping(): Promise<(scale: number) => SdkMapping> {
  const entry = import.meta.resolve("@opentelemetry/sdk-metrics");
  const url = new URL("./aggregator/exponential-histogram/mapping/getMapping.mjs", entry);
  const mod: unknown = await import(url.href);
  const getMapping = typeof mod === "object" && mod !== null && "getMapping" in mod ? mod.getMapping : undefined;
  assert.equal(typeof getMapping, "function", `sdk-metrics does not ship getMapping at ${url.href}`);
  return getMapping as (scale: number) => SdkMapping;
}

const sdkGetMapping = await loadSdkGetMapping();

const bits = new Float64Array(1);
const bitsInt = new BigInt64Array(bits.buffer);
function nextUp(x: number, ulps = 1): number {
  bits[0] = x;
  bitsInt[0] += BigInt(ulps);
  return bits[0];
}
function nextDown(x: number, ulps = 1): number {
  bits[0] = x;
  bitsInt[0] -= BigInt(ulps);
  return bits[0];
}

/** Deterministic values for the mapping comparison: edges, powers of two and their neighbours. */
function edgeMagnitudes(): number[] {
  const out = [
    Number.MIN_VALUE, 2 * Number.MIN_VALUE, 12345 * Number.MIN_VALUE, nextDown(MIN_NORMAL), MIN_NORMAL,
    nextUp(MIN_NORMAL), 1.5 * MIN_NORMAL, 1e-300, 1e-10, 0.1, 0.5, 1, nextUp(1), nextDown(1), 1.5, 2, 3,
    10, 1000, 1e100, 1e300, 1e308, nextDown(Number.MAX_VALUE), Number.MAX_VALUE,
  ];
  for (let e = -1074; e <= 1023; e += 7) out.push(2 ** e);
  for (let e = -1022; e <= 1023; e += 5) out.push(nextUp(2 ** e), nextDown(2 ** e));
  return out;
}

/** Values within a few ulps of bucket boundaries 2^(k/2^scale): where a log-based index can tip. */
function boundaryNeighbours(scale: number, rng: () => number, n: number): number[] {
  const out: number[] = [];
  const unit = 2 ** scale;
  for (let i = 0; i < n; i++) {
    const k = Math.floor((rng() * 2 - 1) * 1000 * unit);
    const b = 2 ** (k / unit);
    if (!(b > MIN_NORMAL) || !Number.isFinite(b)) continue;
    for (let u = 1; u <= 3; u++) out.push(nextDown(b, u), nextUp(b, u));
    out.push(b);
  }
  return out;
}


function randomDouble(rng: () => number): number {
  // uniformly random bit patterns over positive finite doubles
  for (;;) {
    bitsInt[0] = (BigInt(Math.floor(rng() * 2 ** 31)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
    if (Number.isFinite(bits[0]) && bits[0] > 0) return bits[0];
  }
}

// ---------------------------------------------------------------------------------------------
// The SDK's public aggregation as a second oracle.

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function sdkExponential(values: readonly number[], maxSize: number): Promise<MetricData> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: "v", aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } } }],
  });
  try {
    // an up-down counter admits negative values (a histogram instrument drops them)
    const counter = provider.getMeter("wasm-engine-test").createUpDownCounter("v");
    for (const v of values) counter.add(v);
    const { resourceMetrics, errors } = await reader.collect();
    assert.deepEqual(errors, []);
    const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
    assert.ok(metric !== undefined, "the SDK collected nothing");
    return metric;
  } finally {
    await provider.shutdown();
  }
}

function assertSameAsSdk(snap: SlotSnapshot, metric: MetricData): void {
  assert.equal(metric.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
  const point = metric.dataPoints[0].value;
  assert.ok(typeof point === "object" && "positive" in point && "zeroCount" in point);
  const exp = snap.exponential;
  assert.ok(exp !== null);
  assert.equal(exp.scale, point.scale, "scale");
  assert.equal(exp.zeroCount, point.zeroCount, "zeroCount");
  for (const side of ["positive", "negative"] as const) {
    const { offset, bucketCounts } = point[side];
    assert.deepEqual(exp[side], { offset: bucketCounts.length === 0 ? 0 : offset, counts: bucketCounts }, side);
  }
  assert.equal(snap.stats.count, point.count, "count");
}

function firstBucket(boundaries: readonly number[], v: number): number {
  for (let i = 0; i < boundaries.length; i++) if (v <= boundaries[i]) return i;
  return boundaries.length;
}

const LAYOUT_16 = Float64Array.from([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50]);

async function histogramSlot(
  boundaries: readonly number[] | null,
  exponentialMaxSize = 0,
): Promise<{ engine: AggregationEngine; slot: number; layout: number }> {
  const engine = await createWasmEngine();
  const layout = engine.createLayout({
    boundaries: boundaries === null ? null : Float64Array.from(boundaries),
    exponentialMaxSize,
  });
  return { engine, layout, slot: engine.allocSlot(SlotKind.Histogram, layout) };
}

function expInput(partial: Partial<ExponentialHistogramInput> & Pick<ExponentialHistogramInput, "scale">): ExponentialHistogramInput {
  const positive = partial.positive ?? { offset: 0, counts: [] };
  const negative = partial.negative ?? { offset: 0, counts: [] };
  const zeroCount = partial.zeroCount ?? 0;
  const count = zeroCount + [...positive.counts, ...negative.counts].reduce((a, b) => a + b, 0);
  return { zeroCount, positive, negative, count, sum: partial.sum ?? 0, min: partial.min ?? 0, max: partial.max ?? 0, ...partial };
}

// ---------------------------------------------------------------------------------------------

describe("WasmEngine", () => {
  describe("exponential mapping", () => {
    it("equals the SDK's ExponentMapping/LogarithmMapping at every scale -10..20 for edge, random and boundary-adjacent values", async () => {
      const { exports: core } = await loadStatsetWasm();
      const rng = seededRandom(20240611);
      const edges = edgeMagnitudes();
      let compared = 0;
      for (const scale of SCALES) {
        const sdk = sdkGetMapping(scale);
        const values = [...edges, ...boundaryNeighbours(scale, rng, 300)];
        for (let i = 0; i < 1500; i++) values.push(randomDouble(rng), 1e-3 + rng() * 1e3);
        for (const v of values) {
          const expected = sdk.mapToIndex(v);
          assert.equal(core.mapToIndex(v, scale), expected, `mapToIndex(${v}, ${scale})`);
          assert.equal(core.otelMapToIndex(v, scale), expected, `otelMapToIndex(${v}, ${scale})`);
          compared++;
        }
      }
      assert.ok(compared > 31 * 3000);
    });

    it("maps Number.MIN_VALUE to minIndex and Number.MAX_VALUE to maxIndex at every scale, as the JS mapping", async () => {
      const { exports: core } = await loadStatsetWasm();
      for (const scale of SCALES) {
        for (const map of [core.mapToIndex, core.otelMapToIndex]) {
          assert.equal(map(Number.MIN_VALUE, scale), minIndex(scale), `MIN_VALUE at ${scale}`);
          assert.equal(map(Number.MAX_VALUE, scale), maxIndex(scale), `MAX_VALUE at ${scale}`);
        }
      }
    });

    it("equals the SDK next to every bucket boundary and table cell edge at scales 1..8", async () => {
      const { exports: core } = await loadStatsetWasm();
      for (let scale = 1; scale <= 8; scale++) {
        const sdk = sdkGetMapping(scale);
        const check = (v: number): void => {
          if (v > 0 && Number.isFinite(v)) assert.equal(core.mapToIndex(v, scale), sdk.mapToIndex(v), `mapToIndex(${v}, ${scale})`);
        };
        const n = 2 ** scale;
        for (const e of [-1022, -500, -3, 0, 1, 7, 300, 1023]) {
          for (let j = 0; j <= n; j++) {
            const b = 2 ** e * 2 ** (j / n);
            for (let u = 0; u <= 4; u++) {
              check(nextUp(b, u));
              check(nextDown(b, u));
            }
          }
          for (let i = 0; i <= 512; i++) {
            const edge = 2 ** e * (1 + i / 512);
            check(nextDown(edge));
            check(edge);
            check(nextUp(edge));
          }
        }
      }
    });

    it("falls back to OpenTelemetry's exact arithmetic next to bucket boundaries, and only there", async () => {
      const { exports: core } = await loadStatsetWasm();
      const rng = seededRandom(7);
      let exact = 0;
      for (const scale of [1, 8, 9, 14, 20]) {
        for (const v of boundaryNeighbours(scale, rng, 200)) exact += core.mapNeedsExactPath(v, scale);
      }
      assert.ok(exact > 100, `only ${exact} boundary neighbours took the exact path`);
      let ordinary = 0;
      for (let i = 0; i < 100_000; i++) ordinary += core.mapNeedsExactPath(1e-3 + rng() * 1e3, 20);
      assert.ok(ordinary < 10, `${ordinary} of 100000 random values took the exact path at scale 20`);
    });

    it("agrees with the SDK for random doubles in property runs at random scales", async () => {
      const { exports: core } = await loadStatsetWasm();
      fc.assert(
        fc.property(fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -10, max: 20 }), (v, scale) => {
          assert.equal(core.mapToIndex(v, scale), sdkGetMapping(scale).mapToIndex(v));
        }),
        { numRuns: 20_000 },
      );
    });
  });

  describe("fdlibmLog", () => {
    it("returns V8's Math.log bit for bit", async () => {
      const { exports: core } = await loadStatsetWasm();
      const rng = seededRandom(99);
      const values = [...edgeMagnitudes(), 0, -1, Infinity];
      for (let i = 0; i < 100_000; i++) values.push(randomDouble(rng), 1 + (rng() - 0.5) * 1e-4, rng() * 10);
      for (const v of values) assert.ok(Object.is(core.fdlibmLog(v), Math.log(v)), `log(${v}): ${core.fdlibmLog(v)} vs ${Math.log(v)}`);
    });
  });

  describe("record", () => {
    it("refuses NaN and ±Infinity, records -0 as +0 and handles subnormals, 1e308, MAX_VALUE and negatives", async () => {
      const { engine, slot } = await histogramSlot([-1, 0, 1], 160);
      const accepted = [-0, 0, Number.MIN_VALUE, -Number.MIN_VALUE, MIN_NORMAL, 1e308, 1e308, Number.MAX_VALUE, -5];
      for (const v of [NaN, Infinity, -Infinity, ...accepted]) engine.record(slot, v);
      const snap = engine.snapshot(slot, false);
      assert.equal(snap.rejected, 3);
      assert.equal(snap.stats.count, accepted.length);
      assert.equal(snap.stats.min, -5);
      assert.equal(snap.stats.max, Number.MAX_VALUE);
      assert.equal(snap.stats.sum, Infinity, "1e308 + 1e308 overflows, as in OpenTelemetry");
      assert.deepEqual(Array.from(snap.bucketCounts ?? []), [1, 3, 2, 3]);
      assert.ok(Number.isNaN(snap.last), "a histogram has no last value");
      assertSameAsSdk(snap, await sdkExponential(accepted, 160));
      assert.equal(snap.exponential?.zeroCount, 2, "-0 and 0 both count as zero");
    });

    it("reports min and max of +0 when only -0 was recorded", async () => {
      const engine = await createWasmEngine();
      const gauge = engine.allocSlot(SlotKind.Gauge);
      engine.recordBatch(gauge, Float64Array.of(-0, -0, -0));
      engine.record(gauge, -0);
      const snap = engine.snapshot(gauge, false);
      assert.ok(Object.is(snap.stats.min, 0) && Object.is(snap.stats.max, 0) && Object.is(snap.last, 0));
      assert.ok(Object.is(snap.stats.sum, 0));
    });

    it("stages values in order with batches, so a gauge's last value is the last one recorded", async () => {
      const engine = await createWasmEngine();
      const gauge = engine.allocSlot(SlotKind.Gauge);
      engine.record(gauge, 1);
      engine.recordBatch(gauge, Float64Array.of(2));
      assert.equal(engine.snapshot(gauge, false).last, 2);
      engine.recordBatch(gauge, Float64Array.of(5, 6));
      engine.record(gauge, 3);
      const snap = engine.snapshot(gauge, false);
      assert.equal(snap.last, 3);
      assert.deepEqual(snap.stats, { count: 5, sum: 17, min: 1, max: 6 });
    });

    it("flushes the staging area when full and before every other operation", async () => {
      const engine = await createWasmEngine();
      const sum = engine.allocSlot(SlotKind.Sum);
      const other = engine.allocSlot(SlotKind.Sum);
      for (let i = 0; i < 2500; i++) engine.record(i % 2 === 0 ? sum : other, 1);
      engine.mergeStatistics(sum, { count: 1, sum: 10, min: 10, max: 10 });
      assert.deepEqual(engine.snapshot(sum, true).stats, { count: 1251, sum: 1260, min: 1, max: 10 });
      engine.record(other, 2);
      engine.reset(other);
      assert.equal(engine.snapshot(other, false).stats.count, 0, "reset applies the staged value first");
      engine.record(other, 4);
      engine.freeSlot(other);
      const reused = engine.allocSlot(SlotKind.Sum);
      assert.equal(reused, other);
      assert.equal(engine.snapshot(reused, false).stats.count, 0, "a staged value never reaches the next owner of its slot");
    });
  });

  describe("stage buffers", () => {
    it("records a stage buffer's values in place, any sub-range of it", async () => {
      const engine = await createWasmEngine();
      const slot = engine.allocSlot(SlotKind.Histogram, engine.createLayout({ boundaries: Float64Array.of(1, 10), exponentialMaxSize: 0 }));
      const buffer = engine.createStageBuffer(64);
      buffer.values.set(Array.from({ length: 64 }, (_, i) => i));
      engine.recordStaged(slot, buffer, 0, 10);
      engine.recordStaged(slot, buffer, 60, 100); // clamped to the buffer
      const snap = engine.snapshot(slot, false);
      assert.deepEqual(snap.stats, { count: 14, sum: 45 + 60 + 61 + 62 + 63, min: 0, max: 63 });
      assert.deepEqual(Array.from(snap.bucketCounts ?? []), [2, 8, 4]);
    });

    it("re-points every stage buffer and tells its owner when linear memory grows, values kept", async () => {
      const engine = await createWasmEngine();
      const layout = engine.createLayout({ boundaries: LAYOUT_16, exponentialMaxSize: 160 });
      const buffers = [engine.createStageBuffer(512), engine.createStageBuffer(512)];
      const told: Float64Array[][] = [[], []];
      buffers.forEach((b, k) => {
        b.owner = { restage: (values) => told[k].push(values) };
        b.values.set(Array.from({ length: 512 }, (_, i) => k * 1000 + i));
      });
      const first = buffers.map((b) => b.values);
      const before = engine.memoryBytes();
      const slots: number[] = [];
      while (engine.memoryBytes() < before + 2_000_000) slots.push(engine.allocSlot(SlotKind.Histogram, layout));
      buffers.forEach((b, k) => {
        assert.ok(told[k].length >= 1, "the owner was told");
        assert.equal(told[k].at(-1), b.values, "with the buffer's current view");
        assert.equal(first[k].length, 0, "the old view is detached");
        assert.deepEqual(Array.from(b.values.subarray(510)), [k * 1000 + 510, k * 1000 + 511]);
      });
      engine.recordStaged(slots[0], buffers[1], 0, 512);
      assert.deepEqual(engine.snapshot(slots[0], false).stats, { count: 512, sum: 512 * 1000 + (511 * 512) / 2, min: 1000, max: 1511 });
    });

    it("refuses a slot that is not allocated", async () => {
      const engine = await createWasmEngine();
      assert.throws(() => engine.recordStaged(7, engine.createStageBuffer(8), 0, 8), /not/);
    });
  });

  describe("recordBatch", () => {
    it("counts v in the first bucket with v <= b, for short (SIMD) and long (binary search) boundary lists", async () => {
      const engine = await createWasmEngine();
      const rng = seededRandom(3);
      for (const n of [0, 1, 2, 7, 8, 9, 16, 17, 64, 65, 200]) {
        const boundaries = Array.from({ length: n }, (_, i) => (i - n / 3) * 1.5);
        const layout = engine.createLayout({ boundaries: Float64Array.from(boundaries), exponentialMaxSize: 0 });
        const slot = engine.allocSlot(SlotKind.Histogram, layout);
        const values: number[] = [];
        for (const b of boundaries) values.push(b, nextUp(b), nextDown(b));
        for (let i = 0; i < 500; i++) values.push((rng() - 0.4) * n * 2, -1e308, 1e308);
        const expected = new Array<number>(n + 1).fill(0);
        let rejected = 0; // nextDown(0) is a NaN bit pattern
        for (const v of values) {
          if (Number.isFinite(v)) expected[firstBucket(boundaries, v + 0)]++;
          else rejected++;
        }
        engine.recordBatch(slot, Float64Array.from(values));
        const snap = engine.snapshot(slot, false);
        assert.deepEqual(Array.from(snap.bucketCounts ?? []), expected, `${n} boundaries`);
        assert.equal(snap.rejected, rejected);
      }
    });

    it("counts exactly through the direct-lookup table: adjacent, dense, wide, zero and negative boundaries, values at and next to each, in long positive runs", async () => {
      // Boundaries the table separates at different resolutions (or cannot: adjacent doubles,
      // spans too wide), values mostly positive so whole groups of eight take the vector path,
      // with specials mixed in at random positions.
      const positive = fc.oneof(
        fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
        fc.integer({ min: -1074, max: 1023 }).map((e) => 2 ** e),
        fc.constantFrom(Number.MIN_VALUE, 2 ** -1022, Number.MAX_VALUE, 0.1, 1, 1.6 ** 7),
      );
      const boundariesArb = fc
        .tuple(
          fc.uniqueArray(positive, { minLength: 1, maxLength: 40 }),
          fc.boolean(), // a boundary at 0
          fc.uniqueArray(fc.double({ min: -1e6, max: -1e-6, noNaN: true }), { maxLength: 3 }),
          fc.boolean(), // each positive boundary's next double as another boundary
        )
        .map(([pos, zero, neg, adjacent]) => {
          const all = new Set<number>([...pos, ...neg, ...(zero ? [0] : []), ...(adjacent ? pos.map((b) => nextUp(b)) : [])]);
          return [...all].filter(Number.isFinite).sort((a, b) => a - b);
        });
      await fc.assert(
        fc.asyncProperty(
          boundariesArb.chain((boundaries) => {
            const near = fc.constantFrom(...boundaries).chain((b) => fc.constantFrom(b, nextUp(b), nextDown(b), b * 1.0001, b / 1.0001));
            const value = fc.oneof(
              { arbitrary: near, weight: 4 },
              { arbitrary: positive, weight: 4 },
              { arbitrary: fc.constantFrom(0, -0, -1, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, 1e-320), weight: 1 },
            );
            return fc.tuple(fc.constant(boundaries), fc.array(value, { minLength: 1, maxLength: 400 }));
          }),
          async ([boundaries, values]) => {
            const { engine, slot, layout } = await histogramSlot(boundaries);
            // a longer batch first leaves positive values behind in the transfer area, which a
            // kernel reading past the end of the next batch would count
            engine.recordBatch(engine.allocSlot(SlotKind.Histogram, layout), new Float64Array(values.length + 64).fill(1.5));
            engine.recordBatch(slot, Float64Array.from(values));
            const finite = values.filter(Number.isFinite).map((v) => v + 0);
            const expected = new Array<number>(boundaries.length + 1).fill(0);
            for (const v of finite) expected[firstBucket(boundaries, v)]++;
            const snap = engine.snapshot(slot, false);
            assert.deepEqual(Array.from(snap.bucketCounts ?? []), expected);
            assert.equal(snap.stats.count, finite.length);
            assert.equal(snap.rejected, values.length - finite.length);
            assert.equal(snap.stats.min, finite.length === 0 ? Infinity : Math.min(...finite));
            assert.equal(snap.stats.max, finite.length === 0 ? -Infinity : Math.max(...finite));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("handles one special value alone in an otherwise positive batch, wherever it sits", async () => {
      // The table kernel runs whole steps unchecked and validates the batch afterwards: each kind
      // of value it cannot take must be caught on its own, not only next to others.
      const boundaries = Array.from(LAYOUT_16);
      const rng = seededRandom(11);
      const base = Array.from({ length: 67 }, () => 0.001 + rng() * 60);
      for (const special of [Number.NaN, Infinity, -Infinity, 0, -0, -2.5, 1e-320, Number.MIN_VALUE]) {
        for (const at of [0, 7, 8, 33, 63, 64, 66]) {
          const values = base.slice();
          values[at] = special;
          const { engine, slot } = await histogramSlot(boundaries);
          engine.recordBatch(slot, Float64Array.from(values));
          const finite = values.filter(Number.isFinite).map((v) => v + 0);
          const expected = new Array<number>(boundaries.length + 1).fill(0);
          for (const v of finite) expected[firstBucket(boundaries, v)]++;
          const snap = engine.snapshot(slot, false);
          const where = `${special} at ${at}`;
          assert.deepEqual(Array.from(snap.bucketCounts ?? []), expected, where);
          assert.equal(snap.rejected, values.length - finite.length, where);
          assert.equal(snap.stats.min, Math.min(...finite), where);
          assert.equal(snap.stats.max, Math.max(...finite), where);
          assert.ok(Math.abs(snap.stats.sum - finite.reduce((a, v) => a + v, 0)) < 1e-9, where);
        }
      }
    });

    it("records only values[start..end) and copes with batches longer than the transfer area", async () => {
      const { engine, slot } = await histogramSlot(Array.from(LAYOUT_16), 160);
      const values = Float64Array.from({ length: 10_000 }, (_, i) => (i % 100) / 10);
      engine.recordBatch(slot, values, 17, 9_999);
      const reference = await histogramSlot(Array.from(LAYOUT_16), 160);
      for (let i = 17; i < 9_999; i++) reference.engine.record(reference.slot, values[i]);
      assert.deepEqual(engine.snapshot(slot, false), reference.engine.snapshot(reference.slot, false));
      assert.equal(engine.snapshot(slot, false).stats.count, 9_982);
    });

    it("throws a RangeError for a slot that is not allocated", async () => {
      const engine = await createWasmEngine();
      const slot = engine.allocSlot(SlotKind.Sum);
      engine.freeSlot(slot);
      assert.throws(() => engine.recordBatch(slot, Float64Array.of(1)), RangeError);
      assert.throws(() => engine.snapshot(slot, false), /snapshot: slot \d+ is not allocated/);
      assert.throws(() => engine.reset(slot), RangeError);
      engine.freeSlot(slot); // a second free is ignored, not a corrupted free list
      assert.notEqual(engine.allocSlot(SlotKind.Sum), engine.allocSlot(SlotKind.Sum));
    });
  });

  describe("recordScattered", () => {
    it("puts values[i] into slots[i] for every kind, the same as one record call per value", async () => {
      const engine = await createWasmEngine();
      const reference = await createWasmEngine();
      const setup = (e: AggregationEngine): number[] => {
        const layout = e.createLayout({ boundaries: LAYOUT_16, exponentialMaxSize: 20 });
        return [e.allocSlot(SlotKind.Sum), e.allocSlot(SlotKind.Gauge), e.allocSlot(SlotKind.Histogram, layout)];
      };
      const a = setup(engine);
      const b = setup(reference);
      const rng = seededRandom(11);
      const n = 9_000;
      const slots = Int32Array.from({ length: n }, () => a[Math.floor(rng() * 3)]);
      const values = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? NaN : (rng() - 0.3) * 100));
      engine.recordScattered(slots, values, n);
      for (let i = 0; i < n; i++) reference.record(b[a.indexOf(slots[i])], values[i]);
      for (let k = 0; k < 3; k++) assert.deepEqual(engine.snapshot(a[k], false), reference.snapshot(b[k], false));
    });
  });

  describe("exponential histogram", () => {
    it("matches the SDK's exponential aggregation (scale, offsets, counts) for random values and sizes", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(...edgeMagnitudes())), { minLength: 1, maxLength: 300 }),
          fc.integer({ min: 2, max: 160 }),
          async (values, maxSize) => {
            const { engine, slot } = await histogramSlot(null, maxSize);
            engine.recordBatch(slot, Float64Array.from(values));
            const metric = await sdkExponential(values, maxSize);
            const point = metric.dataPoints[0].value;
            assert.ok(typeof point === "object" && "positive" in point && "zeroCount" in point);
            const snap = engine.snapshot(slot, false);
            if (!sdkStateValid(point, maxSize)) {
              // the SDK corrupted its buckets
              assertDownscaledInstead(snap.exponential, point.scale, maxSize, values.length);
              return;
            }
            assertSameAsSdk(snap, metric);
          },
        ),
        // the first example makes the SDK write past its buckets (an undefined count)
        { numRuns: 60, examples: [[[4.122335212542166e-230, 1.5525180923007093e231, 5e-324], 6]] },
      );
    });

    it("matches the SDK at scales 1..8 for batches spanning a few octaves (the cell-table kernel), specials mixed in", async () => {
      // A span of 2^(maxSize / 2^s) keeps the scale at s or above; values are positive except for
      // the occasional zero, negative or non-finite value, so runs take the cell-table path and
      // leave it at window moves, downscales, powers of two and values next to a boundary.
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 20, max: 160 }),
          fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
          fc.array(fc.oneof(
            { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 20 },
            { arbitrary: fc.constantFrom(-2.5, 0, Infinity, Number.NaN, -0.5), weight: 1 }, // not integers: those pick powers of two
            { arbitrary: fc.integer({ min: 0, max: 8 }).map((k) => -k - 1), weight: 1 }, // exact powers of two
          ), { minLength: 1, maxLength: 400 }),
          async (scale, maxSize, origin, picks) => {
            const octaves = Math.max(1, Math.floor(maxSize / 2 ** scale) - 1);
            const values = picks.map((p) => (p < 0 && Number.isInteger(p) ? origin * 2 ** Math.min(-p - 1, octaves) : p >= 0 && p <= 1 ? origin * 2 ** (p * octaves) : p));
            const { engine, slot } = await histogramSlot(null, maxSize);
            engine.recordBatch(slot, Float64Array.from(values));
            const finite = values.filter(Number.isFinite);
            if (finite.length === 0) {
              // only infinities and NaN: the SDK records nothing, so there is no point to compare
              const exp = engine.snapshot(slot, false).exponential;
              assert.equal(exp?.zeroCount, 0);
              assert.deepEqual([...(exp?.positive.counts ?? []), ...(exp?.negative.counts ?? [])].filter((c) => c !== 0), []);
              return;
            }
            const metric = await sdkExponential(finite, maxSize);
            const point = metric.dataPoints[0].value;
            assert.ok(typeof point === "object" && "positive" in point && "zeroCount" in point);
            const snap = engine.snapshot(slot, false);
            if (!sdkStateValid(point, maxSize)) {
              assertDownscaledInstead(snap.exponential, point.scale, maxSize, finite.length);
              return;
            }
            assertSameAsSdk(snap, metric);
          },
        ),
        // picks of only infinities and NaN leave the SDK with nothing to collect (failed CI once)
        { numRuns: 150, examples: [[1, 20, 0.000001, [Infinity]], [3, 40, 2, [Number.NaN, Infinity]]] },
      );
    });

    it("reports scale 0 while only zeros were recorded and starts again at maxScale after reset", async () => {
      const { engine, slot } = await histogramSlot(null, 160);
      engine.recordBatch(slot, Float64Array.of(0, -0));
      assert.deepEqual(engine.snapshot(slot, false).exponential, { scale: 0, zeroCount: 2, positive: { offset: 0, counts: [] }, negative: { offset: 0, counts: [] } });
      engine.recordBatch(slot, Float64Array.of(1, 1e6));
      assert.ok((engine.snapshot(slot, true).exponential?.scale ?? 20) < 20);
      engine.record(slot, 3);
      assert.equal(engine.snapshot(slot, false).exponential?.scale, 20);
    });
  });

  describe("bucket counts beyond 32 bits", () => {
    it("carries into the high word when the low 32 bits would wrap, on record, merge and mergeSlot", async () => {
      const { engine, slot, layout } = await histogramSlot(null, 160);
      const big = 2 ** 32 - 1;
      engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 0, counts: [big] }, sum: 1.5 * big, min: 1.5, max: 1.5 }));
      engine.record(slot, 1.5);
      engine.recordBatch(slot, Float64Array.of(1.5, 1.75));
      let snap = engine.snapshot(slot, false);
      assert.deepEqual(snap.exponential?.positive, { offset: 0, counts: [2 ** 32 + 2] });
      engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 0, counts: [2 ** 40] }, min: 1.5, max: 1.5 }));
      const other = engine.allocSlot(SlotKind.Histogram, layout);
      engine.mergeSlot(other, slot);
      engine.mergeSlot(other, slot);
      snap = engine.snapshot(other, false);
      assert.deepEqual(snap.exponential?.positive, { offset: 0, counts: [2 * (2 ** 40 + 2 ** 32 + 2)] });
      assert.equal(snap.stats.count, 2 * (2 ** 40 + 2 ** 32 + 2));
    });
  });

  describe("bucket counts beyond 16 bits", () => {
    const U16 = 65535;

    it("carries into the mid word when a u16 counter passes 65535 by record, recordBatch and recordScattered", async () => {
      const { engine, slot } = await histogramSlot([1, 2], 160);
      for (let i = 0; i < U16; i++) engine.record(slot, 1.5);
      assert.deepEqual(engine.snapshot(slot, false).exponential?.positive.counts, [U16]);
      engine.record(slot, 1.5);
      engine.recordBatch(slot, new Float64Array(2 * U16).fill(1.5));
      const n = 3 * U16;
      engine.recordScattered(new Int32Array(n).fill(slot), new Float64Array(n).fill(1.5), n);
      const snap = engine.snapshot(slot, false);
      const total = 1 + U16 + 2 * U16 + 3 * U16;
      assert.deepEqual(snap.exponential?.positive.counts, [total]);
      assert.equal(snap.stats.count, total);
      assert.deepEqual(Array.from(snap.bucketCounts ?? []), [0, total, 0]);
    });

    it("keeps the negative range's heap block exact across the carry", async () => {
      const { engine, slot } = await histogramSlot(null, 160);
      engine.recordBatch(slot, Float64Array.of(1.5)); // the positive range claims the inline block
      engine.recordBatch(slot, new Float64Array(U16 + 2).fill(-1.5));
      engine.recordBatch(slot, new Float64Array(U16 + 2).fill(-1.5));
      assert.deepEqual(engine.snapshot(slot, false).exponential?.negative.counts, [2 * U16 + 4]);
    });

    it("carries on merges: mergeExponential, mergeExplicit (midpoints) and mergeSlot", async () => {
      const { engine, slot, layout } = await histogramSlot([10], 160);
      engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 0, counts: [U16, 2 ** 17 + 3] }, min: 1.5, max: 3 }));
      engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 0, counts: [1, 2 ** 16 - 3] }, min: 1.5, max: 3 }));
      engine.mergeExplicit(slot, { boundaries: [2], bucketCounts: [U16, 0], count: U16, sum: 1.5 * U16, min: 1.5, max: 1.5 });
      const other = engine.allocSlot(SlotKind.Histogram, layout);
      engine.mergeSlot(other, slot);
      engine.mergeSlot(other, slot);
      const snap = engine.snapshot(other, false);
      assert.deepEqual(snap.exponential?.positive, { offset: 0, counts: [2 * (2 * U16 + 1), 2 * (2 ** 17 + 2 ** 16)] });
      assert.equal(snap.stats.count, 2 * (2 * U16 + 1 + 2 ** 17 + 2 ** 16));
    });

    it("moves and downscales carried counts exactly, as the JS reference engine does", async () => {
      const wasm = await createWasmEngine();
      const js = createJsEngine();
      const run = (engine: AggregationEngine): SlotSnapshot[] => {
        const layout = engine.createLayout({ boundaries: null, exponentialMaxSize: 8 });
        const slot = engine.allocSlot(SlotKind.Histogram, layout);
        engine.recordBatch(slot, new Float64Array(U16 + 7).fill(1.5));
        engine.recordBatch(slot, new Float64Array(3 * U16).fill(-3));
        engine.recordBatch(slot, Float64Array.of(1.01, 1.99, -2.5)); // window moves at scale 20
        engine.recordBatch(slot, Float64Array.of(1e3, 1e-3, -1e5)); // downscales, merging buckets
        engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: -2, counts: [U16, 1, 2 ** 33] }, min: 0.3, max: 2 }));
        const other = engine.allocSlot(SlotKind.Histogram, layout);
        engine.mergeSlot(other, slot);
        engine.recordBatch(other, new Float64Array(U16).fill(7));
        return [engine.snapshot(slot, false), engine.snapshot(other, false)];
      };
      const expected = run(js);
      const actual = run(wasm);
      for (let i = 0; i < expected.length; i++) {
        assert.deepEqual(actual[i].exponential, expected[i].exponential);
        assert.equal(actual[i].stats.count, expected[i].stats.count);
      }
      assert.ok((actual[1].exponential?.positive.counts ?? []).some((c) => c > 2 ** 32));
    });

    it("keeps the carry blocks over reset (zeroed, counting exactly again) and returns them on free", async () => {
      const { exports: core, memory } = await loadStatsetWasm();
      const layout = core.createLayout(0, -1, 160, 20);
      const valuesPtr = core.transferValuesPtr() >>> 0;
      core.freeSlot(core.allocSlot(SlotKind.Histogram, layout)); // the slot table, allocated once
      core.scratch((16 + 2 * 160) * 8); // the snapshot's scratch block, kept by the module
      const before = core.heapInUse() >>> 0;
      const id = core.allocSlot(SlotKind.Histogram, layout);
      const slotBytes = core.slotBlockBytes(layout);
      assert.equal(core.heapInUse() >>> 0, before + slotBytes);
      new Float64Array(memory.buffer, valuesPtr, 4096).fill(1.5);
      for (let i = 0; i < 17; i++) core.recordBatch(id, valuesPtr, 4096); // 69632 counts
      const carried = (core.heapInUse() >>> 0) - before - slotBytes;
      assert.equal(carried, 160 * 2, "one u16 mid block");
      core.resetSlot(id);
      assert.equal((core.heapInUse() >>> 0) - before - slotBytes, carried, "reset keeps the block");
      core.recordBatch(id, valuesPtr, 3);
      const out = core.scratch(core.snapshotBytes(id)) >>> 0;
      core.snapshot(id, out, 0);
      const record = new Float64Array(memory.buffer, out, 18);
      assert.equal(record[0], 3);
      assert.equal(record[12], 1); // one positive bucket
      assert.equal(record[16], 3); // its count: the old mid word was zeroed
      core.freeSlot(id);
      assert.equal(core.heapInUse() >>> 0, before);
    });
  });

  describe("mergeExplicit", () => {
    it("adds counts bucket by bucket for the same boundaries and by upper bound for others", async () => {
      const { engine, slot } = await histogramSlot([1, 5, 10]);
      engine.mergeExplicit(slot, { boundaries: [1, 5, 10], bucketCounts: [1, 2, 3, 4], count: 10, sum: 50, min: 0, max: 20 });
      engine.mergeExplicit(slot, { boundaries: [2, 5, 20], bucketCounts: [1, 2, 3, 4], count: 10, sum: 60, min: 1.5, max: 30 });
      const snap = engine.snapshot(slot, false);
      assert.deepEqual(Array.from(snap.bucketCounts ?? []), [1, 2 + 3, 3, 4 + 7]);
      assert.deepEqual(snap.stats, { count: 20, sum: 110, min: 0, max: 30 });
    });

    it("reads a reused boundaries array afresh on every call, even while merges are queued", async () => {
      const { engine, slot } = await histogramSlot([1, 5, 10]);
      const boundaries = [1, 5, 10];
      engine.mergeExplicit(slot, { boundaries, bucketCounts: [1, 0, 0, 0], count: 1, sum: 1, min: 1, max: 1 });
      boundaries[0] = 4; // now [4, 5, 10]: the first bucket's upper bound 4 lands in the layout's (1, 5] bucket
      engine.mergeExplicit(slot, { boundaries, bucketCounts: [1, 0, 0, 0], count: 1, sum: 1, min: 1, max: 1 });
      assert.deepEqual(Array.from(engine.snapshot(slot, false).bucketCounts ?? []), [1, 1, 0, 0]);
    });

    it("throws a RangeError for a slot that is not allocated, at the call and not when queued merges are applied", async () => {
      const { engine, slot } = await histogramSlot([1]);
      const other = engine.allocSlot(SlotKind.Histogram, engine.createLayout({ boundaries: Float64Array.of(1), exponentialMaxSize: 0 }));
      engine.mergeExplicit(slot, { boundaries: [1], bucketCounts: [1, 0], count: 1, sum: 0.5, min: 0.5, max: 0.5 });
      engine.freeSlot(other);
      assert.throws(() => engine.mergeExplicit(other, { boundaries: [1], bucketCounts: [1, 0], count: 1, sum: 0.5, min: 0.5, max: 0.5 }), RangeError);
      assert.throws(() => engine.mergeExplicit(123456, { boundaries: [1], bucketCounts: [1, 0], count: 1, sum: 0.5, min: 0.5, max: 0.5 }), RangeError);
      assert.deepEqual(engine.snapshot(slot, false).stats, { count: 1, sum: 0.5, min: 0.5, max: 0.5 });
    });

    it("inserts each bucket's count at its clamped midpoint into an exponential histogram", async () => {
      const { engine, slot } = await histogramSlot(null, 160);
      engine.mergeExplicit(slot, { boundaries: [1, 2, 8], bucketCounts: [1, 0, 2, 3], count: 6, sum: 30, min: 0.5, max: 9 });
      const reference = await histogramSlot(null, 160);
      // [0.5, 1] -> 0.75; (2, 8] -> 5; (8, max 9] -> 8.5
      reference.engine.recordBatch(reference.slot, Float64Array.of(0.75, 5, 5, 8.5, 8.5, 8.5));
      assert.deepEqual(engine.snapshot(slot, false).exponential, reference.engine.snapshot(reference.slot, false).exponential);
    });
  });

  describe("mergeExponential", () => {
    it("adds exponential buckets into explicit ones by each bucket's upper bound, zeros where 0 belongs", async () => {
      const { engine, slot } = await histogramSlot([0, 1, 2, 4]);
      engine.mergeExponential(slot, expInput({
        scale: 0, zeroCount: 2,
        positive: { offset: -1, counts: [1, 1, 1] }, // (0.5,1] (1,2] (2,4]
        negative: { offset: 0, counts: [5] }, // [-2,-1): upper bound -1
        min: -2, max: 4,
      }));
      assert.deepEqual(Array.from(engine.snapshot(slot, false).bucketCounts ?? []), [7, 1, 1, 1, 0]);
    });

    it("trims empty end buckets, brings both sides to the smaller scale and downscales to fit maxSize", async () => {
      const { engine, slot } = await histogramSlot(null, 4);
      engine.mergeExponential(slot, expInput({ scale: 5, positive: { offset: 10, counts: [0, 3, 0, 4, 0] }, min: 1, max: 2 }));
      assert.deepEqual(engine.snapshot(slot, false).exponential, { scale: 5, zeroCount: 0, positive: { offset: 11, counts: [3, 0, 4] }, negative: { offset: 0, counts: [] } });
      engine.mergeExponential(slot, expInput({ scale: 2, positive: { offset: 1, counts: [1] }, negative: { offset: -3, counts: [1, 0, 0, 0, 0, 0, 0, 1] }, min: -1, max: 2 }));
      // at scale 2 the negative range spans -3..4 (8 buckets); halving twice fits 4: scale 0, -1..1;
      // positive: 11 >> 5 = 13 >> 5 = 0, and the input's 1 >> 2 = 0
      assert.deepEqual(engine.snapshot(slot, false).exponential, {
        scale: 0, zeroCount: 0, positive: { offset: 0, counts: [8] }, negative: { offset: -1, counts: [1, 0, 1] },
      });
    });

    it("refuses at the core's own ABI (status 3, nothing changed) a scale or bucket range outside the mapping's indexes", async () => {
      const { exports: core, memory } = await loadStatsetWasm();
      const layout = core.createLayout(0, -1, 160, 20);
      const id = core.allocSlot(SlotKind.Histogram, layout);
      const countsPtr = core.transferValuesPtr() >>> 0;
      new Float64Array(memory.buffer, countsPtr, 8).fill(1);
      assert.equal(core.mergeExponential(id, 0, 0, 5, countsPtr, 3, 0, countsPtr, 0, 3, 9, 2, 4), 0, "a valid input");
      const record = (): number[] => {
        const out = core.scratch(core.snapshotBytes(id)) >>> 0;
        core.snapshot(id, out, 0);
        return Array.from(new Float64Array(memory.buffer, out, core.snapshotBytes(id) / 8));
      };
      const before = record();
      const refused: [string, number, number, number, number, number][] = [
        // [what, scale, posOffset, posLen, negOffset, negLen]
        ["the issue's point: 2^31 - 3 + 3 buckets at scale 0", 0, 2 ** 31 - 3, 3, 0, 0],
        ["the last index wrapping: 2^31 - 1 + 3 buckets", 0, 2 ** 31 - 1, 3, 0, 0],
        ["one past maxIndex at scale 20", 20, maxIndex(20), 2, 0, 0],
        ["below minIndex in the negative range", 0, 0, 0, minIndex(0) - 1, 1],
        ["i32.MIN_VALUE at scale 20", 20, 0, 0, -(2 ** 31), 1],
        ["scale 21", 21, 0, 1, 0, 0],
        ["scale -11", -11, 0, 1, 0, 0],
        ["a negative length", 0, 0, -1, 0, 0],
      ];
      for (const [what, scale, po, pl, no, nl] of refused) {
        assert.equal(core.mergeExponential(id, scale, 1, po, countsPtr, pl, no, countsPtr, nl, 4, 9, 2, 4), 3, what);
        assert.deepEqual(record(), before, `${what}: state unchanged`);
      }
      assert.equal(core.mergeExponential(id, 20, 0, maxIndex(20) - 2, countsPtr, 3, minIndex(20), countsPtr, 1, 4, 0, -1, 4), 0, "the edges themselves");
    });

    it("throws a RangeError naming the range before the i32 ABI could truncate it, and changes nothing", async () => {
      const { engine, slot } = await histogramSlot([0, 5], 160);
      engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 1, counts: [2] }, min: 3, max: 4 }));
      const before = engine.snapshot(slot, false);
      // 2^32 + 5 would reach the core as offset 5
      assert.throws(
        () => engine.mergeExponential(slot, expInput({ scale: 0, positive: { offset: 2 ** 32 + 5, counts: [1] }, min: 1, max: 1 })),
        { name: "RangeError", message: "mergeExponential: positive.offset 4294967301 + 1 buckets exceeds the largest bucket index 1023 at scale 0" },
      );
      assert.throws(() => engine.mergeExponential(slot, expInput({ scale: 0, negative: { offset: -(2 ** 31) - 1, counts: [1] } })), /negative\.offset -2147483649 is below the smallest bucket index -1023 at scale 0/);
      assert.deepEqual(engine.snapshot(slot, false), before);
    });

    it("keeps ranges at the largest and smallest index exact through snapshot, mergeSlot and downscaling, as the JS engine", async () => {
      const input = expInput({
        scale: 20, zeroCount: 1,
        positive: { offset: maxIndex(20) - 2, counts: [1, 2, 3] },
        negative: { offset: minIndex(20), counts: [4, 0, 5] },
        min: -(2 ** -1022), max: Number.MAX_VALUE,
      });
      const wasm = await createWasmEngine();
      const js = createJsEngine();
      const states = [wasm, js].map((e) => {
        const layout = e.createLayout({ boundaries: Float64Array.from([-(2 ** -1022), -Number.MIN_VALUE, 0, 1, Number.MAX_VALUE]), exponentialMaxSize: 160 });
        const [a, b] = [e.allocSlot(SlotKind.Histogram, layout), e.allocSlot(SlotKind.Histogram, layout)];
        e.mergeExponential(a, input);
        const alone = e.snapshot(a, false);
        e.mergeExponential(b, input);
        e.record(b, 1.5); // widens the positive range across the whole index space: downscales far
        e.mergeSlot(a, b);
        return { alone, merged: e.snapshot(a, false) };
      });
      assert.deepEqual(states[0], states[1]);
      const { alone, merged } = states[0];
      assert.deepEqual(alone.exponential, { scale: 20, zeroCount: 1, positive: input.positive, negative: { offset: minIndex(20), counts: [4, 0, 5] } });
      // -(2^-1022) holds negative bucket minIndex (up to -MIN_VALUE) and minIndex + 2; MAX_VALUE the top buckets
      assert.deepEqual(Array.from(alone.bucketCounts ?? []), [5, 4, 1, 0, 6, 0]);
      assert.equal(merged.stats.count, 2 * input.count + 1);
      const exp = merged.exponential;
      assert.ok(exp !== null);
      const total = exp.zeroCount + [...exp.positive.counts, ...exp.negative.counts].reduce((x, y) => x + y, 0);
      assert.equal(total, merged.stats.count);
    });

    it("only adds zeroCount (scale untouched) for an input without non-empty buckets", async () => {
      const { engine, slot } = await histogramSlot(null, 160);
      engine.record(slot, 3);
      engine.mergeExponential(slot, expInput({ scale: -10, zeroCount: 4, positive: { offset: -1, counts: [0, 0] } }));
      const exp = engine.snapshot(slot, false).exponential;
      assert.equal(exp?.scale, 20);
      assert.equal(exp?.zeroCount, 4);
    });
  });

  describe("mergeStatistics", () => {
    it("adds count and sum and widens min/max only when the input has values, for every kind", async () => {
      const engine = await createWasmEngine();
      const layout = engine.createLayout({ boundaries: Float64Array.of(1), exponentialMaxSize: 8 });
      for (const slot of [engine.allocSlot(SlotKind.Sum), engine.allocSlot(SlotKind.Gauge), engine.allocSlot(SlotKind.Histogram, layout)]) {
        engine.record(slot, 2);
        engine.mergeStatistics(slot, { count: 0, sum: 0, min: -100, max: 100 });
        engine.mergeStatistics(slot, { count: 3, sum: 7, min: -0, max: 4 });
        const snap = engine.snapshot(slot, false);
        assert.ok(Object.is(snap.stats.min, 0));
        assert.deepEqual(snap.stats, { count: 4, sum: 9, min: 0, max: 4 });
        if (snap.kind === SlotKind.Gauge) assert.equal(snap.last, 2);
        if (snap.kind === SlotKind.Sum) assert.equal(snap.last, 9);
        if (snap.kind === SlotKind.Histogram) assert.deepEqual(Array.from(snap.bucketCounts ?? []), [0, 1]);
      }
    });
  });

  describe("mergeSlot", () => {
    it("adds statistics, rejected counts and buckets, and takes the source's last value when it has one", async () => {
      const engine = await createWasmEngine();
      const a = engine.allocSlot(SlotKind.Gauge);
      const b = engine.allocSlot(SlotKind.Gauge);
      engine.recordBatch(a, Float64Array.of(1, NaN));
      engine.mergeStatistics(b, { count: 1, sum: 5, min: 5, max: 5 });
      engine.mergeSlot(a, b);
      assert.equal(engine.snapshot(a, false).last, 1, "a merged statistic set carries no last value");
      engine.record(b, 9);
      engine.mergeSlot(a, b);
      const snap = engine.snapshot(a, false);
      assert.equal(snap.last, 9);
      assert.equal(snap.rejected, 1);
      assert.deepEqual(snap.stats, { count: 4, sum: 20, min: 1, max: 9 });
    });

    it("throws a RangeError for slots of different kinds or layouts", async () => {
      const engine = await createWasmEngine();
      const l1 = engine.createLayout({ boundaries: Float64Array.of(1), exponentialMaxSize: 0 });
      const l2 = engine.createLayout({ boundaries: Float64Array.of(2), exponentialMaxSize: 0 });
      assert.throws(() => engine.mergeSlot(engine.allocSlot(SlotKind.Sum), engine.allocSlot(SlotKind.Gauge)), /differ in kind or layout/);
      assert.throws(() => engine.mergeSlot(engine.allocSlot(SlotKind.Histogram, l1), engine.allocSlot(SlotKind.Histogram, l2)), RangeError);
    });
  });

  describe("createWasmEngine", () => {
    it("gives the same results on the debug build of the module", async () => {
      const run = async (debug: boolean): Promise<SlotSnapshot> => {
        const engine = await createWasmEngine({ debug });
        const layout = engine.createLayout({ boundaries: LAYOUT_16, exponentialMaxSize: 40 });
        const slot = engine.allocSlot(SlotKind.Histogram, layout);
        engine.recordBatch(slot, Float64Array.from({ length: 500 }, (_, i) => Math.sin(i) * 10 ** (i % 7)));
        return engine.snapshot(slot, false);
      };
      assert.deepEqual(await run(true), await run(false));
    });
  });

  describe("slots and memory", () => {
    it("keeps a 16-boundary + 160-bucket exponential series within 1 KiB", async () => {
      const { exports: core } = await loadStatsetWasm();
      const layout = core.createLayout(0, 16, 160, 20);
      const perSeries = core.slotBlockBytes(layout) + 4; // block + slot table entry
      assert.ok(perSeries <= 1024, `${perSeries} bytes per series`);
    });

    it("grows linear memory as slots are allocated and keeps recording correctly through the growth", async () => {
      const engine = await createWasmEngine();
      const layout = engine.createLayout({ boundaries: LAYOUT_16, exponentialMaxSize: 160 });
      const first = engine.allocSlot(SlotKind.Histogram, layout);
      const before = engine.memoryBytes();
      const slots = [first];
      for (let i = 1; i < 5000; i++) {
        slots.push(engine.allocSlot(SlotKind.Histogram, layout));
        engine.record(first, i); // the staging views must follow every growth
        engine.record(slots[i], -i); // negative range blocks come from the heap too
      }
      assert.ok(engine.memoryBytes() > before + 2_500_000, `memory ${before} -> ${engine.memoryBytes()}`);
      const snap = engine.snapshot(first, false);
      assert.equal(snap.stats.count, 4999);
      assert.equal(snap.stats.sum, (4999 * 5000) / 2);
      assert.equal(engine.snapshot(slots[4321], false).stats.min, -4321);
    });

    it("reuses freed slots and their blocks: the heap does not grow over alloc/free cycles", async () => {
      const { exports: core, memory } = await loadStatsetWasm();
      const layout = core.createLayout(0, 16, 160, 20);
      const valuesPtr = core.transferValuesPtr() >>> 0;
      const cycle = (): number[] => {
        // both signs, so each slot also takes a heap block for its second range
        new Float64Array(memory.buffer, valuesPtr, 64).set(Array.from({ length: 64 }, (_, i) => (i - 32) * 0.37));
        const ids = Array.from({ length: 200 }, () => core.allocSlot(SlotKind.Histogram, layout));
        for (const id of ids) core.recordBatch(id, valuesPtr, 64);
        for (const id of ids) core.freeSlot(id);
        return ids;
      };
      const ids = cycle();
      const top = core.heapTop();
      const inUse = core.heapInUse();
      for (let i = 0; i < 5; i++) assert.deepEqual(new Set(cycle()), new Set(ids));
      assert.equal(core.heapTop(), top);
      assert.equal(core.heapInUse(), inUse);
      assert.equal(core.liveSlots(), 0);
    });
  });
});
