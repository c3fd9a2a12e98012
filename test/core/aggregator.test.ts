import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataPointType, type HistogramMetricData, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { createAggregator, exponentialBuckets, OVERFLOW_ATTRIBUTE, type Aggregator } from "../../src/index.ts";
import { STAGE_BUFFERS, STAGE_VALUES } from "../../src/core/record-stage.ts";

const ENGINES = ["js", "wasm"] as const;

function metric(rm: ResourceMetrics, name: string): MetricData {
  const found = rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  assert.ok(found, `metric ${name} not collected`);
  return found;
}

function clockAt(start: number): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

for (const engine of ENGINES) {
  describe(`Aggregator (${engine} engine)`, () => {
    const make = (opts: Parameters<typeof createAggregator>[0] = {}): Promise<Aggregator> => createAggregator({ engine, ...opts });

    describe("histogram", () => {
      it("counts each value in the first bucket whose bound is >= the value, attributes in any key order", async () => {
        const agg = await make();
        const h = agg.histogram("inference_duration", { unit: "s", boundaries: [0.01, 0.1, 1] });
        h.record(0.01, { model: "mnist", version: "2" });
        h.record(0.05, { version: "2", model: "mnist" });
        h.record(5, { model: "mnist", version: "2" });
        const m = metric(agg.collect(), "inference_duration") as HistogramMetricData;
        assert.equal(m.dataPointType, DataPointType.HISTOGRAM);
        assert.equal(m.dataPoints.length, 1);
        const p = m.dataPoints[0];
        assert.deepEqual(p.attributes, { model: "mnist", version: "2" });
        assert.deepEqual(p.value.buckets.counts, [1, 1, 0, 1]);
        assert.equal(p.value.count, 3);
        assert.equal(p.value.sum, 5.06);
        assert.equal(p.value.min, 0.01);
        assert.equal(p.value.max, 5);
        assert.equal(m.descriptor.unit, "s");
      });

      it("records through bound series and batches into the same series", async () => {
        const agg = await make();
        const h = agg.histogram("latency", { boundaries: exponentialBuckets(0.001, 1.5, 10) });
        const series = h.bind({ model: "mnist" });
        series.record(0.013);
        series.recordBatch(new Float64Array([0.001, 0.002, 100]));
        series.recordBatch(new Float64Array([7, 0.5, 9]), 1, 2);
        h.record(0.004, { model: "mnist" });
        const p = (metric(agg.collect(), "latency") as HistogramMetricData).dataPoints[0];
        assert.equal(p.value.count, 6);
        assert.equal(p.value.min, 0.001);
        assert.equal(p.value.max, 100);
      });

      it("refuses NaN and infinities without counting them", async () => {
        const agg = await make();
        const h = agg.histogram("h", { boundaries: [1] });
        h.record(Number.NaN);
        h.record(Number.POSITIVE_INFINITY);
        h.record(Number.NEGATIVE_INFINITY);
        h.record(0.5);
        const p = (metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0];
        assert.equal(p.value.count, 1);
        assert.deepEqual(p.value.buckets.counts, [1, 0]);
        assert.equal(agg.stats().rejectedValues, 3);
      });

      it("reports an exponential-only histogram as an exponential histogram", async () => {
        const agg = await make();
        const h = agg.histogram("exp", { exponential: { maxSize: 160 } });
        for (const v of [1, 2, 4, 8]) h.record(v);
        const m = metric(agg.collect(), "exp");
        assert.equal(m.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
        if (m.dataPointType !== DataPointType.EXPONENTIAL_HISTOGRAM) return;
        const v = m.dataPoints[0].value;
        assert.equal(v.count, 4);
        assert.equal(v.sum, 15);
        assert.equal(v.positive.bucketCounts.reduce((a, b) => a + b, 0), 4);
      });

      it("throws at construction for unsorted, duplicate or non-finite boundaries and empty names", async () => {
        const agg = await make();
        assert.throws(() => agg.histogram("a", { boundaries: [1, 0.5] }), /increasing: \[0\] = 1 > \[1\] = 0.5/);
        assert.throws(() => agg.histogram("b", { boundaries: [1, 1] }), /\[1\] = 1 duplicates/);
        assert.throws(() => agg.histogram("c", { boundaries: [1, Number.POSITIVE_INFINITY] }), /\[1\] must be a finite number, got Infinity/);
        assert.throws(() => agg.histogram("d", { boundaries: [Number.NaN] }), /got NaN/);
        assert.throws(() => agg.histogram(""), /non-empty string, got ""/);
        assert.throws(() => agg.histogram("e", { exponential: { maxSize: 1 } }), /maxSize must be an integer in 2\.\.16777216, got 1/);
        assert.throws(() => agg.histogram("f", { exponential: { maxSize: 2 ** 24 + 1 } }), /maxSize must be an integer in 2\.\.16777216, got 16777217/);
        assert.throws(() => agg.histogram("g", { exponential: { maxSize: 2 ** 32 + 160 } }), /got 4294967456/);
      });

      it("returns the same instrument for the same name and throws for a conflicting kind", async () => {
        const agg = await make();
        const a = agg.histogram("x", { boundaries: [1, 2] });
        assert.equal(agg.histogram("x", { boundaries: [1, 2] }), a);
        assert.throws(() => agg.counter("x"), /already exists as a histogram with boundaries \[1, 2\]; asked for a counter/);
        assert.throws(() => agg.histogram("x", { boundaries: [1, 3] }), /already exists/);
      });
    });

    describe("counter", () => {
      it("adds increments per series and refuses negative ones on a monotonic counter", async () => {
        const agg = await make();
        const c = agg.counter("requests");
        c.add(1, { code: "200" });
        c.add(2, { code: "200" });
        c.add(-5, { code: "200" });
        c.add(1, { code: "500" });
        const m = metric(agg.collect(), "requests");
        assert.equal(m.dataPointType, DataPointType.SUM);
        if (m.dataPointType !== DataPointType.SUM) return;
        assert.equal(m.isMonotonic, true);
        const byCode = Object.fromEntries(m.dataPoints.map((p) => [p.attributes.code, p.value]));
        assert.deepEqual(byCode, { "200": 3, "500": 1 });
        assert.equal(agg.stats().rejectedValues, 1);
      });

      it("accepts negative increments on an up-down counter", async () => {
        const agg = await make();
        const c = agg.counter("inflight", { monotonic: false });
        c.add(3);
        c.add(-2);
        const m = metric(agg.collect(), "inflight");
        assert.ok(m.dataPointType === DataPointType.SUM && !m.isMonotonic);
        assert.equal(m.dataPoints[0].value, 1);
      });

      it("records the valid runs of a batch with negative increments and refuses the rest", async () => {
        const agg = await make();
        const s = agg.counter("c").bind();
        s.recordBatch(new Float64Array([1, -1, 2, 3, -4, 5]));
        assert.equal(metric(agg.collect(), "c").dataPoints[0].value, 11);
        assert.equal(agg.stats().rejectedValues, 2);
      });
    });

    describe("gauge", () => {
      it("reports the last value", async () => {
        const agg = await make();
        const g = agg.gauge("queue_depth");
        g.record(7);
        g.record(3);
        const m = metric(agg.collect(), "queue_depth");
        assert.equal(m.dataPointType, DataPointType.GAUGE);
        assert.equal(m.dataPoints[0].value, 3);
      });
    });

    describe("collect", () => {
      it("delta collects return only what arrived since the previous delta collect", async () => {
        const agg = await make();
        const c = agg.counter("n");
        c.add(5);
        assert.equal(metric(agg.collect({ temporality: "delta" }), "n").dataPoints[0].value, 5);
        assert.equal(agg.collect({ temporality: "delta" }).scopeMetrics[0].metrics.length, 0);
        c.add(2);
        assert.equal(metric(agg.collect({ temporality: "delta" }), "n").dataPoints[0].value, 2);
      });

      it("delta and cumulative readers see every point without taking from each other", async () => {
        const agg = await make();
        const cumulative = agg.createReader("cumulative");
        const delta = agg.createReader("delta");
        const h = agg.histogram("h", { boundaries: [1, 10] });
        h.record(0.5);
        assert.equal((metric(cumulative.collect(), "h") as HistogramMetricData).dataPoints[0].value.count, 1);
        h.record(5);
        const d = metric(delta.collect(), "h") as HistogramMetricData;
        assert.deepEqual(d.dataPoints[0].value.buckets.counts, [1, 1, 0]);
        h.record(50);
        const c = metric(cumulative.collect(), "h") as HistogramMetricData;
        assert.deepEqual(c.dataPoints[0].value.buckets.counts, [1, 1, 1]);
        const d2 = metric(delta.collect(), "h") as HistogramMetricData;
        assert.deepEqual(d2.dataPoints[0].value.buckets.counts, [0, 0, 1]);
      });

      it("stamps delta points with the previous read as start and cumulative points with the series' creation", async () => {
        const clock = clockAt(1_700_000_000_000);
        const agg = await make({ now: clock.now });
        const delta = agg.createReader("delta");
        const cumulative = agg.createReader("cumulative");
        clock.advance(1000);
        agg.counter("n").add(1);
        clock.advance(1000);
        const [d] = delta.read();
        assert.equal(d.startTimeMs, 1_700_000_001_000);
        assert.equal(d.endTimeMs, 1_700_000_002_000);
        clock.advance(1000);
        agg.counter("n").add(1);
        clock.advance(1000);
        const [c] = cumulative.read();
        assert.equal(c.startTimeMs, 1_700_000_001_000);
        assert.equal(c.state.stats.sum, 2);
        const [d2] = delta.read();
        assert.equal(d2.startTimeMs, 1_700_000_002_000);
        assert.equal(d2.state.stats.sum, 1);
      });

      it("exposes an OpenTelemetry MetricProducer with the cumulative state", async () => {
        const agg = await make();
        agg.counter("n").add(4);
        const { resourceMetrics, errors } = await agg.metricProducer.collect();
        assert.deepEqual(errors, []);
        assert.equal(metric(resourceMetrics, "n").dataPoints[0].value, 4);
      });
    });

    describe("cardinality budget", () => {
      it("sends points beyond the budget to one overflow series and counts them", async () => {
        const agg = await make();
        const c = agg.counter("c", { cardinalityLimit: 2 });
        c.add(1, { id: "a" });
        c.add(1, { id: "b" });
        c.add(1, { id: "c" });
        c.add(1, { id: "d" });
        c.add(1, { id: "a" });
        assert.equal(c.overflowCount, 2);
        const points = metric(agg.collect(), "c").dataPoints;
        const overflow = points.find((p) => p.attributes[OVERFLOW_ATTRIBUTE] === true);
        assert.ok(overflow);
        assert.equal(overflow.value, 2);
        assert.equal(points.length, 3);
        assert.equal(agg.stats().overflowPoints, 2);
      });

      it("defaults to 2000 series per instrument", async () => {
        const agg = await make();
        const c = agg.counter("c");
        for (let i = 0; i < 2001; i++) c.add(1, { i });
        assert.equal(c.overflowCount, 1);
      });
    });

    describe("merge inputs", () => {
      it("adds a pre-aggregated histogram with the same boundaries and estimates a missing min/max", async () => {
        const agg = await make();
        const s = agg.histogram("h", { boundaries: [1, 2, 4] }).bind();
        s.mergeExplicit({ boundaries: [1, 2, 4], bucketCounts: [1, 2, 3, 4], count: 10, sum: 30, min: Number.NaN, max: Number.NaN });
        const p = (metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0].value;
        assert.deepEqual(p.buckets.counts, [1, 2, 3, 4]);
        assert.equal(p.count, 10);
        assert.equal(p.sum, 30);
        assert.equal(p.min, 1);
        assert.equal(p.max, 4);
      });

      it("refuses inputs whose counts do not add up, counting the points", async () => {
        const agg = await make();
        const s = agg.histogram("h", { boundaries: [1] }).bind();
        s.mergeExplicit({ boundaries: [1], bucketCounts: [1, 1], count: 5, sum: 1, min: 0, max: 2 });
        assert.equal(agg.stats().rejectedValues, 5);
        assert.equal(agg.collect().scopeMetrics[0].metrics.length, 0);
      });

      it("refuses exponential inputs whose buckets leave the indexes of their scale, counting the points, and stays readable", async () => {
        const agg = await make();
        const s = agg.histogram("h", { boundaries: [0, 5], exponential: {} }).bind();
        const empty = { offset: 0, counts: [] };
        s.mergeExponential({ scale: 0, zeroCount: 0, positive: { offset: 2 ** 31 - 3, counts: [1, 1, 1] }, negative: empty, count: 3, sum: 3, min: Number.NaN, max: Number.NaN });
        s.mergeExponential({ scale: 0, zeroCount: 0, positive: { offset: 2 ** 32 + 1, counts: [2] }, negative: empty, count: 2, sum: 3, min: 1.5, max: 1.5 });
        assert.equal(agg.stats().rejectedValues, 5);
        assert.equal(agg.collect().scopeMetrics[0].metrics.length, 0);
        s.mergeExponential({ scale: 0, zeroCount: 0, positive: { offset: 1, counts: [2] }, negative: empty, count: 2, sum: 7, min: 3, max: 4 });
        const p = (metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0].value;
        assert.deepEqual(p.buckets.counts, [0, 2, 0]);
      });

      it("keeps inputs at the first and last index of scale 20 exact through delta and cumulative readers, as the other engine", async () => {
        const reads: unknown[] = [];
        for (const e of ENGINES) {
          const agg = await createAggregator({ engine: e });
          const delta = agg.createReader("delta");
          const cumulative = agg.createReader("cumulative");
          const s = agg.histogram("h", { boundaries: [-1, 0, 1, Number.MAX_VALUE], exponential: {} }).bind();
          const input = {
            scale: 20, zeroCount: 1, count: 16, sum: 0, min: -(2 ** -1022), max: Number.MAX_VALUE,
            positive: { offset: 1073741823 - 2, counts: [1, 2, 3] },
            negative: { offset: -1071644673, counts: [4, 0, 5] },
          };
          const states = [];
          for (let round = 0; round < 3; round++) {
            s.mergeExponential(input);
            if (round === 2) s.record(2); // a value in the middle: both ranges downscale far
            states.push(delta.read().map((x) => x.state), cumulative.read().map((x) => x.state));
          }
          const last = states[states.length - 1][0];
          assert.equal(last.stats.count, 3 * 16 + 1);
          assert.deepEqual(Array.from(last.bucketCounts ?? []), [0, 3 * 9 + 3, 0, 3 * 6 + 1, 0]);
          reads.push(states);
        }
        assert.deepEqual(reads[0], reads[1]);
      });

      it("adds statistic sets to counters and refuses negative sums on monotonic ones", async () => {
        const agg = await make();
        const s = agg.counter("c").bind();
        s.mergeStatistics({ count: 3, sum: 9, min: 1, max: 5 });
        s.mergeStatistics({ count: 1, sum: -1, min: -1, max: -1 });
        assert.equal(metric(agg.collect(), "c").dataPoints[0].value, 9);
      });
    });

    describe("setEventTime", () => {
      it("keeps records for a closed window apart and hands them to delta readers stamped with that window", async () => {
        const clock = clockAt(1_700_000_040_000);
        const agg = await make({ now: clock.now, windowMs: 60_000 });
        const delta = agg.createReader("delta");
        const cumulative = agg.createReader("cumulative");
        const c = agg.counter("events");
        c.add(1, { k: "a" });
        clock.advance(70_000);
        assert.equal(delta.read().length, 1, "the first window's data, read after it closed");
        const closedWindow = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
        agg.setEventTime(closedWindow + 5_000);
        c.add(10, { k: "a" });
        agg.setEventTime(clock.now());
        c.add(100, { k: "a" });
        agg.setEventTime(0);
        const read = delta.read();
        const late = read.find((s) => s.windowStartMs !== undefined);
        const live = read.find((s) => s.windowStartMs === undefined);
        assert.ok(late !== undefined && live !== undefined, JSON.stringify(read.map((r) => r.windowStartMs)));
        assert.equal(late.windowStartMs, closedWindow);
        assert.equal(late.startTimeMs, closedWindow);
        assert.equal(late.state.stats.sum, 10);
        assert.equal(live.state.stats.sum, 100);
        assert.equal(cumulative.read()[0].state.stats.sum, 111, "cumulative readers count late data too");
        assert.equal(delta.read().length, 0, "late data is read once");
      });

      it("ends a cumulative gauge on the value with the newest event time when late and live records meet in one read", async () => {
        const clock = clockAt(1_700_000_040_000);
        const agg = await make({ now: clock.now, windowMs: 60_000 });
        const delta = agg.createReader("delta");
        const cumulative = agg.createReader("cumulative");
        const g = agg.gauge("queue");
        g.record(1);
        clock.advance(130_000);
        delta.read(); // the open window is now two windows on
        const first = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
        // A consumer catching up: records of two closed windows, then of the open one, the older
        // closed window's arriving last of the late ones.
        agg.setEventTime(first + 60_000 + 1);
        g.record(8);
        agg.setEventTime(first + 1);
        g.record(7);
        agg.setEventTime(clock.now());
        g.record(9.5);
        agg.setEventTime(0);
        assert.equal(cumulative.read()[0].state.last, 9.5);
        agg.setEventTime(first + 60_000 + 2);
        g.record(8.5);
        agg.setEventTime(first + 2);
        g.record(7.5);
        agg.setEventTime(0);
        assert.equal(cumulative.read()[0].state.last, 8.5, "among late windows, the newest one's value is last");
      });

      it("has no effect without windowMs", async () => {
        const agg = await make();
        const delta = agg.createReader("delta");
        agg.setEventTime(1000);
        agg.counter("c").add(1);
        const [only] = delta.read();
        assert.equal(only.windowStartMs, undefined);
        assert.equal(only.state.stats.sum, 1);
      });
    });

    describe("expireIdle", () => {
      it("revives a series recorded through a handle kept past its expiry, without touching other series", async () => {
        const clock = clockAt(0);
        const agg = await make({ now: clock.now });
        const reader = agg.createReader("cumulative");
        const h = agg.histogram("h", { boundaries: [1, 10] });
        const kept = h.bind({ id: "kept" });
        kept.record(0.5);
        reader.read();
        clock.advance(1000);
        assert.equal(agg.expireIdle(500), 1);
        h.record(5, { id: "other" });
        kept.record(50);
        kept.recordBatch(new Float64Array([0.1, 0.2]));
        const byId = Object.fromEntries(reader.read().map((s) => [String(s.attributes.id), s.state.bucketCounts === null ? [] : Array.from(s.state.bucketCounts)]));
        assert.deepEqual(byId, { kept: [2, 0, 1], other: [0, 1, 0] });
        assert.equal(agg.stats().series, 2);
      });

      it("drops series idle for longer than the limit once readers have consumed them", async () => {
        const clock = clockAt(0);
        const agg = await make({ now: clock.now });
        const reader = agg.createReader("delta");
        const c = agg.counter("c");
        c.add(1, { id: "old" });
        clock.advance(10);
        assert.equal(agg.expireIdle(5), 0, "unread data is kept");
        reader.read();
        clock.advance(1000);
        c.add(1, { id: "new" });
        reader.read();
        assert.equal(agg.expireIdle(500), 1);
        assert.equal(agg.stats().series, 1);
        c.add(1, { id: "old" });
        const again = reader.read();
        assert.equal(again.length, 1, "a recreated series starts afresh");
        assert.deepEqual([again[0].attributes, again[0].state.stats.sum], [{ id: "old" }, 1]);
      });

      it("keeps a series whose bound handle staged values since the last read", async () => {
        const clock = clockAt(0);
        const agg = await make({ now: clock.now });
        const reader = agg.createReader("cumulative");
        const bound = agg.histogram("h", { boundaries: [1] }).bind({ id: "a" });
        bound.record(0.5);
        reader.read();
        clock.advance(1000);
        bound.record(2);
        assert.equal(agg.expireIdle(500), 0, "the staged value counts as activity");
        assert.deepEqual(Array.from(reader.read()[0].state.bucketCounts ?? []), [1, 1]);
      });
    });

    describe("record on bound series (staged)", () => {
      it("applies staged values before every read, across buffer refills, in order with batches and merges", async () => {
        const agg = await make();
        const boundaries = [10, 100, 1000];
        const bound = agg.histogram("h", { boundaries }).bind({ id: "a" });
        const recorded: number[] = [];
        const record = (v: number): void => {
          bound.record(v);
          recorded.push(v);
        };
        for (let i = 1; i <= 3 * STAGE_VALUES + 7; i++) record(i);
        const batch = Float64Array.from({ length: 50 }, (_, i) => i * 0.5);
        bound.recordBatch(batch);
        recorded.push(...batch);
        record(5000);
        bound.mergeStatistics({ count: 2, sum: 3, min: 1, max: 2 });
        record(-4);
        const p = (metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0].value;
        assert.equal(p.count, recorded.length + 2);
        assert.equal(p.sum, recorded.reduce((a, v) => a + v, 0) + 3);
        assert.equal(p.min, -4);
        assert.equal(p.max, 5000);
        const expected = [0, 0, 0, 0];
        for (const v of recorded) {
          const bucket = boundaries.findIndex((b) => v <= b);
          expected[bucket === -1 ? boundaries.length : bucket]++;
        }
        // the statistic set merge has no buckets: its points appear in count only
        assert.deepEqual(p.buckets.counts, expected);
        bound.record(1);
        assert.equal((metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0].value.count, recorded.length + 3);
      });

      it("refuses staged negative increments on a monotonic counter, counted by the next stats()", async () => {
        const agg = await make();
        const bound = agg.counter("c").bind({ id: "a" });
        bound.record(2);
        bound.record(-1);
        bound.record(3);
        assert.equal(agg.stats().rejectedValues, 1);
        assert.equal((metric(agg.collect(), "c").dataPoints[0].value as number), 5);
      });

      it("keeps staged values in the window they were recorded in when the event time moves", async () => {
        const clock = clockAt(1_700_000_040_000);
        const agg = await make({ now: clock.now, windowMs: 60_000 });
        const delta = agg.createReader("delta");
        const bound = agg.counter("events").bind({ k: "a" });
        bound.record(1);
        clock.advance(70_000);
        delta.read();
        const closedWindow = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
        bound.record(100);
        agg.setEventTime(closedWindow + 5_000);
        bound.record(10);
        agg.setEventTime(clock.now());
        bound.record(1000);
        const read = delta.read();
        assert.deepEqual(
          read.map((r) => [r.windowStartMs ?? "open", r.state.stats.sum]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          [[closedWindow, 10], ["open", 1100]],
        );
      });

      it("records every value when more series are bound than the store has staging buffers", async () => {
        const agg = await make();
        const c = agg.counter("c", { cardinalityLimit: STAGE_BUFFERS + 100 });
        const handles = Array.from({ length: STAGE_BUFFERS + 50 }, (_, i) => c.bind({ i }));
        for (let round = 1; round <= 3; round++) for (const h of handles) h.record(round);
        const points = metric(agg.collect(), "c").dataPoints;
        assert.equal(points.length, handles.length);
        assert.ok(points.every((p) => p.value === 6));
      });

      it("keeps every staged value while new series grow the engine's memory between records", async () => {
        const agg = await make();
        const bound = agg.histogram("h", { boundaries: [1, 2] }).bind({ k: "a" });
        const others = agg.histogram("others", { boundaries: exponentialBuckets(1, 2, 16), exponential: { maxSize: 160 }, cardinalityLimit: 10_000 });
        const before = agg.stats().engineBytes;
        const n = 3 * STAGE_VALUES + 100;
        for (let i = 0; i < n; i++) {
          bound.record(i % 3);
          others.record(1, { i });
          others.record(2, { i, twin: true });
        }
        if (engine === "wasm") assert.ok(agg.stats().engineBytes >= before + 2 * 1048576, `engine memory ${before} -> ${agg.stats().engineBytes}`);
        const p = (metric(agg.collect(), "h") as HistogramMetricData).dataPoints[0].value;
        const values = Array.from({ length: n }, (_, i) => i % 3);
        const twos = values.filter((v) => v === 2).length;
        assert.deepEqual([p.count, p.sum, p.buckets.counts], [n, values.reduce((a, v) => a + v, 0), [n - twos, twos, 0]]);
      });

      it("keeps every staged value when a full buffer's late-window slot is allocated as the memory grows", async () => {
        // Each closed window takes a fresh slot when its first full buffer is applied, so over a
        // few thousand windows the memory grows inside that apply, under the staged values.
        const clock = clockAt(1_700_000_000_000);
        const agg = await make({ now: clock.now, windowMs: 1000 });
        const delta = agg.createReader("delta");
        const bound = agg.histogram("h", { boundaries: exponentialBuckets(0.1, 2, 16), exponential: { maxSize: 160 } }).bind({ k: "a" });
        const before = agg.stats().engineBytes;
        const windows = 2500;
        const open = clock.now() - (clock.now() % 1000);
        for (let k = 1; k <= windows; k++) {
          agg.setEventTime(open - k * 1000);
          for (let i = 0; i <= STAGE_VALUES; i++) bound.record(k + i / 1000);
        }
        agg.setEventTime(clock.now());
        if (engine === "wasm") assert.ok(agg.stats().engineBytes > before, `engine memory ${before} -> ${agg.stats().engineBytes}`);
        const read = delta.read();
        assert.equal(read.length, windows);
        const wrong = read.filter((r) => {
          const k = (open - (r.windowStartMs ?? open)) / 1000;
          const { count, min, max } = r.state.stats;
          return count !== STAGE_VALUES + 1 || min !== k || max !== k + STAGE_VALUES / 1000;
        });
        assert.deepEqual(wrong.map((r) => [r.windowStartMs, r.state.stats]), []);
      });

      it("keeps a gauge's last value in call order across bound and unbound records", async () => {
        const agg = await make();
        const g = agg.gauge("g");
        const bound = g.bind({ k: "a" });
        bound.record(1);
        g.record(2, { k: "a" });
        bound.record(3);
        assert.equal(metric(agg.collect(), "g").dataPoints[0].value, 3);
        g.record(4, { k: "a" });
        assert.equal(metric(agg.collect(), "g").dataPoints[0].value, 4);
      });
    });
  });
}
