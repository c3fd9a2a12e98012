/**
 * OTLP/HTTP receiver: `POST <metrics_url_path>` (default /v1/metrics) with application/x-protobuf or
 * application/json bodies, identity/gzip/deflate coded, plus `POST /v1/ingest/<encoding>` routed to
 * pluggable extra decoders (e.g. the Kafka message formats).
 *
 * Status mapping (OTLP/HTTP): 200 with partial_success; 400 malformed payload; 401 missing/wrong bearer
 * token; 404 unknown path; 405 wrong method (Allow: POST); 413 body over the limit (wire or
 * decompressed); 415 unsupported Content-Type/Content-Encoding; 429 + Retry-After on pipeline
 * backpressure; 503 + Retry-After while shutting down; 500 when the pipeline fails unexpectedly.
 * Error bodies are google.rpc.Status in the request's format (protobuf or JSON).
 */
import { listen } from "../../telemetry/http-listen.ts";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { ComponentContext, Receiver } from "../../components/types.ts";
import type { DecodedBatch, MetricsConsumer } from "../../pipeline/types.ts";
import { BackpressureError } from "../../pipeline/types.ts";
import { ServerAuth } from "../../net/server-auth.ts";
import { createHttpServer } from "../../net/http-server.ts";
import type { OtlpHttpConfig } from "./config.ts";
import { parseEndpoint } from "../../config/endpoint.ts";
import { consumeBatch } from "./consume-batch.ts";
import type { ExportOutcome } from "./consume-batch.ts";
import { OtlpDecodeError } from "./errors.ts";
import type { OtlpJsonDecoder } from "./otlp-json-decoder.ts";
import type { OtlpProtoDecoder } from "./otlp-proto-decoder.ts";
import {
  GRPC_CODE,
  encodeExportResponseJson,
  encodeExportResponseProto,
  encodeStatusJson,
  encodeStatusProto,
} from "./otlp-response.ts";
import { BodyBufferPool } from "./body-pool.ts";
import { BodyReadError, parseContentEncoding, readBody } from "./read-body.ts";
import type { ReceiverMetrics, RequestOutcome } from "./receiver-metrics.ts";

/**
 * Decodes one message body of a non-OTLP encoding (`POST /v1/ingest/<encoding>`). Throw (preferably an
 * OtlpDecodeError) for a malformed body: the client gets a 400 with the error's message. Attribute
 * values the decoder cut to MAX_ATTRIBUTE_VALUE_LENGTH are reported through `countTruncated`.
 */
export type ExtraDecoder = (body: Buffer, contentType: string, countTruncated: (values: number) => void) => DecodedBatch;

/** Extra decoders by encoding name (the last path segment of `/v1/ingest/<encoding>`). */
export type ExtraDecoders = Readonly<Record<string, ExtraDecoder>>;

export interface OtlpHttpReceiverDeps {
  readonly ctx: ComponentContext;
  readonly next: MetricsConsumer;
  readonly metrics: ReceiverMetrics;
  readonly protoDecoder: OtlpProtoDecoder;
  readonly jsonDecoder: OtlpJsonDecoder;
  readonly extraDecoders?: ExtraDecoders;
}

const INGEST_PREFIX = "/v1/ingest/";
/** `/v1/ingest` encodings whose bodies are not JSON or text (they keep max_request_body_size). */
const BINARY_ENCODINGS: ReadonlySet<string> = new Set(["otlp_proto"]);
const ENCODING_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** How long shutdown waits for in-flight requests before cutting connections. */
const DRAIN_TIMEOUT_MS = 10_000;
/** After an early error, unread request bytes up to this many are drained so the client sees the response. */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;
const DISCARD_TIMEOUT_MS = 5_000;
/** Retry hint while shutting down: another replica (or this one restarted) will take it. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

type Format = "proto" | "json";

const CONTENT_TYPE: Readonly<Record<Format, string>> = {
  proto: "application/x-protobuf",
  json: "application/json",
};

/** `application/x-protobuf; charset=...` -> "proto"; undefined for anything unsupported. */
function parseContentType(header: string | undefined): Format | undefined {
  if (header === undefined) return undefined;
  const semi = header.indexOf(";");
  const media = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (media === "application/x-protobuf" || media === "application/protobuf") return "proto";
  if (media === "application/json") return "json";
  return undefined;
}

/** Reads and discards what is left of a request body (bounded), so an early response is not lost to a reset. */
function drainRequest(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onEnd);
      resolve(ok);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > DISCARD_LIMIT_BYTES) {
        req.pause();
        done(false);
      }
    };
    const onEnd = (): void => done(req.complete);
    const timer = setTimeout(() => done(false), DISCARD_TIMEOUT_MS);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onEnd);
    req.resume();
  });
}

export class OtlpHttpReceiver implements Receiver {
  readonly #deps: OtlpHttpReceiverDeps;
  readonly #config: OtlpHttpConfig;
  readonly #auth: ServerAuth | undefined;
  readonly #extra: ReadonlyMap<string, ExtraDecoder>;
  readonly #countTruncated: (values: number) => void;
  /** Body buffers for the OTLP decoders, which copy what they keep (extra decoders get fresh ones). */
  readonly #bodies = new BodyBufferPool();
  #server: Server | undefined;
  #starting: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  #stopping = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #port = -1;

  constructor(deps: OtlpHttpReceiverDeps, config: OtlpHttpConfig) {
    this.#deps = deps;
    this.#config = config;
    this.#auth = ServerAuth.of(config.auth);
    this.#extra = new Map(Object.entries(deps.extraDecoders ?? {}));
    this.#countTruncated = (values) => deps.metrics.countTruncated(values);
  }

  /** The bound port once started (useful with port 0); -1 before. */
  get port(): number {
    return this.#port;
  }

  start(): Promise<void> {
    if (this.#shutdown !== undefined) return Promise.reject(new Error("OTLP/HTTP receiver was shut down"));
    this.#starting ??= this.#listen();
    return this.#starting;
  }

  async #listen(): Promise<void> {
    const endpoint = parseEndpoint(this.#config.endpoint);
    if ("problem" in endpoint) throw new Error(`invalid endpoint ${this.#config.endpoint}: ${endpoint.problem}`);
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res);
    const options = { requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 };
    const server = await createHttpServer(this.#config.tls, options, handler);
    this.#server = server;
    this.#port = await listen(server, endpoint.host, endpoint.port);
    server.on("error", (err) => this.#deps.ctx.logger.error({ err, receiver: this.#deps.ctx.id }, "OTLP/HTTP server error"));
    this.#deps.ctx.logger.info({ receiver: this.#deps.ctx.id, endpoint: `${endpoint.host}:${this.#port}`, tls: this.#config.tls !== undefined }, "OTLP/HTTP receiver listening");
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
        // A failed start leaves nothing listening.
      }
    }
    const server = this.#server;
    this.#stopping = true;
    if (server === undefined || !server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
        this.#idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    server.closeAllConnections();
    await closed;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    this.#inFlight++;
    this.#handle(req, res, t0)
      .catch((err: unknown) => {
        this.#deps.ctx.logger.error({ err, receiver: this.#deps.ctx.id }, "OTLP/HTTP request handler failed");
        if (!res.headersSent) this.#error(res, t0, "json", 500, GRPC_CODE.INTERNAL, "internal error", "error");
        else res.destroy();
      })
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, t0: number): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const contentType = req.headers["content-type"];
    const format = parseContentType(contentType);
    const replyFormat: Format = format ?? "json";

    // Everything refused before the body is read closes the connection after a bounded drain
    // (#refuseUnread): otherwise the server would read whatever the client keeps sending.
    if (this.#stopping) {
      res.setHeader("Retry-After", String(SHUTDOWN_RETRY_AFTER_SECONDS));
      res.setHeader("Connection", "close");
      this.#refuseUnread(req, res, t0, replyFormat, 503, GRPC_CODE.UNAVAILABLE, "receiver is shutting down", "unavailable");
      return;
    }
    // Authenticate before routing: an unauthenticated caller learns nothing, not even which paths exist.
    if (this.#auth !== undefined && !this.#auth.check(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", this.#auth.challenge);
      this.#refuseUnread(req, res, t0, replyFormat, 401, GRPC_CODE.UNAUTHENTICATED, "missing or invalid credentials", "unauthenticated");
      return;
    }
    let extra: ExtraDecoder | undefined;
    let encoding = "";
    if (path !== this.#config.metrics_url_path) {
      encoding = path.startsWith(INGEST_PREFIX) ? path.slice(INGEST_PREFIX.length) : "";
      extra = ENCODING_NAME.test(encoding) ? this.#extra.get(encoding) : undefined;
      if (extra === undefined) {
        const served = [...this.#extra.keys()].map((e) => `${INGEST_PREFIX}${e}`);
        const known = [this.#config.metrics_url_path, ...served].join(", ");
        const message = path.startsWith(INGEST_PREFIX) ? `no decoder for encoding ${JSON.stringify(encoding)} at ${path}; served: ${known}` : `no such endpoint: ${path}; served: ${known}`;
        this.#refuseUnread(req, res, t0, replyFormat, 404, GRPC_CODE.NOT_FOUND, message, "not_found");
        return;
      }
    }
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      this.#refuseUnread(req, res, t0, replyFormat, 405, GRPC_CODE.UNIMPLEMENTED, `method ${req.method ?? ""} not allowed; use POST`, "method_not_allowed");
      return;
    }
    if (extra === undefined && format === undefined) {
      this.#refuseUnread(
        req,
        res,
        t0,
        "json",
        415,
        GRPC_CODE.INVALID_ARGUMENT,
        `unsupported Content-Type ${JSON.stringify(contentType ?? "")}; use application/x-protobuf or application/json`,
        "unsupported_media_type",
      );
      return;
    }
    const coding = parseContentEncoding(req.headers["content-encoding"]);
    if (coding === undefined) {
      this.#refuseUnread(
        req,
        res,
        t0,
        replyFormat,
        415,
        GRPC_CODE.INVALID_ARGUMENT,
        `unsupported Content-Encoding ${JSON.stringify(req.headers["content-encoding"])}; use gzip, deflate or identity`,
        "unsupported_media_type",
      );
      return;
    }

    let body: Buffer;
    try {
      // JSON costs the event loop far more per byte than protobuf: it gets its own, lower limit.
      const json = extra === undefined ? format === "json" : !BINARY_ENCODINGS.has(encoding);
      const limit = json ? Math.min(this.#config.max_json_body_size, this.#config.max_request_body_size) : this.#config.max_request_body_size;
      body = await readBody(req, coding, limit, extra === undefined ? this.#bodies : undefined);
    } catch (err) {
      if (!(err instanceof BodyReadError)) throw err;
      if (err.kind === "aborted") {
        this.#deps.metrics.request("http", "aborted", "0", (performance.now() - t0) / 1000);
        return;
      }
      if (!(await drainRequest(req))) res.setHeader("Connection", "close");
      if (err.kind === "too_large") {
        this.#error(res, t0, replyFormat, 413, GRPC_CODE.RESOURCE_EXHAUSTED, err.message, "too_large");
      } else {
        this.#error(res, t0, replyFormat, 400, GRPC_CODE.INVALID_ARGUMENT, err.message, "invalid");
      }
      return;
    }

    let batch: DecodedBatch;
    try {
      if (extra !== undefined) batch = extra(body, contentType ?? "", this.#countTruncated);
      else if (format === "proto") batch = this.#deps.protoDecoder.decode(body);
      else batch = this.#deps.jsonDecoder.decode(body);
      // The decoders copy what they keep: the body buffer can serve the next request.
      this.#bodies.release(body);
    } catch (err) {
      this.#bodies.release(body);
      const message = err instanceof Error ? err.message : String(err);
      if (!(err instanceof OtlpDecodeError) && extra === undefined) throw err;
      this.#deps.ctx.logger.debug({ receiver: this.#deps.ctx.id, err: message }, "OTLP/HTTP malformed payload");
      this.#error(res, t0, replyFormat, 400, GRPC_CODE.INVALID_ARGUMENT, message, "invalid");
      return;
    }

    let outcome: ExportOutcome;
    try {
      outcome = consumeBatch(this.#deps.next, batch, this.#deps.metrics, "http");
    } catch (err) {
      if (err instanceof BackpressureError) {
        res.setHeader("Retry-After", String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
        this.#error(res, t0, replyFormat, 429, GRPC_CODE.RESOURCE_EXHAUSTED, err.message, "backpressure");
        return;
      }
      this.#deps.ctx.logger.error({ err, receiver: this.#deps.ctx.id }, "pipeline failed to consume an OTLP/HTTP batch");
      this.#error(res, t0, replyFormat, 500, GRPC_CODE.INTERNAL, "pipeline failure", "error");
      return;
    }
    const payload =
      replyFormat === "proto"
        ? encodeExportResponseProto(outcome.rejectedPoints, outcome.message)
        : encodeExportResponseJson(outcome.rejectedPoints, outcome.message);
    this.#send(res, 200, replyFormat, payload);
    this.#deps.metrics.request("http", outcome.rejectedPoints > 0 ? "partial" : "success", "200", (performance.now() - t0) / 1000);
  }

  /**
   * An error answered before the body was read: the connection closes after the response, once
   * at most DISCARD_LIMIT_BYTES / DISCARD_TIMEOUT_MS of the body were discarded (so the client can
   * read the response instead of a reset), as for 413.
   */
  #refuseUnread(req: IncomingMessage, res: ServerResponse, t0: number, format: Format, status: number, code: number, message: string, outcome: RequestOutcome): void {
    if (!req.complete) res.setHeader("Connection", "close");
    this.#error(res, t0, format, status, code, message, outcome);
    if (req.complete) return;
    void drainRequest(req).then(() => req.socket.destroy());
  }

  #error(res: ServerResponse, t0: number, format: Format, status: number, code: number, message: string, outcome: RequestOutcome): void {
    const payload = format === "proto" ? encodeStatusProto(code, message) : encodeStatusJson(code, message);
    this.#send(res, status, format, payload);
    this.#deps.metrics.request("http", outcome, String(status), (performance.now() - t0) / 1000);
  }

  #send(res: ServerResponse, status: number, format: Format, payload: Buffer): void {
    res.statusCode = status;
    res.setHeader("Content-Type", CONTENT_TYPE[format]);
    res.setHeader("Content-Length", payload.length);
    res.end(payload);
  }
}
