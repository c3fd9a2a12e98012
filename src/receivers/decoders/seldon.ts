/**
 * `seldon`: custom metrics of Seldon Core model servers, either inside a prediction response
 * (`{"meta": {"metrics": [...]}, "data": ...}`) or as a bare list of metric entries:
 *
 *   {"type": "COUNTER" | "GAUGE" | "TIMER", "key": "name", "value": 1.5, "tags": {"k": "v"}}
 *
 * COUNTER adds (a delta, monotonic sum), GAUGE sets (gauge), TIMER is a duration in milliseconds
 * recorded as a raw observation (`samples`, unit `ms`). Seldon's own Prometheus registry fails when
 * one key is used with different tag names; here each tag set is simply its own series. The event
 * time is the Kafka message timestamp (Seldon metrics carry none). A response without `meta` or
 * without `meta.metrics` carries no metrics and is skipped, not refused.
 */
import type { ConfigError } from "../../components/types.ts";
import { AttributeInterner } from "./attribute-interner.ts";
import type { DecodedBatchBuilder } from "./batch-builder.ts";
import { DecodeError, expected, preview } from "./decode-error.ts";
import { parseJsonMessage } from "./json-input.ts";
import { checkKeys, isObject, objectAt } from "./options.ts";
import type { DecoderFactory, MessageDecoder, MessageMeta } from "./types.ts";

export const SELDON_SCOPE = "statset/seldon";

/** The Seldon format has no options (the mapping is fixed by Seldon's metric types). */
export type SeldonOptions = Readonly<Record<string, never>>;

class SeldonDecoder implements MessageDecoder {
  readonly encoding = "seldon";
  readonly #interner = new AttributeInterner();

  get truncatedValues(): number {
    return this.#interner.truncatedValues;
  }

  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void {
    const doc = parseJsonMessage(message);
    let list: unknown[];
    let base: string;
    if (Array.isArray(doc)) {
      list = doc;
      base = "";
    } else if (isObject(doc)) {
      const m = doc.meta;
      if (m === undefined || m === null) {
        into.skip(1);
        return;
      }
      if (!isObject(m)) throw expected("meta", "an object", m);
      const metrics = m.metrics;
      if (metrics === undefined || metrics === null) {
        into.skip(1);
        return;
      }
      if (!Array.isArray(metrics)) throw expected("meta.metrics", "a list of metrics", metrics);
      list = metrics;
      base = "meta.metrics";
    } else {
      throw new DecodeError("", `expected a Seldon response object or a list of metrics, got ${preview(doc)}`);
    }
    const timeMs = meta.timestampMs;
    for (let i = 0; i < list.length; i++) this.#entry(list[i], base, i, timeMs, into);
  }

  #entry(e: unknown, base: string, i: number, timeMs: number, into: DecodedBatchBuilder): void {
    if (!isObject(e)) {
      into.reject(1, `${base}[${i}]: expected a metric object, got ${preview(e)}`);
      return;
    }
    const key = e.key;
    if (typeof key !== "string" || key === "") {
      into.reject(1, `${base}[${i}].key: expected a non-empty string, got ${preview(key)}`);
      return;
    }
    const value = e.value;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      into.reject(1, `${base}[${i}].value: expected a number, got ${preview(value)}`);
      return;
    }
    let attrs = AttributeInterner.empty;
    const tags = e.tags;
    if (tags !== undefined && tags !== null) {
      if (!isObject(tags)) {
        into.reject(1, `${base}[${i}].tags: expected an object, got ${preview(tags)}`);
        return;
      }
      const interned = this.#interner.intern(tags, "tags");
      if (interned === null) {
        into.reject(1, `${base}[${i}].${this.#interner.lastError}`);
        return;
      }
      attrs = interned;
    }
    switch (e.type) {
      case "COUNTER":
      case "counter":
        into.metric(SELDON_SCOPE, key, "sum", "", "delta", true).addNumber(attrs, timeMs, value);
        return;
      case "GAUGE":
      case "gauge":
        into.metric(SELDON_SCOPE, key, "gauge", "").addNumber(attrs, timeMs, value);
        return;
      case "TIMER":
      case "timer":
        into.metric(SELDON_SCOPE, key, "samples", "ms").addSample(attrs, timeMs, value);
        return;
      default:
        into.reject(1, `${base}[${i}].type: expected COUNTER, GAUGE or TIMER, got ${preview(e.type)}`);
    }
  }
}

export const seldonDecoderFactory: DecoderFactory<SeldonOptions> = {
  encoding: "seldon",
  defaultOptions: () => ({}),
  validate(raw: unknown, path: string, errors: ConfigError[]): SeldonOptions {
    checkKeys(objectAt(raw, path, errors), [], path, errors);
    return {};
  },
  create: () => new SeldonDecoder(),
};
