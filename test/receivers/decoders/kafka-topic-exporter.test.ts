import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { DecodeError } from "../../../src/receivers/decoders/decode-error.ts";
import { kafkaTopicExporterDecoderFactory as factory } from "../../../src/receivers/decoders/kafka-topic-exporter.ts";
import { decodeMessage } from "../../../src/receivers/decoders/registry.ts";
import { flatten } from "../kafka/recording-consumer.ts";

const meta = { timestampMs: 1_700_000_000_500, headers: {} };
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const decoder = (raw?: unknown) => {
  const errors: ConfigError[] = [];
  const options = factory.validate(raw, "receivers::kafka::kafka_topic_exporter", errors);
  assert.deepEqual(errors, []);
  return factory.create(options);
};

describe("kafkaTopicExporterDecoderFactory", () => {
  describe("validate", () => {
    it("defaults to samples with no unit", () => {
      assert.deepEqual(factory.validate(undefined, "p", []), { as: "samples", unit: "" });
    });
    it("reports a bad `as` and unknown keys with their paths", () => {
      const errors: ConfigError[] = [];
      factory.validate({ as: "histogram", colour: 1 }, "receivers::kafka::kafka_topic_exporter", errors);
      assert.deepEqual(
        errors.map((e) => e.path),
        ["receivers::kafka::kafka_topic_exporter::colour", "receivers::kafka::kafka_topic_exporter::as"],
      );
      assert.match(errors[1].message, /samples, gauge, counter.*"histogram"/);
    });
  });

  describe("decode", () => {
    it("maps name, value, timestamp and labels to a samples observation", () => {
      const batch = decodeMessage(decoder(), enc({ name: "accuracy", value: 0.93, timestamp: 1_700_000_000_000, labels: { model: "m1", step: 3 } }), meta);
      const [o, ...rest] = flatten(batch);
      assert.equal(rest.length, 0);
      assert.equal(o.metric, "accuracy");
      assert.equal(o.type, "samples");
      assert.equal(o.value, 0.93);
      assert.equal(o.timeMs, 1_700_000_000_000);
      assert.deepEqual(o.attributes, { model: "m1", step: 3 });
      assert.equal(batch.rejectedPoints, 0);
    });

    it("uses the Kafka message timestamp when the payload has none", () => {
      const [o] = flatten(decodeMessage(decoder(), enc({ name: "x", value: 1 }), meta));
      assert.equal(o.timeMs, meta.timestampMs);
      assert.deepEqual(o.attributes, {});
    });

    it("records as a gauge or a monotonic delta sum when configured", () => {
      const g = decodeMessage(decoder({ as: "gauge", unit: "ms" }), enc({ name: "lat", value: 5 }), meta);
      const gm = g.resources[0].scopes[0].metrics[0];
      assert.equal(gm.type, "gauge");
      assert.equal(gm.unit, "ms");
      const c = decodeMessage(decoder({ as: "counter" }), enc({ name: "n", value: 2 }), meta);
      const cm = c.resources[0].scopes[0].metrics[0];
      assert.equal(cm.type, "sum");
      assert.ok(cm.type === "sum" && cm.monotonic && cm.temporality === "delta");
    });

    it("accepts an array of observations and numeric strings", () => {
      const obs = flatten(decodeMessage(decoder(), enc([{ name: "a", value: "1.5" }, { name: "b", value: 2 }]), meta));
      assert.deepEqual(obs.map((o) => [o.metric, o.value]), [["a", 1.5], ["b", 2]]);
    });

    it("counts per-point problems in rejectedPoints and keeps the valid points", () => {
      const batch = decodeMessage(
        decoder(),
        enc([{ name: "", value: 1 }, { name: "a", value: "abc" }, { name: "b", value: 1, labels: { k: { nested: 1 } } }, { name: "c", value: 3 }]),
        meta,
      );
      assert.equal(batch.rejectedPoints, 3);
      assert.match(batch.rejectionMessage, /\[0\]\.name: expected a non-empty string/);
      assert.deepEqual(flatten(batch).map((o) => o.metric), ["c"]);
    });

    it("throws DecodeError on non-JSON and on JSON that is not an object", () => {
      assert.throws(() => decodeMessage(decoder(), Buffer.from("{name:"), meta), DecodeError);
      assert.throws(() => decodeMessage(decoder(), Buffer.from("42"), meta), (e: unknown) => e instanceof DecodeError && /got 42/.test(e.message));
    });

    it("interns equal label sets in any key order into one attributes object", () => {
      const d = decoder();
      const a = flatten(decodeMessage(d, enc({ name: "x", value: 1, labels: { a: "1", b: "2" } }), meta))[0];
      const b = flatten(decodeMessage(d, enc({ name: "x", value: 1, labels: { b: "2", a: "1" } }), meta))[0];
      assert.equal(a.attributes, b.attributes);
      assert.ok(Object.isFrozen(a.attributes));
    });
  });
});
