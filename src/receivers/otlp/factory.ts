/**
 * The `otlp` receiver factory (OTLP/HTTP and OTLP/gRPC, like the Collector's otlpreceiver). Both
 * transports of one receiver share one attribute intern cache, one decoder per encoding and one set of
 * self-metrics instruments.
 */
import type { ComponentContext, ConfigError, Receiver, ReceiverFactory } from "../../components/types.ts";
import type { MetricsConsumer } from "../../pipeline/types.ts";
import { AttributeInterner, DEFAULT_INTERN_CAPACITY } from "./attribute-interner.ts";
import { defaultOtlpReceiverConfig, validateOtlpReceiverConfig } from "./config.ts";
import type { OtlpReceiverConfig } from "./config.ts";
import { OtlpGrpcReceiver } from "./grpc-receiver.ts";
import { OtlpHttpReceiver } from "./http-receiver.ts";
import type { ExtraDecoders } from "./http-receiver.ts";
import { OtlpJsonDecoder } from "./otlp-json-decoder.ts";
import { OtlpProtoDecoder } from "./otlp-proto-decoder.ts";
import { ReceiverMetrics } from "./receiver-metrics.ts";

export interface OtlpReceiverHooks {
  /** Decoders served at `POST /v1/ingest/<encoding>` on the HTTP transport. */
  readonly extraDecoders?: ExtraDecoders;
  /** Entries per generation of the attribute intern cache (default 65536). */
  readonly internCapacity?: number;
}

/** One `otlp` receiver instance: its enabled transports, started and stopped together. */
export class OtlpReceiver implements Receiver {
  /** Undefined when the protocol is not enabled. */
  readonly http: OtlpHttpReceiver | undefined;
  readonly grpc: OtlpGrpcReceiver | undefined;
  readonly interner: AttributeInterner;
  readonly #metrics: ReceiverMetrics;
  #shutdown: Promise<void> | undefined;

  constructor(ctx: ComponentContext, config: OtlpReceiverConfig, next: MetricsConsumer, hooks: OtlpReceiverHooks = {}) {
    this.interner = new AttributeInterner(hooks.internCapacity ?? DEFAULT_INTERN_CAPACITY);
    this.#metrics = new ReceiverMetrics(ctx.meterProvider, ctx.id, this.interner, ctx.logger);
    const protoDecoder = new OtlpProtoDecoder({ interner: this.interner });
    const { http, grpc } = config.protocols;
    this.http =
      http === undefined
        ? undefined
        : new OtlpHttpReceiver(
            {
              ctx,
              next,
              metrics: this.#metrics,
              protoDecoder,
              jsonDecoder: new OtlpJsonDecoder({ interner: this.interner }),
              ...(hooks.extraDecoders === undefined ? {} : { extraDecoders: hooks.extraDecoders }),
            },
            http,
          );
    // gRPC gets its own protobuf decoder: decoding is synchronous, but one decoder per transport keeps
    // their scratch state independent.
    this.grpc =
      grpc === undefined
        ? undefined
        : new OtlpGrpcReceiver({ ctx, next, metrics: this.#metrics, protoDecoder: new OtlpProtoDecoder({ interner: this.interner }) }, grpc);
  }

  async start(): Promise<void> {
    try {
      await Promise.all([this.http?.start(), this.grpc?.start()]);
    } catch (err) {
      // Do not leave one transport listening when the other could not start.
      await this.shutdown();
      throw err;
    }
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.all([this.http?.shutdown(), this.grpc?.shutdown()]).then(() => this.#metrics.close());
    return this.#shutdown;
  }
}

/** The `otlp` factory; `create` returns the concrete receiver (tests and tools read its ports). */
export interface OtlpReceiverFactory extends ReceiverFactory<OtlpReceiverConfig> {
  create(ctx: ComponentContext, config: OtlpReceiverConfig, next: MetricsConsumer): OtlpReceiver;
}

/** A factory whose receivers serve `hooks.extraDecoders` (the daemon passes the Kafka decoders here). */
export function createOtlpReceiverFactory(hooks: OtlpReceiverHooks = {}): OtlpReceiverFactory {
  return {
    type: "otlp",
    createDefaultConfig: defaultOtlpReceiverConfig,
    validate(raw: unknown, path: string, errors: ConfigError[]): OtlpReceiverConfig {
      return validateOtlpReceiverConfig(raw, path, errors);
    },
    listenEndpoints(config: OtlpReceiverConfig) {
      const { http, grpc } = config.protocols;
      return [
        ...(http === undefined ? [] : [{ key: "protocols::http::endpoint", endpoint: http.endpoint }]),
        ...(grpc === undefined ? [] : [{ key: "protocols::grpc::endpoint", endpoint: grpc.endpoint }]),
      ];
    },
    create(ctx: ComponentContext, config: OtlpReceiverConfig, next: MetricsConsumer): OtlpReceiver {
      return new OtlpReceiver(ctx, config, next, hooks);
    },
  };
}

/** The `otlp` factory without extra decoders. */
export const otlpReceiverFactory = createOtlpReceiverFactory();
