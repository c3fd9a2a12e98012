import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Attributes } from "@opentelemetry/api";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { ExpositionGuard } from "../../../src/exporters/prometheus/exposition-guard.ts";
import { PrometheusLabels, prometheusLabelName } from "../../../src/exporters/prometheus/labels.ts";
import { metricFamilyName } from "../../../src/exporters/prometheus/metric-family-name.ts";
import { SlicedPrometheusSerializer } from "../../../src/exporters/prometheus/sliced-serializer.ts";
import { expositionProblems, promtool, USER_STYLE_LINT } from "../../support/exposition-check.ts";

const TIME: [number, number] = [1_700_000_000, 0];
const NO_RESERVED = { names: new Set<string>() };

function sum(name: string, points: Attributes[], isMonotonic = true): MetricData {
  return {
    descriptor: { name, description: "", unit: "", valueType: 1 },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic,
    dataPoints: points.map((attributes, i) => ({ startTime: TIME, endTime: TIME, attributes, value: i + 1 })),
  };
}

function histogram(name: string, points: Attributes[]): MetricData {
  return {
    descriptor: { name, description: "", unit: "", valueType: 1 },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points.map((attributes) => ({ startTime: TIME, endTime: TIME, attributes, value: { buckets: { boundaries: [1], counts: [1, 1] }, sum: 3, count: 2, min: 0.5, max: 2.5 } })),
  };
}

function rm(...scopes: [string, MetricData[]][]): ResourceMetrics {
  return { resource: resourceFromAttributes({ "service.name": "statset" }), scopeMetrics: scopes.map(([name, metrics]) => ({ scope: { name }, metrics })) };
}

/** What the exporter serves for `input`: guarded, then serialized. */
async function render(input: ResourceMetrics, withoutScopeInfo = false): Promise<{ text: string; drops: ReturnType<ExpositionGuard["guard"]>["drops"] }> {
  const guarded = new ExpositionGuard({ prefix: "", withoutScopeInfo }).guard(input);
  const serializer = new SlicedPrometheusSerializer({ prefix: undefined, withoutTargetInfo: false, withoutScopeInfo }, 7);
  return { text: await serializer.serialize(guarded.resourceMetrics, async () => {}), drops: guarded.drops };
}

describe("prometheusLabelName", () => {
  it("sanitizes like the SDK, prefixes a leading digit with key_ and renames reserved names exported_", () => {
    const reserved = { names: new Set(["le", "otel_scope_name"]) };
    assert.equal(prometheusLabelName("http.route", reserved), "http_route");
    assert.equal(prometheusLabelName("a..b", reserved), "a_b");
    assert.equal(prometheusLabelName("__name__", reserved), "_name_");
    assert.equal(prometheusLabelName("9lives", reserved), "key_9lives");
    assert.equal(prometheusLabelName("le", reserved), "exported_le");
    assert.equal(prometheusLabelName("otel.scope.name", reserved), "exported_otel_scope_name");
    assert.equal(prometheusLabelName("ünïcode", reserved), "_n_code");
  });
});

describe("PrometheusLabels", () => {
  describe("of", () => {
    it("joins the values of keys that collide with ';' in the order of the original keys", () => {
      const set = new PrometheusLabels(NO_RESERVED).of({ a_b: "2", "a.b": "1", "a-b": 3 });
      assert.deepStrictEqual(set.attributes, { a_b: "3;1;2" });
    });

    it("returns the same object for a set the SDK renders validly, cached", () => {
      const labels = new PrometheusLabels(NO_RESERVED);
      const attrs = { "http.route": "/", code: 200 };
      assert.equal(labels.of(attrs).attributes, attrs);
      assert.equal(labels.of(attrs), labels.of(attrs));
    });

    it("makes lone surrogates well-formed so that different inputs cannot render alike unnoticed", () => {
      const labels = new PrometheusLabels(NO_RESERVED);
      const a = labels.of({ k: "\ud800" });
      const b = labels.of({ k: "\udfff" });
      assert.deepStrictEqual(a.attributes, { k: "\ufffd" });
      assert.equal(a.key, b.key);
    });
  });
});

describe("metricFamilyName", () => {
  it("equals the SDK serializer's own naming for any name", () => {
    const sdk = new PrometheusSerializer("ns") as unknown as { _getPrometheusMetricName(m: MetricData): string | undefined };
    assert.equal(typeof sdk._getPrometheusMetricName, "function", "the SDK's private naming method moved: compare against its new home");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 12 }), fc.boolean(), fc.constantFrom("sum", "gauge", "histogram"), (name, monotonic, kind) => {
        const metric = kind === "histogram" ? histogram(name, []) : sum(name, [], monotonic);
        if (kind === "gauge") (metric as { dataPointType: DataPointType }).dataPointType = DataPointType.GAUGE;
        assert.equal(metricFamilyName(metric, "ns"), sdk._getPrometheusMetricName(metric));
      }),
      { numRuns: 500 },
    );
  });
});

describe("ExpositionGuard", () => {
  describe("guard", () => {
    it("renders colliding keys on one point as one label", async () => {
      const { text, drops } = await render(rm(["s", [sum("c", [{ "a.b": "1", a_b: "2" }])]]));
      assert.deepStrictEqual(drops, []);
      assert.match(text, /^c_total\{a_b="1;2",otel_scope_name="s"\} 1$/m);
    });

    it("renames a user le or quantile, and user scope labels while scope labels are written", async () => {
      const { text } = await render(rm(["s", [histogram("h", [{ le: "x" }]), sum("c", [{ quantile: "x", "otel.scope.name": "mine" }])]]));
      assert.match(text, /^h_bucket\{exported_le="x",otel_scope_name="s",le="1"\} 1$/m);
      assert.match(text, /^c_total\{exported_otel_scope_name="mine",exported_quantile="x",otel_scope_name="s"\} 1$/m);
      const plain = (await render(rm(["s", [sum("c", [{ "otel.scope.name": "mine" }])]]), true)).text;
      assert.match(plain, /^c_total\{otel_scope_name="mine"\} 1$/m);
    });

    it("keeps the first of two series that render alike, and reports the other", async () => {
      const { text, drops } = await render(rm(["s", [sum("c", [{ "a.b": "1" }, { a_b: "1" }, { a_b: "2" }])]]));
      assert.deepStrictEqual(
        text.split("\n").filter((l) => l.startsWith("c_total")),
        ['c_total{a_b="1",otel_scope_name="s"} 1', 'c_total{a_b="2",otel_scope_name="s"} 3'],
      );
      assert.deepStrictEqual(drops.map((d) => [d.reason, d.series]), [["duplicate_labels", 1]]);
      assert.match(drops[0].example, /^c_total\{a_b 1\}$/);
    });

    it("finds duplicates across pipelines only where scope labels do not tell them apart", async () => {
      const input = rm(["statset/a", [sum("c", [{ q: "1" }])]], ["statset/b", [sum("c", [{ q: "1" }])]]);
      assert.deepStrictEqual((await render(input)).drops, []);
      assert.deepStrictEqual((await render(input, true)).drops.map((d) => d.reason), ["duplicate_labels"]);
    });

    it("keeps the members of a family that share the first member's type (the SDK would drop the family)", async () => {
      const { text, drops } = await render(rm(["a", [sum("jobs", [{}], false)]], ["b", [histogram("jobs", [{}, {}])]], ["c", [sum("jobs", [{ x: "1" }], false)]]));
      assert.match(text, /^jobs\{otel_scope_name="a"\} 1$/m);
      assert.match(text, /^jobs\{x="1",otel_scope_name="c"\} 1$/m);
      assert.doesNotMatch(text, /jobs_bucket/);
      assert.deepStrictEqual(drops.map((d) => [d.reason, d.series]), [["type_conflict", 2]]);
    });

    it("passes valid input through as the same object", () => {
      const input = rm(["s", [sum("c", [{ route: "/" }]), histogram("h", [{ code: 200 }])]]);
      assert.equal(new ExpositionGuard({ prefix: "", withoutScopeInfo: false }).guard(input).resourceMetrics, input);
    });

    it("yields an exposition promtool and a strict parser accept, and accounts for every series, for any attributes", async () => {
      const key = fc.oneof(
        fc.constantFrom("le", "quantile", "a.b", "a_b", "a-b", "__name__", "__x", "9lives", "otel.scope.name", "otel_scope_version", "_", "", "ü", "job"),
        fc.string({ maxLength: 6 }),
        fc.string({ unit: "binary", maxLength: 4 }),
      );
      const value = fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.integer(), fc.boolean(), fc.constantFrom('q"uote', "back\\slash", "new\nline", "tab\tand\rreturn"));
      const attributes = fc.dictionary(key, value, { maxKeys: 4 });
      const metric = fc
        .record({
          name: fc.constantFrom("latency", "requests", "requests_total", "queue.depth", "queue_depth", "1st", "x-y"),
          kind: fc.constantFrom("counter", "updown", "histogram"),
          points: fc.array(attributes, { maxLength: 6 }),
        })
        .map(({ name, kind, points }) => (kind === "histogram" ? histogram(name, points) : sum(name, points, kind === "counter")));
      const input = fc
        .array(fc.tuple(fc.constantFrom("statset", "statset/a"), fc.array(metric, { maxLength: 4 })), { maxLength: 3 })
        .map((scopes) => rm(...scopes));
      await fc.assert(
        fc.asyncProperty(input, fc.boolean(), async (resourceMetrics, withoutScopeInfo) => {
          const { text, drops } = await render(resourceMetrics, withoutScopeInfo);
          assert.deepStrictEqual(expositionProblems(text), [], text);
          const verdict = promtool(text);
          assert.deepStrictEqual(verdict.errors, [], text);
          assert.deepStrictEqual(verdict.lints.filter((l) => !USER_STYLE_LINT.test(l)), [], text);
          const points = resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
          const dropped = drops.reduce((n, d) => n + d.series, 0);
          const rendered = text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("target_info") && !/_(bucket|sum)\{/.test(l) && !/_(bucket|sum) /.test(l)).length;
          assert.equal(rendered, points - dropped, text);
        }),
        { numRuns: 80 },
      );
    });
  });
});
