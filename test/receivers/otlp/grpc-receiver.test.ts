import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client, Metadata, credentials, status } from "@grpc/grpc-js";
import type { ChannelCredentials, ServiceError } from "@grpc/grpc-js";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { ValueType } from "@opentelemetry/api";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OTLPMetricExporter as GrpcExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import type { ConfigError } from "../../../src/components/types.ts";
import type { DecodedBatch, DecodedMetric } from "../../../src/pipeline/types.ts";
import { createOtlpReceiverFactory } from "../../../src/receivers/otlp/factory.ts";
import type { OtlpReceiver } from "../../../src/receivers/otlp/factory.ts";
import { METRICS_SERVICE_DEFINITION } from "../../../src/receivers/otlp/grpc-receiver.ts";
import type { ExportResponseFields } from "../../../src/receivers/otlp/otlp-response.ts";
import { RETRY_INFO_TYPE_URL } from "../../../src/receivers/otlp/otlp-response.ts";
import { createSdkHarness, expectedBatch, normalizeBatch } from "../../support/otlp-sdk.ts";
import { RecordingConsumer, createTestContext } from "../../support/otlp-receiver-harness.ts";
import type { TestContext } from "../../support/otlp-receiver-harness.ts";
import { PbWriter } from "../../support/otlp-proto-writer.ts";
import { selfSignedCertificate, type TestCertificate } from "../../support/tls.ts";

interface Started {
  readonly receiver: OtlpReceiver;
  readonly consumer: RecordingConsumer;
  readonly port: number;
  readonly test: TestContext;
}

async function startReceiver(grpc: Record<string, unknown> = {}): Promise<Started> {
  const factory = createOtlpReceiverFactory();
  const errors: ConfigError[] = [];
  const config = factory.validate({ protocols: { grpc: { endpoint: "127.0.0.1:0", ...grpc } } }, "receivers::otlp", errors);
  assert.deepStrictEqual(errors, []);
  const test = createTestContext("otlp/grpc");
  const consumer = new RecordingConsumer();
  const receiver = factory.create(test.ctx, config, consumer);
  await receiver.start();
  assert.ok(receiver.grpc !== undefined);
  assert.equal(receiver.http, undefined);
  return { receiver, consumer, port: receiver.grpc.port, test };
}

/** A raw MetricsService client over our own service definition: sends hand-made bytes. */
class RawClient {
  readonly #client: Client;
  constructor(port: number, creds: ChannelCredentials = credentials.createInsecure(), options: Record<string, string | number> = {}) {
    this.#client = new Client(`127.0.0.1:${port}`, creds, options);
  }
  export(body: Uint8Array, metadata = new Metadata()): Promise<{ response?: ExportResponseFields; error?: ServiceError }> {
    const def = METRICS_SERVICE_DEFINITION.Export;
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, Buffer.from(body), metadata, {}, (error, response) => {
        resolve(error === null ? (response === undefined ? {} : { response }) : { error });
      });
    });
  }
  close(): void {
    this.#client.close();
  }
}

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

/** Reads a varint-only/length-delimited message into (field -> values) for assertions. */
function fields(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  let pos = 0;
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
    const f = Math.floor(tag / 8);
    const list = out.get(f) ?? [];
    if ((tag & 7) === 0) list.push(varint());
    else if ((tag & 7) === 2) {
      const len = varint();
      list.push(bytes.subarray(pos, pos + len));
      pos += len;
    } else throw new Error(`unexpected wire type ${tag & 7}`);
    out.set(f, list);
  }
  return out;
}

function exportWith(exporter: GrpcExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(rm, resolve));
}

function metricByName(batch: DecodedBatch, name: string): DecodedMetric {
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) if (m.name === name) return m;
    }
  }
  throw new Error(`metric ${name} not decoded`);
}

async function sampleMetrics(temporality: "delta" | "cumulative", exponential: boolean): Promise<ResourceMetrics> {
  const sdk = createSdkHarness({ temporality, exponential, resource: { "service.name": "grpc-test" } });
  sdk.meter.createCounter("requests").add(5, { route: "/x" });
  sdk.meter.createUpDownCounter("inflight", { valueType: ValueType.INT }).add(3);
  sdk.meter.createGauge("temperature").record(-1.5);
  const h = sdk.meter.createHistogram("latency");
  for (const v of [0.5, 1, 2, 400]) h.record(v, { route: "/x" });
  const rm = await sdk.collect();
  await sdk.shutdown();
  return rm;
}

describe("OtlpGrpcReceiver", () => {
  describe("export from the real SDK gRPC exporter", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver();
    });
    after(() => s.receiver.shutdown());

    for (const gzip of [false, true]) {
      for (const temporality of ["cumulative", "delta"] as const) {
        for (const exponential of [false, true]) {
          it(`receives what exporter-metrics-otlp-grpc${gzip ? " + gzip" : ""} exported (${temporality}, ${exponential ? "exponential" : "explicit"} histograms)`, async () => {
            const rm = await sampleMetrics(temporality, exponential);
            const exporter = new GrpcExporter({
              url: `http://127.0.0.1:${s.port}`,
              compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
            });
            const n = s.consumer.batches.length;
            const result = await exportWith(exporter, rm);
            await exporter.shutdown();
            assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
            assert.equal(s.consumer.batches.length, n + 1);
            const batch = s.consumer.batches[n];
            assert.deepStrictEqual(normalizeBatch(batch), normalizeBatch(expectedBatch(rm)));
            const latency = metricByName(batch, "latency");
            assert.equal(latency.type, exponential ? "exponential_histogram" : "histogram");
            assert.ok(latency.type === "histogram" || latency.type === "exponential_histogram");
            assert.equal(latency.points[0].count, 4);
            assert.equal(latency.points[0].sum, 403.5);
          });
        }
      }
    }
  });

  describe("statuses", () => {
    let s: Started;
    let client: RawClient;
    before(async () => {
      s = await startReceiver({ max_recv_msg_size: 64 * 1024 });
      client = new RawClient(s.port);
    });
    after(async () => {
      client.close();
      await s.receiver.shutdown();
    });

    it("answers INVALID_ARGUMENT with the decoder's message for malformed payloads, and keeps serving", async () => {
      const { error } = await client.export(Uint8Array.from([0x0a, 0x05, 0x12]));
      assert.equal(error?.code, status.INVALID_ARGUMENT);
      assert.match(error?.details ?? "", /length 5 runs past the end of the enclosing message \(byte 3\) at byte 1/);
      const ok = await client.export(validProto());
      assert.deepStrictEqual(ok.response, { rejectedPoints: 0, message: "" });
    });

    it("answers RESOURCE_EXHAUSTED with google.rpc.RetryInfo on backpressure", async () => {
      s.consumer.behaviour = { kind: "backpressure", retryAfterSeconds: 4 };
      const { error } = await client.export(validProto());
      s.consumer.behaviour = { kind: "accept" };
      assert.equal(error?.code, status.RESOURCE_EXHAUSTED);
      assert.equal(error?.details, "queue full");
      const detailsBin = error?.metadata.get("grpc-status-details-bin")[0];
      assert.ok(Buffer.isBuffer(detailsBin));
      const st = fields(detailsBin);
      assert.deepStrictEqual(st.get(1), [8]);
      const any = fields(st.get(3)?.[0] as Uint8Array);
      assert.equal(Buffer.from(any.get(1)?.[0] as Uint8Array).toString(), RETRY_INFO_TYPE_URL);
      const retryInfo = fields(any.get(2)?.[0] as Uint8Array);
      const duration = fields(retryInfo.get(1)?.[0] as Uint8Array);
      assert.deepStrictEqual(duration.get(1), [4]);
      assert.deepStrictEqual(error?.metadata.get("retry-after"), ["4"]);
      assert.deepStrictEqual((await client.export(validProto())).response, { rejectedPoints: 0, message: "" });
    });

    it("answers RESOURCE_EXHAUSTED when a message (plain or gzip-inflated) exceeds max_recv_msg_size", async () => {
      const big = new PbWriter().stringField(99, "x".repeat(100 * 1024)).finish();
      const plain = await client.export(big);
      assert.equal(plain.error?.code, status.RESOURCE_EXHAUSTED);
      const gzipClient = new RawClient(s.port, credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
      try {
        const compressed = await gzipClient.export(big);
        assert.equal(compressed.error?.code, status.RESOURCE_EXHAUSTED);
        assert.match(compressed.error?.details ?? "", /decompresses to a size larger than 65536/);
        assert.deepStrictEqual((await gzipClient.export(validProto(2))).response, { rejectedPoints: 0, message: "" });
      } finally {
        gzipClient.close();
      }
    });

    it("returns partial_success for decoder and pipeline rejections", async () => {
      s.consumer.behaviour = { kind: "reject", points: 1, message: "over budget" };
      const body = new PbWriter()
        .message(1, (rm) =>
          rm.message(2, (sm) => {
            sm.message(2, (m) => m.stringField(1, "legacy").message(4, (g) => g.message(1, () => {})));
            sm.message(2, (m) => m.stringField(1, "ok").message(5, (g) => g.message(1, (dp) => dp.doubleField(4, 1))));
          }),
        )
        .finish();
      const { response } = await client.export(body);
      s.consumer.behaviour = { kind: "accept" };
      assert.equal(response?.rejectedPoints, 2);
      assert.match(response?.message ?? "", /unsupported data type .*; over budget$/);
    });

    it("answers INTERNAL when the pipeline throws", async () => {
      s.consumer.behaviour = { kind: "throw" };
      const { error } = await client.export(validProto());
      s.consumer.behaviour = { kind: "accept" };
      assert.equal(error?.code, status.INTERNAL);
    });

    it("counts gRPC requests in self-metrics", async () => {
      assert.ok((await s.test.counterValue("statset.receiver.requests", { transport: "grpc", outcome: "success", status: "OK" })) >= 3);
      assert.equal(await s.test.counterValue("statset.receiver.requests", { transport: "grpc", outcome: "invalid", status: "INVALID_ARGUMENT" }), 1);
      assert.equal(await s.test.counterValue("statset.receiver.requests", { transport: "grpc", outcome: "backpressure", status: "RESOURCE_EXHAUSTED" }), 1);
    });
  });

  describe("bearer-token auth", () => {
    let s: Started;
    before(async () => {
      s = await startReceiver({ auth: { bearer_token: "grpc-token" } });
    });
    after(() => s.receiver.shutdown());

    it("answers UNAUTHENTICATED without the right authorization metadata", async () => {
      const client = new RawClient(s.port);
      try {
        assert.equal((await client.export(validProto())).error?.code, status.UNAUTHENTICATED);
        const wrong = new Metadata();
        wrong.set("authorization", "Bearer nope");
        assert.equal((await client.export(validProto(), wrong)).error?.code, status.UNAUTHENTICATED);
        assert.equal(s.consumer.batches.length, 0);
      } finally {
        client.close();
      }
    });

    it("accepts the SDK exporter sending the token as metadata", async () => {
      const metadata = new Metadata();
      metadata.set("authorization", "Bearer grpc-token");
      const exporter = new GrpcExporter({ url: `http://127.0.0.1:${s.port}`, metadata });
      const result = await exportWith(exporter, await sampleMetrics("cumulative", false));
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.equal(s.consumer.batches.length, 1);
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

    it("serves the SDK exporter over TLS", async () => {
      const exporter = new GrpcExporter({
        url: `https://127.0.0.1:${s.port}`,
        credentials: credentials.createSsl(cert.ca),
      });
      const rm = await sampleMetrics("delta", true);
      const result = await exportWith(exporter, rm);
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.deepStrictEqual(normalizeBatch(s.consumer.batches[0]), normalizeBatch(expectedBatch(rm)));
    });
  });

  describe("shutdown", () => {
    it("is idempotent, safe without start, and stops serving", async () => {
      const factory = createOtlpReceiverFactory();
      const unstarted = factory.create(createTestContext().ctx, factory.validate({ protocols: { grpc: { endpoint: "127.0.0.1:0" } } }, "r", []), new RecordingConsumer());
      await unstarted.shutdown();
      await unstarted.shutdown();

      const s = await startReceiver();
      const client = new RawClient(s.port);
      assert.deepStrictEqual((await client.export(validProto())).response, { rejectedPoints: 0, message: "" });
      await Promise.all([s.receiver.shutdown(), s.receiver.shutdown()]);
      const after = await client.export(validProto());
      client.close();
      assert.equal(after.error?.code, status.UNAVAILABLE);
    });
  });

  it("agrees with the SDK's response deserializer", () => {
    const bytes = METRICS_SERVICE_DEFINITION.Export.responseSerialize({ rejectedPoints: 12, message: "twelve" });
    assert.deepStrictEqual(ProtobufMetricsSerializer.deserializeResponse(bytes), {
      partialSuccess: { rejectedDataPoints: 12, errorMessage: "twelve" },
    });
    assert.deepStrictEqual(METRICS_SERVICE_DEFINITION.Export.responseDeserialize(bytes), { rejectedPoints: 12, message: "twelve" });
  });
});
