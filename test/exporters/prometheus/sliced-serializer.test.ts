import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { emptyResource, resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { SlicedPrometheusSerializer, type SerializerOptions } from "../../../src/exporters/prometheus/sliced-serializer.ts";

const TIME: [number, number] = [1_700_000_000, 0];

const attributesArb = fc.dictionary(fc.constantFrom("model", "route", "a.b", "le_x", "9lives"), fc.oneof(fc.constantFrom("mnist", 'q"uote', "back\\slash", "new\nline", ""), fc.integer()), { maxKeys: 3 });

function histogramPoint(attributes: Record<string, string | number>, counts: number[]): DataPoint<Histogram> {
  return {
    startTime: TIME,
    endTime: TIME,
    attributes,
    value: {
      buckets: { boundaries: counts.slice(1).map((_, i) => 0.5 * 2 ** i), counts },
      sum: counts.reduce((a, c) => a + c * 0.3, 0),
      count: counts.reduce((a, c) => a + c, 0),
      min: 0.1,
      max: 9,
    },
  };
}

/** A metric of a random kind, name from a small pool (so families span scopes and clash), 0-25 points. */
const metricArb: fc.Arbitrary<MetricData> = fc
  .record({
    name: fc.constantFrom("latency", "requests", "queue.depth", "1st", "requests_total", "x-y"),
    description: fc.constantFrom("", "how long", "how\nlong \\ really"),
    unit: fc.constantFrom("", "s"),
    kind: fc.constantFrom("counter", "updown", "gauge", "histogram"),
    points: fc.array(fc.tuple(attributesArb, fc.array(fc.nat(5), { minLength: 1, maxLength: 6 }), fc.double({ noNaN: true })), { maxLength: 25 }),
  })
  .map(({ name, description, unit, kind, points }): MetricData => {
    const descriptor = { name, description, unit, valueType: 1 };
    if (kind === "histogram") {
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: points.map(([a, counts]) => histogramPoint(a, counts)) };
    }
    const dataPoints = points.map(([attributes, , value]) => ({ startTime: TIME, endTime: TIME, attributes, value }));
    if (kind === "gauge") return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
    return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: kind === "counter", dataPoints };
  });

const resourceMetricsArb: fc.Arbitrary<ResourceMetrics> = fc
  .array(fc.record({ scope: fc.constantFrom("statset", "pipeline/a", "pipeline/b"), version: fc.constantFrom(undefined, "1.0"), metrics: fc.array(metricArb, { maxLength: 4 }) }), { maxLength: 3 })
  .map((scopes) => ({
    resource: resourceFromAttributes({ "service.name": "statset", "host.name": 'h"1' }),
    scopeMetrics: scopes.map((s) => ({ scope: { name: s.scope, version: s.version }, metrics: s.metrics })),
  }));

const optionsArb: fc.Arbitrary<SerializerOptions> = fc.record({
  prefix: fc.constantFrom(undefined, "", "ns"),
  withoutTargetInfo: fc.boolean(),
  withoutScopeInfo: fc.boolean(),
});

const immediately = async (): Promise<void> => {};

/** The SDK ends "# no registered metrics" without the newline the text format requires; the sliced serializer adds it. */
const withFinalNewline = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`);

describe("SlicedPrometheusSerializer", () => {
  it("writes exactly the text of one PrometheusSerializer.serialize call, for any slice size", async () => {
    await fc.assert(
      fc.asyncProperty(resourceMetricsArb, optionsArb, fc.integer({ min: 1, max: 60 }), async (rm, options, lines) => {
        const expected = withFinalNewline(new PrometheusSerializer(options.prefix, false, undefined, options.withoutTargetInfo, options.withoutScopeInfo).serialize(rm));
        assert.equal(await new SlicedPrometheusSerializer(options, lines).serialize(rm, immediately), expected);
      }),
      { numRuns: 300 },
    );
  });

  it("slices a large scrape: the event loop runs in between, and the text is unchanged", async () => {
    const points = Array.from({ length: 3000 }, (_, i) => histogramPoint({ route: `/r${i}` }, [1, 2, 3, 4, 0, 1]));
    const metric: MetricData = { descriptor: { name: "latency", description: "d", unit: "s", valueType: 1 }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: points };
    const rm: ResourceMetrics = { resource: emptyResource(), scopeMetrics: [{ scope: { name: "statset" }, metrics: [metric] }] };
    const options = { prefix: undefined, withoutTargetInfo: false, withoutScopeInfo: false };
    let turns = 0;
    const counting = async (): Promise<void> => {
      turns++;
    };
    const text = await new SlicedPrometheusSerializer(options).serialize(rm, counting);
    assert.equal(text, new PrometheusSerializer(undefined, false, undefined, false, false).serialize(rm));
    assert.ok(turns >= 5, `${turns} yields for ${3000 * 8} lines`);
    let ranBetween = false;
    setImmediate(() => (ranBetween = true));
    await new SlicedPrometheusSerializer(options).serialize(rm);
    assert.ok(ranBetween, "an immediate queued before the scrape ran before it finished");
  });

  it("serializes in one call when a family's members disagree, as the SDK decides over all of them", async () => {
    const sum = (description: string, isMonotonic: boolean): MetricData => ({
      descriptor: { name: "jobs", description, unit: "", valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic,
      dataPoints: Array.from({ length: 50 }, (_, i) => ({ startTime: TIME, endTime: TIME, attributes: { i }, value: i })),
    });
    const histogram: MetricData = {
      descriptor: { name: "jobs", description: "", unit: "", valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [histogramPoint({}, [1, 2])],
    };
    // another HELP, another type (the SDK drops the family), a HELP only the second member has
    for (const second of [sum("other help", false), histogram, sum("help", false)]) {
      const rm: ResourceMetrics = { resource: emptyResource(), scopeMetrics: [{ scope: { name: "a" }, metrics: [sum("", false)] }, { scope: { name: "b" }, metrics: [second] }] };
      let turns = 0;
      const text = await new SlicedPrometheusSerializer({ prefix: undefined, withoutTargetInfo: true, withoutScopeInfo: false }, 10).serialize(rm, async () => {
        turns++;
      });
      assert.equal(text, withFinalNewline(new PrometheusSerializer(undefined, false, undefined, true, false).serialize(rm)));
      assert.equal(turns, 0);
    }
  });
});

describe("SlicedPrometheusSerializer.write", () => {
  it("leaves out only a series too large to render, reports it, and serves the rest", async () => {
    // 19 lines of a 30 MB label exceed the longest string V8 can build (~512 MiB).
    const huge = "x".repeat(30_000_000);
    const boundaries = Array.from({ length: 16 }, (_, i) => i + 1);
    const big: MetricData = {
      descriptor: { name: "latency", description: "", unit: "s", valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [
        histogramPoint({ route: "/ok" }, [1, ...boundaries.map(() => 0)]),
        { ...histogramPoint({ route: huge }, [1, ...boundaries.map(() => 0)]) },
        histogramPoint({ route: "/also-ok" }, [0, 2, ...boundaries.slice(1).map(() => 0)]),
      ].map((p) => ({ ...p, value: { ...p.value, buckets: { boundaries, counts: p.value.buckets.counts } } })),
    };
    const jobs: MetricData = { descriptor: { name: "jobs", description: "", unit: "", valueType: 1 }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: [{ startTime: TIME, endTime: TIME, attributes: {}, value: 7 }] };
    const rm: ResourceMetrics = { resource: emptyResource(), scopeMetrics: [{ scope: { name: "statset" }, metrics: [big, jobs] }] };
    const skipped: string[] = [];
    const parts: string[] = [];
    await new SlicedPrometheusSerializer({ prefix: undefined, withoutTargetInfo: true, withoutScopeInfo: false }).write(rm, (p) => void parts.push(p), immediately, (family, error) => {
      skipped.push(`${family}: ${error instanceof RangeError ? "RangeError" : String(error)}`);
    });
    const text = parts.join("");
    assert.deepStrictEqual(skipped, ["latency: RangeError"]);
    assert.match(text, /^latency_count\{route="\/ok",otel_scope_name="statset"\} 1$/m);
    assert.match(text, /^latency_count\{route="\/also-ok",otel_scope_name="statset"\} 2$/m);
    assert.match(text, /^jobs_total\{otel_scope_name="statset"\} 7$/m);
    assert.equal(text.match(/^# TYPE latency histogram$/gm)?.length, 1, text.slice(0, 2000));
    assert.ok(text.length < 100_000);
  });
});
