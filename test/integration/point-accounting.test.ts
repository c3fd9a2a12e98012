/**
 * Every point is accepted or refused with a counted reason, never lost in between: every point
 * kind with every edge value, over OTLP/JSON into the daemon. Each point carries its own `i`
 * attribute, so an accepted point is visible as its own series on the Prometheus endpoint.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { select, valueOf, type PromSample } from "./prom-text.ts";
import { startTestDaemon } from "./daemon-harness.ts";

const EDGE_NUMBERS: readonly (number | string)[] = [0, -0, 1, -1, 0.5, 5e-324, 1e308, -1e308, "NaN", "Infinity", "-Infinity", 9007199254740993];
const T = "1700000000000000000";
const START = "1690000000000000000";

let next = 0;
const attrs = (): unknown[] => [{ key: "i", value: { intValue: String(next++) } }];

function numberMetrics(): unknown[] {
  const point = (v: number | string): unknown => ({ ...(typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 53 ? { asInt: String(v) } : { asDouble: v }), timeUnixNano: T, startTimeUnixNano: START, attributes: attrs() });
  return [
    { name: "edge_gauge", gauge: { dataPoints: EDGE_NUMBERS.map(point) } },
    { name: "edge_delta_counter", sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: EDGE_NUMBERS.map(point) } },
    { name: "edge_cumulative_counter", sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: EDGE_NUMBERS.map(point) } },
    { name: "edge_cumulative_updown", sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: EDGE_NUMBERS.map(point) } },
    { name: "edge_delta_updown", sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: EDGE_NUMBERS.map(point) } },
  ];
}

function histogramMetrics(): unknown[] {
  const shapes: unknown[] = [
    { count: "0", sum: 0, bucketCounts: ["0", "0"], explicitBounds: [1] },
    { count: "3", sum: 2.5, bucketCounts: ["1", "2"], explicitBounds: [1] },
    { count: "3", sum: 2.5, min: 0.5, max: 1.5, bucketCounts: ["1", "2"], explicitBounds: [1] },
    { count: "2", sum: "NaN", bucketCounts: ["1", "1"], explicitBounds: [1] },
    { count: "5", sum: 1, bucketCounts: ["1", "1"], explicitBounds: [1] },
    { count: "1", sum: 1, bucketCounts: ["1"], explicitBounds: [1, 2] },
    { count: "1", sum: 1, bucketCounts: ["0", "1", "0"], explicitBounds: [2, 1] },
    { count: "1", sum: -1e308, bucketCounts: ["1", "0"], explicitBounds: [-1e308] },
    { count: "4", sum: 4 },
  ];
  const expShapes: unknown[] = [
    { count: "0", sum: 0, scale: 0 },
    { count: "3", sum: 6, scale: 3, zeroCount: "1", positive: { offset: -2, bucketCounts: ["1", "1"] } },
    { count: "2", sum: -3, scale: -4, negative: { offset: 5, bucketCounts: ["2"] } },
    { count: "1", sum: 1, scale: 21, positive: { offset: 0, bucketCounts: ["1"] } },
    { count: "1", sum: 1, scale: 0, positive: { offset: 2147483645, bucketCounts: ["1", "0", "0"] } },
    { count: "1", sum: 1, scale: 20, positive: { offset: -1071644673, bucketCounts: ["1"] } },
    { count: "2", sum: 1, scale: 0, positive: { offset: 0, bucketCounts: ["1"] } },
    { count: "1", sum: "Infinity", scale: 0, positive: { offset: 0, bucketCounts: ["1"] } },
  ];
  const summaries: unknown[] = [
    { count: "0", sum: 0 },
    { count: "10", sum: 5, quantileValues: [{ quantile: 0.5, value: 0.4 }] },
    { count: "1", sum: "NaN" },
  ];
  const at = (shape: unknown): unknown => ({ ...(shape as object), timeUnixNano: T, startTimeUnixNano: START, attributes: attrs() });
  return [
    { name: "edge_delta_histogram", histogram: { aggregationTemporality: 1, dataPoints: shapes.map(at) } },
    { name: "edge_cumulative_histogram", histogram: { aggregationTemporality: 2, dataPoints: shapes.map(at) } },
    { name: "edge_delta_exponential", exponentialHistogram: { aggregationTemporality: 1, dataPoints: expShapes.map(at) } },
    { name: "edge_cumulative_exponential", exponentialHistogram: { aggregationTemporality: 2, dataPoints: expShapes.map(at) } },
    { name: "edge_summary", summary: { dataPoints: summaries.map(at) } },
  ];
}

/** `i` labels visible for a metric family (counters/gauges by name, histograms by `_count`). */
function visible(samples: readonly PromSample[], name: string): Set<string> {
  return new Set(samples.filter((s) => s.name === name || s.name === `${name}_total` || s.name === `${name}_count`).map((s) => s.labels.i));
}

describe("point accounting through the daemon", () => {
  it("accepts or refuses with a counted reason every point of every kind and edge value, and shows every accepted one", async () => {
    const d = await startTestDaemon();
    try {
      next = 0;
      const metrics = [...numberMetrics(), ...histogramMetrics()];
      const body = JSON.stringify({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: "edge" }, metrics }] }] });
      const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 200);
      const reply = (await res.json()) as { partialSuccess?: { rejectedDataPoints?: string | number } };
      const rejected = Number(reply.partialSuccess?.rejectedDataPoints ?? 0);
      const sent = next;

      const s = await d.scrape();
      const received = valueOf(s, "statset_points_received_total", { pipeline: "metrics" });
      const accepted = valueOf(s, "statset_points_accepted_total", { pipeline: "metrics" });
      const refused = select(s, "statset_points_refused_total", { pipeline: "metrics" }).reduce((n, x) => n + x.value, 0);
      assert.equal(received, sent, "every point reached the pipeline's count");
      assert.equal(accepted + refused, received, "accepted + refused = received");
      assert.equal(refused, rejected, "what the client was told was refused is what was counted");

      let shown = 0;
      for (const m of metrics as { name: string }[]) shown += visible(s, m.name).size;
      assert.equal(shown, accepted, "every accepted point is visible as its own series");
    } finally {
      await d.stop();
    }
  });
});
