import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodingForContentType, headerText, sniffJsonEncoding } from "../../../src/receivers/decoders/content-type.ts";
import { DecodeError } from "../../../src/receivers/decoders/decode-error.ts";
import { HeaderSelectingDecoder } from "../../../src/receivers/decoders/header-selecting-decoder.ts";
import { DECODER_FACTORIES, decodeMessage } from "../../../src/receivers/decoders/registry.ts";
import type { MessageDecoder } from "../../../src/receivers/decoders/types.ts";
import { flatten } from "../kafka/recording-consumer.ts";

const b = (s: string) => Buffer.from(s);

describe("encodingForContentType", () => {
  it("maps protobuf, text and explicit statset types", () => {
    assert.equal(encodingForContentType("application/x-protobuf", b("")), "otlp_proto");
    assert.equal(encodingForContentType("Text/Plain; charset=utf-8", b("")), "regex");
    assert.equal(encodingForContentType("application/vnd.statset.emf", b("")), "emf");
    assert.equal(encodingForContentType("image/png", b("")), undefined);
  });

  it("sniffs JSON by its distinguishing members", () => {
    const json = (s: string) => encodingForContentType("application/json", b(s));
    assert.equal(json(' {"Latency": 1, "_aws": {}}'), "emf");
    assert.equal(json('{"resourceMetrics": []}'), "otlp_json");
    assert.equal(json('{"meta": {"metrics": []}}'), "seldon");
    assert.equal(json('[{"type": "GAUGE", "key": "k", "value": 1}]'), "seldon");
    assert.equal(json('{"name": "x", "value": 1}'), "kafka_topic_exporter");
    assert.equal(encodingForContentType("application/cloudevents+json", b('[{"name":"a"}]')), "kafka_topic_exporter");
    assert.equal(sniffJsonEncoding(b('{"other": 1}')), undefined);
  });
});

describe("headerText", () => {
  it("finds a header in any case and takes the first of several values", () => {
    assert.equal(headerText({ "Content-Type": [b("application/json"), "x"] }, "content-type"), "application/json");
    assert.equal(headerText({}, "content-type"), undefined);
  });
});

describe("HeaderSelectingDecoder", () => {
  const make = (name: string): MessageDecoder => {
    const f = DECODER_FACTORIES.get(name)!;
    return f.create(f.defaultOptions());
  };
  const decoders = new Map([["kafka_topic_exporter", make("kafka_topic_exporter")], ["emf", make("emf")], ["seldon", make("seldon")]]);
  const selecting = new HeaderSelectingDecoder(decoders.get("kafka_topic_exporter")!, decoders);

  describe("decode", () => {
    it("decodes by the content-type header and falls back to the configured encoding", () => {
      const emf = JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: "n", Dimensions: [], Metrics: [{ Name: "m" }] }] }, m: 2 });
      const viaHeader = flatten(decodeMessage(selecting, b(emf), { timestampMs: 1, headers: { "content-type": "application/json" } }));
      assert.deepEqual(viaHeader.map((o) => [o.scope, o.metric, o.value]), [["n", "m", 2]]);
      const fallback = flatten(decodeMessage(selecting, b('{"name":"k","value":5}'), { timestampMs: 1, headers: {} }));
      assert.deepEqual(fallback.map((o) => [o.metric, o.value]), [["k", 5]]);
    });

    it("throws DecodeError when the header names an encoding without a decoder", () => {
      assert.throws(
        () => decodeMessage(selecting, b("x=1"), { timestampMs: 1, headers: { "content-type": "text/plain" } }),
        (e: unknown) => e instanceof DecodeError && /"regex"/.test(e.message),
      );
    });
  });
});
