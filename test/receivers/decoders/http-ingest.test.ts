import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "../../../src/receivers/attribute-limits.ts";
import { createIngestDecoders } from "../../../src/receivers/decoders/http-ingest.ts";
import { OtlpDecodeError } from "../../../src/receivers/otlp/errors.ts";

/** For requests whose attribute values are all short. */
const noTruncation = (values: number): void => assert.fail(`${values} values reported truncated`);

describe("createIngestDecoders", () => {
  it("serves every encoding that works with default options, and not regex (it needs rules)", () => {
    assert.deepEqual(Object.keys(createIngestDecoders()).sort(), ["emf", "kafka_topic_exporter", "otlp_json", "otlp_proto", "seldon"]);
  });

  it("decodes each request into its own batch, stamping formats without timestamps with the receive time", () => {
    const decode = createIngestDecoders().kafka_topic_exporter;
    const before = Date.now();
    const first = decode(Buffer.from(JSON.stringify({ name: "a", value: 1, labels: { k: "v" } })), "application/json", noTruncation);
    const second = decode(Buffer.from(JSON.stringify([{ name: "b", value: 2 }, { name: "b", value: "x" }])), "application/json", noTruncation);
    const metric = first.resources[0].scopes[0].metrics[0];
    assert.equal(metric.name, "a");
    assert.equal(metric.type, "samples");
    const point = metric.points[0];
    assert.deepEqual(point.attributes, { k: "v" });
    assert.ok(point.timeMs >= before && point.timeMs <= Date.now());
    assert.equal(first.rejectedPoints, 0);
    assert.deepEqual(
      second.resources.flatMap((r) => r.scopes.flatMap((s) => s.metrics.map((m) => m.name))),
      ["b"],
      "nothing of the first request is left in the second batch",
    );
    assert.equal(second.rejectedPoints, 1);
  });

  it("throws an OtlpDecodeError naming the encoding and the field for a malformed body, and recovers", () => {
    const decode = createIngestDecoders().emf;
    assert.throws(
      () => decode(Buffer.from(JSON.stringify({ _aws: { CloudWatchMetrics: "nope" } })), "application/json", noTruncation),
      (e: unknown) => e instanceof OtlpDecodeError && e.kind === "extra" && e.path === "_aws.CloudWatchMetrics" && e.message.startsWith("emf: _aws.CloudWatchMetrics: expected an array"),
    );
    const ok = decode(
      Buffer.from(JSON.stringify({ _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: "n", Dimensions: [], Metrics: [{ Name: "m" }] }] }, m: 3 })),
      "application/json",
      noTruncation,
    );
    assert.equal(ok.resources[0].scopes[0].metrics[0].points[0].timeMs, 1_700_000_000_000);
  });

  it("reports the attribute values a request's decoding cut, for every encoding with attributes", () => {
    const decoders = createIngestDecoders();
    const big = "v".repeat(MAX_ATTRIBUTE_VALUE_LENGTH + 1);
    const bodies: Record<string, string> = {
      kafka_topic_exporter: JSON.stringify({ name: "k", value: 1, labels: { big } }),
      seldon: JSON.stringify({ meta: { metrics: [{ type: "GAUGE", key: "s", value: 1, tags: { big } }] } }),
      emf: JSON.stringify({ _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: "n", Dimensions: [["big"]], Metrics: [{ Name: "m" }] }] }, big, m: 1 }),
      otlp_json: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "o", gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: "1", attributes: [{ key: "big", value: { stringValue: big } }] }] } }] }] }] }),
    };
    for (const [encoding, body] of Object.entries(bodies)) {
      const reported: number[] = [];
      const batch = decoders[encoding](Buffer.from(body), "application/json", (n) => reported.push(n));
      assert.deepStrictEqual(reported, [1], encoding);
      assert.equal(batch.resources[0].scopes[0].metrics[0].points[0].attributes.big, big.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH), encoding);
    }
  });
});
