import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { createAggregator } from "../../../src/index.ts";
import type { Aggregator } from "../../../src/core/api.ts";
import { defaultCloudWatchConfig, type CloudWatchExporterConfig } from "../../../src/exporters/cloudwatch/config.ts";
import { CloudWatchExporter } from "../../../src/exporters/cloudwatch/exporter.ts";
import { flushTiny } from "../../../src/exporters/cloudwatch/percentiles.ts";
import { MAX_DATUMS_PER_REQUEST, MAX_REQUEST_BYTES, MAX_VALUES_PER_DATUM } from "../../../src/exporters/cloudwatch/limits.ts";
import { alignDown } from "../../../src/exporters/cloudwatch/window.ts";
import { CloudWatchEndpoint, type MergedStatistics, type ReceivedDatum } from "../../support/cloudwatch-endpoint.ts";
import { exactPercentile, lognormalSamples, seededRandom, weightedPercentile } from "./oracle.ts";
import { capturedLogger, meterProvider, TEST_CREDENTIALS } from "./support.ts";

let endpoint: CloudWatchEndpoint;

before(async () => {
  endpoint = await CloudWatchEndpoint.start();
});
after(async () => {
  await endpoint.close();
});
afterEach(() => {
  // a test that ends before using all the failures it set up must not fail the next one's requests
  endpoint.clearFailures();
});

function config(overrides: Partial<CloudWatchExporterConfig> = {}): CloudWatchExporterConfig {
  return {
    ...defaultCloudWatchConfig(),
    region: "us-east-1",
    endpoint: endpoint.url,
    namespace: "StatsetTest",
    retry: { initialIntervalMs: 5, maxIntervalMs: 100, maxElapsedTimeMs: 120_000 },
    ...overrides,
  };
}

async function setup(overrides: Partial<CloudWatchExporterConfig> = {}): Promise<{ agg: Aggregator; exporter: CloudWatchExporter; first: number }> {
  const agg = await createAggregator({ engine: "js" });
  const exporter = new CloudWatchExporter(config(overrides), [agg], {
    id: "awscloudwatch/test",
    logger: capturedLogger().logger,
    meterProvider: meterProvider(),
    credentials: TEST_CREDENTIALS,
  });
  await exporter.start();
  return { agg, exporter, first: endpoint.requests.length };
}

function received(first: number): ReceivedDatum[] {
  return endpoint.requests.slice(first).flatMap((r) => r.datums);
}

/** The statistic set CloudWatch stores for the one series of `metric` sent since request `first`. */
function mergedStatistics(first: number, metric: string): MergedStatistics {
  const sets = [...endpoint.statistics(first)].filter(([key]) => (JSON.parse(key) as unknown[])[0] === metric);
  assert.equal(sets.length, 1, `one series of ${metric}`);
  return sets[0][1];
}

describe("CloudWatchExporter", () => {
  describe("flush", () => {
    it("delivers statistic sets equal to the exact count, sum, min and max recorded", async () => {
      const { agg, exporter, first } = await setup({ percentiles: false });
      const h = agg.histogram("latency", { unit: "ms" });
      const c = agg.counter("requests", { unit: "{request}" });
      const g = agg.gauge("inflight");
      const rnd = seededRandom(3);
      const exact = { count: 0, sum: 0, min: Infinity, max: -Infinity };
      for (let i = 0; i < 5000; i++) {
        const v = rnd() * 100;
        h.record(v, { route: "/r" });
        exact.count++;
        exact.sum += v;
        exact.min = Math.min(exact.min, v);
        exact.max = Math.max(exact.max, v);
      }
      c.add(3, { route: "/r" });
      c.add(4, { route: "/r" });
      g.record(11);
      g.record(5);
      await exporter.flush();
      const got = received(first);
      const byName = new Map(got.map((d) => [d.MetricName, d]));
      assert.deepEqual(byName.get("latency")?.StatisticValues, { SampleCount: exact.count, Sum: exact.sum, Minimum: exact.min, Maximum: exact.max });
      assert.equal(byName.get("latency")?.Unit, "Milliseconds");
      assert.deepEqual(byName.get("requests")?.StatisticValues, { SampleCount: 2, Sum: 7, Minimum: 3, Maximum: 4 });
      assert.deepEqual(byName.get("inflight")?.StatisticValues, { SampleCount: 2, Sum: 16, Minimum: 5, Maximum: 11 });
      const windowStart = alignDown(Date.now(), 60_000);
      for (const d of got) {
        assert.ok(Math.abs((d.Timestamp ?? 0) * 1000 - windowStart) <= 60_000, "stamped with the open window");
        assert.equal((d.Timestamp ?? 0) * 1000 % 60_000, 0, "aligned to the interval");
        assert.equal(d.StorageResolution, 60);
      }
      await exporter.shutdown();
    });

    it("sends histograms as Values/Counts with statistic sets that merge to the recorded one exactly, and percentiles within 2%", async () => {
      const { agg, exporter, first } = await setup({ intervalMs: 10_000 });
      const h = agg.histogram("model_latency", { unit: "s", exponential: { maxSize: 160 } });
      const xs = lognormalSamples(seededRandom(11), 60_000, Math.log(0.05), 0.8);
      const reader = agg.createReader("delta");
      h.bind({ EndpointName: "ep-1", VariantName: "v1" }).recordBatch(xs);
      const recorded = reader.read()[0].state.stats;
      await exporter.flush();
      const got = received(first).filter((d) => d.MetricName === "model_latency");
      assert.ok(got.length >= 2, `split over ${got.length} datums`);
      const values: number[] = [];
      const counts: number[] = [];
      for (const d of got) {
        assert.ok(d.Values && d.Counts && d.Values.length <= MAX_VALUES_PER_DATUM);
        assert.ok(d.StatisticValues !== undefined, "the statistic set travels beside Values/Counts");
        assert.equal(d.StorageResolution, 1, "a 10 s window is high resolution");
        assert.equal(d.Timestamp, got[0].Timestamp);
        values.push(...d.Values);
        counts.push(...d.Counts);
      }
      assert.deepEqual(mergedStatistics(first, "model_latency"), { SampleCount: recorded.count, Sum: recorded.sum, Minimum: recorded.min, Maximum: recorded.max, datums: got.length });
      const sorted = Float64Array.from(xs).sort();
      assert.equal(recorded.count, xs.length);
      assert.equal(Math.min(...values), sorted[0]);
      assert.equal(Math.max(...values), sorted[sorted.length - 1]);
      const inner = values.filter((v) => v !== sorted[0] && v !== sorted[sorted.length - 1]);
      const fullPrecision = inner.filter((v) => Number(v.toPrecision(7)) !== v);
      assert.ok(fullPrecision.length <= 1, `values between the recorded extremes have 7 significant digits but the one absorbing the rounding: ${fullPrecision}`);
      for (const p of [0.5, 0.9, 0.99]) {
        const e = exactPercentile(sorted, p);
        const err = Math.abs(weightedPercentile(values, counts, p) - e) / e;
        assert.ok(err <= 0.02, `p${p * 100} off by ${(err * 100).toFixed(2)}%`);
      }
      await exporter.shutdown();
    });

    it("splits a 10k-series flush into requests within 1000 datums and 1 MB, sized exactly", async () => {
      const { agg, exporter, first } = await setup();
      const g = agg.gauge("temperature", { unit: "1" });
      const h = agg.histogram("svc_latency", { unit: "ms", exponential: { maxSize: 160 }, cardinalityLimit: 20_000 });
      const g2 = agg.gauge("temp2", { cardinalityLimit: 20_000 });
      const rnd = seededRandom(5);
      for (let i = 0; i < 10_000; i++) {
        g2.record(i, { "client-id": `client-${i}`, "action-id": `action-${i % 97}` });
        // Long dimension values make these datums ~1.2 KB, so the byte limit binds before the count.
        const b = h.bind({ "client-id": `client-${i}-${"x".repeat(1000)}` });
        for (let j = 0; j < 10; j++) b.record(1 + rnd() * 100);
      }
      g.record(1);
      await exporter.flush();
      const reqs = endpoint.requests.slice(first);
      let datums = 0;
      for (const r of reqs) {
        assert.ok(r.datums.length <= MAX_DATUMS_PER_REQUEST, `${r.datums.length} datums`);
        assert.ok(r.bodyBytes <= MAX_REQUEST_BYTES, `${r.bodyBytes} bytes`);
        for (const d of r.datums) if (d.Values) assert.ok(d.Values.length <= MAX_VALUES_PER_DATUM);
        datums += r.datums.length;
      }
      const stats = exporter.stats();
      assert.equal(stats.datums, datums);
      assert.equal(stats.bytes, reqs.reduce((a, r) => a + r.bodyBytes, 0), "computed request sizes equal what the endpoint received");
      assert.ok(reqs.some((r) => r.gzip), "large bodies arrive gzip-compressed");
      const full = reqs.filter((r) => r.datums.length === MAX_DATUMS_PER_REQUEST).length;
      const byBytes = reqs.filter((r) => r.bodyBytes > MAX_REQUEST_BYTES * 0.95).length;
      assert.ok(full >= 9, `gauge datums fill requests by count (${full} full)`);
      assert.ok(byBytes >= 1, `histogram datums fill requests by bytes (${byBytes} near 1 MB)`);
      assert.equal(received(first).filter((d) => d.MetricName === "temp2").length, 10_000);
      assert.deepEqual(stats.dropped, {});
      await exporter.shutdown();
    });

    it("loses nothing through a simulated 60 s throttling outage within the buffer bound", async () => {
      const { agg, exporter, first } = await setup({ intervalMs: 10_000, percentiles: false, maxConcurrency: 2 });
      const c = agg.counter("events");
      endpoint.failFor(1500, "throttling");
      // Six 10-second windows (60 s of data) arrive while CloudWatch throttles every request.
      const base = alignDown(Date.now(), 10_000) - 60_000;
      let expected = 0;
      for (let w = 0; w < 6; w++) {
        for (let s = 0; s < 500; s++) c.add(w + 1, { series: `s${s}` });
        expected += 500 * (w + 1);
        exporter.collectWindow(base + w * 10_000);
      }
      await exporter.flush();
      // flush resolves while senders back off; wait for the outage to pass and the buffer to drain.
      const deadline = Date.now() + 20_000;
      while (exporter.stats().buffered > 0 || exporter.stats().datums < 3000) {
        if (Date.now() > deadline) assert.fail(`not drained: ${JSON.stringify(exporter.stats())}`);
        await new Promise((r) => setTimeout(r, 50));
        await exporter.flush();
      }
      const got = received(first).filter((d) => d.MetricName === "events");
      assert.equal(got.reduce((a, d) => a + (d.StatisticValues?.Sum ?? 0), 0), expected);
      assert.equal(new Set(got.map((d) => d.Timestamp)).size, 6, "each window keeps its own timestamp");
      const stats = exporter.stats();
      assert.ok(stats.retries > 0 && (stats.requests.throttled ?? 0) > 0, JSON.stringify(stats));
      assert.deepEqual(stats.dropped, {});
      await exporter.shutdown();
    });

    it("retries 5xx answers and drops permanently refused requests with reason rejected", async () => {
      const { agg, exporter, first } = await setup({ percentiles: false, maxConcurrency: 1 });
      agg.gauge("a").record(1);
      endpoint.failNext(2, "server_error");
      await exporter.flush();
      await exporter.flush();
      const deadline = Date.now() + 5000;
      while (received(first).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(received(first).length, 1);
      assert.equal(exporter.stats().requests.server_error, 2);
      agg.gauge("a").record(2);
      endpoint.failNext(1, "invalid");
      await exporter.flush();
      assert.equal(exporter.stats().dropped.rejected, 1);
      assert.equal(exporter.stats().failures, 1);
      await exporter.shutdown();
    });
  });

  describe("flush (property)", () => {
    /** One random histogram series: recorded value by value, or merged pre-aggregated. */
    type Input =
      | { readonly kind: "recorded"; readonly exponential: boolean; readonly values: number[] }
      | { readonly kind: "explicit"; readonly counts: number[]; readonly at: number[]; readonly minMax: boolean }
      | { readonly kind: "exponential"; readonly scale: number; readonly offset: number; readonly counts: number[]; readonly zeroCount: number; readonly at: number[]; readonly minMax: boolean };

    const BOUNDARIES = Array.from({ length: 60 }, (_, i) => 0.001 * 1.25 ** i);
    // Values spread over twelve decades, both signs, and exact small numbers.
    const spread = fc.oneof(
      fc.tuple(fc.double({ min: -6, max: 6, noNaN: true }), fc.boolean()).map(([e, negative]) => (negative ? -1 : 1) * 10 ** e),
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      fc.constantFrom(0, 1, 2.5, 1000),
    );
    const count = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1e13 }));
    const input: fc.Arbitrary<Input> = fc.oneof(
      fc.record({ kind: fc.constant("recorded" as const), exponential: fc.boolean(), values: fc.oneof(fc.array(spread, { minLength: 1, maxLength: 10 }), fc.array(spread, { minLength: 1, maxLength: 3000, size: "max" })) }),
      fc.record({
        kind: fc.constant("explicit" as const),
        counts: fc.array(count, { minLength: BOUNDARIES.length + 1, maxLength: BOUNDARIES.length + 1 }),
        at: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: BOUNDARIES.length + 1, maxLength: BOUNDARIES.length + 1 }),
        minMax: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant("exponential" as const),
        scale: fc.integer({ min: -1, max: 6 }),
        offset: fc.integer({ min: -300, max: 100 }),
        counts: fc.oneof(fc.array(count, { minLength: 1, maxLength: 10 }), fc.array(count, { minLength: 1, maxLength: 320, size: "max" })),
        zeroCount: count,
        at: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 321, maxLength: 321 }),
        minMax: fc.boolean(),
      }),
    );

    /** Merges `buckets` ([lower, upper, count], ascending) with a sum consistent with them and min/max given or not. */
    function merge(buckets: readonly (readonly [number, number, number])[], at: readonly number[], minMax: boolean): { count: number; sum: number; min: number; max: number } | null {
      const populated = buckets.map((b, i) => [...b, at[i]] as const).filter(([, , c]) => c > 0);
      if (populated.length === 0) return null;
      // Min and max as the source gives them (inside the extreme buckets), or as the store estimates them.
      const min = minMax ? populated[0][0] + at[0] * (populated[0][1] - populated[0][0]) : populated[0][0];
      const last = populated[populated.length - 1];
      const max = minMax ? Math.max(min, last[1] - at[1] * (last[1] - last[0])) : last[1];
      let total = 0;
      let sum = 0;
      for (const [lo, hi, c, a] of populated) {
        total += c;
        sum += c * Math.min(Math.max(lo + a * (hi - lo), min), max);
      }
      return { count: total, sum, min: minMax ? min : NaN, max: minMax ? max : NaN };
    }

    it("delivers datums whose statistic sets merge to the recorded count, sum, min and max exactly, for random histograms", async () => {
      let split = 0;
      await fc.assert(
        fc.asyncProperty(input, fc.integer({ min: 3, max: 600 }), async (series, maxValuesPerSeries) => {
          const agg = await createAggregator({ engine: "js" });
          const exporter = new CloudWatchExporter(config({ maxValuesPerSeries }), [agg], {
            id: "awscloudwatch/property",
            logger: capturedLogger().logger,
            meterProvider: meterProvider(),
            credentials: TEST_CREDENTIALS,
          });
          const first = endpoint.requests.length;
          const refused = endpoint.refused.length;
          const reader = agg.createReader("delta");
          if (series.kind === "recorded") {
            agg.histogram("h", { unit: "ms", ...(series.exponential ? { exponential: { maxSize: 160 } } : { boundaries: BOUNDARIES }) }).bind().recordBatch(Float64Array.from(series.values));
          } else if (series.kind === "explicit") {
            const buckets = series.counts.map((c, i) => [i === 0 ? BOUNDARIES[0] : BOUNDARIES[i - 1], BOUNDARIES[Math.min(i, BOUNDARIES.length - 1)], c] as const);
            const merged = merge(buckets, series.at, series.minMax);
            if (merged === null) return;
            agg.histogram("h", { unit: "ms", boundaries: BOUNDARIES }).bind().mergeExplicit({ boundaries: BOUNDARIES, bucketCounts: series.counts, ...merged });
          } else {
            const base = 2 ** (2 ** -series.scale);
            // Within CloudWatch's +-2^360 (beyond it the series is a value_out_of_range drop).
            fc.pre((series.offset + series.counts.length) * 2 ** -series.scale <= 300);
            const buckets: (readonly [number, number, number])[] = [[0, 0, series.zeroCount]];
            series.counts.forEach((c, i) => buckets.push([base ** (series.offset + i), base ** (series.offset + i + 1), c]));
            const merged = merge(buckets, series.at, series.minMax);
            if (merged === null) return;
            agg.histogram("h", { unit: "ms", exponential: { maxSize: 320 } }).bind().mergeExponential({
              scale: series.scale,
              zeroCount: series.zeroCount,
              positive: { offset: series.offset, counts: series.counts },
              negative: { offset: 0, counts: [] },
              ...merged,
            });
          }
          const recorded = reader.read()[0].state.stats;
          await exporter.flush();
          await exporter.shutdown();
          assert.deepEqual(endpoint.refused.slice(refused), [], "the endpoint accepted every datum");
          assert.deepEqual(exporter.stats().dropped, {});
          const got = mergedStatistics(first, "h");
          if (got.datums > 1) split++;
          assert.deepEqual(
            { SampleCount: got.SampleCount, Sum: got.Sum, Minimum: got.Minimum, Maximum: got.Maximum },
            // Magnitudes below 2^-360 are sent as 0 (CloudWatch refuses them).
            { SampleCount: recorded.count, Sum: flushTiny(recorded.sum), Minimum: flushTiny(recorded.min), Maximum: flushTiny(recorded.max) },
          );
        }),
        { numRuns: 80, seed: 15 },
      );
      assert.ok(split >= 10, `${split} runs split a histogram over several datums`);
    });
  });

  describe("flush during retries", () => {
    it("waits for a retry attempt in flight, so what was recorded meanwhile is sent when it resolves", async () => {
      const { agg, exporter, first } = await setup({ percentiles: false, maxConcurrency: 1, retry: { initialIntervalMs: 50, maxIntervalMs: 50, maxElapsedTimeMs: 60_000 } });
      const g = agg.gauge("flush_during_retry");
      g.record(1);
      endpoint.failNext(1, "server_error");
      await exporter.flush(); // resolves while the sender backs off
      endpoint.latencyMs = 300;
      try {
        const deadline = Date.now() + 5000;
        while (endpoint.requestsInFlight === 0) {
          assert.ok(Date.now() < deadline, "the retry attempt never started");
          await new Promise((r) => setTimeout(r, 2));
        }
        g.record(2);
        await exporter.flush();
      } finally {
        endpoint.latencyMs = 0;
      }
      assert.equal(received(first).filter((d) => d.MetricName === "flush_during_retry").length, 2);
      await exporter.shutdown();
    });
  });

  describe("collectWindow with event time", () => {
    it("stamps data recorded for an already closed window with that window's start", async () => {
      const agg = await createAggregator({ engine: "js", windowMs: 60_000 });
      const exporter = new CloudWatchExporter(config({ intervalMs: 60_000, percentiles: false }), [agg], {
        id: "awscloudwatch/late",
        logger: capturedLogger().logger,
        meterProvider: meterProvider(),
        credentials: TEST_CREDENTIALS,
      });
      await exporter.start();
      const first = endpoint.requests.length;
      const open = alignDown(Date.now(), 60_000);
      const c = agg.counter("replayed");
      exporter.collectWindow(open);
      agg.setEventTime(open - 120_000 + 1_000);
      c.add(7, { job: "a" });
      agg.setEventTime(0);
      c.add(1, { job: "a" });
      await exporter.flush();
      const got = received(first).filter((d) => d.MetricName === "replayed");
      const byTimestamp = new Map(got.map((d) => [d.Timestamp, d.StatisticValues?.Sum]));
      assert.equal(byTimestamp.get((open - 120_000) / 1000), 7, JSON.stringify(got));
      assert.equal(byTimestamp.get(open / 1000), 1, JSON.stringify(got));
      await exporter.shutdown();
    });
  });

  describe("deliveryBarrier", () => {
    it("resolves only after the next window read after the call has been sent, waiting out an outage", async () => {
      const { agg, exporter, first } = await setup({ intervalMs: 60_000, percentiles: false, maxConcurrency: 1 });
      agg.counter("committed").add(5);
      let released = false;
      const barrier = exporter.deliveryBarrier().then(() => {
        released = true;
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(released, false, "no window was read yet");
      endpoint.failFor(400, "server_error");
      exporter.collectWindow(alignDown(Date.now(), 60_000));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(released, false, "still failing: the data exists only in memory");
      await barrier;
      const got = received(first).filter((d) => d.MetricName === "committed");
      assert.equal(got.reduce((a, d) => a + (d.StatisticValues?.Sum ?? 0), 0), 5);
      await exporter.shutdown();
    });
  });

  describe("collectWindow drops", () => {
    async function logged(overrides: Partial<CloudWatchExporterConfig>) {
      const agg = await createAggregator({ engine: "js", windowMs: 60_000 });
      const captured = capturedLogger();
      const exporter = new CloudWatchExporter(config({ intervalMs: 60_000, percentiles: false, ...overrides }), [agg], {
        id: "awscloudwatch/drops",
        logger: captured.logger,
        meterProvider: meterProvider(),
        credentials: TEST_CREDENTIALS,
      });
      return { agg, exporter, lines: captured.lines };
    }

    it("counts and logs a series no configured dimension set applies to, naming the metric, its keys and the sets", async () => {
      const { agg, exporter, lines } = await logged({ dimensionRules: [{ metricNameSelectors: ["^model_latency$"], dimensions: [["EndpointName", "VariantName"]] }] });
      agg.gauge("model_latency").record(3, { EndpointName: "ep-1", pod: "p-7" });
      exporter.collectWindow(alignDown(Date.now(), 60_000));
      assert.deepEqual(exporter.stats().dropped, { missing_dimension: 1 });
      const line = lines.find((l) => l.reason === "missing_dimension");
      assert.ok(line !== undefined, JSON.stringify(lines));
      assert.equal(line.metric, "model_latency");
      assert.equal(
        line.msg,
        'awscloudwatch/drops: dropped 1 of metric "model_latency" (missing_dimension): the series has attribute keys ["EndpointName","pod"] but every dimension set dimension_rules gives this metric ([["EndpointName","VariantName"]]) needs a key it lacks; add the attributes at the source, or add a set the series has to dimension_rules ([] publishes without dimensions)',
      );
      await exporter.shutdown();
    });

    it("counts and logs points stamped in epoch seconds where milliseconds are expected as timestamp_out_of_range, saying so", async () => {
      const { agg, exporter, lines } = await logged({});
      const open = alignDown(Date.now(), 60_000);
      exporter.collectWindow(open);
      agg.setEventTime(Math.floor(Date.now() / 1000)); // what an EMF _aws.Timestamp in seconds becomes
      agg.counter("replayed").add(7);
      agg.setEventTime(0);
      exporter.collectWindow(open);
      assert.deepEqual(exporter.stats().dropped, { timestamp_out_of_range: 1 });
      const line = lines.find((l) => l.reason === "timestamp_out_of_range");
      assert.ok(line !== undefined, JSON.stringify(lines));
      assert.equal(line.metric, "replayed");
      assert.match(String(line.msg), /^awscloudwatch\/drops: dropped 1 of metric "replayed" \(timestamp_out_of_range\): timestamp 1970-01-\d\dT[\d:.]+Z looks like epoch seconds where milliseconds are expected/);
      await exporter.shutdown();
    });
  });

  describe("collectWindow", () => {
    it("counts buffer overflow as buffer_full, dropping the oldest datums", async () => {
      const { agg, exporter, first } = await setup({ percentiles: false, maxConcurrency: 1, maxBufferedDatums: 1000 });
      const g = agg.gauge("level", { cardinalityLimit: 5000 });
      endpoint.failFor(300, "unavailable");
      for (let i = 0; i < 2500; i++) g.record(i, { i: String(i).padStart(4, "0") });
      exporter.collectWindow(alignDown(Date.now(), 60_000));
      const stats = exporter.stats();
      assert.equal(stats.dropped.buffer_full, 1500);
      const deadline = Date.now() + 10_000;
      while ((exporter.stats().buffered > 0 || exporter.stats().datums < 1000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const got = received(first);
      assert.equal(got.length, 1000);
      const kept = got.map((d) => Number(d.Dimensions?.[0].Value)).sort((a, b) => a - b);
      assert.equal(kept[0], 1500, "the newest datums are the ones kept");
      await exporter.shutdown();
    });

    it("never runs more than max_concurrency requests at once", async () => {
      const { agg, exporter } = await setup({ percentiles: false, maxConcurrency: 2 });
      const g = agg.gauge("x", { cardinalityLimit: 10_000 });
      for (let i = 0; i < 6000; i++) g.record(i, { i: String(i) });
      endpoint.maxInFlight = 0;
      endpoint.latencyMs = 80;
      try {
        await exporter.flush();
      } finally {
        endpoint.latencyMs = 0;
      }
      assert.equal(endpoint.maxInFlight, 2);
      assert.equal(exporter.stats().datums, 6000);
      await exporter.shutdown();
    });
  });

  describe("stats", () => {
    it("publishes self-metrics on the MeterProvider's statset meter", async () => {
      class ManualReader extends MetricReader {
        protected override async onForceFlush(): Promise<void> {}
        protected override async onShutdown(): Promise<void> {}
      }
      const reader = new ManualReader();
      const agg = await createAggregator({ engine: "js" });
      const exporter = new CloudWatchExporter(config({ percentiles: false, dimensionRules: [{ metricNameSelectors: ["."], dimensions: [["k"]] }] }), [agg], {
        id: "awscloudwatch/metrics",
        logger: capturedLogger().logger,
        meterProvider: new MeterProvider({ readers: [reader] }),
        credentials: TEST_CREDENTIALS,
      });
      agg.gauge("ok").record(1, { k: "v" });
      agg.gauge("no_key").record(1);
      await exporter.flush();
      const { resourceMetrics } = await reader.collect();
      const metrics = resourceMetrics.scopeMetrics.filter((s) => s.scope.name === "statset").flatMap((s) => s.metrics);
      const find = (name: string) => metrics.find((m) => m.descriptor.name === name);
      const drops = find("statset.cloudwatch.dropped_datums");
      assert.deepEqual(drops?.dataPoints.map((d) => [d.attributes.reason, d.value]), [["missing_dimension", 1]]);
      assert.equal(find("statset.cloudwatch.datums")?.dataPoints[0].value, 1);
      assert.deepEqual(find("statset.cloudwatch.requests")?.dataPoints.map((d) => [d.attributes.outcome, d.value]), [["success", 1]]);
      assert.ok(find("statset.cloudwatch.bytes") !== undefined && find("statset.cloudwatch.buffered_datums") !== undefined);
      await exporter.shutdown();
    });
  });

  describe("shutdown", () => {
    it("flushes the open window before stopping", async () => {
      const { agg, exporter, first } = await setup({ percentiles: false });
      agg.counter("final").add(42);
      await exporter.shutdown();
      assert.equal(received(first).find((d) => d.MetricName === "final")?.StatisticValues?.Sum, 42);
      await exporter.shutdown();
    });

    it("gives up after its timeout and counts what is left as shutdown drops", async () => {
      const { agg, exporter } = await setup({ percentiles: false, shutdownTimeoutMs: 200 });
      agg.counter("stuck").add(1);
      endpoint.failFor(2000, "throttling");
      const t0 = Date.now();
      await exporter.shutdown();
      assert.ok(Date.now() - t0 < 1500, "bounded by the timeout");
      assert.equal(exporter.stats().dropped.shutdown, 1);
    });

    it("is safe without start", async () => {
      const agg = await createAggregator({ engine: "js" });
      const exporter = new CloudWatchExporter(config(), [agg], {
        id: "awscloudwatch/idle",
        logger: capturedLogger().logger,
        meterProvider: meterProvider(),
        credentials: TEST_CREDENTIALS,
      });
      await exporter.shutdown();
      await exporter.shutdown();
    });
  });
});
