import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AttributesProcessor } from "../../src/processors/attributes.ts";
import { FilterProcessor } from "../../src/processors/filter.ts";
import { MemoryLimiter } from "../../src/processors/memory-limiter.ts";
import { BackpressureError } from "../../src/pipeline/types.ts";
import { batch, expHistogram, expPoint, gauge, hist, histogram, num, sum } from "./decoded.ts";
import { histogramOf, makePipeline, metricNamed, valueOf } from "./harness.ts";

describe("Pipeline", () => {
  describe("consume", () => {
    it("adds delta sums and keeps the last gauge value", async () => {
      const p = await makePipeline();
      const r1 = p.consume(batch([sum("requests", [num(3, { route: "/a" }), num(4, { route: "/b" })]), gauge("temp", [num(20)])]));
      p.consume(batch([sum("requests", [num(5, { route: "/a" })]), gauge("temp", [num(21.5)])]));
      assert.deepEqual(r1, { acceptedPoints: 3, rejectedPoints: 0, message: "" });
      assert.equal(valueOf(p, "requests", { route: "/a" }), 8);
      assert.equal(valueOf(p, "requests", { route: "/b" }), 4);
      assert.equal(valueOf(p, "temp"), 21.5);
    });

    it("turns cumulative sums into deltas, counting the first point in full", async () => {
      const p = await makePipeline();
      const start = 1_000;
      p.consume(batch([sum("c", [num(10, {}, 2_000, start)], "cumulative")]));
      p.consume(batch([sum("c", [num(15, {}, 3_000, start)], "cumulative")]));
      p.consume(batch([sum("c", [num(15, {}, 4_000, start)], "cumulative")]));
      assert.equal(valueOf(p, "c"), 15);
    });

    it("treats a changed start time or a lower value as a reset whose value is the delta", async () => {
      const p = await makePipeline();
      p.consume(batch([sum("c", [num(10, {}, 2_000, 1_000)], "cumulative")]));
      p.consume(batch([sum("c", [num(4, {}, 3_000, 2_500)], "cumulative")]));
      p.consume(batch([sum("c", [num(6, {}, 4_000, 2_500)], "cumulative")]));
      p.consume(batch([sum("c", [num(1, {}, 5_000, 2_500)], "cumulative")]));
      assert.equal(valueOf(p, "c"), 10 + 4 + 2 + 1);
    });

    it("sums the increments of streams that collapse into one series instead of overwriting", async () => {
      const p = await makePipeline();
      const hostA = { "host.name": "a" };
      const hostB = { "host.name": "b" };
      p.consume(batch([sum("c", [num(100, {}, 2_000, 1_000)], "cumulative")], hostA));
      p.consume(batch([sum("c", [num(7, {}, 2_000, 1_000)], "cumulative")], hostB));
      p.consume(batch([sum("c", [num(110, {}, 3_000, 1_000)], "cumulative")], hostA));
      p.consume(batch([sum("c", [num(9, {}, 3_000, 1_000)], "cumulative")], hostB));
      assert.equal(valueOf(p, "c"), 119);
    });

    it("refuses an out-of-order cumulative point without failing the batch", async () => {
      const p = await makePipeline();
      p.consume(batch([sum("c", [num(10, {}, 5_000, 1_000)], "cumulative")]));
      const r = p.consume(batch([sum("c", [num(8, {}, 4_000, 1_000)], "cumulative"), sum("d", [num(1)])]));
      assert.equal(r.acceptedPoints, 1);
      assert.equal(r.rejectedPoints, 1);
      assert.match(r.message, /older than/);
      assert.equal(valueOf(p, "c"), 10);
    });

    it("keeps non-monotonic cumulative sums as the latest value via deltas", async () => {
      const p = await makePipeline();
      p.consume(batch([sum("queue", [num(10, {}, 2_000, 1_000)], "cumulative", false)]));
      p.consume(batch([sum("queue", [num(3, {}, 3_000, 1_000)], "cumulative", false)]));
      assert.equal(valueOf(p, "queue"), 3);
      assert.equal(metricNamed(p, "queue")?.dataPointType, 3 /* SUM */);
    });

    it("refuses NaN and infinite values and reports them with counts and a message", async () => {
      const p = await makePipeline();
      const r = p.consume(batch([gauge("g", [num(NaN), num(Infinity), num(2)]), sum("s", [num(-Infinity)])]));
      assert.equal(r.acceptedPoints, 1);
      assert.equal(r.rejectedPoints, 3);
      assert.match(r.message, /non-finite/);
      assert.equal(valueOf(p, "g"), 2);
    });

    it("refuses invalid names and kind conflicts per metric", async () => {
      const p = await makePipeline();
      p.consume(batch([sum("x", [num(1)])]));
      const r = p.consume(batch([gauge("x", [num(1)]), gauge("9bad name", [num(1)]), gauge("ok", [num(1)])]));
      assert.equal(r.acceptedPoints, 1);
      assert.equal(r.rejectedPoints, 2);
      assert.match(r.message, /already a counter/);
    });

    it("merges delta explicit histograms bucket by bucket", async () => {
      const p = await makePipeline();
      p.consume(batch([histogram("lat", [hist([1, 2], [1, 2, 3], 12, { min: 0.5, max: 5 })])]));
      p.consume(batch([histogram("lat", [hist([1, 2], [0, 1, 0], 1.5, { min: 1.5, max: 1.5 })])]));
      const h = histogramOf(p, "lat");
      assert.deepEqual(h?.buckets, { boundaries: [1, 2], counts: [1, 3, 3] });
      assert.equal(h?.count, 7);
      assert.equal(h?.sum, 13.5);
      assert.equal(h?.min, 0.5);
      assert.equal(h?.max, 5);
    });

    it("subtracts cumulative histograms bucket-wise and detects resets", async () => {
      const p = await makePipeline();
      const at = (t: number) => ({ timeMs: t, startTimeMs: 1_000 });
      p.consume(batch([histogram("lat", [hist([1, 2], [1, 1, 0], 2, at(2_000))], "cumulative")]));
      p.consume(batch([histogram("lat", [hist([1, 2], [2, 3, 1], 9, at(3_000))], "cumulative")]));
      // reset: bucket 1 went down
      p.consume(batch([histogram("lat", [hist([1, 2], [0, 1, 0], 1.5, at(4_000))], "cumulative")]));
      const h = histogramOf(p, "lat");
      assert.deepEqual(h?.buckets.counts, [2, 4, 1]);
      assert.equal(h?.count, 7);
      assert.equal(h?.sum, 10.5);
    });

    it("subtracts cumulative exponential histograms after aligning scales", async () => {
      const p = await makePipeline({ histogram_boundaries: [1, 2, 4, 8] });
      const at = (t: number) => ({ timeMs: t, startTimeMs: 1_000 });
      // scale 1: base sqrt(2); bucket i covers (2^(i/2), 2^((i+1)/2)]
      p.consume(batch([expHistogram("e", [expPoint(1, { offset: 0, counts: [1, 1] }, 2.6, at(2_000))], "cumulative")]));
      // the source downscaled to 0 (buckets (1,2], (2,4]) and added one value in (2,4]
      p.consume(batch([expHistogram("e", [expPoint(0, { offset: 0, counts: [2, 1] }, 5.6, at(3_000))], "cumulative")]));
      const h = histogramOf(p, "e");
      assert.equal(h?.count, 3);
      assert.ok(Math.abs((h?.sum ?? 0) - 5.6) < 1e-9);
      // explicit view: (1,2] -> le=2, (2,4] -> le=4
      assert.deepEqual(h?.buckets.counts, [0, 2, 1, 0, 0]);
    });

    it("records summaries as count and sum in a single +Inf bucket", async () => {
      const p = await makePipeline();
      const summary = (count: number, s: number, t: number) => ({
        type: "summary" as const,
        name: "rpc",
        unit: "",
        description: "",
        points: [{ attributes: {}, attributesKey: "", count, sum: s, timeMs: t, startTimeMs: 1_000 }],
      });
      p.consume(batch([summary(4, 10, 2_000)]));
      p.consume(batch([summary(6, 16, 3_000)]));
      const h = histogramOf(p, "rpc");
      assert.equal(h?.count, 6);
      assert.equal(h?.sum, 16);
      assert.deepEqual(h?.buckets.counts, [6]);
    });

    it("records raw samples into a histogram and counts each value as a point", async () => {
      const p = await makePipeline({ histogram_boundaries: [10, 100] });
      const r = p.consume(
        batch([{ type: "samples", name: "t", unit: "ms", description: "", points: [{ attributes: {}, attributesKey: "", timeMs: 0, startTimeMs: 0, values: Float64Array.of(5, 50, 500, NaN) }] }]),
      );
      assert.equal(r.acceptedPoints, 3);
      assert.equal(r.rejectedPoints, 1);
      assert.deepEqual(histogramOf(p, "t")?.buckets.counts, [1, 1, 1]);
    });

    it("drops resource attributes unless resource_to_telemetry includes them", async () => {
      const off = await makePipeline();
      off.consume(batch([sum("c", [num(1, { a: "1" })])], { "service.name": "svc", "host.name": "h" }));
      assert.equal(valueOf(off, "c", { a: "1" }), 1);
      const on = await makePipeline({ resource_to_telemetry: { enabled: true, include: ["service.name"] } });
      on.consume(batch([sum("c", [num(1, { a: "1" })])], { "service.name": "svc", "host.name": "h" }));
      assert.equal(valueOf(on, "c", { a: "1", "service.name": "svc" }), 1);
    });

    it("applies processors in order: filter by name, then attribute actions", async () => {
      const p = await makePipeline({}, [
        new FilterProcessor({ metrics: { include: { match_type: "regexp", metric_names: ["^http\\."] } } }),
        new AttributesProcessor({
          actions: [
            { action: "rename", key: "method", new_key: "http.method" },
            { action: "delete", key: "user" },
            { action: "insert", key: "env", value: "prod" },
          ],
        }),
      ]);
      const r = p.consume(batch([sum("http.requests", [num(2, { method: "GET", user: "u1" }), num(3, { method: "GET", user: "u2" })]), sum("debug.x", [num(1)])]));
      assert.equal(r.acceptedPoints, 3, "filtered points are accepted, not errors");
      assert.equal(r.rejectedPoints, 0);
      assert.equal(valueOf(p, "http.requests", { "http.method": "GET", env: "prod" }), 5);
      assert.equal(metricNamed(p, "debug.x"), undefined);
    });

    it("throws BackpressureError when the store is over max_series and records nothing", async () => {
      const p = await makePipeline({ max_series: 2 });
      p.consume(batch([sum("c", [num(1, { i: 1 }), num(1, { i: 2 })])]));
      assert.throws(() => p.consume(batch([sum("c", [num(1, { i: 3 })])])), (e: unknown) => e instanceof BackpressureError && e.retryAfterSeconds > 0);
      assert.equal(valueOf(p, "c", { i: 3 }), undefined);
    });

    it("throws BackpressureError while a memory limiter is over its limit", async () => {
      let rss = 10 * 1024 * 1024;
      const limiter = new MemoryLimiter({ check_interval: 1000, limit_mib: 50, spike_limit_mib: 0 }, () => rss);
      const p = await makePipeline({}, [limiter]);
      limiter.check();
      p.consume(batch([sum("c", [num(1)])]));
      rss = 60 * 1024 * 1024;
      limiter.check();
      assert.throws(() => p.consume(batch([sum("c", [num(1)])])), BackpressureError);
      assert.equal(valueOf(p, "c"), 1);
    });

    it("re-binds series after the store expired them", async () => {
      let now = 1_000_000;
      const p = await makePipeline({}, [], () => now);
      p.consume(batch([sum("c", [num(2)])]));
      p.store.collect();
      assert.equal(p.store.expireIdle(0), 1);
      p.consume(batch([sum("c", [num(3)])]));
      assert.equal(valueOf(p, "c"), 3);
      now += 1;
    });
  });

  describe("consume (stream lookup)", () => {
    it("records each point into its own stream whether series arrive in the same, another or a shifted order", async () => {
      const p = await makePipeline();
      const routes = ["/a", "/b", "/c", "/d"];
      const orders = [[0, 1, 2, 3], [0, 1, 2, 3], [3, 2, 1, 0], [1, 2, 3], [0, 2, 1, 3], [0, 1, 2, 3]];
      const expected = new Map<string, number>();
      let v = 1;
      for (const order of orders) {
        p.consume(batch([sum("c", order.map((i) => num(v * (i + 1), { route: routes[i] }, 0, 0)), "delta")]));
        for (const i of order) expected.set(routes[i], (expected.get(routes[i]) ?? 0) + v * (i + 1));
        v++;
      }
      for (const r of routes) assert.equal(valueOf(p, "c", { route: r }), expected.get(r), r);
      assert.equal(p.streams, 4);
    });

    it("does not follow the remembered successor into a stream that was swept, and recreates it", async () => {
      let now = 1_000_000;
      const p = await makePipeline({ stream_ttl: 60_000 }, [], () => now);
      const point = (value: number, route: string, t: number) => num(value, { route }, t, 1);
      p.consume(batch([sum("c", [point(10, "/a", 1), point(20, "/b", 1)], "cumulative")]));
      now += 30_000;
      p.consume(batch([sum("c", [point(15, "/a", 2)], "cumulative")]));
      now += 40_000;
      assert.equal(p.sweep(), 1, "/b idle for 70 s is forgotten, /a (40 s) is kept");
      // /b comes back after /a: its stream started before streams were forgotten, so its first point
      // is a baseline (counting 25 in full would count the first 20 twice); the next one counts.
      p.consume(batch([sum("c", [point(16, "/a", 3), point(25, "/b", 3)], "cumulative")]));
      assert.equal(p.streams, 2);
      assert.equal(valueOf(p, "c", { route: "/a" }), 16);
      assert.equal(valueOf(p, "c", { route: "/b" }), 20);
      p.consume(batch([sum("c", [point(31, "/b", 4)], "cumulative")]));
      assert.equal(valueOf(p, "c", { route: "/b" }), 26);
    });
  });

  describe("event time", () => {
    it("records a point for an already closed window into that window for delta readers", async () => {
      let now = 1_700_000_100_000;
      const p = await makePipeline({}, [], () => now, 60_000);
      const delta = p.store.createReader("delta");
      delta.read();
      now += 60_000;
      delta.read();
      const closed = now - (now % 60_000) - 60_000;
      p.consume(batch([sum("c", [num(4, {}, closed + 1_000), num(1, {}, now)], "delta")]));
      const byWindow = Object.fromEntries(delta.read().map((s) => [String(s.windowStartMs), s.state.stats.sum]));
      assert.deepEqual(byWindow, { [String(closed)]: 4, undefined: 1 });
    });
  });

  describe("sweep", () => {
    it("counts in full a stream that started after streams were forgotten", async () => {
      let now = 1_000_000;
      const p = await makePipeline({ stream_ttl: 60_000 }, [], () => now);
      p.consume(batch([sum("c", [num(5, { k: "old" }, now, now - 1)], "cumulative")]));
      now += 61_000;
      assert.equal(p.sweep(), 1);
      p.consume(batch([sum("c", [num(7, { k: "new" }, now, now - 10)], "cumulative")]));
      assert.equal(valueOf(p, "c", { k: "new" }), 7);
    });

    it("drops series idle longer than series_ttl whatever the exporters", async () => {
      let now = 1_000_000;
      const p = await makePipeline({ stream_ttl: 600_000, series_ttl: 60_000 }, [], () => now);
      p.consume(batch([sum("c", [num(5, { k: "a" })], "delta")]));
      p.store.createReader("cumulative").read();
      now += 61_000;
      p.sweep();
      assert.equal(p.store.stats().series, 0);
    });

    it("forgets input streams idle longer than stream_ttl", async () => {
      let now = 1_000_000;
      const p = await makePipeline({ stream_ttl: 60_000 }, [], () => now);
      p.consume(batch([sum("c", [num(5, {}, 1, 1)], "cumulative")]));
      assert.equal(p.streams, 1);
      now += 61_000;
      assert.equal(p.sweep(), 1);
      assert.equal(p.streams, 0);
    });
  });
});

describe("Pipeline limits", () => {
  describe("consume", () => {
    it("refuses points whose attribute set exceeds max_attributes_per_point", async () => {
      const { makePipeline: make } = await import("./harness.ts");
      const p = await make({ max_attributes_per_point: 3 });
      const wide = { a: 1, b: 2, c: 3, d: 4 };
      const r1 = p.consume(batch([sum("c", [num(1, wide), num(2, { a: 1 })])]));
      const r2 = p.consume(batch([sum("c", [num(1, wide)])]));
      assert.deepEqual([r1.acceptedPoints, r1.rejectedPoints, r2.rejectedPoints], [1, 1, 1]);
      assert.match(r1.message, /4 attributes exceeds max_attributes_per_point 3/);
    });
  });
});

describe("Pipeline stream budget", () => {
  describe("consume", () => {
    it("keeps an exploding metric within max_streams_per_metric while other metrics stay exact", async () => {
      const p = await makePipeline({ max_streams_per_metric: 50, cardinality_limit: 20, max_series: 200 });
      let steady = 0;
      for (let round = 0; round < 20; round++) {
        const flood = Array.from({ length: 100 }, (_, i) => num(1, { user: `u${round * 100 + i}` }));
        const r = p.consume(batch([sum("flood", flood), sum("steady", [num(2, { route: "/a" })]), sum("steady_total", [num(3, {}, 1_000 + round, 1)], "cumulative")]));
        assert.equal(r.rejectedPoints, 0, r.message);
        steady += 2;
      }
      assert.equal(p.streams, 50 + 1 + 1);
      assert.equal(valueOf(p, "steady", { route: "/a" }), steady);
      assert.equal(valueOf(p, "steady_total"), 3);
      // the flood's delta points all count: in its series and its overflow series
      const flood = metricNamed(p, "flood");
      assert.equal(flood?.dataPoints.reduce((n, dp) => n + (dp.value as number), 0), 2000);
    });

    it("refuses cumulative points of streams beyond the budget with reason stream_limit, and tracks new ones once old ones expire", async () => {
      let now = 1_000_000;
      const p = await makePipeline({ max_streams_per_metric: 2, stream_ttl: 60_000 }, [], () => now);
      const r = p.consume(batch([sum("c", [num(5, { k: "a" }, 1, 1), num(6, { k: "b" }, 1, 1), num(7, { k: "c" }, 1, 1)], "cumulative")]));
      assert.deepEqual([r.acceptedPoints, r.rejectedPoints], [2, 1]);
      assert.match(r.message, /metric c: more than max_streams_per_metric 2 input streams; cumulative points of new streams are refused/);
      now += 61_000;
      p.sweep();
      const later = p.consume(batch([sum("c", [num(7, { k: "c" }, 2, 1)], "cumulative")]));
      assert.deepEqual([later.acceptedPoints, later.rejectedPoints], [1, 0]);
    });
  });
});

describe("Pipeline accounting", () => {
  describe("consume", () => {
    it("refuses a negative value of a monotonic sum, cumulative or delta, and records nothing for it", async () => {
      const p = await makePipeline();
      const r = p.consume(batch([sum("c", [num(-5, { s: "cum" }, 1, 1)], "cumulative"), sum("d", [num(-1)]), sum("u", [num(-3, {}, 1, 1)], "cumulative", false)]));
      assert.deepEqual([r.acceptedPoints, r.rejectedPoints], [1, 2]);
      assert.match(r.message, /negative value -5 on a monotonic sum/);
      const next = p.consume(batch([sum("c", [num(4, { s: "cum" }, 2, 1)], "cumulative")]));
      assert.equal(next.acceptedPoints, 1);
      assert.equal(valueOf(p, "c", { s: "cum" }), 4);
      assert.equal(valueOf(p, "u"), -3);
    });
  });
});
