import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ValueType } from "@opentelemetry/api";
import { AggregationType } from "@opentelemetry/sdk-metrics";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OtlpProtoDecoder } from "../../../src/receivers/otlp/otlp-proto-decoder.ts";
import { AttributeInterner } from "../../../src/receivers/otlp/attribute-interner.ts";
import { OtlpDecodeError } from "../../../src/receivers/otlp/errors.ts";
import { attributesKey } from "../../../src/core/attributes-key.ts";
import type { DecodedBatch, DecodedMetric } from "../../../src/pipeline/types.ts";
import { createSdkHarness, expectedBatch, normalizeBatch } from "../../support/otlp-sdk.ts";
import { PbWriter, WIRE, kvString, nanos } from "../../support/otlp-proto-writer.ts";

function serialize(rm: Parameters<typeof ProtobufMetricsSerializer.serializeRequest>[0]): Uint8Array {
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  assert.ok(bytes !== undefined);
  return bytes;
}

function metricByName(batch: DecodedBatch, name: string): DecodedMetric {
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) if (m.name === name) return m;
    }
  }
  throw new Error(`metric ${name} not decoded`);
}

/** ExportMetricsServiceRequest with one resource, one scope and the given metrics. */
function request(metrics: ((m: PbWriter) => void)[], resourceAttrs: (r: PbWriter) => void = () => {}): Uint8Array {
  return new PbWriter()
    .message(1, (rm) => {
      rm.message(1, resourceAttrs);
      rm.message(2, (sm) => {
        sm.message(1, (scope) => scope.stringField(1, "hand").stringField(2, "0.1"));
        for (const m of metrics) sm.message(2, m);
      });
    })
    .finish();
}

function decodeError(decoder: OtlpProtoDecoder, bytes: Uint8Array): OtlpDecodeError {
  try {
    decoder.decode(bytes);
  } catch (err) {
    assert.ok(err instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail("decode did not throw");
}

describe("OtlpProtoDecoder", () => {
  describe("decode (payloads from the SDK's ProtobufMetricsSerializer)", () => {
    it("decodes counters, up-down counters, gauges and histograms with cumulative temporality", async () => {
      const sdk = createSdkHarness({ temporality: "cumulative", resource: { "service.name": "svc", "host.id": 7 } });
      const counter = sdk.meter.createCounter("requests", { unit: "{request}", description: "Requests served" });
      counter.add(3, { route: "/a", code: 200 });
      counter.add(4, { route: "/a", code: 200 });
      counter.add(1.5, { route: "/b", ratio: 0.25, ok: true, tags: ["x", "y"] });
      const ints = sdk.meter.createCounter("bytes", { valueType: ValueType.INT });
      ints.add(9007199254740991);
      const upDown = sdk.meter.createUpDownCounter("queue", { valueType: ValueType.INT });
      upDown.add(5);
      upDown.add(-12);
      const gauge = sdk.meter.createGauge("temperature", { unit: "Cel" });
      gauge.record(21.5, { room: "a" });
      gauge.record(-3.25, { room: "b" });
      const hist = sdk.meter.createHistogram("latency", { unit: "ms" });
      for (const v of [0, 3, 7, 7, 120, 20000]) hist.record(v, { route: "/a" });
      const rm = await sdk.collect();
      await sdk.shutdown();

      const batch = new OtlpProtoDecoder().decode(serialize(rm));
      assert.deepStrictEqual(normalizeBatch(batch), normalizeBatch(expectedBatch(rm)));

      // Spot checks against what was recorded, not only against the SDK's own data.
      assert.deepStrictEqual(batch.resources[0].attributes, { "host.id": 7, "service.name": "svc" });
      assert.equal(batch.resources[0].scopes[0].name, "test-scope");
      assert.equal(batch.resources[0].scopes[0].version, "1.2.3");
      const requests = metricByName(batch, "requests");
      assert.equal(requests.type, "sum");
      assert.ok(requests.type === "sum");
      assert.equal(requests.temporality, "cumulative");
      assert.equal(requests.monotonic, true);
      assert.equal(requests.unit, "{request}");
      assert.equal(requests.description, "Requests served");
      const a = requests.points.find((p) => p.attributes.route === "/a");
      assert.equal(a?.value, 7);
      assert.deepStrictEqual(a?.attributes, { code: 200, route: "/a" });
      const b = requests.points.find((p) => p.attributes.route === "/b");
      assert.equal(b?.value, 1.5);
      assert.deepStrictEqual(b?.attributes, { ok: true, ratio: 0.25, route: "/b", tags: '["x","y"]' });
      const bytes = metricByName(batch, "bytes");
      assert.ok(bytes.type === "sum");
      assert.equal(bytes.points[0].value, 9007199254740991);
      const queue = metricByName(batch, "queue");
      assert.ok(queue.type === "sum");
      assert.equal(queue.monotonic, false);
      assert.equal(queue.points[0].value, -7);
      const temperature = metricByName(batch, "temperature");
      assert.equal(temperature.type, "gauge");
      assert.deepStrictEqual(
        temperature.points.map((p) => [p.attributes.room, "value" in p ? p.value : undefined]),
        [
          ["a", 21.5],
          ["b", -3.25],
        ],
      );
      const latency = metricByName(batch, "latency");
      assert.ok(latency.type === "histogram");
      const hp = latency.points[0];
      assert.equal(hp.count, 6);
      assert.equal(hp.sum, 20137);
      assert.equal(hp.min, 0);
      assert.equal(hp.max, 20000);
      assert.deepStrictEqual(hp.boundaries, [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]);
      assert.deepStrictEqual(hp.bucketCounts, [1, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
      assert.ok(hp.timeMs >= hp.startTimeMs && hp.startTimeMs > 1.6e12);
    });

    it("decodes delta temporality", async () => {
      const sdk = createSdkHarness({ temporality: "delta" });
      const counter = sdk.meter.createCounter("c");
      const hist = sdk.meter.createHistogram("h");
      counter.add(10);
      hist.record(2);
      await sdk.collect();
      counter.add(5);
      hist.record(4);
      hist.record(6);
      const rm = await sdk.collect();
      await sdk.shutdown();
      const batch = new OtlpProtoDecoder().decode(serialize(rm));
      assert.deepStrictEqual(normalizeBatch(batch), normalizeBatch(expectedBatch(rm)));
      const c = metricByName(batch, "c");
      assert.ok(c.type === "sum");
      assert.equal(c.temporality, "delta");
      assert.equal(c.points[0].value, 5);
      const h = metricByName(batch, "h");
      assert.ok(h.type === "histogram");
      assert.equal(h.temporality, "delta");
      assert.equal(h.points[0].count, 2);
      assert.equal(h.points[0].sum, 10);
    });

    for (const temporality of ["cumulative", "delta"] as const) {
      it(`decodes exponential histograms (${temporality}) with positive and zero values`, async () => {
        const sdk = createSdkHarness({ temporality, exponential: true });
        const hist = sdk.meter.createHistogram("exp", { unit: "s" });
        // The SDK's Histogram instrument drops negative values; negative ranges are covered by hand-made payloads.
        const values = [0, 0, 0.001, 0.5, 1, 2, 3, 1000, 1e6];
        for (const v of values) hist.record(v, { k: "v" });
        const rm = await sdk.collect();
        await sdk.shutdown();
        const batch = new OtlpProtoDecoder().decode(serialize(rm));
        assert.deepStrictEqual(normalizeBatch(batch), normalizeBatch(expectedBatch(rm)));
        const m = metricByName(batch, "exp");
        assert.ok(m.type === "exponential_histogram");
        assert.equal(m.temporality, temporality);
        const p = m.points[0];
        assert.equal(p.count, values.length);
        assert.equal(p.zeroCount, 2);
        assert.equal(p.min, 0);
        assert.equal(p.max, 1e6);
        assert.equal(p.sum, values.reduce((s, v) => s + v, 0));
        const positive = p.positive.counts.reduce((s, c) => s + c, 0);
        const negative = p.negative.counts.reduce((s, c) => s + c, 0);
        assert.equal(positive, 7);
        assert.equal(negative, 0);
        assert.ok(p.scale < 20 && p.scale > -10, `scale ${p.scale}`);
      });
    }

    it("reports absent histogram min/max as NaN", async () => {
      const sdk = createSdkHarness({
        temporality: "cumulative",
        views: [
          {
            instrumentName: "nominmax",
            aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 10], recordMinMax: false } },
          },
        ],
      });
      sdk.meter.createHistogram("nominmax").record(5);
      const rm = await sdk.collect();
      await sdk.shutdown();
      const m = metricByName(new OtlpProtoDecoder().decode(serialize(rm)), "nominmax");
      assert.ok(m.type === "histogram");
      assert.ok(Number.isNaN(m.points[0].min));
      assert.ok(Number.isNaN(m.points[0].max));
      assert.deepStrictEqual(m.points[0].boundaries, [1, 10]);
      assert.deepStrictEqual(m.points[0].bucketCounts, [0, 1, 0]);
    });
  });

  describe("decode (hand-made payloads)", () => {
    it("decodes summaries keeping count and sum", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "rpc_duration").stringField(3, "s").message(11, (summary) => {
            summary.message(1, (dp) => {
              kvString(dp, 7, "method", "get");
              dp.fixed64Field(2, nanos(1_700_000_000_000))
                .fixed64Field(3, nanos(1_700_000_001_000, 500_000))
                .fixed64Field(4, 42)
                .doubleField(5, 12.75)
                .message(6, (q) => q.doubleField(1, 0.5).doubleField(2, 0.2))
                .message(6, (q) => q.doubleField(1, 0.99).doubleField(2, 1.7))
                .uintField(8, 0);
            });
          }),
      ]);
      const batch = new OtlpProtoDecoder().decode(bytes);
      assert.equal(batch.rejectedPoints, 0);
      const m = metricByName(batch, "rpc_duration");
      assert.equal(m.type, "summary");
      assert.equal(m.unit, "s");
      assert.deepStrictEqual(m.points, [
        {
          attributes: { method: "get" },
          attributesKey: "method\u0000sget",
          startTimeMs: 1_700_000_000_000,
          timeMs: 1_700_000_001_000.5,
          count: 42,
          sum: 12.75,
        },
      ]);
    });

    it("accepts unpacked and split bucket counts and bounds", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "h").message(9, (h) => {
            h.message(1, (dp) => {
              dp.fixed64Field(4, 6).doubleField(5, 30);
              dp.fixed64Field(6, 1).fixed64Field(6, 2).fixed64Field(6, 3); // unpacked counts
              dp.doubleField(7, 5).doubleField(7, 10); // unpacked bounds
            });
            h.message(1, (dp) => {
              dp.fixed64Field(4, 3);
              dp.bytesField(6, new PbWriter().fixed64(1).fixed64(1)).fixed64Field(6, 1); // packed then unpacked
              dp.bytesField(7, new PbWriter().double(5)).bytesField(7, new PbWriter().double(10)); // split packed
            });
            h.uintField(2, 1);
          }),
      ]);
      const m = metricByName(new OtlpProtoDecoder().decode(bytes), "h");
      assert.ok(m.type === "histogram");
      assert.equal(m.temporality, "delta");
      assert.deepStrictEqual(m.points[0].bucketCounts, [1, 2, 3]);
      assert.deepStrictEqual(m.points[0].boundaries, [5, 10]);
      assert.equal(m.points[0].sum, 30);
      assert.ok(Number.isNaN(m.points[1].sum), "absent sum is NaN");
      assert.deepStrictEqual(m.points[1].bucketCounts, [1, 1, 1]);
      assert.deepStrictEqual(m.points[1].boundaries, [5, 10]);
    });

    it("decodes exponential buckets given as unpacked varints and negative offsets/scales", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "e").message(10, (e) => {
            e.message(1, (dp) => {
              dp.fixed64Field(4, 7).doubleField(5, -3).sintField(6, -2).fixed64Field(7, 1);
              dp.message(8, (b) => b.sintField(1, -3).uintField(2, 2).uintField(2, 300));
              dp.message(9, (b) => b.bytesField(2, new PbWriter().varint(1).varint(2 ** 40)));
              dp.doubleField(12, -9).doubleField(13, 4);
            });
            e.uintField(2, 2);
          }),
      ]);
      const m = metricByName(new OtlpProtoDecoder().decode(bytes), "e");
      assert.ok(m.type === "exponential_histogram");
      assert.equal(m.temporality, "cumulative");
      const p = m.points[0];
      assert.equal(p.scale, -2);
      assert.equal(p.zeroCount, 1);
      assert.deepStrictEqual(p.positive, { offset: -3, counts: [2, 300] });
      assert.deepStrictEqual(p.negative, { offset: 0, counts: [1, 2 ** 40] });
      assert.equal(p.min, -9);
      assert.equal(p.max, 4);
    });

    it("reads as_int as signed sfixed64 and keeps NaN values for the pipeline to refuse", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "g").message(5, (g) => {
            g.message(1, (dp) => dp.tag(6, WIRE.I64).fixed64(-5n));
            g.message(1, (dp) => dp.tag(6, WIRE.I64).fixed64(-(2n ** 52n)));
            g.message(1, (dp) => dp.doubleField(4, NaN));
            g.message(1, (dp) => dp.doubleField(4, -Infinity));
          }),
      ]);
      const batch = new OtlpProtoDecoder().decode(bytes);
      const m = metricByName(batch, "g");
      assert.ok(m.type === "gauge");
      const values = m.points.map((p) => p.value);
      assert.equal(values[0], -5);
      assert.equal(values[1], -(2 ** 52));
      assert.ok(Number.isNaN(values[2]));
      assert.equal(values[3], -Infinity);
      assert.equal(batch.rejectedPoints, 0);
    });

    it("converts every AnyValue kind: bytes to base64, arrays and kvlists to JSON, int64 exactly", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "c").message(7, (s) => {
            s.message(1, (dp) => {
              dp.doubleField(4, 1);
              dp.message(7, (kv) => kv.stringField(1, "s").message(2, (av) => av.stringField(1, "héllo")));
              dp.message(7, (kv) => kv.stringField(1, "b").message(2, (av) => av.uintField(2, 1)));
              dp.message(7, (kv) => kv.stringField(1, "i").message(2, (av) => av.uintField(3, -42n)));
              dp.message(7, (kv) => kv.stringField(1, "big").message(2, (av) => av.uintField(3, 2n ** 40n)));
              dp.message(7, (kv) => kv.stringField(1, "d").message(2, (av) => av.doubleField(4, 2.5)));
              dp.message(7, (kv) => kv.stringField(1, "raw").message(2, (av) => av.bytesField(7, Uint8Array.from([0, 1, 254, 255]))));
              dp.message(7, (kv) =>
                kv.stringField(1, "arr").message(2, (av) =>
                  av.message(5, (arr) => {
                    arr.message(1, (v) => v.stringField(1, "x"));
                    arr.message(1, (v) => v.uintField(3, 3));
                    arr.message(1, (v) => v.message(5, (inner) => inner.message(1, (iv) => iv.uintField(2, 0))));
                  }),
                ),
              );
              dp.message(7, (kv) =>
                kv.stringField(1, "kv").message(2, (av) =>
                  av.message(6, (list) => {
                    list.message(1, (e) => e.stringField(1, "z").message(2, (v) => v.doubleField(4, 0.5)));
                    list.message(1, (e) => e.stringField(1, "a").message(2, (v) => v.stringField(1, "q")));
                  }),
                ),
              );
              dp.message(7, (kv) => kv.stringField(1, "empty").message(2, () => {}));
              dp.sintField(99, 5); // unknown field
            });
            s.uintField(2, 2).uintField(3, 1);
          }),
      ]);
      const m = metricByName(new OtlpProtoDecoder().decode(bytes), "c");
      assert.ok(m.type === "sum");
      assert.deepStrictEqual(m.points[0].attributes, {
        arr: '["x",3,[false]]',
        b: true,
        big: 2 ** 40,
        d: 2.5,
        i: -42,
        kv: '{"z":0.5,"a":"q"}',
        raw: "AAH+/w==",
        s: "héllo",
      });
      assert.deepStrictEqual(Object.keys(m.points[0].attributes), ["arr", "b", "big", "d", "i", "kv", "raw", "s"]);
      assert.ok(Object.isFrozen(m.points[0].attributes));
    });

    it("skips unknown fields of every wire type at every level, including groups", () => {
      const unknowns = (w: PbWriter): void => {
        w.uintField(100, 2n ** 63n)
          .fixed64Field(101, 1)
          .stringField(102, "junk")
          .tag(103, WIRE.I32)
          .fixed32(7)
          .tag(104, WIRE.SGROUP)
          .uintField(1, 5)
          .tag(2, WIRE.SGROUP)
          .tag(2, WIRE.EGROUP)
          .tag(104, WIRE.EGROUP);
      };
      const bytes = new PbWriter()
        .message(1, (rm) => {
          unknowns(rm);
          rm.message(1, (r) => {
            unknowns(r);
            kvString(r, 1, "service.name", "x");
            r.uintField(2, 0);
          });
          rm.message(2, (sm) => {
            unknowns(sm);
            sm.message(1, (scope) => {
              unknowns(scope);
              scope.stringField(1, "s");
            });
            sm.message(2, (m) => {
              unknowns(m);
              m.stringField(1, "n");
              m.message(12, (md) => kvString(md, 1, "meta", "data"));
              m.message(7, (s) => {
                unknowns(s);
                s.message(1, (dp) => {
                  unknowns(dp);
                  dp.doubleField(4, 3);
                  dp.message(5, (ex) => ex.doubleField(3, 1).bytesField(4, Uint8Array.from([1, 2])));
                });
              });
            });
            sm.stringField(3, "https://schema");
          });
          rm.stringField(3, "https://schema");
        })
        .stringField(77, "trailing unknown")
        .finish();
      const batch = new OtlpProtoDecoder().decode(bytes);
      assert.deepStrictEqual(batch.resources[0].attributes, { "service.name": "x" });
      const m = metricByName(batch, "n");
      assert.ok(m.type === "sum");
      assert.equal(m.points[0].value, 3);
      assert.deepStrictEqual(m.points[0].attributes, {});
      assert.equal(m.points[0].attributesKey, "");
    });

    it("counts points with an empty metric name, no value, an unknown data type or mismatched buckets as rejected", () => {
      const bytes = request([
        (m) => m.message(7, (s) => s.message(1, (dp) => dp.doubleField(4, 1)).message(1, (dp) => dp.doubleField(4, 2))),
        (m) => m.stringField(1, "novalue").message(5, (g) => g.message(1, (dp) => dp.fixed64Field(3, 1)).message(1, (dp) => dp.doubleField(4, 9))),
        (m) => m.stringField(1, "legacy").message(4, (g) => g.message(1, () => {}).message(1, () => {}).message(1, () => {})),
        (m) =>
          m.stringField(1, "badhist").message(9, (h) =>
            h.message(1, (dp) => dp.fixed64Field(4, 1).bytesField(6, new PbWriter().fixed64(1).fixed64(0)).bytesField(7, new PbWriter().double(1).double(2))),
          ),
        (m) => m.stringField(1, "nodata"),
      ]);
      const batch = new OtlpProtoDecoder().decode(bytes);
      assert.equal(batch.rejectedPoints, 2 + 1 + 3 + 1);
      assert.match(batch.rejectionMessage, /empty name/);
      const names = batch.resources[0].scopes[0].metrics.map((m) => m.name);
      assert.deepStrictEqual(names, ["novalue", "badhist"]);
      const novalue = metricByName(batch, "novalue");
      assert.equal(novalue.points.length, 1);
      assert.equal(metricByName(batch, "badhist").points.length, 0);
    });

    it("refuses points with an empty attribute key and keeps their neighbours", () => {
      const bytes = request([
        (m) =>
          m.stringField(1, "g").message(5, (g) =>
            g
              .message(1, (dp) => kvString(kvString(dp, 7, "a", "1"), 7, "", "v").doubleField(4, 1))
              .message(1, (dp) => kvString(dp, 7, "a", "2").doubleField(4, 2)),
          ),
        (m) => m.stringField(1, "h").message(9, (h) => h.message(1, (dp) => kvString(dp, 9, "", "v").fixed64Field(4, 0))),
        (m) => m.stringField(1, "e").message(10, (h) => h.message(1, (dp) => kvString(dp, 1, "", "v").fixed64Field(4, 0))),
        (m) => m.stringField(1, "s").message(11, (h) => h.message(1, (dp) => kvString(dp, 7, "", "v").fixed64Field(4, 0))),
      ]);
      const batch = new OtlpProtoDecoder().decode(bytes);
      assert.equal(batch.rejectedPoints, 4);
      assert.match(batch.rejectionMessage, /number data point at byte \d+: empty attribute key/);
      const g = metricByName(batch, "g");
      assert.deepStrictEqual(g.points.map((p) => p.attributes), [{ a: "2" }]);
      for (const name of ["h", "e", "s"]) assert.equal(metricByName(batch, name).points.length, 0);
    });

    it("refuses strings that are not UTF-8: the point for an attribute, the metric for its name, every point of a resource or scope", () => {
      const bad = Uint8Array.from([0x61, 0xc3, 0x28]); // "a" then a broken two-byte sequence
      const kvBad = (w: PbWriter, field: number, where: "key" | "value"): PbWriter =>
        w.message(field, (kv) =>
          where === "key" ? kv.bytesField(1, bad).message(2, (av) => av.stringField(1, "v")) : kv.stringField(1, "k").message(2, (av) => av.bytesField(1, bad)),
        );
      const points = request([
        (m) =>
          m.stringField(1, "g").message(5, (g) =>
            g
              .message(1, (dp) => kvBad(dp, 7, "key").doubleField(4, 1))
              .message(1, (dp) => kvBad(dp, 7, "value").doubleField(4, 2))
              .message(1, (dp) => kvString(dp, 7, "k", "ok\u00e9").doubleField(4, 3)),
          ),
        (m) => m.bytesField(1, bad).message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1)).message(1, (dp) => dp.doubleField(4, 2))),
        (m) => m.stringField(1, "u").bytesField(3, bad).message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1))),
      ]);
      const batch = new OtlpProtoDecoder().decode(points);
      assert.equal(batch.rejectedPoints, 2 + 2 + 1);
      assert.match(batch.rejectionMessage, /not valid UTF-8/);
      assert.deepStrictEqual(metricByName(batch, "g").points.map((p) => ("value" in p ? p.value : NaN)), [3]);
      assert.deepStrictEqual(batch.resources[0].scopes[0].metrics.map((m) => m.name), ["g"]);

      const resource = request([(m) => m.stringField(1, "r").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1)).message(1, (dp) => dp.doubleField(4, 2)))], (r) =>
        kvBad(r, 1, "value"),
      );
      const rb = new OtlpProtoDecoder().decode(resource);
      assert.equal(rb.rejectedPoints, 2);
      assert.match(rb.rejectionMessage, /resource at byte \d+: the attribute string at byte \d+ is not valid UTF-8; its 2 point\(s\) refused/);
      assert.deepStrictEqual(rb.resources[0].scopes, []);

      const scope = new PbWriter()
        .message(1, (rm) =>
          rm.message(2, (sm) => {
            sm.message(1, (sc) => sc.bytesField(1, bad));
            sm.message(2, (m) => m.stringField(1, "x").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1))));
          }),
        )
        .finish();
      const sb = new OtlpProtoDecoder().decode(scope);
      assert.equal(sb.rejectedPoints, 1);
      assert.match(sb.rejectionMessage, /scope at byte \d+: name or version is not valid UTF-8/);
    });

    it("truncates attribute values beyond 4096 characters (counted once per set built) and refuses keys beyond 1024", () => {
      const long = "\u00e9".repeat(4095) + "\ud83d\ude00" + "x".repeat(100);
      const bytes = request([
        (m) =>
          m.stringField(1, "g").message(5, (g) =>
            g
              .message(1, (dp) => kvString(dp, 7, "k", long).doubleField(4, 1))
              .message(1, (dp) => kvString(dp, 7, "k", long).doubleField(4, 2))
              .message(1, (dp) => kvString(dp, 7, "q".repeat(1025), "v").doubleField(4, 3)),
          ),
      ]);
      const decoder = new OtlpProtoDecoder();
      const batch = decoder.decode(bytes);
      const points = metricByName(batch, "g").points;
      assert.equal(points.length, 2);
      // the cut falls inside the emoji's surrogate pair: both halves go
      assert.equal(points[0].attributes.k, "\u00e9".repeat(4095));
      assert.equal(points[0].attributes, points[1].attributes);
      assert.equal(decoder.interner.truncatedValues, 1);
      assert.equal(batch.rejectedPoints, 1);
      assert.match(batch.rejectionMessage, /attribute key of 1025 characters exceeds 1024/);
    });

    it("accepts U+FFFD itself, which is valid UTF-8", () => {
      const batch = new OtlpProtoDecoder().decode(
        request([(m) => m.stringField(1, "g").message(5, (g) => g.message(1, (dp) => kvString(dp, 7, "k", "\uFFFD and more text than the ASCII path takes").doubleField(4, 1)))]),
      );
      assert.equal(batch.rejectedPoints, 0);
      assert.deepStrictEqual(metricByName(batch, "g").points[0].attributes, { k: "\uFFFD and more text than the ASCII path takes" });
    });

    it("names the first rejection reason", () => {
      const bytes = request([(m) => m.stringField(1, "legacy").message(6, (s) => s.message(1, () => {}))]);
      const batch = new OtlpProtoDecoder().decode(bytes);
      assert.equal(batch.rejectedPoints, 1);
      assert.match(batch.rejectionMessage, /metric "legacy" .* unsupported data type \(Metric field 6\)/);
    });
  });

  describe("decode (interning)", () => {
    it("returns the same frozen attributes object and key string for the same set across requests and field orders", () => {
      const point = (order: string[]) =>
        request([
          (m) =>
            m.stringField(1, "c").message(7, (s) =>
              s.message(1, (dp) => {
                dp.doubleField(4, 1);
                for (const k of order) kvString(dp, 7, k, `v-${k}`);
              }),
            ),
        ]);
      const decoder = new OtlpProtoDecoder();
      const p1 = metricByName(decoder.decode(point(["a", "b"])), "c").points[0];
      const p2 = metricByName(decoder.decode(point(["a", "b"])), "c").points[0];
      const p3 = metricByName(decoder.decode(point(["b", "a"])), "c").points[0];
      assert.equal(p1.attributes, p2.attributes);
      assert.equal(p1.attributesKey, p2.attributesKey);
      assert.equal(p1.attributes, p3.attributes, "another field order yields the same interned set");
      assert.equal(p1.attributesKey, attributesKey({ a: "v-a", b: "v-b" }));
      assert.ok(Object.isFrozen(p1.attributes));
    });

    it("shares one frozen boundaries array between points with the same layout", async () => {
      const sdk = createSdkHarness({ temporality: "cumulative" });
      const h = sdk.meter.createHistogram("h");
      h.record(1, { a: "1" });
      h.record(2, { a: "2" });
      const rm = await sdk.collect();
      await sdk.shutdown();
      const m = metricByName(new OtlpProtoDecoder().decode(serialize(rm)), "h");
      assert.ok(m.type === "histogram");
      assert.equal(m.points[0].boundaries, m.points[1].boundaries);
      assert.ok(Object.isFrozen(m.points[0].boundaries));
    });

    it("keeps the intern cache bounded and counts evictions", () => {
      const interner = new AttributeInterner(8);
      const decoder = new OtlpProtoDecoder({ interner });
      const gauge = (value: number, label: string): Uint8Array =>
        request([
          (m) =>
            m.stringField(1, "c").message(5, (g) =>
              g.message(1, (dp) => {
                dp.doubleField(4, value);
                kvString(dp, 7, "i", label);
              }),
            ),
        ]);
      for (let i = 0; i < 100; i++) decoder.decode(gauge(i, String(i)));
      assert.ok(interner.size <= 4 * 8, `size ${interner.size}`);
      assert.ok(interner.evictions >= 100 - 16, `evictions ${interner.evictions}`);
      // Still correct after rotations.
      const p = metricByName(decoder.decode(gauge(1, "5")), "c").points[0];
      assert.deepStrictEqual(p.attributes, { i: "5" });
    });
  });

  describe("decode (malformed input)", () => {
    const decoder = new OtlpProtoDecoder();

    it("reports a truncated varint with its byte offset", () => {
      const err = decodeError(decoder, Uint8Array.from([0x0a, 0xff, 0xff]));
      assert.equal(err.kind, "protobuf");
      assert.equal(err.offset, 1);
      assert.match(err.message, /truncated varint at byte 1/);
    });

    it("reports a length running past the end of the enclosing message", () => {
      const err = decodeError(decoder, Uint8Array.from([0x0a, 0x05, 0x12, 0x10, 0, 0, 0]));
      assert.match(err.message, /length 16 runs past the end of the enclosing message \(byte 7\) at byte 3/);
      assert.equal(err.offset, 3);
    });

    it("reports a wrong wire type for a known field", () => {
      const bytes = request([(m) => m.uintField(1, 5)]);
      const err = decodeError(decoder, bytes);
      assert.match(err.message, /field Metric\.name has wire type varint, expected length-delimited at byte \d+/);
    });

    it("reports field number 0, invalid wire types, truncated fixed64 and stray end-groups", () => {
      assert.match(decodeError(decoder, Uint8Array.from([0x00, 0x01])).message, /field number 0 at byte 0/);
      assert.match(decodeError(decoder, Uint8Array.from([0x16])).message, /invalid wire type 6 for field 2 at byte 0/);
      assert.match(decodeError(decoder, Uint8Array.from([0x0e])).message, /resource_metrics has wire type invalid\(6\), expected length-delimited at byte 0/);
      assert.match(decodeError(decoder, Uint8Array.from([0x11, 1, 2, 3])).message, /truncated 64-bit field at byte 1/);
      assert.match(decodeError(decoder, Uint8Array.from([0x14])).message, /unexpected end-group for field 2 at byte 0/);
      assert.match(decodeError(decoder, Uint8Array.from([0x13, 0x10, 0x01])).message, /unterminated group 2 at byte 0/);
      const packed = request([(m) => m.stringField(1, "h").message(9, (h) => h.message(1, (dp) => dp.bytesField(6, Uint8Array.from([1, 2, 3]))))]);
      assert.match(decodeError(decoder, packed).message, /packed HistogramDataPoint\.bucket_counts length 3 is not a multiple of 8/);
    });

    it("reports a truncated double inside a data point and stays usable afterwards", () => {
      const good = request([(m) => m.stringField(1, "g").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 2)))]);
      const bad = good.slice(0, good.length - 3);
      assert.throws(() => decoder.decode(bad), OtlpDecodeError);
      const m = metricByName(decoder.decode(good), "g");
      assert.ok(m.type === "gauge");
      assert.equal(m.points[0].value, 2);
    });

    it("refuses AnyValues nested too deeply", () => {
      let nested = new PbWriter().stringField(1, "leaf");
      for (let i = 0; i < 40; i++) nested = new PbWriter().message(5, (arr) => arr.bytesField(1, nested));
      const deep = request([
        (m) => m.stringField(1, "c").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1).message(7, (kv) => kv.stringField(1, "k").bytesField(2, nested)))),
      ]);
      assert.match(decodeError(decoder, deep).message, /AnyValue nested deeper than 32 levels/);
    });

    it("decodes an empty request to an empty batch", () => {
      assert.deepStrictEqual(decoder.decode(new Uint8Array(0)), { resources: [], rejectedPoints: 0, rejectionMessage: "" });
    });
  });
});
