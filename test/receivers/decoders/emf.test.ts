import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { DecodeError } from "../../../src/receivers/decoders/decode-error.ts";
import { emfDecoderFactory as factory } from "../../../src/receivers/decoders/emf.ts";
import { ucumFromCloudWatchUnit } from "../../../src/receivers/decoders/emf-units.ts";
import { decodeMessage } from "../../../src/receivers/decoders/registry.ts";
import { flatten } from "../kafka/recording-consumer.ts";

const meta = { timestampMs: 1_700_000_009_999, headers: {} };
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const decoder = (raw?: unknown) => {
  const errors: ConfigError[] = [];
  const options = factory.validate(raw, "emf", errors);
  assert.deepEqual(errors, []);
  return factory.create(options);
};

function event(overrides: Record<string, unknown> = {}, directive: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: "svc",
          Dimensions: [["Service"], ["Service", "Operation"]],
          Metrics: [{ Name: "Latency", Unit: "Milliseconds", StorageResolution: 1 }, { Name: "Size", Unit: "Bytes" }],
          ...directive,
        },
      ],
    },
    Service: "api",
    Operation: "get",
    Latency: [12, 15.5, 3],
    Size: 100,
    requestId: "r-1",
    ...overrides,
  };
}

describe("emfDecoderFactory", () => {
  describe("decode", () => {
    it("makes one samples series per dimension set with the values, unit and timestamp", () => {
      const batch = decodeMessage(decoder(), enc(event()), meta);
      assert.equal(batch.rejectedPoints, 0);
      const scope = batch.resources[0].scopes[0];
      assert.equal(scope.name, "svc");
      const latency = scope.metrics.find((m) => m.name === "Latency");
      assert.ok(latency?.type === "samples");
      assert.equal(latency.unit, "ms");
      assert.deepEqual(
        latency.points.map((p) => [p.attributes, [...p.values], p.timeMs]),
        [
          [{ Service: "api" }, [12, 15.5, 3], 1_700_000_000_000],
          [{ Operation: "get", Service: "api" }, [12, 15.5, 3], 1_700_000_000_000],
        ],
      );
      const size = scope.metrics.find((m) => m.name === "Size");
      assert.equal(size?.unit, "By");
      assert.equal(flatten(batch).length, 8);
    });

    it("publishes without dimensions when Dimensions is empty, and keeps other properties out unless configured", () => {
      const plain = flatten(decodeMessage(decoder(), enc(event({}, { Dimensions: [] })), meta));
      assert.deepEqual(plain.map((o) => o.attributes), [{}, {}, {}, {}]);
      const withProps = flatten(decodeMessage(decoder({ properties_as_attributes: ["requestId", "absent"] }), enc(event({}, { Dimensions: [[]] })), meta));
      assert.deepEqual(withProps[0].attributes, { requestId: "r-1" });
    });

    it("uses the Kafka timestamp without _aws.Timestamp", () => {
      const e = event();
      delete (e._aws as Record<string, unknown>).Timestamp;
      assert.equal(flatten(decodeMessage(decoder(), enc(e), meta))[0].timeMs, meta.timestampMs);
    });

    it("refuses non-numeric values and series with a missing dimension as points, not messages", () => {
      const batch = decodeMessage(decoder(), enc(event({ Latency: [1, "x", null], Operation: undefined })), meta);
      // Dimension set [Service]: Latency 1 accepted, 2 refused; Size 100 accepted.
      // Dimension set [Service, Operation]: Operation missing -> Latency's 3 values and Size's 1 refused.
      assert.equal(batch.rejectedPoints, 2 + 4);
      assert.deepEqual(flatten(batch).map((o) => [o.metric, o.value]), [["Latency", 1], ["Size", 100]]);
    });

    it("refuses a metric whose member is missing", () => {
      const batch = decodeMessage(decoder(), enc(event({ Size: undefined }, { Dimensions: [["Service"]] })), meta);
      assert.equal(batch.rejectedPoints, 1);
      assert.match(batch.rejectionMessage, /Size: expected a number or an array of numbers, got undefined/);
    });

    it("throws DecodeError with the field path on malformed metadata, appending nothing", () => {
      const cases: Array<[unknown, string]> = [
        [{ Latency: 1 }, "_aws"],
        [{ _aws: { CloudWatchMetrics: {} } }, "_aws.CloudWatchMetrics"],
        [event({}, { Namespace: "" }), "_aws.CloudWatchMetrics[0].Namespace"],
        [event({}, { Dimensions: [["Service", 3]] }), "_aws.CloudWatchMetrics[0].Dimensions[0][1]"],
        [event({}, { Dimensions: [Array.from({ length: 31 }, (_, i) => `d${i}`)] }), "_aws.CloudWatchMetrics[0].Dimensions[0]"],
        [event({}, { Metrics: [{ Name: "Latency" }, { Unit: "Count" }] }), "_aws.CloudWatchMetrics[0].Metrics[1].Name"],
        [event({}, { Metrics: [{ Name: "Latency", StorageResolution: 5 }] }), "_aws.CloudWatchMetrics[0].Metrics[0].StorageResolution"],
        [{ ...event(), _aws: { Timestamp: "now", CloudWatchMetrics: [] } }, "_aws.Timestamp"],
      ];
      for (const [doc, path] of cases) {
        assert.throws(
          () => decodeMessage(decoder(), enc(doc), meta),
          (e: unknown) => e instanceof DecodeError && e.path === path,
          `expected DecodeError at ${path}`,
        );
      }
      assert.throws(() => decodeMessage(decoder(), Buffer.from("[1,2]"), meta), DecodeError);
    });
  });
});

describe("ucumFromCloudWatchUnit", () => {
  it("maps CloudWatch units to UCUM and leaves unknown units as they are", () => {
    assert.equal(ucumFromCloudWatchUnit("Microseconds"), "us");
    assert.equal(ucumFromCloudWatchUnit("Count/Second"), "{count}/s");
    assert.equal(ucumFromCloudWatchUnit("None"), "");
    assert.equal(ucumFromCloudWatchUnit("furlongs"), "furlongs");
    assert.equal(ucumFromCloudWatchUnit("constructor"), "constructor");
  });
});
