import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { gzipSync } from "node:zlib";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { ValueType } from "@opentelemetry/api";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import type { ConfigError } from "../../../src/components/types.ts";
import type { DecodedBatch, DecodedMetric } from "../../../src/pipeline/types.ts";
import { createOtlpReceiverFactory } from "../../../src/receivers/otlp/factory.ts";
import type { OtlpReceiver } from "../../../src/receivers/otlp/factory.ts";
import type { ExtraDecoders } from "../../../src/receivers/otlp/http-receiver.ts";
import { OtlpDecodeError } from "../../../src/receivers/otlp/errors.ts";
import { createSdkHarness, expectedBatch, normalizeBatch } from "../../support/otlp-sdk.ts";
import { RecordingConsumer, createTestContext } from "../../support/otlp-receiver-harness.ts";
import type { TestContext } from "../../support/otlp-receiver-harness.ts";
import { PbWriter } from "../../support/otlp-proto-writer.ts";
import { selfSignedCertificate, type TestCertificate } from "../../support/tls.ts";
import { streamEndlessBody } from "../../support/endless-body.ts";

interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

interface PostOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | number>;
  readonly body?: Uint8Array | string;
  readonly https?: { readonly ca: Buffer };
}

function send(port: number, path: string, options: PostOptions = {}): Promise<HttpResult> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const make = options.https === undefined ? httpRequest : httpsRequest;
    const req = make(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "POST",
        agent: false,
        headers: { ...(body === undefined ? {} : { "content-length": body.length }), ...options.headers },
        ...(options.https === undefined ? {} : { ca: options.https.ca, servername: "localhost" }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Minimal google.rpc.Status reader for assertions (code = 1, message = 2). */
function readStatus(bytes: Buffer): { code: number; message: string } {
  let pos = 0;
  let code = 0;
  let message = "";
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++];
      r += (b & 0x7f) * mul;
      if (b < 0x80) return r;
      mul *= 128;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === 0x08) code = varint();
    else if (tag === 0x12) {
      const len = varint();
      message = bytes.subarray(pos, pos + len).toString("utf8");
      pos += len;
    } else throw new Error(`unexpected tag ${tag} in Status`);
  }
  return { code, message };
}

function exportWith(exporter: JsonExporter | ProtoExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(rm, resolve));
}

async function sampleMetrics(temporality: "delta" | "cumulative", exponential: boolean): Promise<ResourceMetrics> {
  const sdk = createSdkHarness({ temporality, exponential, resource: { "service.name": "exporter-test" } });
  const counter = sdk.meter.createCounter("requests", { unit: "{request}" });
  counter.add(3, { route: "/a" });
  counter.add(4, { route: "/a" });
  counter.add(1, { route: "/b" });
  sdk.meter.createUpDownCounter("inflight", { valueType: ValueType.INT }).add(-2);
  sdk.meter.createGauge("temperature").record(21.25, { room: "lab" });
  const h = sdk.meter.createHistogram("latency", { unit: "ms" });
  for (const v of [1, 2, 4, 8, 16, 1024, 0]) h.record(v, { route: "/a" });
  if (temporality === "delta") {
    await sdk.collect();
    counter.add(10, { route: "/a" });
    h.record(3, { route: "/a" });
  }
  const rm = await sdk.collect();
  await sdk.shutdown();
  return rm;
}

function metricByName(batch: DecodedBatch, name: string): DecodedMetric {
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) if (m.name === name) return m;
    }
  }
  throw new Error(`metric ${name} not decoded`);
}

/** A valid one-point protobuf request. */
function validProto(value = 1): Uint8Array {
  const point = (dp: PbWriter): void => {
    dp.doubleField(4, value);
  };
  const gauge = (g: PbWriter): void => {
    g.message(1, point);
  };
  const metric = (m: PbWriter): void => {
    m.stringField(1, "g").message(5, gauge);
  };
  return new PbWriter().message(1, (rm) => rm.message(2, (sm) => sm.message(2, metric))).finish();
}

const validJson = JSON.stringify({
  resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "g", gauge: { dataPoints: [{ asDouble: 1 }] } }] }] }],
});

interface Started {
  readonly receiver: OtlpReceiver;
  readonly consumer: RecordingConsumer;
  readonly port: number;
  readonly test: TestContext;
}

async function startReceiver(http: Record<string, unknown> = {}, extraDecoders?: ExtraDecoders): Promise<Started> {
  const factory = createOtlpReceiverFactory(extraDecoders === undefined ? {} : { extraDecoders });
  const errors: ConfigError[] = [];
  const config = factory.validate({ protocols: { http: { endpoint: "127.0.0.1:0", ...http } } }, "receivers::otlp", errors);
  assert.deepStrictEqual(errors, []);
  const test = createTestContext("otlp/test");
  const consumer = new RecordingConsumer();
  const receiver = factory.create(test.ctx, config, consumer);
  await receiver.start();
  assert.ok(receiver.http !== undefined);
  return { receiver, consumer, port: receiver.http.port, test };
}

/** The receiver still answers a valid request with 200. */
async function assertServing(s: Started): Promise<void> {
  const before = s.consumer.batches.length;
  s.consumer.behaviour = { kind: "accept" };
  const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: validProto() });
  assert.equal(res.status, 200);
  assert.equal(s.consumer.batches.length, before + 1);
}

describe("OtlpHttpReceiver", () => {
  describe("export from the real SDK exporters", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver();
    });
    after(() => s.receiver.shutdown());

    const exporters = [
      { name: "exporter-metrics-otlp-http (JSON)", make: (url: string, gzip: boolean) => new JsonExporter({ url, compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE }) },
      { name: "exporter-metrics-otlp-proto (protobuf)", make: (url: string, gzip: boolean) => new ProtoExporter({ url, compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE }) },
    ];
    for (const exp of exporters) {
      for (const gzip of [false, true]) {
        for (const temporality of ["cumulative", "delta"] as const) {
          for (const exponential of [false, true]) {
            const label = `${exp.name}${gzip ? " + gzip" : ""}, ${temporality}, ${exponential ? "exponential" : "explicit"} histograms`;
            it(`receives what ${label} exported`, async () => {
              const rm = await sampleMetrics(temporality, exponential);
              const exporter = exp.make(`http://127.0.0.1:${s.port}/v1/metrics`, gzip);
              const n = s.consumer.batches.length;
              const result = await exportWith(exporter, rm);
              await exporter.shutdown();
              assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
              assert.equal(s.consumer.batches.length, n + 1);
              const batch = s.consumer.batches[n];
              assert.deepStrictEqual(normalizeBatch(batch), normalizeBatch(expectedBatch(rm)));
              const requests = metricByName(batch, "requests");
              assert.ok(requests.type === "sum");
              assert.equal(requests.temporality, temporality);
              assert.equal(requests.points.find((p) => p.attributes.route === "/a")?.value, temporality === "delta" ? 10 : 7);
              const latency = metricByName(batch, "latency");
              assert.equal(latency.type, exponential ? "exponential_histogram" : "histogram");
              assert.ok(latency.type === "histogram" || latency.type === "exponential_histogram");
              assert.equal(latency.points[0].count, temporality === "delta" ? 1 : 7);
              assert.equal(latency.points[0].sum, temporality === "delta" ? 3 : 1055);
            });
          }
        }
      }
    }

    it("lets the SDK exporter retry after 429 + Retry-After and then succeed", async () => {
      s.consumer.behaviour = { kind: "backpressure", retryAfterSeconds: 1, times: 1 };
      const refusalsBefore = s.consumer.refusals;
      const rm = await sampleMetrics("cumulative", false);
      const exporter = new ProtoExporter({ url: `http://127.0.0.1:${s.port}/v1/metrics`, timeoutMillis: 10_000 });
      const n = s.consumer.batches.length;
      const t0 = Date.now();
      const result = await exportWith(exporter, rm);
      await exporter.shutdown();
      s.consumer.behaviour = { kind: "accept" };
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.equal(s.consumer.refusals, refusalsBefore + 1);
      assert.equal(s.consumer.batches.length, n + 1);
      assert.ok(Date.now() - t0 >= 900, "the exporter waited for Retry-After");
    });
  });

  describe("error statuses", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver({ max_request_body_size: 64 * 1024, max_json_body_size: 32 * 1024 });
    });
    after(() => s.receiver.shutdown());

    it("answers 415 to an unsupported content type and keeps serving", async () => {
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "text/plain" }, body: "hello" });
      assert.equal(res.status, 415);
      assert.match(JSON.parse(res.body.toString()).message, /unsupported Content-Type "text\/plain"/);
      const enc = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json", "content-encoding": "br" }, body: "{}" });
      assert.equal(enc.status, 415);
      await assertServing(s);
    });

    it("answers 405 with Allow: POST to other methods and keeps serving", async () => {
      const res = await send(s.port, "/v1/metrics", { method: "GET" });
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, "POST");
      await assertServing(s);
    });

    it("answers 404 elsewhere and keeps serving", async () => {
      const res = await send(s.port, "/v1/traces", { headers: { "content-type": "application/x-protobuf" }, body: validProto() });
      assert.equal(res.status, 404);
      assert.equal(readStatus(res.body).code, 5);
      assert.equal((await send(s.port, "/v1/ingest/nope", { body: "x" })).status, 404);
      await assertServing(s);
    });

    it("closes the connection on a client that keeps streaming a body it refused unread (404, 405, 415)", async () => {
      // 64 KiB limit here; the bound is the 16 MiB drain plus what sits in socket buffers.
      for (const head of ["POST /v1/nope HTTP/1.1", "PUT /v1/metrics HTTP/1.1", "POST /v1/metrics HTTP/1.1\r\nContent-Type: text/plain"]) {
        const refused = await streamEndlessBody(s.port, head, 512 * 1024 * 1024);
        assert.match(refused.statusLine, /^HTTP\/1\.1 (404|405|415) /, head);
        assert.ok(refused.closedByServer, `${head}: server left the connection open`);
        assert.ok(refused.bytesWritten < 64 * 1024 * 1024, `${head}: server read ${refused.bytesWritten} bytes`);
      }
      await assertServing(s);
    });

    it("answers 413 to a JSON body over max_json_body_size that protobuf may exceed", async () => {
      const json = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body: Buffer.alloc(32 * 1024 + 1, 0x20) });
      assert.equal(json.status, 413);
      assert.match(JSON.parse(json.body.toString()).message, /exceeds the limit of 32768 bytes/);
      const proto = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: Buffer.alloc(32 * 1024 + 1) });
      assert.equal(proto.status, 400, "a protobuf body of that size is read and decoded, not refused for size");
      await assertServing(s);
    });

    it("answers 413 when the body is over the limit and keeps serving", async () => {
      const res = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/x-protobuf" },
        body: Buffer.alloc(64 * 1024 + 1),
      });
      assert.equal(res.status, 413);
      assert.match(readStatus(res.body).message, /exceeds the limit of 65536 bytes/);
      await assertServing(s);
    });

    it("stops a gzip bomb at the decompressed limit with 413 and keeps serving", async () => {
      // ~10 KB on the wire, 10 MiB inflated: far past the 64 KiB limit.
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
      assert.ok(bomb.length < 20 * 1024, `bomb is ${bomb.length} bytes`);
      const n = s.consumer.batches.length;
      const res = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
        body: bomb,
      });
      assert.equal(res.status, 413);
      assert.match(readStatus(res.body).message, /decompressed request body exceeds the limit of 65536 bytes/);
      assert.equal(s.consumer.batches.length, n);
      await assertServing(s);
    });

    it("answers 400 with a google.rpc.Status for malformed protobuf and keeps serving", async () => {
      const res = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/x-protobuf" },
        body: Uint8Array.from([0x0a, 0xff]),
      });
      assert.equal(res.status, 400);
      assert.equal(res.headers["content-type"], "application/x-protobuf");
      const status = readStatus(res.body);
      assert.equal(status.code, 3);
      assert.match(status.message, /truncated varint at byte 1/);
      await assertServing(s);
    });

    it("answers 400 with {code, message} JSON for malformed JSON and corrupt gzip, and keeps serving", async () => {
      const res = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/json; charset=utf-8" },
        body: '{"resourceMetrics": 5}',
      });
      assert.equal(res.status, 400);
      assert.equal(res.headers["content-type"], "application/json");
      assert.deepStrictEqual(JSON.parse(res.body.toString()), { code: 3, message: "resourceMetrics: expected array, got number" });
      const gz = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: Buffer.from("definitely not gzip"),
      });
      assert.equal(gz.status, 400);
      assert.match(JSON.parse(gz.body.toString()).message, /corrupt gzip body/);
      await assertServing(s);
    });

    it("answers 429 with Retry-After on backpressure and keeps serving", async () => {
      s.consumer.behaviour = { kind: "backpressure", retryAfterSeconds: 2.5 };
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body: validJson });
      assert.equal(res.status, 429);
      assert.equal(res.headers["retry-after"], "3");
      assert.deepStrictEqual(JSON.parse(res.body.toString()), { code: 8, message: "queue full" });
      await assertServing(s);
    });

    it("answers 500 when the pipeline throws unexpectedly and keeps serving", async () => {
      s.consumer.behaviour = { kind: "throw" };
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body: validJson });
      assert.equal(res.status, 500);
      await assertServing(s);
    });

    it("counts requests, points and durations in self-metrics", async () => {
      const ok = await s.test.counterValue("statset.receiver.requests", { transport: "http", outcome: "success", status: "200", receiver: "otlp/test" });
      assert.ok(ok >= 7, `success requests ${ok}`);
      assert.equal(await s.test.counterValue("statset.receiver.requests", { transport: "http", outcome: "too_large", status: "413" }), 3, "two over max_request_body_size, one over max_json_body_size");
      assert.equal(await s.test.counterValue("statset.receiver.requests", { transport: "http", outcome: "backpressure", status: "429" }), 1);
      assert.equal(await s.test.counterValue("statset.receiver.points", { transport: "http", outcome: "refused", reason: "backpressure" }), 1);
      assert.ok((await s.test.counterValue("statset.receiver.points", { transport: "http", outcome: "accepted" })) >= 7);
      assert.ok((await s.test.histogramCount("statset.receiver.request.duration.seconds", { transport: "http" })) >= 15);
    });
  });

  describe("partial success", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver();
    });
    after(() => s.receiver.shutdown());

    const withDecoderRejection = (): Uint8Array =>
      new PbWriter()
        .message(1, (rm) =>
          rm.message(2, (sm) => {
            sm.message(2, (m) => m.message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1)))); // no name: refused by the decoder
            sm.message(2, (m) => m.stringField(1, "ok").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1)).message(1, (dp) => dp.doubleField(4, 2))));
          }),
        )
        .finish();

    it("reports decoder and pipeline rejections in a protobuf ExportMetricsServiceResponse the SDK can read", async () => {
      s.consumer.behaviour = { kind: "reject", points: 1, message: "value out of range" };
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: withDecoderRejection() });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "application/x-protobuf");
      const parsed = ProtobufMetricsSerializer.deserializeResponse(res.body);
      assert.equal(parsed.partialSuccess?.rejectedDataPoints, 2);
      assert.match(parsed.partialSuccess?.errorMessage ?? "", /empty name.*; value out of range$/);
    });

    it("reports rejections in an OTLP/JSON response the SDK can read", async () => {
      s.consumer.behaviour = { kind: "reject", points: 2, message: "too many series" };
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body: validJson.replace('"asDouble":1', '"asDouble":1},{"asDouble":2') });
      assert.equal(res.status, 200);
      const parsed = JsonMetricsSerializer.deserializeResponse(res.body);
      assert.deepStrictEqual(parsed, { partialSuccess: { rejectedDataPoints: 2, errorMessage: "too many series" } });
    });

    it("refuses an OTLP/JSON point whose integer is out of range in partial_success, naming the field and the value", async () => {
      s.consumer.behaviour = { kind: "accept" };
      const body = validJson.replace('"asDouble":1', '"asInt":"99999999999999999999"},{"asDouble":2');
      const res = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body });
      assert.equal(res.status, 200);
      assert.deepStrictEqual(JsonMetricsSerializer.deserializeResponse(res.body), {
        partialSuccess: {
          rejectedDataPoints: 1,
          errorMessage:
            'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asInt: "99999999999999999999" is outside the int64 range [-9223372036854775808, 9223372036854775807]; point refused',
        },
      });
    });

    it("answers full success with an empty partial_success", async () => {
      s.consumer.behaviour = { kind: "accept" };
      const proto = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: validProto() });
      assert.equal(proto.body.length, 0);
      const json = await send(s.port, "/v1/metrics", { headers: { "content-type": "application/json" }, body: validJson });
      assert.deepStrictEqual(JSON.parse(json.body.toString()), {});
    });
  });

  describe("bearer-token auth", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver({ auth: { bearer_token: "s3cret-token" } });
    });
    after(() => s.receiver.shutdown());

    it("answers 401 with WWW-Authenticate when the token is missing or wrong, and 200 when right", async () => {
      const base = { "content-type": "application/x-protobuf" };
      const missing = await send(s.port, "/v1/metrics", { headers: base, body: validProto() });
      assert.equal(missing.status, 401);
      assert.match(String(missing.headers["www-authenticate"]), /^Bearer/);
      const wrong = await send(s.port, "/v1/metrics", { headers: { ...base, authorization: "Bearer s3cret-tokem" }, body: validProto() });
      assert.equal(wrong.status, 401);
      const basic = await send(s.port, "/v1/metrics", { headers: { ...base, authorization: "Basic s3cret-token" }, body: validProto() });
      assert.equal(basic.status, 401);
      assert.equal(s.consumer.batches.length, 0);
      const right = await send(s.port, "/v1/metrics", { headers: { ...base, authorization: "Bearer s3cret-token" }, body: validProto() });
      assert.equal(right.status, 200);
      assert.equal(s.consumer.batches.length, 1);
    });

    it("authenticates before routing: an unknown path or method without a token is 401, not 404/405", async () => {
      const path = await send(s.port, "/v1/ingest/anything", { headers: { "content-type": "text/plain" }, body: "x" });
      assert.equal(path.status, 401);
      assert.doesNotMatch(path.body.toString(), /served|\/v1\/metrics/);
      assert.equal((await send(s.port, "/v1/metrics", { method: "GET" })).status, 401);
      const known = await send(s.port, "/nope", { headers: { authorization: "Bearer s3cret-token" }, body: "x" });
      assert.equal(known.status, 404, "with the token, routing answers");
    });

    it("closes the connection on an unauthenticated client that keeps streaming its body", async () => {
      const refused = await streamEndlessBody(s.port, "POST /v1/metrics HTTP/1.1\r\nContent-Type: application/x-protobuf", 512 * 1024 * 1024);
      assert.match(refused.statusLine, /^HTTP\/1\.1 401 /);
      assert.ok(refused.closedByServer);
      assert.ok(refused.bytesWritten < 64 * 1024 * 1024, `server read ${refused.bytesWritten} bytes`);
    });

    it("accepts the token from the SDK exporter's headers", async () => {
      const rm = await sampleMetrics("cumulative", false);
      const exporter = new ProtoExporter({ url: `http://127.0.0.1:${s.port}/v1/metrics`, headers: { Authorization: "Bearer s3cret-token" } });
      const result = await exportWith(exporter, rm);
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    });
  });

  describe("extra decoders", () => {
    let s: Started;
    // `name value` per line: a trivial decoder standing in for the Kafka message formats.
    const lines = (body: Buffer, contentType: string): DecodedBatch => {
      if (!contentType.startsWith("text/plain")) throw new OtlpDecodeError("extra", `lines decoder wants text/plain, got ${contentType}`, -1, "");
      const metrics: DecodedMetric[] = [];
      for (const line of body.toString("utf8").split("\n").filter((l) => l !== "")) {
        const [name, value] = line.split(" ");
        const v = Number(value);
        if (name === undefined || Number.isNaN(v)) throw new Error(`bad line "${line}"`);
        metrics.push({ type: "gauge", name, unit: "", description: "", points: [{ attributes: {}, attributesKey: "", startTimeMs: 0, timeMs: 0, value: v }] });
      }
      return { resources: [{ attributes: {}, attributesKey: "", scopes: [{ name: "lines", version: "", metrics }] }], rejectedPoints: 0, rejectionMessage: "" };
    };
    before(async () => {
      s = await startReceiver({}, { lines });
    });
    after(() => s.receiver.shutdown());

    it("routes POST /v1/ingest/<encoding> to the matching decoder and the pipeline", async () => {
      const res = await send(s.port, "/v1/ingest/lines", { headers: { "content-type": "text/plain; charset=utf-8" }, body: "a 1\nb 2.5\n" });
      assert.equal(res.status, 200);
      assert.deepStrictEqual(JSON.parse(res.body.toString()), {});
      const batch = s.consumer.batches.at(-1);
      assert.deepStrictEqual(
        batch?.resources[0].scopes[0].metrics.map((m) => [m.name, m.type === "gauge" ? m.points[0].value : undefined]),
        [
          ["a", 1],
          ["b", 2.5],
        ],
      );
    });

    it("answers 400 when the extra decoder throws, 404 for unknown encodings, 405 for GET", async () => {
      const bad = await send(s.port, "/v1/ingest/lines", { headers: { "content-type": "text/plain" }, body: "a x\n" });
      assert.equal(bad.status, 400);
      assert.deepStrictEqual(JSON.parse(bad.body.toString()), { code: 3, message: 'bad line "a x"' });
      const wrongType = await send(s.port, "/v1/ingest/lines", { headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(wrongType.status, 400);
      const unknown = await send(s.port, "/v1/ingest/other", { headers: { "content-type": "text/plain" }, body: "a 1" });
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(unknown.body.toString()).message, 'no decoder for encoding "other" at /v1/ingest/other; served: /v1/metrics, /v1/ingest/lines');
      assert.equal((await send(s.port, "/v1/ingest/lines", { method: "GET" })).status, 405);
      await assertServing(s);
    });
  });

  describe("TLS", () => {
    let cert: TestCertificate;
    let s: Started;
    before(async () => {
      cert = selfSignedCertificate();
      s = await startReceiver({ tls: { cert_file: cert.certFile, key_file: cert.keyFile } });
    });
    after(async () => {
      await s.receiver.shutdown();
      cert.remove();
    });

    it("serves OTLP over HTTPS with the configured certificate", async () => {
      const res = await send(s.port, "/v1/metrics", {
        headers: { "content-type": "application/x-protobuf" },
        body: validProto(4),
        https: { ca: cert.ca },
      });
      assert.equal(res.status, 200);
      const g = metricByName(s.consumer.batches[0], "g");
      assert.ok(g.type === "gauge");
      assert.equal(g.points[0].value, 4);
    });

    it("refuses plain HTTP on the TLS port", async () => {
      await assert.rejects(send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: validProto() }));
    });
  });

  describe("shutdown", () => {
    it("is idempotent and safe without start", async () => {
      const factory = createOtlpReceiverFactory();
      const test = createTestContext();
      const receiver = factory.create(test.ctx, factory.validate({ protocols: { http: { endpoint: "127.0.0.1:0" } } }, "r", []), new RecordingConsumer());
      await receiver.shutdown();
      await receiver.shutdown();
      await assert.rejects(receiver.start(), /shut down/);
    });

    it("completes in-flight requests, then stops accepting", async () => {
      const s = await startReceiver();
      const body = Buffer.from(validProto(9));
      const half = Math.floor(body.length / 2);
      let shutdownDone = false;
      const response = new Promise<HttpResult>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: s.port,
            path: "/v1/metrics",
            method: "POST",
            agent: false,
            headers: { "content-type": "application/x-protobuf", "content-length": body.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on("error", reject);
        req.write(body.subarray(0, half));
        // Finish the body only after shutdown has begun.
        setTimeout(() => {
          const stopping = s.receiver.shutdown().then(() => {
            shutdownDone = true;
          });
          setTimeout(() => {
            assert.equal(shutdownDone, false, "shutdown waits for the in-flight request");
            req.end(body.subarray(half));
            stopping.catch(reject);
          }, 100);
        }, 100);
      });
      const res = await response;
      assert.equal(res.status, 200);
      const g = metricByName(s.consumer.batches[0], "g");
      assert.ok(g.type === "gauge");
      assert.equal(g.points[0].value, 9);
      await s.receiver.shutdown();
      assert.equal(shutdownDone, true);
      await assert.rejects(send(s.port, "/v1/metrics", { headers: { "content-type": "application/x-protobuf" }, body: validProto() }), /ECONNREFUSED/);
    });
  });
});
