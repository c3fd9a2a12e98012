/**
 * OTLP/gRPC receiver: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export` on @grpc/grpc-js,
 * with a hand-made service definition (no protobufjs, no .proto loading). The request deserializer is
 * the identity: the raw message is decoded inside the handler, after the auth check, so a malformed
 * payload maps to INVALID_ARGUMENT (grpc-js would turn a throwing deserializer into INTERNAL) and an
 * unauthenticated caller costs no decoding. The response serializer is our ExportMetricsServiceResponse
 * encoder. grpc-js inflates gzip-compressed messages itself and enforces the receive limit on both the
 * wire and the decompressed size.
 *
 * Status mapping: INVALID_ARGUMENT malformed; UNAUTHENTICATED bad token (`authorization` metadata);
 * RESOURCE_EXHAUSTED + google.rpc.RetryInfo (in `grpc-status-details-bin`) on pipeline backpressure,
 * which OTLP clients treat as retryable; UNAVAILABLE while shutting down; INTERNAL on pipeline failure.
 */
import { bindErrorCode, ListenError } from "../../telemetry/http-listen.ts";
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { Metadata, Server, ServerCredentials, status } from "@grpc/grpc-js";
import type { MethodDefinition, ServerErrorResponse, ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import type { ComponentContext, Receiver } from "../../components/types.ts";
import type { DecodedBatch, MetricsConsumer } from "../../pipeline/types.ts";
import { BackpressureError } from "../../pipeline/types.ts";
import { ServerAuth } from "../../net/server-auth.ts";
import type { OtlpGrpcConfig } from "./config.ts";
import { parseEndpoint } from "../../config/endpoint.ts";
import { consumeBatch } from "./consume-batch.ts";
import { OtlpDecodeError } from "./errors.ts";
import type { OtlpProtoDecoder } from "./otlp-proto-decoder.ts";
import {
  GRPC_CODE,
  RETRY_INFO_TYPE_URL,
  decodeExportResponseProto,
  encodeExportResponseProto,
  encodeRetryInfo,
  encodeStatusProto,
  truncateMessage,
} from "./otlp-response.ts";
import type { ExportResponseFields } from "./otlp-response.ts";
import type { ReceiverMetrics, RequestOutcome } from "./receiver-metrics.ts";

export const METRICS_EXPORT_PATH = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/**
 * The MetricsService definition with raw-bytes requests. Usable for servers (this receiver) and for
 * clients (`makeGenericClientConstructor`), e.g. to send hand-made payloads in tests.
 */
export const METRICS_SERVICE_DEFINITION: { readonly Export: MethodDefinition<Buffer, ExportResponseFields> } = {
  Export: {
    path: METRICS_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: Buffer): Buffer => request,
    requestDeserialize: (bytes: Buffer): Buffer => bytes,
    responseSerialize: (response: ExportResponseFields): Buffer =>
      encodeExportResponseProto(response.rejectedPoints, response.message),
    responseDeserialize: (bytes: Buffer): ExportResponseFields => decodeExportResponseProto(bytes),
    originalName: "export",
  },
};

export interface OtlpGrpcReceiverDeps {
  readonly ctx: ComponentContext;
  readonly next: MetricsConsumer;
  readonly metrics: ReceiverMetrics;
  readonly protoDecoder: OtlpProtoDecoder;
}

/** How long shutdown lets in-flight calls finish before cancelling them. */
const DRAIN_TIMEOUT_MS = 10_000;

function grpcError(code: number, message: string, metadata?: Metadata): ServerErrorResponse {
  const err: ServerErrorResponse = Object.assign(new Error(message), { code, details: truncateMessage(message) });
  if (metadata !== undefined) err.metadata = metadata;
  return err;
}

export class OtlpGrpcReceiver implements Receiver {
  readonly #deps: OtlpGrpcReceiverDeps;
  readonly #config: OtlpGrpcConfig;
  readonly #auth: ServerAuth | undefined;
  #server: Server | undefined;
  #starting: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  #stopping = false;
  #port = -1;

  constructor(deps: OtlpGrpcReceiverDeps, config: OtlpGrpcConfig) {
    this.#deps = deps;
    this.#config = config;
    this.#auth = ServerAuth.of(config.auth);
  }

  /** The bound port once started (useful with port 0); -1 before. */
  get port(): number {
    return this.#port;
  }

  start(): Promise<void> {
    if (this.#shutdown !== undefined) return Promise.reject(new Error("OTLP/gRPC receiver was shut down"));
    this.#starting ??= this.#bind();
    return this.#starting;
  }

  async #bind(): Promise<void> {
    const endpoint = parseEndpoint(this.#config.endpoint);
    if ("problem" in endpoint) throw new Error(`invalid endpoint ${this.#config.endpoint}: ${endpoint.problem}`);
    let credentials = ServerCredentials.createInsecure();
    if (this.#config.tls !== undefined) {
      const [cert, key] = await Promise.all([readFile(this.#config.tls.cert_file), readFile(this.#config.tls.key_file)]);
      credentials = ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
    }
    const limit = this.#config.max_recv_msg_size;
    const server = new Server({
      "grpc.max_receive_message_length": limit,
      "grpc.max_send_message_length": 4 * 1024 * 1024,
    });
    server.addService(METRICS_SERVICE_DEFINITION, {
      Export: (call: ServerUnaryCall<Buffer, ExportResponseFields>, callback: sendUnaryData<ExportResponseFields>) =>
        this.#export(call, callback),
    });
    this.#server = server;
    const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
    this.#port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${endpoint.port}`, credentials, (err, port) => {
        if (err !== null) reject(new ListenError(this.#config.endpoint, bindErrorCode(err.message), err.message));
        else resolve(port);
      });
    });
    this.#deps.ctx.logger.info(
      { receiver: this.#deps.ctx.id, endpoint: `${host}:${this.#port}`, tls: this.#config.tls !== undefined },
      "OTLP/gRPC receiver listening",
    );
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  async #close(): Promise<void> {
    if (this.#starting !== undefined) {
      try {
        await this.#starting;
      } catch {
        // A failed start leaves nothing listening (bindAsync failure unbinds).
      }
    }
    this.#stopping = true;
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, DRAIN_TIMEOUT_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #export(call: ServerUnaryCall<Buffer, ExportResponseFields>, callback: sendUnaryData<ExportResponseFields>): void {
    const t0 = performance.now();
    const metrics = this.#deps.metrics;
    const fail = (code: number, outcome: RequestOutcome, message: string, metadata?: Metadata): void => {
      callback(grpcError(code, message, metadata));
      metrics.request("grpc", outcome, status[code] ?? String(code), (performance.now() - t0) / 1000);
    };
    if (this.#stopping) {
      fail(status.UNAVAILABLE, "unavailable", "receiver is shutting down");
      return;
    }
    if (this.#auth !== undefined) {
      const values = call.metadata.get("authorization");
      const header = values.length > 0 && typeof values[0] === "string" ? values[0] : undefined;
      if (!this.#auth.check(header)) {
        fail(status.UNAUTHENTICATED, "unauthenticated", "missing or invalid credentials");
        return;
      }
    }
    let batch: DecodedBatch;
    try {
      batch = this.#deps.protoDecoder.decode(call.request);
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) throw err;
      this.#deps.ctx.logger.debug({ receiver: this.#deps.ctx.id, err: err.message }, "OTLP/gRPC malformed payload");
      fail(status.INVALID_ARGUMENT, "invalid", err.message);
      return;
    }
    try {
      const outcome = consumeBatch(this.#deps.next, batch, metrics, "grpc");
      callback(null, { rejectedPoints: outcome.rejectedPoints, message: outcome.message });
      metrics.request("grpc", outcome.rejectedPoints > 0 ? "partial" : "success", "OK", (performance.now() - t0) / 1000);
    } catch (err) {
      if (err instanceof BackpressureError) {
        const md = new Metadata();
        const seconds = Math.max(1, Math.ceil(err.retryAfterSeconds));
        md.set(
          "grpc-status-details-bin",
          encodeStatusProto(GRPC_CODE.RESOURCE_EXHAUSTED, err.message, [
            { typeUrl: RETRY_INFO_TYPE_URL, value: encodeRetryInfo(seconds) },
          ]),
        );
        md.set("retry-after", String(seconds));
        fail(status.RESOURCE_EXHAUSTED, "backpressure", err.message, md);
        return;
      }
      this.#deps.ctx.logger.error({ err, receiver: this.#deps.ctx.id }, "pipeline failed to consume an OTLP/gRPC batch");
      fail(status.INTERNAL, "error", "pipeline failure");
    }
  }
}
