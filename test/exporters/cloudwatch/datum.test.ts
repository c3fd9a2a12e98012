import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAggregator } from "../../../src/index.ts";
import type { SeriesSnapshot } from "../../../src/core/api.ts";
import { DatumBuilder, type BuiltDatum } from "../../../src/exporters/cloudwatch/datum.ts";
import { DimensionPlanner } from "../../../src/exporters/cloudwatch/dimensions.ts";
import { MAX_VALUES_PER_DATUM } from "../../../src/exporters/cloudwatch/limits.ts";

function builder(percentiles: boolean, rules: ConstructorParameters<typeof DimensionPlanner>[0] = []) {
  return new DatumBuilder({ planner: new DimensionPlanner(rules, () => {}), percentiles, maxPointsPerSeries: 600, storageResolution: 1 });
}

function build(b: DatumBuilder, snaps: SeriesSnapshot[], windowStartMs: number, nowMs: number) {
  const out: BuiltDatum[] = [];
  const drops: Record<string, number> = {};
  b.build(snaps, windowStartMs, nowMs, out, (reason, n) => {
    drops[reason] = (drops[reason] ?? 0) + n;
  });
  return { out, drops };
}

/** The datum as the SDK's AWS JSON 1.0 serializer writes it (Timestamp in epoch seconds). */
function wireJson(d: BuiltDatum): string {
  const { Timestamp, ...rest } = d.datum;
  return JSON.stringify({ ...rest, Timestamp: (Timestamp as Date).getTime() / 1000 });
}

describe("DatumBuilder", () => {
  describe("build", () => {
    it("sends a counter as the statistic set of its increments, so Sum is the increase", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      const c = agg.counter("requests", { unit: "{request}" });
      for (const v of [1, 1, 3, 5]) c.add(v, { route: "/a" });
      const now = Date.now();
      const { out } = build(builder(true), reader.read(), now - 60_000, now);
      assert.equal(out.length, 1);
      assert.deepEqual(out[0].datum.StatisticValues, { SampleCount: 4, Sum: 10, Minimum: 1, Maximum: 5 });
      assert.equal(out[0].datum.Unit, "Count");
      assert.deepEqual(out[0].datum.Dimensions, [{ Name: "route", Value: "/a" }]);
      assert.equal((out[0].datum.Timestamp as Date).getTime(), now - 60_000);
      assert.equal(out[0].datum.StorageResolution, 1);
    });

    it("sends a gauge as the statistic set over its samples", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      const g = agg.gauge("queue_depth");
      for (const v of [7, 3, 9]) g.record(v);
      const now = Date.now();
      const { out } = build(builder(true), reader.read(), now, now);
      assert.deepEqual(out[0].datum.StatisticValues, { SampleCount: 3, Sum: 19, Minimum: 3, Maximum: 9 });
      assert.equal(out[0].datum.Dimensions, undefined);
    });

    it("splits a histogram into datums of at most 150 Values, each with the statistic set of its own values, adding up to the recorded one", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      const h = agg.histogram("latency", { unit: "ms", exponential: { maxSize: 160 } });
      const bound = h.bind({ EndpointName: "ep" });
      for (let i = 1; i <= 20_000; i++) bound.record(i / 7);
      const snaps = reader.read();
      const recorded = snaps[0].state.stats;
      const now = Date.now();
      const { out } = build(builder(true), snaps, now, now);
      assert.ok(out.length >= 2, `${out.length} datums`);
      const merged = { SampleCount: 0, Sum: 0, Minimum: Infinity, Maximum: -Infinity };
      for (const d of out) {
        const { Values, Counts, StatisticValues: sv } = d.datum;
        assert.ok(Values !== undefined && Counts !== undefined && sv !== undefined, "Values, Counts and StatisticValues in one datum");
        assert.ok(Values.length <= MAX_VALUES_PER_DATUM);
        assert.equal(Counts.length, Values.length);
        assert.equal(sv.SampleCount, Counts.reduce((a, b) => a + b, 0), "SampleCount is the sum of the datum's own Counts");
        for (const v of Values) assert.ok((sv.Minimum ?? NaN) <= v && v <= (sv.Maximum ?? NaN));
        assert.ok((sv.Sum ?? NaN) >= (sv.SampleCount ?? NaN) * (sv.Minimum ?? NaN) && (sv.Sum ?? NaN) <= (sv.SampleCount ?? NaN) * (sv.Maximum ?? NaN));
        assert.deepEqual(d.datum.Dimensions, [{ Name: "EndpointName", Value: "ep" }]);
        assert.equal(d.timestampMs, now);
        merged.SampleCount += sv.SampleCount ?? NaN;
        merged.Sum += sv.Sum ?? NaN;
        merged.Minimum = Math.min(merged.Minimum, sv.Minimum ?? NaN);
        merged.Maximum = Math.max(merged.Maximum, sv.Maximum ?? NaN);
      }
      assert.deepEqual(merged, { SampleCount: recorded.count, Sum: recorded.sum, Minimum: recorded.min, Maximum: recorded.max });
    });

    it("publishes one datum per dimension set (rollups)", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      agg.counter("jobs").add(2, { "action-id": "a", "client-id": "c", extra: "x" });
      const now = Date.now();
      const { out } = build(builder(false, [{ metricNameSelectors: ["^jobs$"], dimensions: [["action-id", "client-id"], ["client-id"], []] }]), reader.read(), now, now);
      assert.deepEqual(out.map((d) => (d.datum.Dimensions ?? []).map((x) => x.Name)), [["action-id", "client-id"], ["client-id"], []]);
    });

    it("records each datum's exact serialized size", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      agg.counter("c\u00e9", { unit: "By" }).add(1.25, { k: "v" });
      agg.histogram("h", { exponential: { maxSize: 160 } }).record(0.1234567891);
      agg.histogram("h", { exponential: { maxSize: 160 } }).record(1e-9);
      agg.gauge("g").record(-3);
      const { out } = build(builder(true), reader.read(), 1_700_000_000_123, 1_700_000_000_123);
      assert.ok(out.length >= 3);
      for (const d of out) assert.equal(d.bytes, Buffer.byteLength(wireJson(d)), wireJson(d));
    });

    it("drops with a counted reason what CloudWatch would refuse", async () => {
      const agg = await createAggregator({ engine: "js" });
      const reader = agg.createReader("delta");
      agg.gauge("huge").record(2 ** 361);
      agg.gauge("ok").record(1, { k: "" });
      const now = Date.now();
      const b = builder(false, [{ metricNameSelectors: ["^ok$"], dimensions: [["k"]] }]);
      const snaps = reader.read();
      const fresh = build(b, snaps, now, now);
      assert.deepEqual(fresh.drops, { value_out_of_range: 1, invalid_dimension: 1 });
      assert.equal(fresh.out.length, 0);
      const stale = build(builder(false), snaps.filter((s) => s.instrument.name === "huge" || s.instrument.name === "ok"), now - 15 * 86_400_000, now);
      assert.deepEqual(stale.drops, { timestamp_out_of_range: 2 });
      const future = build(builder(false), snaps.filter((s) => s.instrument.name === "ok"), now + 3 * 3_600_000, now);
      assert.deepEqual(future.drops, { timestamp_out_of_range: 1 });
    });
  });
});
