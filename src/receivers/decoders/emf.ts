/**
 * `emf`: CloudWatch Embedded Metric Format events.
 *
 *   {"_aws": {"Timestamp": 1700000000000, "CloudWatchMetrics": [{"Namespace": "svc",
 *     "Dimensions": [["Service"], ["Service", "Operation"]],
 *     "Metrics": [{"Name": "Latency", "Unit": "Milliseconds", "StorageResolution": 1}]}]},
 *    "Service": "api", "Operation": "get", "Latency": [12, 15.5], "requestId": "..."}
 *
 * Mapping, as CloudWatch extracts it:
 * - every metric value (a number or an array of numbers at the top level) is a raw observation:
 *   `samples`, one series per dimension set (each set is its own CloudWatch metric); an empty
 *   `Dimensions` list publishes without dimensions;
 * - dimension values become attributes (numbers and booleans as strings, as CloudWatch would need);
 * - `Namespace` becomes the instrumentation scope name (it partitions metrics, not series);
 * - `Unit` is carried as its UCUM equivalent (`emf-units.ts`);
 * - other top-level properties become attributes only when listed in `properties_as_attributes`;
 * - `_aws.Timestamp` (epoch ms) is the event time; without it, the Kafka message timestamp.
 * `StorageResolution` is validated (1 or 60) but not carried: the pipeline's window decides.
 *
 * Structure errors (no `_aws`, malformed directive) throw before anything is appended; a missing
 * dimension or metric value, or a non-numeric value, refuses just those points.
 */
import type { ConfigError } from "../../components/types.ts";
import { AttributeInterner } from "./attribute-interner.ts";
import type { DecodedBatchBuilder } from "./batch-builder.ts";
import { DecodeError, expected, preview } from "./decode-error.ts";
import { ucumFromCloudWatchUnit } from "./emf-units.ts";
import { parseJsonMessage } from "./json-input.ts";
import { checkKeys, isObject, objectAt, stringListAt } from "./options.ts";
import type { RawObject } from "./options.ts";
import type { DecoderFactory, MessageDecoder, MessageMeta } from "./types.ts";

/** CloudWatch EMF limit: at most 30 dimension keys per dimension set. */
export const EMF_MAX_DIMENSIONS_PER_SET = 30;

export interface EmfOptions {
  /** Top-level properties (besides dimensions) copied onto every series of the event when present. */
  readonly properties_as_attributes: readonly string[];
}

const NO_DIMENSIONS: readonly (readonly string[])[] = [[]];

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Checks the `_aws` metadata; throws `DecodeError` naming the first bad field. */
function validateDirectives(aws: RawObject): unknown[] {
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) throw expected("_aws.CloudWatchMetrics", "an array", directives);
  for (let i = 0; i < directives.length; i++) {
    const d: unknown = directives[i];
    if (!isObject(d)) throw expected(`_aws.CloudWatchMetrics[${i}]`, "an object", d);
    if (typeof d.Namespace !== "string" || d.Namespace === "") {
      throw expected(`_aws.CloudWatchMetrics[${i}].Namespace`, "a non-empty string", d.Namespace);
    }
    const dims = d.Dimensions;
    if (dims !== undefined) {
      if (!Array.isArray(dims)) throw expected(`_aws.CloudWatchMetrics[${i}].Dimensions`, "an array of arrays of keys", dims);
      for (let j = 0; j < dims.length; j++) {
        const set: unknown = dims[j];
        if (!Array.isArray(set)) throw expected(`_aws.CloudWatchMetrics[${i}].Dimensions[${j}]`, "an array of keys", set);
        if (set.length > EMF_MAX_DIMENSIONS_PER_SET) {
          throw new DecodeError(`_aws.CloudWatchMetrics[${i}].Dimensions[${j}]`, `${set.length} keys, more than the ${EMF_MAX_DIMENSIONS_PER_SET} CloudWatch allows`);
        }
        for (let k = 0; k < set.length; k++) {
          if (typeof set[k] !== "string" || set[k] === "") {
            throw expected(`_aws.CloudWatchMetrics[${i}].Dimensions[${j}][${k}]`, "a non-empty string", set[k]);
          }
        }
      }
    }
    const metrics = d.Metrics;
    if (!Array.isArray(metrics)) throw expected(`_aws.CloudWatchMetrics[${i}].Metrics`, "an array", metrics);
    for (let j = 0; j < metrics.length; j++) {
      const m: unknown = metrics[j];
      if (!isObject(m)) throw expected(`_aws.CloudWatchMetrics[${i}].Metrics[${j}]`, "an object", m);
      if (typeof m.Name !== "string" || m.Name === "") {
        throw expected(`_aws.CloudWatchMetrics[${i}].Metrics[${j}].Name`, "a non-empty string", m.Name);
      }
      if (m.Unit !== undefined && typeof m.Unit !== "string") {
        throw expected(`_aws.CloudWatchMetrics[${i}].Metrics[${j}].Unit`, "a string", m.Unit);
      }
      const res = m.StorageResolution;
      if (res !== undefined && res !== 1 && res !== 60) {
        throw expected(`_aws.CloudWatchMetrics[${i}].Metrics[${j}].StorageResolution`, "1 or 60", res);
      }
    }
  }
  return directives;
}

/** Number of values a metric member holds (what is refused when its series cannot be formed). */
function valueCount(v: unknown): number {
  return Array.isArray(v) ? Math.max(v.length, 1) : 1;
}

class EmfDecoder implements MessageDecoder {
  readonly encoding = "emf";
  readonly #properties: readonly string[];
  readonly #interner = new AttributeInterner();

  get truncatedValues(): number {
    return this.#interner.truncatedValues;
  }

  constructor(options: EmfOptions) {
    this.#properties = options.properties_as_attributes;
  }

  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void {
    const root = parseJsonMessage(message);
    if (!isObject(root)) throw new DecodeError("", `expected an EMF event object, got ${preview(root)}`);
    const aws = root._aws;
    if (!isObject(aws)) throw expected("_aws", "an object", aws);
    let timeMs = meta.timestampMs;
    const ts = aws.Timestamp;
    if (ts !== undefined) {
      if (!isFiniteNumber(ts) || ts <= 0) throw expected("_aws.Timestamp", "epoch milliseconds", ts);
      timeMs = ts;
    }
    const directives = validateDirectives(aws) as RawObject[];
    // Structure is valid: from here on nothing throws, problems refuse points.
    for (let i = 0; i < directives.length; i++) {
      const d = directives[i];
      const scope = d.Namespace as string;
      const metrics = d.Metrics as RawObject[];
      const dims = (d.Dimensions === undefined || (d.Dimensions as unknown[]).length === 0
        ? NO_DIMENSIONS
        : d.Dimensions) as readonly (readonly string[])[];
      for (let j = 0; j < dims.length; j++) this.#dimensionSet(root, scope, dims[j], metrics, timeMs, into);
    }
  }

  #dimensionSet(
    root: RawObject,
    scope: string,
    keys: readonly string[],
    metrics: readonly RawObject[],
    timeMs: number,
    into: DecodedBatchBuilder,
  ): void {
    const record: Record<string, string | number | boolean> = {};
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const v = root[key];
      if (typeof v === "string") record[key] = v;
      else if (isFiniteNumber(v) || typeof v === "boolean") record[key] = String(v);
      else {
        let n = 0;
        for (const m of metrics) n += valueCount(root[m.Name as string]);
        into.reject(n, `dimension ${JSON.stringify(key)}: expected a string member, got ${preview(v)}`);
        return;
      }
    }
    for (let p = 0; p < this.#properties.length; p++) {
      const prop = this.#properties[p];
      if (Object.hasOwn(record, prop)) continue;
      const v = root[prop];
      if (typeof v === "string" || typeof v === "boolean" || isFiniteNumber(v)) record[prop] = v;
    }
    const attrs = this.#interner.intern(record, "Dimensions");
    if (attrs === null) {
      let n = 0;
      for (const m of metrics) n += valueCount(root[m.Name as string]);
      into.reject(n, this.#interner.lastError);
      return;
    }
    for (let j = 0; j < metrics.length; j++) {
      const m = metrics[j];
      const name = m.Name as string;
      const unit = m.Unit === undefined ? "" : ucumFromCloudWatchUnit(m.Unit as string);
      const v = root[name];
      if (isFiniteNumber(v)) {
        into.metric(scope, name, "samples", unit).addSample(attrs, timeMs, v);
      } else if (Array.isArray(v)) {
        let bad = 0;
        for (let x = 0; x < v.length; x++) if (!isFiniteNumber(v[x])) bad++;
        const acc = into.metric(scope, name, "samples", unit);
        if (bad === 0) acc.addSampleRange(attrs, timeMs, v as number[], 0, v.length);
        else {
          for (let x = 0; x < v.length; x++) if (isFiniteNumber(v[x])) acc.addSample(attrs, timeMs, v[x] as number);
          into.reject(bad, `${name}: expected numbers, got ${bad} non-numeric value(s)`);
        }
      } else {
        into.reject(1, `${name}: expected a number or an array of numbers, got ${preview(v)}`);
      }
    }
  }
}

export const emfDecoderFactory: DecoderFactory<EmfOptions> = {
  encoding: "emf",
  defaultOptions: () => ({ properties_as_attributes: [] }),
  validate(raw: unknown, path: string, errors: ConfigError[]): EmfOptions {
    const obj = objectAt(raw, path, errors);
    checkKeys(obj, ["properties_as_attributes"], path, errors);
    return { properties_as_attributes: stringListAt(obj, "properties_as_attributes", path, errors, []) };
  },
  create: (options) => new EmfDecoder(options),
};
