/**
 * A real Prometheus server (Debian's 2.42) scrapes the daemon every second; the test queries its
 * HTTP API. The BentoML-style latency histogram uses exponentialBuckets(0.001, 1.5, 10) and the
 * p95 answer of histogram_quantile over rate() is checked against the le-interpolated estimate
 * computed here from the values sent. promtool checks the exposition text.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { AggregationTemporalityPreference, OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { exponentialBuckets } from "../../src/index.ts";
import { startPrometheus, type PrometheusServer } from "../support/prometheus-server.ts";
import { startTestDaemon, type TestDaemon } from "./daemon-harness.ts";

const METRIC = "bentoml_service_request_duration_seconds";
const BOUNDARIES = exponentialBuckets(0.001, 1.5, 10);

/** 200 deterministic latencies between 0.5 ms and ~40 ms, skewed like a service's (most fast, a tail). */
function latencies(): number[] {
  const out: number[] = [];
  let x = 0.123456789;
  for (let i = 0; i < 200; i++) {
    x = (x * 9301 + 0.49297) % 1; // a fixed pseudo-random sequence
    out.push(0.0005 + 0.03 * x * x * x + 0.002 * x);
  }
  return out;
}

/** Prometheus' histogram_quantile over cumulative `le` counts (linear interpolation in the bucket). */
function expectedQuantile(q: number, values: readonly number[], bounds: readonly number[]): { estimate: number; lower: number; upper: number } {
  const counts = bounds.map((b) => values.filter((v) => v <= b).length);
  const total = values.length;
  const rank = q * total;
  let i = counts.findIndex((c) => c >= rank);
  if (i < 0) i = bounds.length; // +Inf bucket: Prometheus answers the highest finite bound
  if (i === bounds.length) return { estimate: bounds[bounds.length - 1], lower: bounds[bounds.length - 1], upper: Infinity };
  const lower = i === 0 ? 0 : bounds[i - 1];
  const below = i === 0 ? 0 : counts[i - 1];
  const inBucket = counts[i] - below;
  return { estimate: lower + (bounds[i] - lower) * ((rank - below) / inBucket), lower, upper: bounds[i] };
}

describe("daemon scraped by a real Prometheus server", () => {
  let d: TestDaemon;
  let prom: PrometheusServer;
  let provider: MeterProvider;
  before(async () => {
    d = await startTestDaemon();
    prom = await startPrometheus([new URL(d.promUrl).host]);
    provider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: d.httpUrl, temporalityPreference: AggregationTemporalityPreference.CUMULATIVE }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
  });
  after(async () => {
    await provider.shutdown();
    await prom.stop();
    await d.stop();
  });

  it("serves exposition text that promtool check metrics accepts", async () => {
    const meter = provider.getMeter("bentoml");
    meter.createCounter("bentoml_service_request_total").add(3, { endpoint: "/predict", http_response_code: "200" });
    meter.createGauge("bentoml_service_adaptive_batch_size").record(8, { endpoint: "/predict" });
    await provider.forceFlush();
    const text = await d.scrapeText();
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}\n--- exposition:\n${text}`);
  });

  it("lets Prometheus query counters, gauges and the daemon's own metrics", async () => {
    const r = await prom.waitFor('bentoml_service_request_total{endpoint="/predict"}', (x) => x.length === 1);
    assert.equal(Number(r[0].value[1]), 3);
    assert.equal(r[0].metric.job, "statset");
    const g = await prom.waitFor("bentoml_service_adaptive_batch_size", (x) => x.length === 1);
    assert.equal(Number(g[0].value[1]), 8);
    const self = await prom.waitFor('statset_points_accepted_total{pipeline="metrics"}', (x) => x.length === 1);
    assert.ok(Number(self[0].value[1]) >= 2);
  });

  it("answers histogram_quantile(0.95, rate(..._bucket[1m])) with the le-interpolated estimate of what was sent", async () => {
    const histogram = provider.getMeter("bentoml").createHistogram(METRIC, { unit: "s", advice: { explicitBucketBoundaries: BOUNDARIES } });
    const values = latencies();
    const attrs = { endpoint: "/predict", http_response_code: "200" };
    // The same distribution twice: every bucket's increase is proportional to its first scraped
    // value, so rate()'s extrapolation scales all buckets alike and the quantile is exact.
    for (const v of values) histogram.record(v, attrs);
    await provider.forceFlush();
    await prom.waitFor(`${METRIC}_count`, (x) => x.length === 1 && Number(x[0].value[1]) === values.length);
    for (const v of values) histogram.record(v, attrs);
    await provider.forceFlush();
    await prom.waitFor(`${METRIC}_count`, (x) => x.length === 1 && Number(x[0].value[1]) === 2 * values.length);

    const result = await prom.query(`histogram_quantile(0.95, rate(${METRIC}_bucket[1m]))`);
    assert.equal(result.length, 1, JSON.stringify(result));
    const answer = Number(result[0].value[1]);
    const expected = expectedQuantile(0.95, values, BOUNDARIES);
    assert.ok(Math.abs(answer - expected.estimate) < 1e-9 * Math.max(1, expected.estimate), `prometheus ${answer}, expected ${expected.estimate}`);

    const sorted = values.slice().sort((a, b) => a - b);
    const trueP95 = sorted[Math.ceil(0.95 * sorted.length) - 1];
    assert.ok(trueP95 > expected.lower && trueP95 <= expected.upper, `true p95 ${trueP95} outside (${expected.lower}, ${expected.upper}]`);
    assert.ok(answer > expected.lower && answer <= expected.upper);
    assert.ok(expected.lower > 0 && Number.isFinite(expected.upper), "the p95 falls in an interior bucket");

    const text = await d.scrapeText();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool with the histogram: ${check.stdout}${check.stderr}`);
  });
});
