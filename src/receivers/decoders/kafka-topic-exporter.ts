/**
 * `kafka_topic_exporter`: the JSON that kafka-topic-exporter consumes and benchmark-ai's metrics
 * pusher produces, one observation per object:
 *
 *   {"name": "accuracy", "value": 0.93, "timestamp": 1700000000000, "labels": {"model": "m1"}}
 *
 * `timestamp` is epoch milliseconds and optional (then: the Kafka message timestamp); `labels`
 * become attributes. A message may also hold a JSON array of such objects.
 *
 * Metric type (option `as`): these pushers send per-step observations (accuracy, throughput,
 * latency), so the default `samples` records each value into a histogram, which gives Prometheus a
 * distribution and CloudWatch a statistic set per window rather than a last value that hides the
 * rest. `gauge` keeps the last value; `counter` treats each value as a delta increment.
 */
import type { ConfigError } from "../../components/types.ts";
import { AttributeInterner } from "./attribute-interner.ts";
import type { BuilderMetricType, DecodedBatchBuilder } from "./batch-builder.ts";
import { DecodeError, preview } from "./decode-error.ts";
import { numberFrom, parseJsonMessage } from "./json-input.ts";
import { checkKeys, enumAt, isObject, objectAt, stringAt } from "./options.ts";
import type { DecoderFactory, MessageDecoder, MessageMeta } from "./types.ts";

export const KAFKA_TOPIC_EXPORTER_SCOPE = "statset/kafka_topic_exporter";

export interface KafkaTopicExporterOptions {
  /** How values are recorded: raw observations (default), last value, or delta increments. */
  readonly as: "samples" | "gauge" | "counter";
  /** Unit given to every metric (the format carries none). */
  readonly unit: string;
}

const TYPE_OF = { samples: "samples", gauge: "gauge", counter: "sum" } as const satisfies Record<
  KafkaTopicExporterOptions["as"],
  BuilderMetricType
>;

/** Field path for messages (built only on the error path). */
function at(index: number, field: string): string {
  if (index < 0) return field;
  return field === "" ? `[${index}]: ` : `[${index}].${field}`;
}

class KafkaTopicExporterDecoder implements MessageDecoder {
  readonly encoding = "kafka_topic_exporter";
  readonly #type: BuilderMetricType;
  readonly #monotonic: boolean;
  readonly #unit: string;
  readonly #interner = new AttributeInterner();

  get truncatedValues(): number {
    return this.#interner.truncatedValues;
  }

  constructor(options: KafkaTopicExporterOptions) {
    this.#type = TYPE_OF[options.as];
    this.#monotonic = options.as === "counter";
    this.#unit = options.unit;
  }

  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void {
    const doc = parseJsonMessage(message);
    if (Array.isArray(doc)) {
      for (let i = 0; i < doc.length; i++) this.#one(doc[i], i, meta, into);
    } else if (isObject(doc)) {
      this.#one(doc, -1, meta, into);
    } else {
      throw new DecodeError("", `expected a JSON object {name, value, timestamp?, labels?} or an array of them, got ${preview(doc)}`);
    }
  }

  /** `index` is the element's position in a top-level array, -1 for a single object. */
  #one(obj: unknown, index: number, meta: MessageMeta, into: DecodedBatchBuilder): void {
    if (!isObject(obj)) {
      into.reject(1, `${at(index, "")}expected an object, got ${preview(obj)}`);
      return;
    }
    const name = obj.name;
    if (typeof name !== "string" || name === "") {
      into.reject(1, `${at(index, "name")}: expected a non-empty string, got ${preview(name)}`);
      return;
    }
    const value = numberFrom(obj.value);
    if (!Number.isFinite(value)) {
      into.reject(1, `${at(index, "value")}: expected a finite number, got ${preview(obj.value)}`);
      return;
    }
    let timeMs = meta.timestampMs;
    const ts = obj.timestamp;
    if (ts !== undefined && ts !== null) {
      timeMs = numberFrom(ts);
      if (!(timeMs > 0)) {
        into.reject(1, `${at(index, "timestamp")}: expected epoch milliseconds, got ${preview(ts)}`);
        return;
      }
    }
    const labels = obj.labels;
    let attrs = AttributeInterner.empty;
    if (labels !== undefined && labels !== null) {
      if (!isObject(labels)) {
        into.reject(1, `${at(index, "labels")}: expected an object, got ${preview(labels)}`);
        return;
      }
      const interned = this.#interner.intern(labels, "labels");
      if (interned === null) {
        into.reject(1, index < 0 ? this.#interner.lastError : `[${index}].${this.#interner.lastError}`);
        return;
      }
      attrs = interned;
    }
    const metric = into.metric(KAFKA_TOPIC_EXPORTER_SCOPE, name, this.#type, this.#unit, this.#type === "sum" ? "delta" : "unspecified", this.#monotonic);
    if (this.#type === "samples") metric.addSample(attrs, timeMs, value);
    else metric.addNumber(attrs, timeMs, value);
  }
}

export const kafkaTopicExporterDecoderFactory: DecoderFactory<KafkaTopicExporterOptions> = {
  encoding: "kafka_topic_exporter",
  defaultOptions: () => ({ as: "samples", unit: "" }),
  validate(raw: unknown, path: string, errors: ConfigError[]): KafkaTopicExporterOptions {
    const obj = objectAt(raw, path, errors);
    checkKeys(obj, ["as", "unit"], path, errors);
    return {
      as: enumAt(obj, "as", path, errors, ["samples", "gauge", "counter"] as const, "samples"),
      unit: stringAt(obj, "unit", path, errors, ""),
    };
  },
  create: (options) => new KafkaTopicExporterDecoder(options),
};
