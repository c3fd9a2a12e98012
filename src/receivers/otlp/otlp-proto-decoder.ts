/**
 * Hand-written decoder for `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`,
 * straight from the wire bytes into a DecodedBatch: no generic message objects in between.
 *
 * Hot-path choices:
 * - attribute sets are interned by their raw bytes (hash + byte compare, see AttributeInterner), so a
 *   known set costs one hash over its bytes and no string decoding;
 * - explicit bucket boundaries are interned the same way (one frozen array per layout);
 * - all cursor state lives on the decoder instance, reused across requests (a decoder is not
 *   re-entrant, which is fine: decoding is synchronous).
 *
 * Every read is bounded by the end of its enclosing message, so malformed input (truncated varint,
 * length past the end, wrong wire type) throws an OtlpDecodeError naming what and the byte offset.
 *
 * Field numbers follow opentelemetry-proto (metrics.proto, common.proto, resource.proto,
 * metrics_service.proto).
 */
import type {
  DecodedBatch,
  DecodedExponentialPoint,
  DecodedHistogramPoint,
  DecodedMetric,
  DecodedNumberPoint,
  DecodedResource,
  DecodedScope,
  DecodedSummaryPoint,
  DecodedTemporality,
} from "../../pipeline/types.ts";
import { AttributeInterner, EMPTY_ATTRIBUTE_SET, hashView, sameBytes } from "./attribute-interner.ts";
import type { AttributeSet } from "./attribute-interner.ts";
import { isUtf8 } from "node:buffer";
import { AttributeSetBuilder } from "./attributes-key.ts";
import { OtlpDecodeError } from "./errors.ts";

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_SGROUP = 3;
const WIRE_EGROUP = 4;
const WIRE_I32 = 5;
const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit", "invalid(6)", "invalid(7)"];

const TWO_POW_32 = 4294967296;
/** fixed64 nanoseconds -> epoch ms: hi * 2^32 / 1e6 + lo / 1e6, folded into one division. */
const NANOS_PER_MS = 1e6;
/** AnyValue arrays/kvlists may nest; deeper input is refused rather than risking the stack. */
const MAX_ANY_VALUE_DEPTH = 32;
/** Legacy protobuf groups may nest too; same reason. */
const MAX_GROUP_DEPTH = 32;
/** Strings up to this many bytes try the JS ASCII path first. */
const SHORT_STRING_BYTES = 32;
/** Distinct explicit-bounds layouts remembered before the cache is cleared. */
const BOUNDS_CACHE_CAPACITY = 1024;

const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const EMPTY_NUMBERS: readonly number[] = Object.freeze([]);
const EMPTY_BUCKETS: DecodedExponentialPoint["positive"] = Object.freeze({ offset: 0, counts: EMPTY_NUMBERS });

const TEMPORALITIES: readonly DecodedTemporality[] = ["unspecified", "delta", "cumulative"];


type AnyJs = string | number | boolean | null | AnyJs[] | { [key: string]: AnyJs };

interface BoundsEntry {
  readonly bytes: DataView;
  readonly bounds: readonly number[];
  readonly next: BoundsEntry | undefined;
}

/** Data kinds as their Metric field numbers. */
const KIND_NONE = 0;
const KIND_GAUGE = 5;
const KIND_SUM = 7;
const KIND_HISTOGRAM = 9;
const KIND_EXPONENTIAL = 10;
const KIND_SUMMARY = 11;

export interface OtlpProtoDecoderOptions {
  /** Shared with the receiver's other decoders so every encoding yields the same objects. */
  readonly interner?: AttributeInterner;
}

export class OtlpProtoDecoder {
  readonly interner: AttributeInterner;
  readonly #builder = new AttributeSetBuilder();
  #buf: Uint8Array = EMPTY_BYTES;
  #text: Buffer = EMPTY_BUFFER;
  #view: DataView = EMPTY_VIEW;
  #pos = 0;
  #rejected = 0;
  #rejectionMessage = "";
  /** Byte offset of the first string since the last reset that is not valid UTF-8; -1 for none. */
  #badUtf8At = -1;
  /** Set by `#checkedString`. */
  #lastStringBad = false;
  /** Why the last `#attributeSet` returned null. */
  #attributeProblem = "";
  // Scratch state of the data message being decoded.
  #temporality = 0;
  #monotonic = false;
  #scopeName = "";
  #scopeVersion = "";
  #boundsCache = new Map<number, BoundsEntry>();
  #boundsCacheSize = 0;
  #lastBounds: BoundsEntry | undefined;
  readonly #boundsScratch: number[] = [];
  /** The last timestamp converted (fixed64 halves and epoch ms); 0 converts to 0. */
  #lastTimeLo = 0;
  #lastTimeHi = 0;
  #lastTimeMs = 0;

  constructor(options: OtlpProtoDecoderOptions = {}) {
    this.interner = options.interner ?? new AttributeInterner();
  }

  /** Decodes one request. Throws OtlpDecodeError for malformed input. */
  decode(input: Uint8Array): DecodedBatch {
    this.#buf = input;
    this.#text = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.#view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.#pos = 0;
    this.#rejected = 0;
    this.#rejectionMessage = "";
    this.#badUtf8At = -1;
    try {
      const end = input.length;
      const resources: DecodedResource[] = [];
      while (this.#pos < end) {
        const tagPos = this.#pos;
        const tag = this.#tag(end);
        if (tag >>> 3 === 1) {
          this.#expectWire(tag, WIRE_LEN, tagPos, "ExportMetricsServiceRequest.resource_metrics");
          resources.push(this.#resourceMetrics(this.#lenEnd(end)));
        } else {
          this.#skip(tag, tagPos, end, 0);
        }
      }
      return { resources, rejectedPoints: this.#rejected, rejectionMessage: this.#rejectionMessage };
    } finally {
      // Do not keep the request alive through the reused decoder.
      this.#buf = EMPTY_BYTES;
      this.#text = EMPTY_BUFFER;
      this.#view = EMPTY_VIEW;
    }
  }

  // ---- messages ---------------------------------------------------------------------------------

  #resourceMetrics(end: number): DecodedResource {
    const resourcePos = this.#pos;
    let set: AttributeSet | null = EMPTY_ATTRIBUTE_SET;
    const scopes: DecodedScope[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ResourceMetrics.resource");
          set = this.#resource(this.#lenEnd(end));
          break;
        case 2:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ResourceMetrics.scope_metrics");
          scopes.push(this.#scopeMetrics(this.#lenEnd(end)));
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    if (set === null) {
      // The resource is the identity of every point under it: none of them can be recorded.
      const n = countScopePoints(scopes);
      if (n > 0) this.#reject(n, `resource at byte ${resourcePos}: ${this.#attributeProblem}; its ${n} point(s) refused`);
      return { attributes: EMPTY_ATTRIBUTE_SET.attributes, attributesKey: EMPTY_ATTRIBUTE_SET.key, scopes: [] };
    }
    return { attributes: set.attributes, attributesKey: set.key, scopes };
  }

  #resource(end: number): AttributeSet | null {
    let attrStart = -1;
    let attrEnd = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      if (tag >>> 3 === 1) {
        this.#expectWire(tag, WIRE_LEN, tagPos, "Resource.attributes");
        if (attrStart < 0) attrStart = tagPos;
        this.#pos = this.#lenEnd(end);
        attrEnd = this.#pos;
      } else {
        this.#skip(tag, tagPos, end, 0);
      }
    }
    return this.#attributeSet(attrStart, attrEnd, 1);
  }

  #scopeMetrics(end: number): DecodedScope {
    const scopePos = this.#pos;
    let name = "";
    let version = "";
    let badScope = false;
    const metrics: DecodedMetric[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ScopeMetrics.scope");
          this.#badUtf8At = -1;
          this.#scope(this.#lenEnd(end));
          badScope = this.#badUtf8At >= 0;
          name = this.#scopeName;
          version = this.#scopeVersion;
          break;
        case 2: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "ScopeMetrics.metrics");
          const metric = this.#metric(this.#lenEnd(end));
          if (metric !== undefined) metrics.push(metric);
          break;
        }
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    if (badScope) {
      const n = countMetricPoints(metrics);
      if (n > 0) this.#reject(n, `scope at byte ${scopePos}: name or version is not valid UTF-8; its ${n} point(s) refused`);
      return { name: "", version: "", metrics: [] };
    }
    return { name, version, metrics };
  }

  #scope(end: number): void {
    this.#scopeName = "";
    this.#scopeVersion = "";
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "InstrumentationScope.name");
          this.#scopeName = this.#string(end);
          break;
        case 2:
          this.#expectWire(tag, WIRE_LEN, tagPos, "InstrumentationScope.version");
          this.#scopeVersion = this.#string(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
  }

  #metric(end: number): DecodedMetric | undefined {
    const metricPos = this.#pos;
    let badText = -1;
    let name = "";
    let description = "";
    let unit = "";
    let kind = KIND_NONE;
    let temporality = 0;
    let monotonic = false;
    let numberPoints: DecodedNumberPoint[] | undefined;
    let histogramPoints: DecodedHistogramPoint[] | undefined;
    let exponentialPoints: DecodedExponentialPoint[] | undefined;
    let summaryPoints: DecodedSummaryPoint[] | undefined;
    let unknownField = 0;
    let unknownStart = -1;
    let unknownEnd = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      const field = tag >>> 3;
      switch (field) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.name");
          name = this.#checkedString(end);
          if (this.#lastStringBad) badText = tagPos;
          break;
        case 2:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.description");
          description = this.#checkedString(end);
          if (this.#lastStringBad) badText = tagPos;
          break;
        case 3:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.unit");
          unit = this.#checkedString(end);
          if (this.#lastStringBad) badText = tagPos;
          break;
        case KIND_GAUGE:
        case KIND_SUM:
          this.#expectWire(tag, WIRE_LEN, tagPos, field === KIND_SUM ? "Metric.sum" : "Metric.gauge");
          numberPoints = this.#numberData(this.#lenEnd(end));
          kind = field;
          temporality = this.#temporality;
          monotonic = this.#monotonic;
          break;
        case KIND_HISTOGRAM:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.histogram");
          histogramPoints = this.#histogramData(this.#lenEnd(end));
          kind = field;
          temporality = this.#temporality;
          break;
        case KIND_EXPONENTIAL:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.exponential_histogram");
          exponentialPoints = this.#exponentialData(this.#lenEnd(end));
          kind = field;
          temporality = this.#temporality;
          break;
        case KIND_SUMMARY:
          this.#expectWire(tag, WIRE_LEN, tagPos, "Metric.summary");
          summaryPoints = this.#summaryData(this.#lenEnd(end));
          kind = field;
          break;
        case 12: // metadata: not part of the decoded shape
          this.#skip(tag, tagPos, end, 0);
          break;
        default:
          // Retired int_gauge (4) / int_sum (6) / int_histogram (8) and data types newer than this
          // decoder: remembered so their points can be counted as refused if nothing known follows.
          if ((tag & 7) === WIRE_LEN) {
            unknownField = field;
            unknownStart = this.#pos;
            this.#skip(tag, tagPos, end, 0);
            unknownEnd = this.#pos;
          } else {
            this.#skip(tag, tagPos, end, 0);
          }
      }
    }
    if (badText >= 0) {
      const n = (numberPoints ?? histogramPoints ?? exponentialPoints ?? summaryPoints ?? []).length;
      if (n > 0) this.#reject(n, `metric at byte ${metricPos}: the string at byte ${badText} is not valid UTF-8; its ${n} point(s) refused`);
      return undefined;
    }
    const temporalityName = TEMPORALITIES[temporality] ?? "unspecified";
    switch (kind) {
      case KIND_GAUGE:
      case KIND_SUM: {
        const points = numberPoints ?? [];
        if (name === "") return this.#refuseUnnamed(points.length, kind, metricPos);
        return kind === KIND_SUM
          ? { type: "sum", name, description, unit, temporality: temporalityName, monotonic, points }
          : { type: "gauge", name, description, unit, points };
      }
      case KIND_HISTOGRAM: {
        const points = histogramPoints ?? [];
        if (name === "") return this.#refuseUnnamed(points.length, kind, metricPos);
        return { type: "histogram", name, description, unit, temporality: temporalityName, points };
      }
      case KIND_EXPONENTIAL: {
        const points = exponentialPoints ?? [];
        if (name === "") return this.#refuseUnnamed(points.length, kind, metricPos);
        return { type: "exponential_histogram", name, description, unit, temporality: temporalityName, points };
      }
      case KIND_SUMMARY: {
        const points = summaryPoints ?? [];
        if (name === "") return this.#refuseUnnamed(points.length, kind, metricPos);
        return { type: "summary", name, description, unit, points };
      }
      default:
        if (unknownStart >= 0) {
          const n = this.#countDataPoints(unknownStart, unknownEnd);
          this.#reject(
            n,
            `metric "${name}" at byte ${metricPos} has an unsupported data type (Metric field ${unknownField}); ${n} point(s) refused`,
          );
        }
        return undefined;
    }
  }

  #refuseUnnamed(points: number, kind: number, metricPos: number): undefined {
    const type =
      kind === KIND_GAUGE ? "gauge" : kind === KIND_SUM ? "sum" : kind === KIND_HISTOGRAM ? "histogram" : kind === KIND_EXPONENTIAL ? "exponential_histogram" : "summary";
    this.#reject(points, `metric at byte ${metricPos} has an empty name; its ${points} ${type} point(s) refused`);
    return undefined;
  }

  /**
   * Counts field-1 entries (data_points in every OTLP data type) of an unknown data message whose
   * length prefix starts at `lenPos`; at least 1, since something was refused.
   */
  #countDataPoints(lenPos: number, end: number): number {
    const saved = this.#pos;
    let n = 0;
    try {
      this.#pos = lenPos;
      const inner = this.#lenEnd(end);
      while (this.#pos < inner) {
        const tagPos = this.#pos;
        const tag = this.#tag(inner);
        if (tag >>> 3 === 1) n++;
        this.#skip(tag, tagPos, inner, 0);
      }
    } catch {
      // Not a message we understand: the count so far stands.
    } finally {
      this.#pos = saved;
    }
    return Math.max(n, 1);
  }

  /** Gauge and Sum: data_points = 1, aggregation_temporality = 2, is_monotonic = 3. */
  #numberData(end: number): DecodedNumberPoint[] {
    this.#temporality = 0;
    this.#monotonic = false;
    const points: DecodedNumberPoint[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "Sum/Gauge.data_points");
          const p = this.#numberPoint(this.#lenEnd(end), tagPos);
          if (p !== undefined) points.push(p);
          break;
        }
        case 2:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "Sum.aggregation_temporality");
          this.#temporality = this.#varint32(end);
          break;
        case 3:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "Sum.is_monotonic");
          this.#monotonic = this.#varint32(end) !== 0;
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    return points;
  }

  #numberPoint(end: number, pointPos: number): DecodedNumberPoint | undefined {
    let startTimeMs = 0;
    let timeMs = 0;
    let value = 0;
    let hasValue = false;
    let attrStart = -1;
    let attrEnd = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 7:
          this.#expectWire(tag, WIRE_LEN, tagPos, "NumberDataPoint.attributes");
          if (attrStart < 0) attrStart = tagPos;
          this.#pos = this.#lenEnd(end);
          attrEnd = this.#pos;
          break;
        case 2:
          this.#expectWire(tag, WIRE_I64, tagPos, "NumberDataPoint.start_time_unix_nano");
          startTimeMs = this.#timestampMs(end);
          break;
        case 3:
          this.#expectWire(tag, WIRE_I64, tagPos, "NumberDataPoint.time_unix_nano");
          timeMs = this.#timestampMs(end);
          break;
        case 4:
          this.#expectWire(tag, WIRE_I64, tagPos, "NumberDataPoint.as_double");
          value = this.#double(end);
          hasValue = true;
          break;
        case 6:
          this.#expectWire(tag, WIRE_I64, tagPos, "NumberDataPoint.as_int");
          value = this.#sfixed64(end);
          hasValue = true;
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    if (!hasValue) {
      this.#reject(1, `number data point at byte ${pointPos} has neither as_double nor as_int`);
      return undefined;
    }
    const set = this.#attributeSet(attrStart, attrEnd, 7);
    if (set === null) return this.#refusePoint("number", pointPos);
    return { attributes: set.attributes, attributesKey: set.key, startTimeMs, timeMs, value };
  }

  /** Histogram: data_points = 1, aggregation_temporality = 2. */
  #histogramData(end: number): DecodedHistogramPoint[] {
    this.#temporality = 0;
    const points: DecodedHistogramPoint[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "Histogram.data_points");
          const p = this.#histogramPoint(this.#lenEnd(end), tagPos);
          if (p !== undefined) points.push(p);
          break;
        }
        case 2:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "Histogram.aggregation_temporality");
          this.#temporality = this.#varint32(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    return points;
  }

  #histogramPoint(end: number, pointPos: number): DecodedHistogramPoint | undefined {
    let startTimeMs = 0;
    let timeMs = 0;
    let count = 0;
    let sum = NaN;
    let min = NaN;
    let max = NaN;
    let attrStart = -1;
    let attrEnd = -1;
    let bucketCounts: number[] | undefined;
    // Bounds usually arrive as one packed field: remember its byte range and intern by bytes; any
    // other shape (unpacked or split) is collected in the scratch array.
    let boundsSeen = false;
    let boundsMixed = false;
    let boundsStart = 0;
    let boundsEnd = 0;
    const scratch = this.#boundsScratch;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 9:
          this.#expectWire(tag, WIRE_LEN, tagPos, "HistogramDataPoint.attributes");
          if (attrStart < 0) attrStart = tagPos;
          this.#pos = this.#lenEnd(end);
          attrEnd = this.#pos;
          break;
        case 2:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.start_time_unix_nano");
          startTimeMs = this.#timestampMs(end);
          break;
        case 3:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.time_unix_nano");
          timeMs = this.#timestampMs(end);
          break;
        case 4:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.count");
          count = this.#fixed64(end);
          break;
        case 5:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.sum");
          sum = this.#double(end);
          break;
        case 6:
          if (bucketCounts === undefined) bucketCounts = [];
          if ((tag & 7) === WIRE_LEN) {
            const e = this.#packedEnd(end, 8, tagPos, "HistogramDataPoint.bucket_counts");
            // #packedEnd checked the length: read the fixed64 counts in one tight loop.
            const view = this.#view;
            for (let q = this.#pos; q < e; q += 8) bucketCounts.push(view.getUint32(q + 4, true) * TWO_POW_32 + view.getUint32(q, true));
            this.#pos = e;
          } else {
            this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.bucket_counts");
            bucketCounts.push(this.#fixed64(end));
          }
          break;
        case 7:
          if ((tag & 7) === WIRE_LEN) {
            const e = this.#packedEnd(end, 8, tagPos, "HistogramDataPoint.explicit_bounds");
            if (!boundsSeen) {
              boundsSeen = true;
              boundsStart = this.#pos;
              boundsEnd = e;
              this.#pos = e;
            } else {
              if (!boundsMixed) {
                boundsMixed = true;
                scratch.length = 0;
                this.#readDoublesInto(boundsStart, boundsEnd, scratch);
              }
              this.#readDoublesInto(this.#pos, e, scratch);
              this.#pos = e;
            }
          } else {
            this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.explicit_bounds");
            if (!boundsMixed) {
              boundsMixed = true;
              scratch.length = 0;
              if (boundsSeen) this.#readDoublesInto(boundsStart, boundsEnd, scratch);
            }
            boundsSeen = true;
            scratch.push(this.#double(end));
          }
          break;
        case 11:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.min");
          min = this.#double(end);
          break;
        case 12:
          this.#expectWire(tag, WIRE_I64, tagPos, "HistogramDataPoint.max");
          max = this.#double(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    let boundaries: readonly number[] = EMPTY_NUMBERS;
    if (bucketCounts !== undefined && bucketCounts.length > 0) {
      if (boundsMixed) boundaries = Object.freeze(scratch.slice());
      else if (boundsSeen) boundaries = this.#internBounds(boundsStart, boundsEnd);
      if (bucketCounts.length !== boundaries.length + 1) {
        this.#reject(
          1,
          `histogram data point at byte ${pointPos} has ${bucketCounts.length} bucket counts for ${boundaries.length} explicit bounds (want ${boundaries.length + 1})`,
        );
        return undefined;
      }
    }
    // Bounds without counts describe no distribution: the point is count + sum only.
    const set = this.#attributeSet(attrStart, attrEnd, 9);
    if (set === null) return this.#refusePoint("histogram", pointPos);
    return {
      attributes: set.attributes,
      attributesKey: set.key,
      startTimeMs,
      timeMs,
      count,
      sum,
      min,
      max,
      boundaries,
      // OTLP allows a histogram with neither buckets nor bounds: its count is one +Inf bucket.
      bucketCounts: bucketCounts !== undefined && bucketCounts.length > 0 ? bucketCounts : [count],
    };
  }

  /** ExponentialHistogram: data_points = 1, aggregation_temporality = 2. */
  #exponentialData(end: number): DecodedExponentialPoint[] {
    this.#temporality = 0;
    const points: DecodedExponentialPoint[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ExponentialHistogram.data_points");
          const p = this.#exponentialPoint(this.#lenEnd(end), tagPos);
          if (p !== undefined) points.push(p);
          break;
        case 2:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "ExponentialHistogram.aggregation_temporality");
          this.#temporality = this.#varint32(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    return points;
  }

  #exponentialPoint(end: number, pointPos: number): DecodedExponentialPoint | undefined {
    let startTimeMs = 0;
    let timeMs = 0;
    let count = 0;
    let sum = NaN;
    let min = NaN;
    let max = NaN;
    let scale = 0;
    let zeroCount = 0;
    let positive = EMPTY_BUCKETS;
    let negative = EMPTY_BUCKETS;
    let attrStart = -1;
    let attrEnd = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ExponentialHistogramDataPoint.attributes");
          if (attrStart < 0) attrStart = tagPos;
          this.#pos = this.#lenEnd(end);
          attrEnd = this.#pos;
          break;
        case 2:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.start_time_unix_nano");
          startTimeMs = this.#timestampMs(end);
          break;
        case 3:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.time_unix_nano");
          timeMs = this.#timestampMs(end);
          break;
        case 4:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.count");
          count = this.#fixed64(end);
          break;
        case 5:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.sum");
          sum = this.#double(end);
          break;
        case 6:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "ExponentialHistogramDataPoint.scale");
          scale = this.#sint32(end);
          break;
        case 7:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.zero_count");
          zeroCount = this.#fixed64(end);
          break;
        case 8:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ExponentialHistogramDataPoint.positive");
          positive = this.#buckets(this.#lenEnd(end));
          break;
        case 9:
          this.#expectWire(tag, WIRE_LEN, tagPos, "ExponentialHistogramDataPoint.negative");
          negative = this.#buckets(this.#lenEnd(end));
          break;
        case 12:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.min");
          min = this.#double(end);
          break;
        case 13:
          this.#expectWire(tag, WIRE_I64, tagPos, "ExponentialHistogramDataPoint.max");
          max = this.#double(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    const set = this.#attributeSet(attrStart, attrEnd, 1);
    if (set === null) return this.#refusePoint("exponential histogram", pointPos);
    return {
      attributes: set.attributes,
      attributesKey: set.key,
      startTimeMs,
      timeMs,
      count,
      sum,
      min,
      max,
      scale,
      zeroCount,
      positive,
      negative,
    };
  }

  /** ExponentialHistogramDataPoint.Buckets: offset = 1 (sint32), bucket_counts = 2 (uint64). */
  #buckets(end: number): DecodedExponentialPoint["positive"] {
    let offset = 0;
    let counts: number[] | undefined;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "Buckets.offset");
          offset = this.#sint32(end);
          break;
        case 2:
          if (counts === undefined) counts = [];
          if ((tag & 7) === WIRE_LEN) {
            const e = this.#lenEnd(end);
            while (this.#pos < e) counts.push(this.#uint64(e));
          } else {
            this.#expectWire(tag, WIRE_VARINT, tagPos, "Buckets.bucket_counts");
            counts.push(this.#uint64(end));
          }
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    if (offset === 0 && counts === undefined) return EMPTY_BUCKETS;
    return { offset, counts: counts ?? [] };
  }

  /** Summary: data_points = 1. */
  #summaryData(end: number): DecodedSummaryPoint[] {
    const points: DecodedSummaryPoint[] = [];
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      if (tag >>> 3 === 1) {
        this.#expectWire(tag, WIRE_LEN, tagPos, "Summary.data_points");
        const p = this.#summaryPoint(this.#lenEnd(end), tagPos);
        if (p !== undefined) points.push(p);
      } else {
        this.#skip(tag, tagPos, end, 0);
      }
    }
    return points;
  }

  #summaryPoint(end: number, pointPos: number): DecodedSummaryPoint | undefined {
    let startTimeMs = 0;
    let timeMs = 0;
    let count = 0;
    let sum = 0;
    let attrStart = -1;
    let attrEnd = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 7:
          this.#expectWire(tag, WIRE_LEN, tagPos, "SummaryDataPoint.attributes");
          if (attrStart < 0) attrStart = tagPos;
          this.#pos = this.#lenEnd(end);
          attrEnd = this.#pos;
          break;
        case 2:
          this.#expectWire(tag, WIRE_I64, tagPos, "SummaryDataPoint.start_time_unix_nano");
          startTimeMs = this.#timestampMs(end);
          break;
        case 3:
          this.#expectWire(tag, WIRE_I64, tagPos, "SummaryDataPoint.time_unix_nano");
          timeMs = this.#timestampMs(end);
          break;
        case 4:
          this.#expectWire(tag, WIRE_I64, tagPos, "SummaryDataPoint.count");
          count = this.#fixed64(end);
          break;
        case 5:
          this.#expectWire(tag, WIRE_I64, tagPos, "SummaryDataPoint.sum");
          sum = this.#double(end);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    const set = this.#attributeSet(attrStart, attrEnd, 7);
    if (set === null) return this.#refusePoint("summary", pointPos);
    return { attributes: set.attributes, attributesKey: set.key, startTimeMs, timeMs, count, sum };
  }

  // ---- attributes -------------------------------------------------------------------------------

  /**
   * The interned set for the attribute fields spanning [start, end) (from the first attribute tag to
   * the end of the last attribute value). Other fields interleaved in that range are part of the
   * bytes compared, which only lowers the hit rate, and are skipped when the set is built.
   */
  #attributeSet(start: number, end: number, field: number): AttributeSet | null {
    if (start < 0) return EMPTY_ATTRIBUTE_SET;
    const buf = this.#buf;
    const interner = this.interner;
    const hit = interner.lookupSequential(this.#view, start, end);
    if (hit !== undefined) return hit;
    const saved = this.#pos;
    const builder = this.#builder;
    builder.reset();
    this.#pos = start;
    this.#badUtf8At = -1;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      if (tag >>> 3 === field) {
        this.#keyValueInto(this.#lenEnd(end), builder);
      } else {
        this.#skip(tag, tagPos, end, 0);
      }
    }
    this.#pos = saved;
    // Refused sets are not cached: they are rare, and a cache entry would outlive the request.
    if (this.#badUtf8At >= 0) {
      this.#attributeProblem = `the attribute string at byte ${this.#badUtf8At} is not valid UTF-8`;
      return null;
    }
    if (builder.problem !== "") {
      this.#attributeProblem = builder.problem;
      return null;
    }
    const key = builder.key();
    if (builder.truncated > 0) interner.countTruncated(builder.truncated);
    const set = interner.getKey(key) ?? interner.internKey(key, builder.build());
    interner.storeBytes(buf, start, end, hashView(this.#view, start, end), set);
    return set;
  }

  /** KeyValue: key = 1, value = 2. Values without a known AnyValue field are dropped. */
  #keyValueInto(end: number, builder: AttributeSetBuilder): void {
    let key = "";
    let value: AnyJs | undefined;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "KeyValue.key");
          key = this.#string(end);
          break;
        case 2:
          this.#expectWire(tag, WIRE_LEN, tagPos, "KeyValue.value");
          value = this.#anyValue(this.#lenEnd(end), 0);
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    if (value === undefined || value === null) return;
    if (typeof value === "object") builder.add(key, JSON.stringify(value));
    else builder.add(key, value);
  }

  /**
   * AnyValue: string = 1, bool = 2, int = 3 (int64), double = 4, array = 5, kvlist = 6, bytes = 7
   * (base64 here). Returns undefined when no known value field is set.
   */
  #anyValue(end: number, depth: number): AnyJs | undefined {
    if (depth > MAX_ANY_VALUE_DEPTH) {
      throw this.#error(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`, this.#pos);
    }
    let value: AnyJs | undefined;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "AnyValue.string_value");
          value = this.#string(end);
          break;
        case 2:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "AnyValue.bool_value");
          value = this.#varint32(end) !== 0;
          break;
        case 3:
          this.#expectWire(tag, WIRE_VARINT, tagPos, "AnyValue.int_value");
          value = this.#int64(end);
          break;
        case 4:
          this.#expectWire(tag, WIRE_I64, tagPos, "AnyValue.double_value");
          value = this.#double(end);
          break;
        case 5: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "AnyValue.array_value");
          const e = this.#lenEnd(end);
          const arr: AnyJs[] = [];
          while (this.#pos < e) {
            const itemPos = this.#pos;
            const itemTag = this.#tag(e);
            if (itemTag >>> 3 === 1) {
              this.#expectWire(itemTag, WIRE_LEN, itemPos, "ArrayValue.values");
              arr.push(this.#anyValue(this.#lenEnd(e), depth + 1) ?? null);
            } else {
              this.#skip(itemTag, itemPos, e, 0);
            }
          }
          value = arr;
          break;
        }
        case 6: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "AnyValue.kvlist_value");
          const e = this.#lenEnd(end);
          const obj: { [key: string]: AnyJs } = {};
          while (this.#pos < e) {
            const itemPos = this.#pos;
            const itemTag = this.#tag(e);
            if (itemTag >>> 3 === 1) {
              this.#expectWire(itemTag, WIRE_LEN, itemPos, "KeyValueList.values");
              this.#nestedKeyValueInto(this.#lenEnd(e), obj, depth + 1);
            } else {
              this.#skip(itemTag, itemPos, e, 0);
            }
          }
          value = obj;
          break;
        }
        case 7: {
          this.#expectWire(tag, WIRE_LEN, tagPos, "AnyValue.bytes_value");
          const e = this.#lenEnd(end);
          value = this.#text.toString("base64", this.#pos, e);
          this.#pos = e;
          break;
        }
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    return value;
  }

  #nestedKeyValueInto(end: number, obj: { [key: string]: AnyJs }, depth: number): void {
    let key = "";
    let value: AnyJs = null;
    while (this.#pos < end) {
      const tagPos = this.#pos;
      const tag = this.#tag(end);
      switch (tag >>> 3) {
        case 1:
          this.#expectWire(tag, WIRE_LEN, tagPos, "KeyValue.key");
          key = this.#string(end);
          break;
        case 2:
          this.#expectWire(tag, WIRE_LEN, tagPos, "KeyValue.value");
          value = this.#anyValue(this.#lenEnd(end), depth) ?? null;
          break;
        default:
          this.#skip(tag, tagPos, end, 0);
      }
    }
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  }

  #internBounds(start: number, end: number): readonly number[] {
    const view = this.#view;
    // Most requests carry one or two layouts: try the last one before hashing.
    const last = this.#lastBounds;
    if (last !== undefined && sameBytes(last.bytes, view, start, end)) return last.bounds;
    const hash = hashView(view, start, end);
    for (let e = this.#boundsCache.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.bytes, view, start, end)) {
        this.#lastBounds = e;
        return e.bounds;
      }
    }
    const arr: number[] = [];
    this.#readDoublesInto(start, end, arr);
    const bounds = Object.freeze(arr);
    if (this.#boundsCacheSize >= BOUNDS_CACHE_CAPACITY) {
      this.#boundsCache = new Map();
      this.#boundsCacheSize = 0;
    }
    // A real copy: Buffer#slice would be a view of the (possibly pooled) request memory.
    const copy = new Uint8Array(end - start);
    copy.set(this.#buf.subarray(start, end));
    const entry: BoundsEntry = {
      bytes: new DataView(copy.buffer, copy.byteOffset, copy.byteLength),
      bounds,
      next: this.#boundsCache.get(hash),
    };
    this.#boundsCache.set(hash, entry);
    this.#boundsCacheSize++;
    this.#lastBounds = entry;
    return bounds;
  }

  #readDoublesInto(start: number, end: number, out: number[]): void {
    const view = this.#view;
    for (let p = start; p < end; p += 8) out.push(view.getFloat64(p, true));
  }

  // ---- primitives -------------------------------------------------------------------------------

  #reject(points: number, message: string): void {
    this.#rejected += points;
    if (this.#rejectionMessage === "") this.#rejectionMessage = message;
  }

  /** Refuses a point whose attribute set was refused (`#attributeProblem` says why). */
  #refusePoint(kind: string, pointPos: number): undefined {
    this.#reject(1, `${kind} data point at byte ${pointPos}: ${this.#attributeProblem}`);
    return undefined;
  }

  #error(message: string, offset: number): OtlpDecodeError {
    return new OtlpDecodeError("protobuf", `invalid OTLP protobuf: ${message} at byte ${offset}`, offset, "");
  }

  #expectWire(tag: number, wire: number, tagPos: number, field: string): void {
    if ((tag & 7) !== wire) {
      throw this.#error(`field ${field} has wire type ${WIRE_NAMES[tag & 7]}, expected ${WIRE_NAMES[wire]}`, tagPos);
    }
  }

  #tag(end: number): number {
    const pos = this.#pos;
    const b = pos < end ? this.#buf[pos] : -1;
    let tag: number;
    if (b >= 0 && b < 0x80) {
      this.#pos = pos + 1;
      tag = b;
    } else {
      tag = this.#uint64(end);
      if (tag > 0xffffffff) throw this.#error(`tag ${tag} out of range`, pos);
    }
    if (tag >>> 3 === 0) throw this.#error("field number 0", pos);
    return tag;
  }

  /** Reads a length prefix and returns the end of the payload, which must lie within `end`. */
  #lenEnd(end: number): number {
    const lenPos = this.#pos;
    const len = this.#uint64(end);
    const e = this.#pos + len;
    if (e > end) {
      throw this.#error(`length ${len} runs past the end of the enclosing message (byte ${end})`, lenPos);
    }
    return e;
  }

  #packedEnd(end: number, width: number, tagPos: number, field: string): number {
    const e = this.#lenEnd(end);
    if ((e - this.#pos) % width !== 0) {
      throw this.#error(`packed ${field} length ${e - this.#pos} is not a multiple of ${width}`, tagPos);
    }
    return e;
  }

  /** `#string` that also says, in `#lastStringBad`, whether its bytes were valid UTF-8. */
  #checkedString(end: number): string {
    const before = this.#badUtf8At;
    this.#badUtf8At = -1;
    const text = this.#string(end);
    this.#lastStringBad = this.#badUtf8At >= 0;
    if (before >= 0) this.#badUtf8At = before;
    return text;
  }

  /**
   * A length-delimited string. Bytes that are not valid UTF-8 (which proto3 `string` fields must
   * be) are noted in `#badUtf8At` for the caller to refuse what they belong to: decoded with
   * replacement characters, two different inputs would become one series.
   */
  #string(end: number): string {
    const e = this.#lenEnd(end);
    const s = this.#pos;
    this.#pos = e;
    if (s === e) return "";
    if (e - s <= SHORT_STRING_BYTES) {
      // Short ASCII strings (attribute keys, values, metric names) are cheaper built in JS than
      // through the native UTF-8 decoder.
      const buf = this.#buf;
      let out = "";
      let i = s;
      for (; i < e; i++) {
        const b = buf[i];
        if (b >= 0x80) break;
        out += String.fromCharCode(b);
      }
      if (i === e) return out;
    }
    const text = this.#text.toString("utf8", s, e);
    // Invalid input always decodes to U+FFFD; only then is the (native) validation worth running.
    if (text.includes("\uFFFD") && !isUtf8(this.#buf.subarray(s, e)) && this.#badUtf8At < 0) this.#badUtf8At = s;
    return text;
  }

  /** Unsigned varint up to 64 bits as a number (exact below 2^53). */
  #uint64(end: number): number {
    const buf = this.#buf;
    let pos = this.#pos;
    const start = pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.#error("truncated varint", start);
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.#pos = pos;
        return result;
      }
      mul *= 128;
    }
    throw this.#error("varint longer than 10 bytes", start);
  }

  /** Varint truncated to its low 32 bits (int32/uint32/enum/bool semantics), as int32. */
  #varint32(end: number): number {
    const buf = this.#buf;
    let pos = this.#pos;
    const start = pos;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.#error("truncated varint", start);
      const b = buf[pos++];
      if (i < 5) result |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        this.#pos = pos;
        return result;
      }
    }
    throw this.#error("varint longer than 10 bytes", start);
  }

  #sint32(end: number): number {
    const n = this.#varint32(end);
    return (n >>> 1) ^ -(n & 1);
  }

  /** Two's-complement int64 varint as a number (exact within +-2^53). */
  #int64(end: number): number {
    const buf = this.#buf;
    let pos = this.#pos;
    const start = pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.#error("truncated varint", start);
      const b = buf[pos++];
      const bits = b & 0x7f;
      if (i < 4) {
        lo |= bits << (7 * i);
      } else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else {
        hi |= bits << (7 * i - 32);
      }
      if (b < 0x80) {
        this.#pos = pos;
        return (hi | 0) * TWO_POW_32 + (lo >>> 0);
      }
    }
    throw this.#error("varint longer than 10 bytes", start);
  }

  #need(bytes: number, end: number, what: string): number {
    const pos = this.#pos;
    if (pos + bytes > end) throw this.#error(`truncated ${what}`, pos);
    this.#pos = pos + bytes;
    return pos;
  }

  #fixed64(end: number): number {
    const p = this.#need(8, end, "fixed64");
    const view = this.#view;
    return view.getUint32(p + 4, true) * TWO_POW_32 + view.getUint32(p, true);
  }

  #sfixed64(end: number): number {
    const p = this.#need(8, end, "sfixed64");
    const view = this.#view;
    return view.getInt32(p + 4, true) * TWO_POW_32 + view.getUint32(p, true);
  }

  #double(end: number): number {
    const p = this.#need(8, end, "double");
    return this.#view.getFloat64(p, true);
  }

  #timestampMs(end: number): number {
    const p = this.#need(8, end, "fixed64");
    const view = this.#view;
    const lo = view.getInt32(p, true);
    const hi = view.getInt32(p + 4, true);
    // Points of one export share their timestamps: skip the conversion when the bytes repeat.
    if (lo === this.#lastTimeLo && hi === this.#lastTimeHi) return this.#lastTimeMs;
    const ms = ((hi >>> 0) * TWO_POW_32 + (lo >>> 0)) / NANOS_PER_MS;
    this.#lastTimeLo = lo;
    this.#lastTimeHi = hi;
    this.#lastTimeMs = ms;
    return ms;
  }

  #skip(tag: number, tagPos: number, end: number, depth: number): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        this.#uint64(end);
        return;
      case WIRE_I64:
        this.#need(8, end, "64-bit field");
        return;
      case WIRE_LEN:
        this.#pos = this.#lenEnd(end);
        return;
      case WIRE_I32:
        this.#need(4, end, "32-bit field");
        return;
      case WIRE_SGROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw this.#error("groups nested too deeply", tagPos);
        const field = tag >>> 3;
        while (this.#pos < end) {
          const innerPos = this.#pos;
          const inner = this.#tag(end);
          if ((inner & 7) === WIRE_EGROUP) {
            if (inner >>> 3 !== field) throw this.#error(`end-group for field ${inner >>> 3} closes group ${field}`, innerPos);
            return;
          }
          this.#skip(inner, innerPos, end, depth + 1);
        }
        throw this.#error(`unterminated group ${field}`, tagPos);
      }
      case WIRE_EGROUP:
        throw this.#error(`unexpected end-group for field ${tag >>> 3}`, tagPos);
      default:
        throw this.#error(`invalid wire type ${tag & 7} for field ${tag >>> 3}`, tagPos);
    }
  }
}

function countMetricPoints(metrics: readonly DecodedMetric[]): number {
  let n = 0;
  for (const m of metrics) n += m.points.length;
  return n;
}

function countScopePoints(scopes: readonly DecodedScope[]): number {
  let n = 0;
  for (const s of scopes) n += countMetricPoints(s.metrics);
  return n;
}
