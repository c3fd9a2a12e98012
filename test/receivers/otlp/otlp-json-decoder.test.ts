import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OtlpJsonDecoder } from "../../../src/receivers/otlp/otlp-json-decoder.ts";
import { OtlpProtoDecoder } from "../../../src/receivers/otlp/otlp-proto-decoder.ts";
import { AttributeInterner } from "../../../src/receivers/otlp/attribute-interner.ts";
import { OtlpDecodeError } from "../../../src/receivers/otlp/errors.ts";
import type { DecodedBatch, DecodedMetric } from "../../../src/pipeline/types.ts";
import { createSdkHarness, expectedBatch, normalizeBatch } from "../../support/otlp-sdk.ts";

function metricByName(batch: DecodedBatch, name: string): DecodedMetric {
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) if (m.name === name) return m;
    }
  }
  throw new Error(`metric ${name} not decoded`);
}

function decodeError(body: string): OtlpDecodeError {
  try {
    new OtlpJsonDecoder().decode(body);
  } catch (err) {
    assert.ok(err instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(err)}`);
    assert.equal(err.kind, "json");
    return err;
  }
  assert.fail("decode did not throw");
}

/** One resource, one scope, the given metrics as JSON values. */
function body(metrics: unknown[]): string {
  return JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ scope: { name: "s" }, metrics }] }] });
}

describe("OtlpJsonDecoder", () => {
  describe("decode (payloads from the SDK's JsonMetricsSerializer)", () => {
    for (const temporality of ["cumulative", "delta"] as const) {
      it(`decodes every SDK metric kind (${temporality}) exactly like the protobuf decoder`, async () => {
        const sdk = createSdkHarness({ temporality, resource: { "service.name": "svc", replica: 3 } });
        sdk.meter.createCounter("c", { unit: "1", description: "d" }).add(2.5, { a: "x", n: 1, ok: false, list: [1, 2] });
        sdk.meter.createCounter("ci", { valueType: ValueType.INT }).add(2 ** 50);
        sdk.meter.createUpDownCounter("ud").add(-4, { a: "x", n: 1, ok: false, list: [1, 2] });
        sdk.meter.createGauge("g").record(0.125);
        const h = sdk.meter.createHistogram("h");
        for (const v of [1, 5, 50, 5000]) h.record(v, { a: "y" });
        const rm = await sdk.collect();
        const exp = createSdkHarness({ temporality, exponential: true });
        const eh = exp.meter.createHistogram("e");
        for (const v of [0, 0.25, 3, 3, 1e9]) eh.record(v);
        const erm = await exp.collect();
        await sdk.shutdown();
        await exp.shutdown();

        for (const data of [rm, erm]) {
          const interner = new AttributeInterner();
          const json = new OtlpJsonDecoder({ interner }).decode(JsonMetricsSerializer.serializeRequest(data) ?? assert.fail());
          const proto = new OtlpProtoDecoder({ interner }).decode(ProtobufMetricsSerializer.serializeRequest(data) ?? assert.fail());
          assert.deepStrictEqual(normalizeBatch(json), normalizeBatch(expectedBatch(data)));
          assert.deepStrictEqual(normalizeBatch(json), normalizeBatch(proto));
          // Shared interner: the very same attribute objects whatever the encoding.
          const jp = json.resources[0].scopes[0].metrics[0].points[0];
          const pp = proto.resources[0].scopes[0].metrics[0].points[0];
          assert.equal(jp.attributes, pp.attributes);
          assert.equal(json.resources[0].attributes, proto.resources[0].attributes);
        }
        const c = metricByName(new OtlpJsonDecoder().decode(JsonMetricsSerializer.serializeRequest(rm) ?? assert.fail()), "c");
        assert.ok(c.type === "sum");
        assert.deepStrictEqual(c.points[0].attributes, { a: "x", list: "[1,2]", n: 1, ok: false });
        assert.equal(c.points[0].value, 2.5);
        assert.equal(c.temporality, temporality);
      });
    }
  });

  describe("decode (proto3 JSON mapping variants)", () => {
    it("accepts snake_case names, enum names, 64-bit integers as strings and special doubles as strings", () => {
      const text = JSON.stringify({
        resource_metrics: [
          {
            resource: { attributes: [{ key: "service.name", value: { string_value: "snake" } }] },
            scope_metrics: [
              {
                scope: { name: "lib", version: "2" },
                metrics: [
                  {
                    name: "s",
                    sum: {
                      aggregation_temporality: "AGGREGATION_TEMPORALITY_DELTA",
                      is_monotonic: true,
                      data_points: [
                        {
                          attributes: [
                            { key: "i", value: { int_value: "-9007199254740991" } },
                            { key: "d", value: { double_value: "Infinity" } },
                            { key: "b", value: { bool_value: true } },
                            { key: "bytes", value: { bytes_value: "AAH+/w==" } },
                            { key: "kv", value: { kvlist_value: { values: [{ key: "x", value: { int_value: 1 } }] } } },
                            { key: "arr", value: { array_value: { values: [{ string_value: "a" }, {}] } } },
                          ],
                          start_time_unix_nano: "1700000000000000000",
                          time_unix_nano: "1700000000123456789",
                          as_int: "-42",
                        },
                        { time_unix_nano: 1700000001000000000, as_double: "NaN" },
                      ],
                    },
                  },
                  {
                    name: "h",
                    histogram: {
                      aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
                      data_points: [
                        { count: "3", sum: 7.5, bucket_counts: ["1", 2], explicit_bounds: [2.5], min: "-Infinity", max: 6 },
                      ],
                    },
                  },
                  {
                    name: "e",
                    exponential_histogram: {
                      aggregation_temporality: 1,
                      data_points: [
                        {
                          count: 4,
                          scale: -1,
                          zero_count: "1",
                          positive: { offset: -2, bucket_counts: ["1", "1"] },
                          negative: { bucket_counts: [1] },
                        },
                      ],
                    },
                  },
                  {
                    name: "q",
                    summary: {
                      data_points: [
                        { count: "10", sum: 2.5, quantile_values: [{ quantile: 0.5, value: 0.2 }], time_unix_nano: "5000000" },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      });
      const batch = new OtlpJsonDecoder().decode(text);
      assert.equal(batch.rejectedPoints, 0);
      assert.deepStrictEqual(batch.resources[0].attributes, { "service.name": "snake" });
      assert.equal(batch.resources[0].scopes[0].name, "lib");
      assert.equal(batch.resources[0].scopes[0].version, "2");
      const s = metricByName(batch, "s");
      assert.ok(s.type === "sum");
      assert.equal(s.temporality, "delta");
      assert.equal(s.monotonic, true);
      assert.deepStrictEqual(s.points[0].attributes, {
        arr: '["a",null]',
        b: true,
        bytes: "AAH+/w==",
        d: Infinity,
        i: -9007199254740991,
        kv: '{"x":1}',
      });
      assert.equal(s.points[0].value, -42);
      assert.equal(s.points[0].startTimeMs, 1_700_000_000_000);
      assert.equal(s.points[0].timeMs, Number(1700000000123456789n) / 1e6);
      assert.ok(Number.isNaN(s.points[1].value));
      assert.equal(s.points[1].startTimeMs, 0);
      const h = metricByName(batch, "h");
      assert.ok(h.type === "histogram");
      assert.equal(h.temporality, "cumulative");
      assert.deepStrictEqual(
        { ...h.points[0], attributes: { ...h.points[0].attributes } },
        { attributes: {}, attributesKey: "", startTimeMs: 0, timeMs: 0, count: 3, sum: 7.5, min: -Infinity, max: 6, boundaries: [2.5], bucketCounts: [1, 2] },
      );
      const e = metricByName(batch, "e");
      assert.ok(e.type === "exponential_histogram");
      assert.equal(e.temporality, "delta");
      assert.equal(e.points[0].scale, -1);
      assert.equal(e.points[0].zeroCount, 1);
      assert.deepStrictEqual(e.points[0].positive, { offset: -2, counts: [1, 1] });
      assert.deepStrictEqual(e.points[0].negative, { offset: 0, counts: [1] });
      assert.ok(Number.isNaN(e.points[0].sum));
      const q = metricByName(batch, "q");
      assert.ok(q.type === "summary");
      assert.equal(q.points[0].count, 10);
      assert.equal(q.points[0].sum, 2.5);
      assert.equal(q.points[0].timeMs, 5);
    });

    it("treats null as absent", () => {
      const batch = new OtlpJsonDecoder().decode(
        body([{ name: "g", description: null, gauge: { dataPoints: [{ asDouble: 1, attributes: null, timeUnixNano: null }] } }]),
      );
      const g = metricByName(batch, "g");
      assert.equal(g.description, "");
      assert.equal(g.points[0].timeMs, 0);
      assert.equal(g.points[0].attributesKey, "");
    });
  });

  describe("decode (refusals)", () => {
    it("counts points with an empty name, no value, an unknown data type or mismatched buckets as rejected", () => {
      const batch = new OtlpJsonDecoder().decode(
        body([
          { name: "", gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 2 }, { asDouble: 3 }] } },
          { name: "novalue", sum: { dataPoints: [{ timeUnixNano: "1" }, { asInt: 4 }] } },
          { name: "future", fancyHistogram: { dataPoints: [{}, {}] } },
          { name: "h", histogram: { dataPoints: [{ count: 1, bucketCounts: [1], explicitBounds: [1, 2] }] } },
          { name: "nodata" },
        ]),
      );
      assert.equal(batch.rejectedPoints, 3 + 1 + 2 + 1);
      assert.match(batch.rejectionMessage, /^resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]: metric has an empty name; its 3 gauge point\(s\) refused$/);
      assert.deepStrictEqual(
        batch.resources[0].scopes[0].metrics.map((m) => [m.name, m.points.length]),
        [
          ["novalue", 1],
          ["h", 0],
        ],
      );
    });
  });

  describe("decode (attribute refusals)", () => {
    const kv = (key: string, value: string): unknown => ({ key, value: { stringValue: value } });

    it("refuses points with an empty attribute key or a lone surrogate, and keeps their neighbours", () => {
      const batch = new OtlpJsonDecoder().decode(
        body([
          {
            name: "g",
            gauge: {
              dataPoints: [
                { asDouble: 1, attributes: [kv("a", "1"), kv("", "v")] },
                { asDouble: 2, attributes: [kv("a", "\ud800")] },
                { asDouble: 3, attributes: [kv("\udfff", "x")] },
                { asDouble: 4, attributes: [kv("a", "ok \u00e9 \ud83d\ude00")] },
              ],
            },
          },
          { name: "h", histogram: { dataPoints: [{ count: 0, attributes: [kv("", "v")] }] } },
          { name: "e", exponentialHistogram: { dataPoints: [{ count: 0, attributes: [kv("", "v")] }] } },
          { name: "s", summary: { dataPoints: [{ count: 0, attributes: [kv("", "v")] }] } },
        ]),
      );
      assert.equal(batch.rejectedPoints, 6);
      assert.match(batch.rejectionMessage, /dataPoints\[0\]\.attributes: empty attribute key; point refused/);
      assert.deepStrictEqual(metricByName(batch, "g").points.map((p) => p.attributes), [{ a: "ok \u00e9 \ud83d\ude00" }]);
      for (const name of ["h", "e", "s"]) assert.equal(metricByName(batch, name).points.length, 0);
    });

    it("refuses every point of a resource whose attributes are refused, and of a scope whose name is not well-formed", () => {
      const batch = new OtlpJsonDecoder().decode(
        JSON.stringify({
          resourceMetrics: [
            { resource: { attributes: [kv("", "x")] }, scopeMetrics: [{ metrics: [{ name: "a", gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 2 }] } }] }] },
            { scopeMetrics: [{ scope: { name: "s\ud800" }, metrics: [{ name: "b", gauge: { dataPoints: [{ asDouble: 1 }] } }] }] },
            { scopeMetrics: [{ metrics: [{ name: "c", gauge: { dataPoints: [{ asDouble: 1 }] } }] }] },
          ],
        }),
      );
      assert.equal(batch.rejectedPoints, 3);
      assert.match(batch.rejectionMessage, /^resourceMetrics\[0\]\.resource\.attributes: empty attribute key; the resource's 2 point\(s\) refused$/);
      assert.deepStrictEqual(
        batch.resources.map((r) => r.scopes.flatMap((s) => s.metrics.map((m) => m.name))),
        [[], [], ["c"]],
      );
    });

    it("refuses a body that is not UTF-8 as a whole (400), and accepts U+FFFD itself", () => {
      const good = Buffer.from(body([{ name: "g", gauge: { dataPoints: [{ asDouble: 1, attributes: [kv("k", "\uFFFD")] }] } }]));
      assert.equal(new OtlpJsonDecoder().decode(good).rejectedPoints, 0);
      const bad = Buffer.concat([good.subarray(0, good.indexOf("\uFFFD")), Buffer.from([0xc3, 0x28]), good.subarray(good.indexOf("\uFFFD") + 3)]);
      assert.throws(() => new OtlpJsonDecoder().decode(bad), (e: unknown) => e instanceof OtlpDecodeError && /not valid UTF-8/.test(e.message));
    });
  });

  describe("decode (integer ranges)", () => {
    const P = "resourceMetrics[0].scopeMetrics[0].metrics[0]";
    /** The refusal messages of decoding each point alone, "" for an accepted point. */
    function refusals(metric: (dp: unknown) => unknown, dps: readonly unknown[]): string[] {
      return dps.map((dp) => {
        const batch = new OtlpJsonDecoder().decode(body([metric(dp)]));
        const accepted = batch.resources[0].scopes[0].metrics[0]?.points.length ?? 0;
        assert.equal(batch.rejectedPoints + accepted, 1);
        return batch.rejectionMessage;
      });
    }
    const gauge = (dp: unknown): unknown => ({ name: "g", gauge: { dataPoints: [dp] } });
    const histogram = (dp: unknown): unknown => ({ name: "h", histogram: { dataPoints: [dp] } });
    const exponential = (dp: unknown): unknown => ({ name: "e", exponentialHistogram: { dataPoints: [dp] } });
    const summary = (dp: unknown): unknown => ({ name: "s", summary: { dataPoints: [dp] } });

    it("refuses an int64 asInt beyond its range, naming the field and the value, and keeps the neighbours", () => {
      const batch = new OtlpJsonDecoder().decode(
        body([
          {
            name: "g",
            gauge: {
              dataPoints: [
                { asInt: "99999999999999999999" },
                { asInt: "9223372036854775807" },
                { asInt: "9223372036854775808" },
                { asInt: "-9223372036854775808" },
                { asInt: "-9223372036854775809" },
                { asInt: 2 ** 63 },
                { asInt: "-0000000000000000000000000042" },
              ],
            },
          },
        ]),
      );
      assert.equal(batch.rejectedPoints, 4);
      assert.equal(
        batch.rejectionMessage,
        `${P}.gauge.dataPoints[0].asInt: "99999999999999999999" is outside the int64 range [-9223372036854775808, 9223372036854775807]; point refused`,
      );
      const g = metricByName(batch, "g");
      assert.ok(g.type === "gauge");
      assert.deepStrictEqual(g.points.map((p) => p.value), [2 ** 63, -(2 ** 63), -42]);
      assert.deepStrictEqual(refusals(gauge, [{ asInt: "9223372036854775808" }, { asInt: 2 ** 63 }, { asInt: "-9223372036854775809" }]), [
        `${P}.gauge.dataPoints[0].asInt: "9223372036854775808" is outside the int64 range [-9223372036854775808, 9223372036854775807]; point refused`,
        `${P}.gauge.dataPoints[0].asInt: 9223372036854776000 is outside the int64 range [-9223372036854775808, 9223372036854775807]; point refused`,
        `${P}.gauge.dataPoints[0].asInt: "-9223372036854775809" is outside the int64 range [-9223372036854775808, 9223372036854775807]; point refused`,
      ]);
    });

    it("refuses timestamps, counts and bucket counts beyond uint64 or negative, in every point type", () => {
      const uint64 = "[0, 18446744073709551615]";
      assert.deepStrictEqual(
        refusals(gauge, [
          { asDouble: 1, timeUnixNano: "18446744073709551616" },
          { asDouble: 1, startTimeUnixNano: "99999999999999999999999" },
          { asDouble: 1, timeUnixNano: -1 },
          { asDouble: 1, timeUnixNano: "18446744073709551615" },
        ]),
        [
          `${P}.gauge.dataPoints[0].timeUnixNano: "18446744073709551616" is outside the uint64 range ${uint64}; point refused`,
          `${P}.gauge.dataPoints[0].startTimeUnixNano: "99999999999999999999999" is outside the uint64 range ${uint64}; point refused`,
          `${P}.gauge.dataPoints[0].timeUnixNano: -1 is outside the uint64 range ${uint64}; point refused`,
          "",
        ],
      );
      assert.deepStrictEqual(
        refusals(histogram, [
          { count: "18446744073709551616" },
          { count: 2 ** 64 },
          { count: -1 },
          { count: "2", bucketCounts: ["1", "18446744073709551617"], explicitBounds: [1] },
          { count: "2", bucketCounts: ["1", "-2"], explicitBounds: [1] },
          { count: "18446744073709551615", bucketCounts: ["18446744073709551615"] },
        ]),
        [
          `${P}.histogram.dataPoints[0].count: "18446744073709551616" is outside the uint64 range ${uint64}; point refused`,
          `${P}.histogram.dataPoints[0].count: 18446744073709552000 is outside the uint64 range ${uint64}; point refused`,
          `${P}.histogram.dataPoints[0].count: -1 is outside the uint64 range ${uint64}; point refused`,
          `${P}.histogram.dataPoints[0].bucketCounts[1]: "18446744073709551617" is outside the uint64 range ${uint64}; point refused`,
          `${P}.histogram.dataPoints[0].bucketCounts[1]: "-2" is outside the uint64 range ${uint64}; point refused`,
          "",
        ],
      );
      assert.deepStrictEqual(
        refusals(exponential, [
          { count: 1, zeroCount: "-1" },
          { count: 1, positive: { offset: 0, bucketCounts: [1, "18446744073709551616"] } },
          { count: 1, negative: { bucketCounts: [-5] } },
          { count: 1, scale: "2147483648" },
          { count: 1, positive: { offset: -2147483649, bucketCounts: [1] } },
          { count: 1, scale: -2147483648, positive: { offset: 2147483647, bucketCounts: [1] } },
        ]),
        [
          `${P}.exponentialHistogram.dataPoints[0].zeroCount: "-1" is outside the uint64 range ${uint64}; point refused`,
          `${P}.exponentialHistogram.dataPoints[0].positive.bucketCounts[1]: "18446744073709551616" is outside the uint64 range ${uint64}; point refused`,
          `${P}.exponentialHistogram.dataPoints[0].negative.bucketCounts[0]: -5 is outside the uint64 range ${uint64}; point refused`,
          `${P}.exponentialHistogram.dataPoints[0].scale: "2147483648" is outside the int32 range [-2147483648, 2147483647]; point refused`,
          `${P}.exponentialHistogram.dataPoints[0].positive.offset: -2147483649 is outside the int32 range [-2147483648, 2147483647]; point refused`,
          "",
        ],
      );
      assert.deepStrictEqual(refusals(summary, [{ count: "-3" }, { count: "3" }]), [
        `${P}.summary.dataPoints[0].count: "-3" is outside the uint64 range ${uint64}; point refused`,
        "",
      ]);
    });

    it("refuses integers written as fractions, exponents, hex, padded or empty strings, and fractional numbers", () => {
      const values = ["1.5", "1e3", "1.0", "0x10", " 12", "", "+1", "12x", 1.5];
      assert.deepStrictEqual(
        refusals(
          histogram,
          values.map((count) => ({ count })),
        ),
        values.map((v) => `${P}.histogram.dataPoints[0].count: expected an integer (uint64), got ${typeof v === "string" ? JSON.stringify(v) : v}; point refused`),
      );
      assert.deepStrictEqual(refusals(gauge, [{ asInt: "1e3" }, { asInt: 1000 }]), [
        `${P}.gauge.dataPoints[0].asInt: expected an integer (int64), got "1e3"; point refused`,
        "",
      ]);
    });

    it("refuses the point, or the resource's points, whose attribute intValue is beyond int64", () => {
      const big = { key: "n", value: { intValue: "9223372036854775808" } };
      const batch = new OtlpJsonDecoder().decode(
        JSON.stringify({
          resourceMetrics: [
            { resource: { attributes: [big] }, scopeMetrics: [{ metrics: [{ name: "a", gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 2 }] } }] }] },
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: "b",
                      gauge: {
                        dataPoints: [
                          { asDouble: 1, attributes: [{ key: "kv", value: { kvlistValue: { values: [big] } } }] },
                          { asDouble: 2, attributes: [{ key: "n", value: { intValue: "9223372036854775807" } }] },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      );
      assert.equal(batch.rejectedPoints, 3);
      assert.equal(
        batch.rejectionMessage,
        `resourceMetrics[0].resource.attributes[0].value.intValue: "9223372036854775808" is outside the int64 range [-9223372036854775808, 9223372036854775807]; the resource's 2 point(s) refused`,
      );
      assert.deepStrictEqual(metricByName(batch, "b").points.map((p) => p.attributes), [{ n: 2 ** 63 }]);
      assert.match(
        refusals(gauge, [{ asDouble: 1, attributes: [{ key: "kv", value: { kvlistValue: { values: [big] } } }] }])[0],
        /attributes\[0\]\.value\.kvlistValue\.values\[0\]\.value\.intValue: "9223372036854775808" is outside the int64 range/,
      );
    });

    it("accepts exactly the decimal strings BigInt places in range, as the nearest double (property)", () => {
      const ranges = [
        {
          field: "asInt",
          metric: gauge,
          min: -(2n ** 63n),
          max: 2n ** 63n - 1n,
          read: (b: DecodedBatch) => {
            const m = metricByName(b, "g");
            return m.type === "gauge" ? m.points[0].value : NaN;
          },
        },
        {
          field: "count",
          metric: summary,
          min: 0n,
          max: 2n ** 64n - 1n,
          read: (b: DecodedBatch) => {
            const m = metricByName(b, "s");
            return m.type === "summary" ? m.points[0].count : NaN;
          },
        },
      ];
      for (const r of ranges) {
        const nearLimits = fc.oneof(
          fc.bigInt({ min: r.min - 1000n, max: r.min + 1000n }),
          fc.bigInt({ min: r.max - 1000n, max: r.max + 1000n }),
          fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
        );
        fc.assert(
          fc.property(nearLimits, fc.nat(3), (n, zeros) => {
            const digits = (n < 0n ? -n : n).toString();
            const text = `${n < 0n ? "-" : ""}${"0".repeat(zeros)}${digits}`;
            const batch = new OtlpJsonDecoder().decode(body([r.metric({ [r.field]: text })]));
            const inRange = n >= r.min && n <= r.max;
            assert.equal(batch.rejectedPoints, inRange ? 0 : 1, text);
            if (inRange) assert.equal(r.read(batch), Number(n), text);
          }),
          { numRuns: 500 },
        );
      }
    });
  });

  describe("decode (malformed input)", () => {
    it("names the JSON path of a wrongly typed value", () => {
      const err = decodeError(
        JSON.stringify({
          resourceMetrics: [
            {
              scopeMetrics: [
                {},
                { metrics: [{}, {}, { name: "x", sum: { dataPoints: [{ asDouble: {} }] } }] },
              ],
            },
          ],
        }),
      );
      assert.equal(
        err.message,
        "resourceMetrics[0].scopeMetrics[1].metrics[2].sum.dataPoints[0].asDouble: expected number or string, got object",
      );
      assert.equal(err.path, "resourceMetrics[0].scopeMetrics[1].metrics[2].sum.dataPoints[0].asDouble");
    });

    it("reports bad JSON, wrong containers, bad integers, bad enums and bad attributes", () => {
      assert.match(decodeError("{not json").message, /^invalid OTLP JSON: /);
      assert.equal(decodeError("[]").message, "$: expected object, got array");
      assert.equal(decodeError('{"resourceMetrics":{}}').message, "resourceMetrics: expected array, got object");
      assert.equal(
        decodeError(body([{ name: "h", histogram: { dataPoints: [{ count: true }] } }])).message,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].count: expected integer or string, got boolean",
      );
      assert.equal(
        decodeError(body([{ name: "h", histogram: { dataPoints: [{ bucketCounts: ["1", {}] }] } }])).message,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: expected integer or string, got object",
      );
      assert.equal(
        decodeError(body([{ name: "s", sum: { aggregationTemporality: "SOMETIMES", dataPoints: [] } }])).message,
        'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality: unknown enum value "SOMETIMES"',
      );
      assert.equal(
        decodeError(body([{ name: "g", gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: 5, value: {} }] }] } }])).message,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].attributes[0].key: expected string, got number",
      );
      assert.equal(
        decodeError(body([{ name: "g", gauge: { dataPoints: [{ asDouble: 1, attributes: [{ key: "k", value: { intValue: [1] } }] }] } }])).message,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].attributes[0].value.intValue: expected integer or string, got array",
      );
      assert.equal(
        decodeError(body([{ name: 7 }])).message,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].name: expected string, got number",
      );
      assert.equal(
        decodeError(JSON.stringify({ resourceMetrics: [{ resource: { attributes: {} } }] })).message,
        "resourceMetrics[0].resource.attributes: expected array, got object",
      );
    });
  });
});
