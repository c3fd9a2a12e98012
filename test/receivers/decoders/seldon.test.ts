import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError } from "../../../src/receivers/decoders/decode-error.ts";
import { decodeMessage } from "../../../src/receivers/decoders/registry.ts";
import { seldonDecoderFactory as factory } from "../../../src/receivers/decoders/seldon.ts";
import { flatten } from "../kafka/recording-consumer.ts";

const meta = { timestampMs: 1_700_000_000_000, headers: {} };
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const decoder = () => factory.create(factory.defaultOptions());

describe("seldonDecoderFactory", () => {
  describe("decode", () => {
    it("maps COUNTER to a monotonic delta sum, GAUGE to a gauge and TIMER to ms samples", () => {
      const batch = decodeMessage(
        decoder(),
        enc({
          meta: {
            puid: "abc",
            metrics: [
              { type: "COUNTER", key: "requests", value: 1, tags: { model: "iris" } },
              { type: "GAUGE", key: "queue", value: 7 },
              { type: "TIMER", key: "latency", value: 12.5, tags: { model: "iris" } },
            ],
          },
          data: { ndarray: [[1, 2]] },
        }),
        meta,
      );
      const metrics = batch.resources[0].scopes[0].metrics;
      const byName = new Map(metrics.map((m) => [m.name, m]));
      const req = byName.get("requests");
      assert.ok(req?.type === "sum" && req.monotonic && req.temporality === "delta");
      assert.equal(req.points[0].value, 1);
      assert.deepEqual(req.points[0].attributes, { model: "iris" });
      assert.equal(byName.get("queue")?.type, "gauge");
      const lat = byName.get("latency");
      assert.ok(lat?.type === "samples");
      assert.equal(lat.unit, "ms");
      assert.deepEqual([...lat.points[0].values], [12.5]);
      assert.equal(lat.points[0].timeMs, meta.timestampMs);
    });

    it("accepts a bare list of metrics", () => {
      const obs = flatten(decodeMessage(decoder(), enc([{ type: "GAUGE", key: "g", value: 3 }]), meta));
      assert.deepEqual(obs.map((o) => [o.metric, o.type, o.value]), [["g", "gauge", 3]]);
    });

    it("keeps series of one key with different tag names apart instead of failing", () => {
      const obs = flatten(
        decodeMessage(
          decoder(),
          enc([
            { type: "COUNTER", key: "c", value: 1, tags: { a: "1" } },
            { type: "COUNTER", key: "c", value: 2, tags: { b: "2" } },
            { type: "COUNTER", key: "c", value: 3 },
          ]),
          meta,
        ),
      );
      assert.deepEqual(obs.map((o) => o.attributes), [{ a: "1" }, { b: "2" }, {}]);
    });

    it("skips a response without metrics without rejecting anything", () => {
      const batch = decodeMessage(decoder(), enc({ meta: {}, data: {} }), meta);
      assert.equal(batch.resources.length, 0);
      assert.equal(batch.rejectedPoints, 0);
    });

    it("counts bad entries (unknown type, missing key, non-numeric value) as rejected points", () => {
      const batch = decodeMessage(
        decoder(),
        enc([
          { type: "HISTOGRAM", key: "a", value: 1 },
          { type: "GAUGE", value: 1 },
          { type: "GAUGE", key: "b", value: "x" },
          "nope",
          { type: "GAUGE", key: "ok", value: 1 },
        ]),
        meta,
      );
      assert.equal(batch.rejectedPoints, 4);
      assert.match(batch.rejectionMessage, /\[0\]\.type: expected COUNTER, GAUGE or TIMER, got "HISTOGRAM"/);
      assert.deepEqual(flatten(batch).map((o) => o.metric), ["ok"]);
    });

    it("throws DecodeError naming the field when meta or meta.metrics has the wrong shape", () => {
      assert.throws(() => decodeMessage(decoder(), enc({ meta: { metrics: {} } }), meta), (e: unknown) => e instanceof DecodeError && e.path === "meta.metrics");
      assert.throws(() => decodeMessage(decoder(), enc({ meta: 3 }), meta), (e: unknown) => e instanceof DecodeError && e.path === "meta");
      assert.throws(() => decodeMessage(decoder(), enc("str"), meta), DecodeError);
      assert.throws(() => decodeMessage(decoder(), Buffer.from("{\"meta\":"), meta), DecodeError);
    });
  });
});
