/**
 * Absurd but well-formed OTLP requests, as fast-check arbitraries of SDK ResourceMetrics serialized
 * by the SDK's own serializers: exponential histograms at the ends of the index range, scales -10
 * and 20, empty and colliding attribute keys, keys the Prometheus format reserves, any Unicode,
 * 100 KB attribute values, negative cumulative counters, NaN and ±Inf, huge bucket arrays.
 *
 * What the SDK cannot write is substituted into its output through markers: invalid UTF-8 bytes
 * (for INVALID_UTF8_MARKER, same byte length), a count of 2^64-1 (for COUNT_MARKER) and integers
 * beyond int64/uint64 in JSON (for INT_MARKER and COUNT_MARKER).
 */
import fc from "fast-check";
import { ValueType, type Attributes, type AttributeValue, type HrTime } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";

/** Two private-use characters: six bytes of UTF-8, replaced by `AbsurdRequest.utf8Bytes`. */
export const INVALID_UTF8_MARKER = "\ue000\ue001";
const MARKER_BYTES = Buffer.from(INVALID_UTF8_MARKER, "utf8");
/** A histogram count the serializers write as the fixed64 (proto) or number (JSON) to substitute. */
export const COUNT_MARKER = 987_654_321;
/** An integer sum or gauge value substituted the same way (proto: sfixed64 `as_int`). */
export const INT_MARKER = 123_456_789;

/** OTLP protobuf tags: HistogramDataPoint/ExponentialHistogramDataPoint.count (4, I64), NumberDataPoint.as_int (6, I64). */
const COUNT_TAG = (4 << 3) | 1;
const AS_INT_TAG = (6 << 3) | 1;

export interface AbsurdRequest {
  readonly resourceMetrics: ResourceMetrics;
  /** Written over the bytes of every INVALID_UTF8_MARKER (six bytes, valid UTF-8 or not). */
  readonly utf8Bytes: Uint8Array;
  /** JSON text written for every COUNT_MARKER count (protobuf gets 2^64-1). */
  readonly countJson: string;
  /** JSON text written for every INT_MARKER value. */
  readonly intJson: string;
  /** Protobuf value (int64 bits) written for every INT_MARKER value. */
  readonly intProto: bigint;
}

/** Byte sequences that are not UTF-8: lone and overlong forms, surrogates, truncated sequences. */
const INVALID_UTF8: readonly number[][] = [
  [0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa],
  [0xc0, 0x80, 0xc1, 0xbf, 0x41, 0x42],
  [0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf],
  [0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98],
  [0xf4, 0x90, 0x80, 0x80, 0x80, 0x80],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80, 0x00],
];

const NOW_S = 1_700_000_000;
const time: fc.Arbitrary<HrTime> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3600 }).map((s): HrTime => [NOW_S + s, 0]) },
  { weight: 1, arbitrary: fc.constantFrom<HrTime>([0, 0], [0, 1], [16_725_225_600, 999_999_999], [2 ** 31, 0]) },
);

const LONG_VALUES: readonly string[] = [
  "x".repeat(100_000),
  "é".repeat(60_000),
  // An odd start puts the 4096-character cut inside a surrogate pair.
  `a${"\u{1F600}".repeat(30_000)}`,
];

const key: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "",
      "a.b",
      "a_b",
      "a-b",
      "le",
      "quantile",
      "__name__",
      "otel_scope_name",
      "otel.scope.name",
      "otel_scope_version",
      "job",
      "9lives",
      "ü",
      "\ud800",
      "k\udfff",
      INVALID_UTF8_MARKER,
      "k".repeat(1025),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
);

const value: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<AttributeValue>("", "v", 'q"uote', "back\\slash", "new\nline", "\ud800", `v${INVALID_UTF8_MARKER}`, 0, -1, 1.5, true) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG_VALUES) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom("a", "", "\ud800"), { maxLength: 3 }) },
);

const attributes: fc.Arbitrary<Attributes> = fc.dictionary(key, value, { maxKeys: 3 });

const temporality = fc.constantFrom(AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE);
const points = <T>(p: fc.Arbitrary<T>) => fc.array(p, { minLength: 1, maxLength: 3 });

const absurdDouble = fc.oneof(fc.constantFrom(-1, -1e308, 1e308, 5e-324, -0, 0, NaN, Infinity, -Infinity), fc.integer({ min: -1000, max: 1000 }), fc.double());
/** What an SDK integer instrument can hold (a fraction would make the JSON `asInt` refuse the whole body). */
const absurdInteger = fc.oneof(fc.constantFrom(-1, 0, 2 ** 53 + 2, -(2 ** 53), INT_MARKER), fc.integer({ min: -1000, max: 1000 }));

/** A number metric's descriptor and points, integer or double. */
function numberParts(name: fc.Arbitrary<string>) {
  return fc.boolean().chain((isInt) =>
    fc.record({
      descriptor: descriptor(name, fc.constant(isInt ? ValueType.INT : ValueType.DOUBLE)),
      dataPoints: points(point(isInt ? absurdInteger : absurdDouble)),
    }),
  );
}

function point<T>(v: fc.Arbitrary<T>, attrs: fc.Arbitrary<Attributes> = attributes) {
  return fc.record({ attributes: attrs, startTime: time, endTime: time, value: v });
}

/** A metric name per kind (so kinds rarely conflict), plus names that sanitise alike and invalid ones. */
function nameFor(...names: string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom("", "9fz", "fz_ü", `fz_${INVALID_UTF8_MARKER}`, "x".repeat(300)) });
}

function descriptor(name: fc.Arbitrary<string>, valueType: fc.Arbitrary<ValueType> = fc.constant(ValueType.DOUBLE)) {
  return fc.record({
    name,
    description: fc.constantFrom("", INVALID_UTF8_MARKER, "d\ud800"),
    unit: fc.constantFrom("", "ms", "{x}", INVALID_UTF8_MARKER),
    valueType,
  });
}

const sumMetric: fc.Arbitrary<MetricData> = fc.boolean().chain((isMonotonic) =>
  fc
    .tuple(numberParts(isMonotonic ? nameFor("fz_requests", "fz.requests") : nameFor("fz_inflight", "fz.inflight")), temporality)
    .map(([parts, aggregationTemporality]) => ({ ...parts, aggregationTemporality, dataPointType: DataPointType.SUM as const, isMonotonic })),
);

const gaugeMetric: fc.Arbitrary<MetricData> = fc
  .tuple(numberParts(nameFor("fz_level", "fz.level")), temporality)
  .map(([parts, aggregationTemporality]) => ({ ...parts, aggregationTemporality, dataPointType: DataPointType.GAUGE as const }));

const count = fc.oneof(fc.constantFrom(0, 1, COUNT_MARKER, 2 ** 53), fc.nat(10));
const optionalDouble = fc.option(fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -0), fc.double()), { nil: undefined });

const smallHistogram = fc
  .uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 })
  .chain((bounds) => {
    const boundaries = [...bounds].sort((a, b) => a - b);
    const counts = fc.array(fc.nat(3), { minLength: boundaries.length, maxLength: boundaries.length + 2 });
    return fc.record({
      buckets: fc.record({ boundaries: fc.constant(boundaries), counts }),
      consistent: fc.boolean(),
      count,
      sum: optionalDouble,
      min: optionalDouble,
      max: optionalDouble,
    });
  })
  .map(({ consistent, ...h }) => (consistent ? { ...h, count: h.buckets.counts.reduce((a, b) => a + b, 0) } : h));

/** Thousands of boundaries: one series without attributes, so the scrape holds at most one such family. */
const wideHistogram = fc.integer({ min: 1000, max: 10_000 }).map((n) => ({
  buckets: { boundaries: Array.from({ length: n }, (_, i) => i), counts: new Array<number>(n + 1).fill(1) },
  count: n + 1,
  sum: n,
  min: undefined,
  max: undefined,
}));

const histogramMetric: fc.Arbitrary<MetricData> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      descriptor: descriptor(nameFor("fz_latency", "fz.latency")),
      aggregationTemporality: temporality,
      dataPointType: fc.constant(DataPointType.HISTOGRAM as const),
      dataPoints: points(point(smallHistogram)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      descriptor: descriptor(fc.constant("fz_wide")),
      aggregationTemporality: temporality,
      dataPointType: fc.constant(DataPointType.HISTOGRAM as const),
      dataPoints: fc.tuple(point(wideHistogram, fc.constant({}))),
    }),
  },
);

/** Offsets at the ends of int32 and of the bucket index range at scales 0, 20 and -10. */
const offset = fc.oneof(
  fc.constantFrom(2 ** 31 - 3, 2 ** 31 - 1, -(2 ** 31), 1_071_644_672, -1_071_644_673, 1_073_741_823, -1_073_741_824, 1023, -1024, -1, 0),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
const bucketCounts = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.nat(3), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 100_000 }).map((n) => new Array<number>(n).fill(1)) },
);
const exponentialValue = fc.oneof(
  {
    weight: 1,
    // The point: three buckets from offset 2^31-3 at scale 0 reach past int32.
    arbitrary: fc.constant(null).map(() => ({ count: 3, sum: 3, scale: 0, zeroCount: 0, positive: { offset: 2 ** 31 - 3, bucketCounts: [1, 1, 1] }, negative: { offset: 0, bucketCounts: [] as number[] }, min: undefined, max: undefined })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({
        scale: fc.constantFrom(0, -10, 20, -1, 19, 8),
        zeroCount: fc.nat(2),
        positive: fc.record({ offset, bucketCounts }),
        negative: fc.record({ offset, bucketCounts }),
        consistent: fc.boolean(),
        count,
        sum: optionalDouble,
        min: optionalDouble,
        max: optionalDouble,
      })
      .map(({ consistent, ...h }) => {
        const total = h.zeroCount + h.positive.bucketCounts.reduce((a, b) => a + b, 0) + h.negative.bucketCounts.reduce((a, b) => a + b, 0);
        return consistent ? { ...h, count: total } : h;
      }),
  },
);

const exponentialMetric: fc.Arbitrary<MetricData> = fc.record({
  descriptor: descriptor(nameFor("fz_size", "fz-size")),
  aggregationTemporality: temporality,
  dataPointType: fc.constant(DataPointType.EXPONENTIAL_HISTOGRAM as const),
  dataPoints: points(point(exponentialValue)),
});

export const absurdRequest: fc.Arbitrary<AbsurdRequest> = fc.record({
  resourceMetrics: fc.record({
    resource: attributes.map((a) => resourceFromAttributes(a)),
    scopeMetrics: fc.array(
      fc.record({
        scope: fc.record({ name: fc.constantFrom("fuzz", "", INVALID_UTF8_MARKER, "otel_scope_name"), version: fc.constantFrom(undefined, "", "\ud800") }),
        metrics: fc.array(fc.oneof(sumMetric, gaugeMetric, histogramMetric, exponentialMetric), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  // Mostly the marker itself: invalid UTF-8 anywhere refuses a whole JSON body, which would hide the rest.
  utf8Bytes: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null).map(() => Uint8Array.from(MARKER_BYTES)) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8).map((b) => Uint8Array.from(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6 }) },
  ),
  countJson: fc.constantFrom('"18446744073709551615"', "18446744073709551615", '"18446744073709551616"', "18446744073709551616", "1e30", '"-1"'),
  intJson: fc.constantFrom('"9223372036854775807"', '"-9223372036854775808"', '"9223372036854775808"', "9223372036854775808", '"-9223372036854775809"', "-9223372036854775809", "1e19", '"18446744073709551616"'),
  intProto: fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), -1n, 0n),
});

/** The request as the SDK's protobuf or JSON serializer writes it, markers substituted. */
export function serializeAbsurd(r: AbsurdRequest, format: "proto" | "json"): Uint8Array {
  if (format === "json") {
    const text = Buffer.from(JsonMetricsSerializer.serializeRequest(r.resourceMetrics) ?? new Uint8Array())
      .toString("utf8")
      .replaceAll(`"count":${COUNT_MARKER}`, `"count":${r.countJson}`)
      .replaceAll(`"asInt":${INT_MARKER}`, `"asInt":${r.intJson}`);
    return replaceAll(Buffer.from(text, "utf8"), MARKER_BYTES, r.utf8Bytes);
  }
  let bytes: Buffer = Buffer.from(ProtobufMetricsSerializer.serializeRequest(r.resourceMetrics) ?? new Uint8Array());
  bytes = replaceAll(bytes, tagged(COUNT_TAG, BigInt(COUNT_MARKER)), tagged(COUNT_TAG, 2n ** 64n - 1n));
  bytes = replaceAll(bytes, tagged(AS_INT_TAG, BigInt(INT_MARKER)), tagged(AS_INT_TAG, r.intProto));
  return replaceAll(bytes, MARKER_BYTES, r.utf8Bytes);
}

/** A tag byte and a little-endian 64-bit value. */
function tagged(tag: number, v: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = tag;
  b.writeBigUInt64LE(BigInt.asUintN(64, v), 1);
  return b;
}

/** `bytes` with every `from` replaced by `to` (same length, so protobuf lengths stay right). */
function replaceAll(bytes: Uint8Array, from: Uint8Array, to: Uint8Array): Buffer {
  if (from.length !== to.length) throw new Error("replacement must keep the length");
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + from.length)) out.set(to, at);
  return out;
}
