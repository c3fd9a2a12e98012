/**
 * The real OpenTelemetry JS SDK exporters (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC) send
 * counters, up-down counters, gauges, explicit and exponential histograms, with cumulative and
 * delta temporality, to an in-process daemon; the Prometheus scrape must show exactly what was sent.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OTLPMetricExporter as GrpcExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { startTestDaemon, type TestDaemon } from "./daemon-harness.ts";
import { bucketsOf, valueOf } from "./prom-text.ts";

type Flavor = "json" | "proto" | "grpc";
type Temporality = "cumulative" | "delta";

function exporterFor(flavor: Flavor, temporality: Temporality, d: TestDaemon): PushMetricExporter {
  const temporalityPreference = temporality === "delta" ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE;
  switch (flavor) {
    case "json":
      return new JsonExporter({ url: d.httpUrl, temporalityPreference });
    case "proto":
      return new ProtoExporter({ url: d.httpUrl, temporalityPreference });
    case "grpc":
      return new GrpcExporter({ url: d.grpcUrl, temporalityPreference });
  }
}

/** Records two rounds of known values (and an empty third flush) through one SDK MeterProvider. */
async function sendKnownValues(prefix: string, exporter: PushMetricExporter): Promise<void> {
  const provider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    views: [{ instrumentName: `${prefix}_size`, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter("sdk-test");
  const requests = meter.createCounter(`${prefix}_requests`);
  const inflight = meter.createUpDownCounter(`${prefix}_inflight`);
  const temperature = meter.createGauge(`${prefix}_temperature`);
  const latency = meter.createHistogram(`${prefix}_latency`, { advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  const size = meter.createHistogram(`${prefix}_size`);

  requests.add(3, { route: "/a" });
  requests.add(4, { route: "/b" });
  inflight.add(10);
  temperature.record(20);
  for (const v of [0.05, 0.3, 0.7, 2]) latency.record(v);
  for (const v of [1, 2, 3]) size.record(v);
  await provider.forceFlush();

  requests.add(5, { route: "/a" });
  inflight.add(-3);
  temperature.record(21.5);
  latency.record(0.2);
  for (const v of [4, 8, 16]) size.record(v);
  await provider.forceFlush();

  // Cumulative exporters re-send the same totals: they must not be counted again.
  await provider.forceFlush();
  await provider.shutdown();
}

describe("daemon with OpenTelemetry SDK exporters", () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon();
  });
  after(async () => {
    await d.stop();
  });

  for (const flavor of ["json", "proto", "grpc"] as const) {
    for (const temporality of ["cumulative", "delta"] as const) {
      it(`scrapes exactly what the ${flavor} exporter sent with ${temporality} temporality`, async () => {
        const p = `${flavor}_${temporality}`;
        await sendKnownValues(p, exporterFor(flavor, temporality, d));
        const s = await d.scrape();
        assert.equal(valueOf(s, `${p}_requests_total`, { route: "/a" }), 8);
        assert.equal(valueOf(s, `${p}_requests_total`, { route: "/b" }), 4);
        assert.equal(valueOf(s, `${p}_inflight`), 7);
        assert.equal(valueOf(s, `${p}_temperature`), 21.5);

        assert.deepEqual(Object.fromEntries(bucketsOf(s, `${p}_latency`)), { "0.1": 1, "0.5": 3, "1": 4, "+Inf": 5 });
        assert.equal(valueOf(s, `${p}_latency_count`), 5);
        assert.ok(Math.abs(valueOf(s, `${p}_latency_sum`) - 3.25) < 1e-12);

        // Exponential histogram, served with OpenTelemetry's default explicit buckets: 1, 2, 3, 4 have
        // exponential buckets whose upper bounds are <= 5, 8 is exact at any scale, 16 likewise.
        const size = bucketsOf(s, `${p}_size`);
        assert.equal(size.get("0"), 0);
        assert.equal(size.get("5"), 4);
        assert.equal(size.get("10"), 5);
        assert.equal(size.get("25"), 6);
        assert.equal(size.get("+Inf"), 6);
        assert.equal(valueOf(s, `${p}_size_count`), 6);
        assert.equal(valueOf(s, `${p}_size_sum`), 34);
      });
    }
  }

  it("counts the received and accepted points in its own metrics on the same endpoint", async () => {
    const s = await d.scrape();
    const accepted = valueOf(s, "statset_points_accepted_total", { pipeline: "metrics" });
    const received = valueOf(s, "statset_points_received_total", { pipeline: "metrics" });
    assert.ok(accepted > 0);
    assert.equal(received, accepted);
    assert.ok(valueOf(s, "statset_series", { pipeline: "metrics" }) >= 6 * 6);
  });
});
