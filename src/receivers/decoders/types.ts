/**
 * Decoder contracts. A decoder turns one Kafka message into points appended to a `DecodedBatchBuilder`
 * (one builder per consumed Kafka batch, so a batch of thousands of small messages becomes one
 * `DecodedBatch`, with no per-message batch objects). All configuration-dependent work (regex
 * compilation, unit tables, attribute templates) happens once in `create`.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ConfigError } from "../../components/types.ts";
import type { DecodedBatchBuilder } from "./batch-builder.ts";

/** A Kafka header value as kafkajs delivers it. */
export type HeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;

/** What the transport knows about a message besides its bytes. */
export interface MessageMeta {
  /** The Kafka message timestamp (epoch ms): the event time when the payload carries none. */
  readonly timestampMs: number;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** An interned attribute set: identical sets share one frozen object and one key string. */
export interface InternedAttributes {
  readonly attributes: Attributes;
  readonly attributesKey: string;
}

export interface MessageDecoder {
  /** The encoding name, e.g. `emf`. */
  readonly encoding: string;
  /** Attribute values this decoder cut to MAX_ATTRIBUTE_VALUE_LENGTH since it was created. */
  readonly truncatedValues: number;
  /**
   * Appends the message's points to `into`. Throws `DecodeError` when the message is malformed;
   * then nothing of this message has been appended. Per-point problems are counted with
   * `into.reject(...)` and do not throw.
   */
  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void;
}

/** One encoding: its options (snake_case, validated once) and how to build a decoder from them. */
export interface DecoderFactory<Options> {
  readonly encoding: string;
  defaultOptions(): Options;
  /**
   * Merges `raw` over the defaults and validates it, pushing every problem with its full path
   * (prefix `path`) to `errors`. The result is meaningful only when nothing was pushed.
   */
  validate(raw: unknown, path: string, errors: ConfigError[]): Options;
  create(options: Options): MessageDecoder;
}
