import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ValueType } from "@opentelemetry/api";
import type { Attributes, HrTime } from "@opentelemetry/api";
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics";
import type { MetricData, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OtlpProtoDecoder } from "../../../src/receivers/otlp/otlp-proto-decoder.ts";
import { OtlpJsonDecoder } from "../../../src/receivers/otlp/otlp-json-decoder.ts";
import { AttributeInterner } from "../../../src/receivers/otlp/attribute-interner.ts";
import { OtlpDecodeError } from "../../../src/receivers/otlp/errors.ts";
import { expectedBatch, normalizeBatch } from "../../support/otlp-sdk.ts";

// ---- arbitraries of SDK ResourceMetrics ------------------------------------------------------

const key = fc.stringMatching(/^[a-z][a-z0-9._]{0,7}$/);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const attrValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.maxSafeInteger(),
  finite.filter((d) => !Number.isInteger(d)),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
);
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(key, attrValue, { maxKeys: 5 });
const hrTime: fc.Arbitrary<HrTime> = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 999_999_999 }));
const temporality = fc.constantFrom(AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE);
const count = fc.integer({ min: 0, max: 2 ** 40 });
const descriptor = (valueType: ValueType) =>
  fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9_.]{0,15}$/),
    description: fc.string({ maxLength: 10 }),
    unit: fc.constantFrom("", "ms", "By", "{request}"),
    valueType: fc.constant(valueType),
  });
const point = <T>(value: fc.Arbitrary<T>) => fc.record({ attributes, startTime: hrTime, endTime: hrTime, value });

const numberMetric: fc.Arbitrary<MetricData> = fc.boolean().chain((isInt) => {
  const value = isInt ? fc.maxSafeInteger() : finite;
  const desc = descriptor(isInt ? ValueType.INT : ValueType.DOUBLE);
  const points = fc.array(point(value), { maxLength: 4 });
  return fc.oneof(
    fc.record({
      descriptor: desc,
      aggregationTemporality: temporality,
      dataPointType: fc.constant(DataPointType.SUM as const),
      isMonotonic: fc.boolean(),
      dataPoints: points,
    }),
    fc.record({
      descriptor: desc,
      aggregationTemporality: temporality,
      dataPointType: fc.constant(DataPointType.GAUGE as const),
      dataPoints: points,
    }),
  );
});

const histogramValue = fc
  .uniqueArray(finite, { maxLength: 6 })
  .chain((bounds) => {
    const boundaries = [...bounds].sort((a, b) => a - b);
    return fc.record({
      buckets: fc.record({
        boundaries: fc.constant(boundaries),
        counts: fc.array(count, { minLength: boundaries.length + 1, maxLength: boundaries.length + 1 }),
      }),
      sum: fc.option(finite, { nil: undefined }),
      count,
      min: fc.option(finite, { nil: undefined }),
      max: fc.option(finite, { nil: undefined }),
    });
  });

const histogramMetric: fc.Arbitrary<MetricData> = fc.record({
  descriptor: descriptor(ValueType.DOUBLE),
  aggregationTemporality: temporality,
  dataPointType: fc.constant(DataPointType.HISTOGRAM as const),
  dataPoints: fc.array(point(histogramValue), { maxLength: 3 }),
});

const buckets = fc.record({
  offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  bucketCounts: fc.array(count, { maxLength: 8 }),
});
const exponentialMetric: fc.Arbitrary<MetricData> = fc.record({
  descriptor: descriptor(ValueType.DOUBLE),
  aggregationTemporality: temporality,
  dataPointType: fc.constant(DataPointType.EXPONENTIAL_HISTOGRAM as const),
  dataPoints: fc.array(
    point(
      fc.record({
        count,
        sum: fc.option(finite, { nil: undefined }),
        scale: fc.integer({ min: -10, max: 20 }),
        zeroCount: count,
        positive: buckets,
        negative: buckets,
        min: fc.option(finite, { nil: undefined }),
        max: fc.option(finite, { nil: undefined }),
      }),
    ),
    { maxLength: 3 },
  ),
});

const resourceMetrics: fc.Arbitrary<ResourceMetrics> = fc.record({
  resource: attributes.map((a) => resourceFromAttributes(a)),
  scopeMetrics: fc.array(
    fc.record({
      scope: fc.record({ name: fc.string({ maxLength: 8 }), version: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) }),
      metrics: fc.array(fc.oneof(numberMetric, histogramMetric, exponentialMetric), { maxLength: 4 }),
    }),
    { maxLength: 3 },
  ),
});

// ---- properties -------------------------------------------------------------------------------

describe("OTLP decoders (properties)", () => {
  describe("OtlpProtoDecoder.decode", () => {
    it("decodes any SDK-encoded request to the source data", () => {
      const decoder = new OtlpProtoDecoder({ interner: new AttributeInterner(64) });
      fc.assert(
        fc.property(resourceMetrics, (rm) => {
          const bytes = ProtobufMetricsSerializer.serializeRequest(rm) ?? assert.fail("no bytes");
          assert.deepStrictEqual(normalizeBatch(decoder.decode(bytes)), normalizeBatch(expectedBatch(rm)));
        }),
        { numRuns: 150 },
      );
    });

    it("either decodes or throws OtlpDecodeError for truncated or corrupted requests", () => {
      const decoder = new OtlpProtoDecoder();
      fc.assert(
        fc.property(resourceMetrics, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (rm, cut, at, byte) => {
          const bytes = ProtobufMetricsSerializer.serializeRequest(rm) ?? assert.fail("no bytes");
          const truncated = bytes.slice(0, bytes.length === 0 ? 0 : cut % bytes.length);
          const corrupted = Uint8Array.from(bytes);
          if (corrupted.length > 0) corrupted[at % corrupted.length] = byte;
          for (const input of [truncated, corrupted]) {
            try {
              decoder.decode(input);
            } catch (err) {
              assert.ok(err instanceof OtlpDecodeError, `unexpected ${String(err)}`);
              assert.match(err.message, /at byte \d+$/);
            }
          }
        }),
        { numRuns: 150 },
      );
    });

    it("either decodes or throws OtlpDecodeError for arbitrary bytes", () => {
      const decoder = new OtlpProtoDecoder();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          try {
            decoder.decode(bytes);
          } catch (err) {
            assert.ok(err instanceof OtlpDecodeError, `unexpected ${String(err)}`);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe("OtlpJsonDecoder.decode", () => {
    it("decodes any SDK-encoded JSON request to the source data", () => {
      const decoder = new OtlpJsonDecoder({ interner: new AttributeInterner(64) });
      fc.assert(
        fc.property(resourceMetrics, (rm) => {
          const bytes = JsonMetricsSerializer.serializeRequest(rm) ?? assert.fail("no bytes");
          assert.deepStrictEqual(normalizeBatch(decoder.decode(bytes)), normalizeBatch(expectedBatch(rm)));
        }),
        { numRuns: 150 },
      );
    });
  });
});
