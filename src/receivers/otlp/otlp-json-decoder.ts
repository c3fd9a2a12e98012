/**
 * OTLP/JSON `ExportMetricsServiceRequest` decoder, per the OTLP specification's JSON mapping (proto3
 * JSON): lowerCamelCase field names and the original snake_case names are both accepted; 64-bit
 * integers as strings or numbers; doubles as numbers or the strings "NaN"/"Infinity"/"-Infinity"
 * (or numeric strings); enums as integers or names; `bytesValue` is base64 and kept as such. `null`
 * means "absent", as in proto3 JSON.
 *
 * The output equals what OtlpProtoDecoder produces for the same request, attribute sets interned by
 * their canonical key in the same AttributeInterner. Wrong shapes throw an OtlpDecodeError naming the
 * JSON path (e.g. `resourceMetrics[0].scopeMetrics[1].metrics[2].sum.dataPoints[0].asDouble`); the path
 * is only assembled when an error is thrown.
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
import { AttributeInterner, EMPTY_ATTRIBUTE_SET } from "./attribute-interner.ts";
import type { AttributeSet } from "./attribute-interner.ts";
import { isUtf8 } from "node:buffer";
import { AttributeSetBuilder } from "./attributes-key.ts";
import { OtlpDecodeError } from "./errors.ts";
import { parseBoundedJson } from "../bounded-json.ts";
import { preview } from "../decoders/decode-error.ts";

type JsonObject = { readonly [key: string]: unknown };
type AnyJs = string | number | boolean | null | AnyJs[] | { [key: string]: AnyJs };

const NANOS_PER_MS = 1e6;
const MAX_ANY_VALUE_DEPTH = 32;
const EMPTY_NUMBERS: readonly number[] = Object.freeze([]);
const EMPTY_BUCKETS: DecodedExponentialPoint["positive"] = Object.freeze({ offset: 0, counts: EMPTY_NUMBERS });
const INTEGER_STRING = /^-?\d+$/;
/** Decimal strings this short (sign included) are below 10^15 < 2^53: Number() is exact for them. */
const EXACT_DECIMAL_CHARS = 15;

/**
 * The range of a protobuf integer type. A JSON value outside it has no protobuf encoding, so the point
 * carrying it is refused, as the protobuf decoder can never be sent one; values inside it but beyond
 * 2^53 become the nearest double, as the protobuf decoder converts them.
 */
interface IntegerRange {
  readonly type: string;
  /** Smallest value (exact as a double). */
  readonly min: number;
  /** The largest value plus one (a power of two, exact as a double). */
  readonly below: number;
  /** The largest value's digits, and the smallest value's digits without its sign, for exact comparison. */
  readonly maxDigits: string;
  readonly minDigits: string;
}

/** int32 and sint32 (exponential histogram scale and bucket offset). */
const INT32: IntegerRange = { type: "int32", min: -(2 ** 31), below: 2 ** 31, maxDigits: "2147483647", minDigits: "2147483648" };
/** int64 and sfixed64 (asInt, intValue). */
const INT64: IntegerRange = { type: "int64", min: -(2 ** 63), below: 2 ** 63, maxDigits: "9223372036854775807", minDigits: "9223372036854775808" };
/** uint64 and fixed64 (timestamps, counts, bucket counts). */
const UINT64: IntegerRange = { type: "uint64", min: 0, below: 2 ** 64, maxDigits: "18446744073709551615", minDigits: "0" };

/** Whether the decimal integer string `s` (matching INTEGER_STRING) lies in `range`, compared exactly. */
function decimalInRange(s: string, range: IntegerRange): boolean {
  if (s.length <= EXACT_DECIMAL_CHARS) {
    const n = Number(s);
    return n >= range.min && n < range.below;
  }
  const negative = s.charCodeAt(0) === 45; // "-"
  let i = negative ? 1 : 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++; // leading zeros
  if (negative && range.min === 0) return i === s.length - 1 && s.charCodeAt(i) === 48; // "-000...0"
  const limit = negative ? range.minDigits : range.maxDigits;
  const digits = s.length - i;
  if (digits !== limit.length) return digits < limit.length;
  for (let k = 0; k < digits; k++) {
    const a = s.charCodeAt(i + k);
    const b = limit.charCodeAt(k);
    if (a !== b) return a < b;
  }
  return true;
}

function rangeText(range: IntegerRange): string {
  return `[${range.min === 0 ? "0" : `-${range.minDigits}`}, ${range.maxDigits}]`;
}

const TEMPORALITY_BY_NAME: { readonly [name: string]: DecodedTemporality } = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: "unspecified",
  AGGREGATION_TEMPORALITY_DELTA: "delta",
  AGGREGATION_TEMPORALITY_CUMULATIVE: "cumulative",
};
const TEMPORALITY_BY_NUMBER: readonly DecodedTemporality[] = ["unspecified", "delta", "cumulative"];

/** Metric keys that are not data. */
const METRIC_NON_DATA_KEYS = new Set(["name", "description", "unit", "metadata"]);

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** `o[camel]`, else `o[snake]`; null counts as absent. */
function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  const s = o[snake];
  return s === null ? undefined : s;
}

export interface OtlpJsonDecoderOptions {
  /** Shared with the receiver's other decoders so every encoding yields the same objects. */
  readonly interner?: AttributeInterner;
}

export class OtlpJsonDecoder {
  readonly interner: AttributeInterner;
  readonly #builder = new AttributeSetBuilder();
  #rejected = 0;
  #rejectionMessage = "";
  /** Why the last `#attributes` returned null. */
  #attributeProblem = "";
  /**
   * Why an integer read since the last reset (at each point, and before resource attributes) is
   * refused: a value outside its protobuf type's range, or not an integer. "" when none was.
   */
  #intProblem = "";
  // Where we are, for error paths: -1 = not inside that level.
  #ri = -1;
  #si = -1;
  #mi = -1;
  #dataKey = "";
  #pi = -1;

  constructor(options: OtlpJsonDecoderOptions = {}) {
    this.interner = options.interner ?? new AttributeInterner();
  }

  /**
   * Decodes one request body (UTF-8 bytes or text). Throws OtlpDecodeError for malformed input,
   * including a body nesting deeper than MAX_JSON_DEPTH (bounded-json.ts), refused before parsing.
   */
  decode(body: Uint8Array | string): DecodedBatch {
    // JSON text is UTF-8 (RFC 8259). Decoding bad bytes to U+FFFD would merge different inputs into one series.
    if (typeof body !== "string" && !isUtf8(body)) throw new OtlpDecodeError("json", "invalid OTLP JSON: the body is not valid UTF-8", -1, "");
    let root: unknown;
    try {
      root = parseBoundedJson(typeof body === "string" ? Buffer.from(body, "utf8") : body);
    } catch (err) {
      throw new OtlpDecodeError("json", `invalid OTLP JSON: ${(err as Error).message}`, -1, "");
    }
    this.#rejected = 0;
    this.#rejectionMessage = "";
    this.#ri = this.#si = this.#mi = this.#pi = -1;
    this.#dataKey = "";
    if (!isObject(root)) throw this.#fail("", "expected object", root);
    const resources: DecodedResource[] = [];
    const rms = this.#array(root, "resourceMetrics", "resource_metrics");
    for (let i = 0; i < rms.length; i++) {
      this.#ri = i;
      resources.push(this.#resourceMetrics(rms[i]));
    }
    return { resources, rejectedPoints: this.#rejected, rejectionMessage: this.#rejectionMessage };
  }

  #resourceMetrics(rm: unknown): DecodedResource {
    this.#si = -1;
    if (!isObject(rm)) throw this.#fail("", "expected object", rm);
    let set: AttributeSet | null = EMPTY_ATTRIBUTE_SET;
    const resource = field(rm, "resource", "resource");
    if (resource !== undefined) {
      if (!isObject(resource)) throw this.#fail("resource", "expected object", resource);
      this.#intProblem = "";
      set = this.#attributes(resource, "resource.");
      if (this.#intProblem !== "") {
        this.#attributeProblem = this.#intProblem;
        set = null;
      }
    }
    const sms = this.#array(rm, "scopeMetrics", "scope_metrics");
    const scopes: DecodedScope[] = [];
    for (let j = 0; j < sms.length; j++) {
      this.#si = j;
      scopes.push(this.#scopeMetrics(sms[j]));
    }
    this.#si = -1;
    if (set === null) {
      // The resource is the identity of every point under it: none of them can be recorded.
      let n = 0;
      for (const scope of scopes) for (const m of scope.metrics) n += m.points.length;
      if (n > 0) this.#reject(n, `${this.#attributeProblem}; the resource's ${n} point(s) refused`);
      return { attributes: EMPTY_ATTRIBUTE_SET.attributes, attributesKey: EMPTY_ATTRIBUTE_SET.key, scopes: [] };
    }
    return { attributes: set.attributes, attributesKey: set.key, scopes };
  }

  #scopeMetrics(sm: unknown): DecodedScope {
    this.#mi = -1;
    if (!isObject(sm)) throw this.#fail("", "expected object", sm);
    let name = "";
    let version = "";
    const scope = field(sm, "scope", "scope");
    if (scope !== undefined) {
      if (!isObject(scope)) throw this.#fail("scope", "expected object", scope);
      name = this.#string(scope, "name", "name", "scope.name");
      version = this.#string(scope, "version", "version", "scope.version");
    }
    const ms = this.#array(sm, "metrics", "metrics");
    const metrics: DecodedMetric[] = [];
    for (let k = 0; k < ms.length; k++) {
      this.#mi = k;
      const m = this.#metric(ms[k]);
      if (m !== undefined) metrics.push(m);
    }
    this.#mi = -1;
    if (!name.isWellFormed() || !version.isWellFormed()) {
      let n = 0;
      for (const m of metrics) n += m.points.length;
      if (n > 0) this.#reject(n, `${this.#path("scope")}: name or version is not well-formed Unicode (lone surrogate); its ${n} point(s) refused`);
      return { name: "", version: "", metrics: [] };
    }
    return { name, version, metrics };
  }

  #metric(m: unknown): DecodedMetric | undefined {
    this.#dataKey = "";
    this.#pi = -1;
    if (!isObject(m)) throw this.#fail("", "expected object", m);
    const name = this.#string(m, "name", "name", "name");
    const description = this.#string(m, "description", "description", "description");
    const unit = this.#string(m, "unit", "unit", "unit");
    let result: DecodedMetric | undefined;
    let points = 0;
    let data: unknown;
    if ((data = field(m, "gauge", "gauge")) !== undefined) {
      const d = this.#data(data, "gauge");
      const pts = this.#numberPoints(d);
      points = pts.length;
      result = { type: "gauge", name, description, unit, points: pts };
    } else if ((data = field(m, "sum", "sum")) !== undefined) {
      const d = this.#data(data, "sum");
      const temporality = this.#temporality(d);
      const monotonic = this.#bool(d, "isMonotonic", "is_monotonic");
      const pts = this.#numberPoints(d);
      points = pts.length;
      result = { type: "sum", name, description, unit, temporality, monotonic, points: pts };
    } else if ((data = field(m, "histogram", "histogram")) !== undefined) {
      const d = this.#data(data, "histogram");
      const temporality = this.#temporality(d);
      const pts = this.#histogramPoints(d);
      points = pts.length;
      result = { type: "histogram", name, description, unit, temporality, points: pts };
    } else if ((data = field(m, "exponentialHistogram", "exponential_histogram")) !== undefined) {
      const d = this.#data(data, "exponentialHistogram");
      const temporality = this.#temporality(d);
      const pts = this.#exponentialPoints(d);
      points = pts.length;
      result = { type: "exponential_histogram", name, description, unit, temporality, points: pts };
    } else if ((data = field(m, "summary", "summary")) !== undefined) {
      const d = this.#data(data, "summary");
      const pts = this.#summaryPoints(d);
      points = pts.length;
      result = { type: "summary", name, description, unit, points: pts };
    } else {
      this.#rejectUnknownData(m, name);
      return undefined;
    }
    this.#dataKey = "";
    this.#pi = -1;
    if (name === "") {
      this.#reject(points, `${this.#path("")}: metric has an empty name; its ${points} ${result.type} point(s) refused`);
      return undefined;
    }
    return result;
  }

  #rejectUnknownData(m: JsonObject, name: string): void {
    let unknownKey = "";
    let n = 0;
    for (const key of Object.keys(m)) {
      if (METRIC_NON_DATA_KEYS.has(key) || m[key] === null) continue;
      unknownKey = key;
      const v = m[key];
      if (isObject(v)) {
        const dps = field(v, "dataPoints", "data_points");
        if (Array.isArray(dps)) n += dps.length;
      }
    }
    if (unknownKey === "") return;
    n = Math.max(n, 1);
    this.#reject(n, `${this.#path("")}: metric "${name}" has an unsupported data type ("${unknownKey}"); ${n} point(s) refused`);
  }

  #data(data: unknown, key: string): JsonObject {
    this.#dataKey = key;
    if (!isObject(data)) throw this.#fail("", "expected object", data);
    return data;
  }

  #temporality(d: JsonObject): DecodedTemporality {
    const v = field(d, "aggregationTemporality", "aggregation_temporality");
    if (v === undefined) return "unspecified";
    if (typeof v === "number" && Number.isInteger(v)) return TEMPORALITY_BY_NUMBER[v] ?? "unspecified";
    if (typeof v === "string") {
      const t = TEMPORALITY_BY_NAME[v];
      if (t !== undefined) return t;
      if (INTEGER_STRING.test(v)) return TEMPORALITY_BY_NUMBER[Number(v)] ?? "unspecified";
      throw this.#failMsg("aggregationTemporality", `unknown enum value "${v}"`);
    }
    throw this.#fail("aggregationTemporality", "expected enum name or integer", v);
  }

  #numberPoints(d: JsonObject): DecodedNumberPoint[] {
    const dps = this.#array(d, "dataPoints", "data_points");
    const points: DecodedNumberPoint[] = [];
    for (let p = 0; p < dps.length; p++) {
      this.#pi = p;
      this.#intProblem = "";
      const dp = dps[p];
      if (!isObject(dp)) throw this.#fail("", "expected object", dp);
      let value: number;
      const asDouble = field(dp, "asDouble", "as_double");
      if (asDouble !== undefined) {
        value = this.#toDouble(asDouble, "asDouble");
      } else {
        const asInt = field(dp, "asInt", "as_int");
        if (asInt === undefined) {
          this.#reject(1, `${this.#path("")}: number data point has neither asDouble nor asInt`);
          continue;
        }
        value = this.#toInt(asInt, "asInt", INT64);
      }
      const startTimeMs = this.#time(dp, "startTimeUnixNano", "start_time_unix_nano");
      const timeMs = this.#time(dp, "timeUnixNano", "time_unix_nano");
      const set = this.#attributes(dp, "");
      if (set === null || this.#intProblem !== "") {
        this.#refusePoint();
        continue;
      }
      points.push({ attributes: set.attributes, attributesKey: set.key, startTimeMs, timeMs, value });
    }
    this.#pi = -1;
    return points;
  }

  #histogramPoints(d: JsonObject): DecodedHistogramPoint[] {
    const dps = this.#array(d, "dataPoints", "data_points");
    const points: DecodedHistogramPoint[] = [];
    for (let p = 0; p < dps.length; p++) {
      this.#pi = p;
      this.#intProblem = "";
      const dp = dps[p];
      if (!isObject(dp)) throw this.#fail("", "expected object", dp);
      const bucketCounts = this.#uintArray(dp, "bucketCounts", "bucket_counts");
      let boundaries: readonly number[] = EMPTY_NUMBERS;
      if (bucketCounts.length > 0) {
        const bounds = this.#doubleArray(dp, "explicitBounds", "explicit_bounds");
        if (bounds.length > 0) boundaries = Object.freeze(bounds);
        if (bucketCounts.length !== boundaries.length + 1) {
          this.#reject(
            1,
            `${this.#path("")}: histogram data point has ${bucketCounts.length} bucket counts for ${boundaries.length} explicit bounds (want ${boundaries.length + 1})`,
          );
          continue;
        }
      }
      const startTimeMs = this.#time(dp, "startTimeUnixNano", "start_time_unix_nano");
      const timeMs = this.#time(dp, "timeUnixNano", "time_unix_nano");
      const count = this.#uint(dp, "count", "count");
      const sum = this.#optionalDouble(dp, "sum", "sum");
      const min = this.#optionalDouble(dp, "min", "min");
      const max = this.#optionalDouble(dp, "max", "max");
      const set = this.#attributes(dp, "");
      if (set === null || this.#intProblem !== "") {
        this.#refusePoint();
        continue;
      }
      points.push({
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
        bucketCounts: bucketCounts.length > 0 ? bucketCounts : [count],
      });
    }
    this.#pi = -1;
    return points;
  }

  #exponentialPoints(d: JsonObject): DecodedExponentialPoint[] {
    const dps = this.#array(d, "dataPoints", "data_points");
    const points: DecodedExponentialPoint[] = [];
    for (let p = 0; p < dps.length; p++) {
      this.#pi = p;
      this.#intProblem = "";
      const dp = dps[p];
      if (!isObject(dp)) throw this.#fail("", "expected object", dp);
      const startTimeMs = this.#time(dp, "startTimeUnixNano", "start_time_unix_nano");
      const timeMs = this.#time(dp, "timeUnixNano", "time_unix_nano");
      const count = this.#uint(dp, "count", "count");
      const sum = this.#optionalDouble(dp, "sum", "sum");
      const min = this.#optionalDouble(dp, "min", "min");
      const max = this.#optionalDouble(dp, "max", "max");
      const scaleRaw = field(dp, "scale", "scale");
      const scale = scaleRaw === undefined ? 0 : this.#toInt(scaleRaw, "scale", INT32);
      const zeroCount = this.#uint(dp, "zeroCount", "zero_count");
      const positive = this.#buckets(dp, "positive");
      const negative = this.#buckets(dp, "negative");
      const set = this.#attributes(dp, "");
      if (set === null || this.#intProblem !== "") {
        this.#refusePoint();
        continue;
      }
      points.push({
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
      });
    }
    this.#pi = -1;
    return points;
  }

  #buckets(dp: JsonObject, key: string): DecodedExponentialPoint["positive"] {
    const b = field(dp, key, key);
    if (b === undefined) return EMPTY_BUCKETS;
    if (!isObject(b)) throw this.#fail(key, "expected object", b);
    const offsetRaw = field(b, "offset", "offset");
    const offset = offsetRaw === undefined ? 0 : this.#toInt(offsetRaw, `${key}.offset`, INT32);
    const rawCounts = field(b, "bucketCounts", "bucket_counts");
    if (offset === 0 && rawCounts === undefined) return EMPTY_BUCKETS;
    const counts = this.#uintArray(b, "bucketCounts", "bucket_counts", `${key}.`);
    return { offset, counts };
  }

  #summaryPoints(d: JsonObject): DecodedSummaryPoint[] {
    const dps = this.#array(d, "dataPoints", "data_points");
    const points: DecodedSummaryPoint[] = [];
    for (let p = 0; p < dps.length; p++) {
      this.#pi = p;
      this.#intProblem = "";
      const dp = dps[p];
      if (!isObject(dp)) throw this.#fail("", "expected object", dp);
      const startTimeMs = this.#time(dp, "startTimeUnixNano", "start_time_unix_nano");
      const timeMs = this.#time(dp, "timeUnixNano", "time_unix_nano");
      const count = this.#uint(dp, "count", "count");
      const sumRaw = field(dp, "sum", "sum");
      const sum = sumRaw === undefined ? 0 : this.#toDouble(sumRaw, "sum");
      const set = this.#attributes(dp, "");
      if (set === null || this.#intProblem !== "") {
        this.#refusePoint();
        continue;
      }
      points.push({ attributes: set.attributes, attributesKey: set.key, startTimeMs, timeMs, count, sum });
    }
    this.#pi = -1;
    return points;
  }

  // ---- attributes -------------------------------------------------------------------------------

  /**
   * `owner.attributes` (a KeyValue list) as an interned set; `prefix` names the owner for errors.
   * Null (and `#attributeProblem` says why) for a set no exporter could name: an empty key, or a
   * key or string value that is not well-formed Unicode (a lone surrogate escape).
   */
  #attributes(owner: JsonObject, prefix: string): AttributeSet | null {
    const list = owner.attributes;
    if (list === undefined || list === null) return EMPTY_ATTRIBUTE_SET;
    if (!Array.isArray(list)) throw this.#fail(`${prefix}attributes`, "expected array", list);
    if (list.length === 0) return EMPTY_ATTRIBUTE_SET;
    const builder = this.#builder;
    builder.reset();
    for (let i = 0; i < list.length; i++) {
      const kv: unknown = list[i];
      if (!isObject(kv)) throw this.#fail(`${prefix}attributes[${i}]`, "expected object", kv);
      const key = kv.key;
      if (typeof key !== "string") throw this.#fail(`${prefix}attributes[${i}].key`, "expected string", key);
      const raw = kv.value;
      if (raw === undefined || raw === null) continue;
      const value = this.#anyValue(raw, `${prefix}attributes[${i}].value`, 0);
      if (value === undefined || value === null) continue;
      if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) {
        this.#attributeProblem = `${this.#path(`${prefix}attributes[${i}]`)}: the attribute ${key.isWellFormed() ? "value" : "key"} is not well-formed Unicode (lone surrogate)`;
        return null;
      }
      builder.add(key, typeof value === "object" ? JSON.stringify(value) : value);
    }
    if (builder.problem !== "") {
      this.#attributeProblem = `${this.#path(`${prefix}attributes`)}: ${builder.problem}`;
      return null;
    }
    if (builder.size === 0) return EMPTY_ATTRIBUTE_SET;
    const key = builder.key();
    if (builder.truncated > 0) this.interner.countTruncated(builder.truncated);
    return this.interner.getKey(key) ?? this.interner.internKey(key, builder.build());
  }

  #anyValue(v: unknown, where: string, depth: number): AnyJs | undefined {
    if (depth > MAX_ANY_VALUE_DEPTH) throw this.#failMsg(where, `AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
    if (!isObject(v)) throw this.#fail(where, "expected object", v);
    let x: unknown;
    if ((x = field(v, "stringValue", "string_value")) !== undefined) {
      if (typeof x !== "string") throw this.#fail(`${where}.stringValue`, "expected string", x);
      return x;
    }
    if ((x = field(v, "boolValue", "bool_value")) !== undefined) {
      if (typeof x !== "boolean") throw this.#fail(`${where}.boolValue`, "expected boolean", x);
      return x;
    }
    if ((x = field(v, "intValue", "int_value")) !== undefined) return this.#toInt(x, `${where}.intValue`, INT64);
    if ((x = field(v, "doubleValue", "double_value")) !== undefined) return this.#toDouble(x, `${where}.doubleValue`);
    if ((x = field(v, "bytesValue", "bytes_value")) !== undefined) {
      if (typeof x !== "string") throw this.#fail(`${where}.bytesValue`, "expected base64 string", x);
      return x;
    }
    if ((x = field(v, "arrayValue", "array_value")) !== undefined) {
      if (!isObject(x)) throw this.#fail(`${where}.arrayValue`, "expected object", x);
      const values = x.values ?? [];
      if (!Array.isArray(values)) throw this.#fail(`${where}.arrayValue.values`, "expected array", values);
      const out: AnyJs[] = [];
      for (let i = 0; i < values.length; i++) {
        const item: unknown = values[i];
        out.push(item === null ? null : (this.#anyValue(item, `${where}.arrayValue.values[${i}]`, depth + 1) ?? null));
      }
      return out;
    }
    if ((x = field(v, "kvlistValue", "kvlist_value")) !== undefined) {
      if (!isObject(x)) throw this.#fail(`${where}.kvlistValue`, "expected object", x);
      const values = x.values ?? [];
      if (!Array.isArray(values)) throw this.#fail(`${where}.kvlistValue.values`, "expected array", values);
      const out: { [key: string]: AnyJs } = {};
      for (let i = 0; i < values.length; i++) {
        const kv: unknown = values[i];
        const at = `${where}.kvlistValue.values[${i}]`;
        if (!isObject(kv)) throw this.#fail(at, "expected object", kv);
        if (typeof kv.key !== "string") throw this.#fail(`${at}.key`, "expected string", kv.key);
        const inner = kv.value === undefined || kv.value === null ? null : (this.#anyValue(kv.value, `${at}.value`, depth + 1) ?? null);
        Object.defineProperty(out, kv.key, { value: inner, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return undefined;
  }

  // ---- scalars ----------------------------------------------------------------------------------

  #array(o: JsonObject, camel: string, snake: string): readonly unknown[] {
    const v = field(o, camel, snake);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.#fail(camel, "expected array", v);
    return v;
  }

  #string(o: JsonObject, camel: string, snake: string, where: string): string {
    const v = field(o, camel, snake);
    if (v === undefined) return "";
    if (typeof v !== "string") throw this.#fail(where, "expected string", v);
    return v;
  }

  #bool(o: JsonObject, camel: string, snake: string): boolean {
    const v = field(o, camel, snake);
    if (v === undefined) return false;
    if (typeof v !== "boolean") throw this.#fail(camel, "expected boolean", v);
    return v;
  }

  /** fixed64 nanoseconds as epoch ms. */
  #time(o: JsonObject, camel: string, snake: string): number {
    const v = field(o, camel, snake);
    return v === undefined ? 0 : this.#toInt(v, camel, UINT64) / NANOS_PER_MS;
  }

  /** uint64/fixed64. */
  #uint(o: JsonObject, camel: string, snake: string): number {
    const v = field(o, camel, snake);
    return v === undefined ? 0 : this.#toInt(v, camel, UINT64);
  }

  #optionalDouble(o: JsonObject, camel: string, snake: string): number {
    const v = field(o, camel, snake);
    return v === undefined ? NaN : this.#toDouble(v, camel);
  }

  #uintArray(o: JsonObject, camel: string, snake: string, prefix = ""): number[] {
    const v = field(o, camel, snake);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.#fail(`${prefix}${camel}`, "expected array", v);
    const out: number[] = [];
    for (let i = 0; i < v.length; i++) out.push(this.#toInt(v[i], camel, UINT64, prefix, i));
    return out;
  }

  #doubleArray(o: JsonObject, camel: string, snake: string): number[] {
    const v = field(o, camel, snake);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.#fail(camel, "expected array", v);
    const out: number[] = [];
    for (let i = 0; i < v.length; i++) out.push(this.#toDouble(v[i], `${camel}[${i}]`));
    return out;
  }

  /** proto3 JSON double: a number, "NaN", "Infinity", "-Infinity" or a numeric string. */
  #toDouble(v: unknown, where: string): number {
    if (typeof v === "number") return v;
    if (typeof v === "string") {
      if (v === "NaN") return NaN;
      if (v === "Infinity") return Infinity;
      if (v === "-Infinity") return -Infinity;
      const n = v.trim() === "" ? NaN : Number(v);
      if (!Number.isNaN(n)) return n;
      throw this.#failMsg(where, `expected number, got string "${v}"`);
    }
    throw this.#failMsg(where, `expected number or string, got ${describe(v)}`);
  }

  /**
   * proto3 JSON integer of type `range`: an integral number or a decimal integer string (as the
   * Collector's pdata reads them: strconv.ParseInt/ParseUint base 10, so no "1e3", "1.0" or " 1 ").
   * A number or string that is not such an integer within `range` refuses the current point (it
   * sets #intProblem) and reads as 0; any other JSON type throws. A JSON number is judged by its
   * double value: beyond 2^53 only a string says exactly which integer was meant (int64 max as a
   * bare number reads as 2^63, out of range). `prefix`, `where` and `index` name the value; the name
   * is assembled only for a refused value.
   */
  #toInt(v: unknown, where: string, range: IntegerRange, prefix = "", index = -1): number {
    if (typeof v === "number") {
      if (Number.isInteger(v) && v >= range.min && v < range.below) return v;
    } else if (typeof v === "string") {
      if (INTEGER_STRING.test(v) && decimalInRange(v, range)) return Number(v);
    } else {
      const name = index < 0 ? `${prefix}${where}` : `${prefix}${where}[${index}]`;
      throw this.#failMsg(name, `expected integer or string, got ${describe(v)}`);
    }
    if (this.#intProblem === "") {
      const name = this.#path(index < 0 ? `${prefix}${where}` : `${prefix}${where}[${index}]`);
      const integral = typeof v === "number" ? Number.isInteger(v) : INTEGER_STRING.test(v);
      this.#intProblem = integral
        ? `${name}: ${preview(v)} is outside the ${range.type} range ${rangeText(range)}`
        : `${name}: expected an integer (${range.type}), got ${preview(v)}`;
    }
    return 0;
  }

  // ---- errors -----------------------------------------------------------------------------------

  #reject(points: number, message: string): void {
    this.#rejected += points;
    if (this.#rejectionMessage === "") this.#rejectionMessage = message;
  }

  /** Refuses the current point, whose integers or attribute set were refused. */
  #refusePoint(): void {
    this.#reject(1, `${this.#intProblem !== "" ? this.#intProblem : this.#attributeProblem}; point refused`);
  }

  /** JSON path of the current position plus `suffix`. */
  #path(suffix: string): string {
    let p = "";
    if (this.#ri >= 0) {
      p = `resourceMetrics[${this.#ri}]`;
      if (this.#si >= 0) {
        p += `.scopeMetrics[${this.#si}]`;
        if (this.#mi >= 0) {
          p += `.metrics[${this.#mi}]`;
          if (this.#dataKey !== "") {
            p += `.${this.#dataKey}`;
            if (this.#pi >= 0) p += `.dataPoints[${this.#pi}]`;
          }
        }
      }
    }
    if (suffix === "") return p === "" ? "$" : p;
    return p === "" ? suffix : `${p}.${suffix}`;
  }

  /** `<path>: <expected>, got <type of got>`. */
  #fail(suffix: string, expected: string, got: unknown): OtlpDecodeError {
    return this.#failMsg(suffix, `${expected}, got ${describe(got)}`);
  }

  #failMsg(suffix: string, message: string): OtlpDecodeError {
    const path = this.#path(suffix);
    return new OtlpDecodeError("json", `${path}: ${message}`, -1, path);
  }
}
