import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError } from "../../../src/receivers/decoders/decode-error.ts";
import { otlpJsonDecoderFactory, otlpProtoDecoderFactory } from "../../../src/receivers/decoders/otlp.ts";
import { DecodedBatchBuilder } from "../../../src/receivers/decoders/batch-builder.ts";
import { decodeMessage } from "../../../src/receivers/decoders/registry.ts";
import { flatten } from "../kafka/recording-consumer.ts";
import { gaugeResourceMetrics, otlpJson, otlpProto } from "./otlp-fixtures.ts";

const meta = { timestampMs: 1, headers: {} };

describe("otlpProtoDecoderFactory", () => {
  describe("decode", () => {
    it("appends every point of an SDK-serialised request", async () => {
      const bytes = otlpProto(await gaugeResourceMetrics(50));
      const obs = flatten(decodeMessage(otlpProtoDecoderFactory.create({}), bytes, meta));
      assert.equal(obs.length, 50);
      assert.deepEqual(obs.map((o) => o.value).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
      assert.ok(obs.every((o) => o.metric === "queue_depth" && o.type === "gauge" && o.attributes.i === String(o.value) && o.timeMs > 0));
    });

    it("keeps the points of several messages in one batch", async () => {
      const d = otlpProtoDecoderFactory.create({});
      const b = new DecodedBatchBuilder();
      const bytes = otlpProto(await gaugeResourceMetrics(3));
      d.decode(bytes, meta, b);
      d.decode(bytes, meta, b);
      assert.equal(b.pointCount, 6);
      assert.equal(flatten(b.build()).length, 6);
    });

    it("throws DecodeError on truncated protobuf", async () => {
      const bytes = otlpProto(await gaugeResourceMetrics(3));
      assert.throws(() => decodeMessage(otlpProtoDecoderFactory.create({}), bytes.subarray(0, bytes.length - 3), meta), DecodeError);
    });
  });
});

describe("otlpJsonDecoderFactory", () => {
  describe("decode", () => {
    it("appends every point of an SDK-serialised JSON request", async () => {
      const obs = flatten(decodeMessage(otlpJsonDecoderFactory.create({}), otlpJson(await gaugeResourceMetrics(5)), meta));
      assert.deepEqual(obs.map((o) => o.value).sort(), [0, 1, 2, 3, 4]);
    });

    it("throws DecodeError on invalid JSON", () => {
      assert.throws(() => decodeMessage(otlpJsonDecoderFactory.create({}), Buffer.from("{"), meta), DecodeError);
    });
  });
});
