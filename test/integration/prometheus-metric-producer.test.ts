import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { createAggregator, exponentialBuckets, type Aggregator } from "../../src/index.ts";

/** Parses Prometheus text exposition into `name{labels} -> value`, leaving out the exporter's scope label. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    const series = line.slice(0, at).replace(/,?otel_scope_name="[^"]*"/, "").replace("{,", "{").replace("{}", "");
    out.set(series, Number(line.slice(at + 1)));
  }
  return out;
}

describe("Aggregator.metricProducer behind an OpenTelemetry MeterProvider with a PrometheusExporter", () => {
  let agg: Aggregator;
  let provider: MeterProvider;
  let server: Server;
  let url: string;

  before(async () => {
    agg = await createAggregator({ engine: "wasm" });
    const exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [agg.metricProducer] });
    provider = new MeterProvider({ readers: [exporter] });
    server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });

  after(async () => {
    await provider.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("serves the exact bucket counts, sum and count recorded, next to the SDK's own instruments", async () => {
    const boundaries = exponentialBuckets(0.001, 1.5, 10);
    const h = agg.histogram("inference_duration", { unit: "s", boundaries });
    const values = [0.0005, 0.001, 0.0012, 0.002, 0.004, 0.0151, 0.02, 0.5, 0.031];
    const series = h.bind({ model: "mnist" });
    series.recordBatch(Float64Array.from(values));
    agg.counter("requests").add(3, { code: "200" });
    provider.getMeter("self").createCounter("statset_self_test").add(1);

    const text = await (await fetch(url)).text();
    const scraped = parseExposition(text);
    let cumulative = 0;
    for (let i = 0; i <= boundaries.length; i++) {
      const le = i < boundaries.length ? String(boundaries[i]) : "+Inf";
      cumulative += values.filter((v) => (i < boundaries.length ? v <= boundaries[i] && (i === 0 || v > boundaries[i - 1]) : v > boundaries[boundaries.length - 1])).length;
      assert.equal(scraped.get(`inference_duration_bucket{model="mnist",le="${le}"}`), cumulative, `bucket le=${le}\n${text}`);
    }
    assert.equal(scraped.get('inference_duration_count{model="mnist"}'), values.length);
    const sum = scraped.get('inference_duration_sum{model="mnist"}') ?? Number.NaN;
    assert.ok(Math.abs(sum - values.reduce((a, b) => a + b, 0)) < 1e-12, `sum ${sum}`);
    assert.equal(scraped.get('requests_total{code="200"}'), 3);
    assert.equal(scraped.get("statset_self_test_total"), 1);
  });
});
