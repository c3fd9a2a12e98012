/**
 * `otlp_proto` and `otlp_json`: an OTLP `ExportMetricsServiceRequest` per Kafka message (what the
 * Collector's Kafka exporter writes), decoded by the OTLP receiver's decoders and appended whole.
 * Points keep their own timestamps (OTLP requires them; a point without one falls back to receive
 * time downstream, not to the Kafka timestamp).
 */
import type { ConfigError } from "../../components/types.ts";
import type { DecodedBatch } from "../../pipeline/types.ts";
import { OtlpDecodeError } from "../otlp/errors.ts";
import { OtlpJsonDecoder } from "../otlp/otlp-json-decoder.ts";
import { OtlpProtoDecoder } from "../otlp/otlp-proto-decoder.ts";
import type { DecodedBatchBuilder } from "./batch-builder.ts";
import { DecodeError } from "./decode-error.ts";
import { checkKeys, objectAt } from "./options.ts";
import type { DecoderFactory, MessageDecoder, MessageMeta } from "./types.ts";

/** The OTLP encodings take no options. */
export type OtlpOptions = Readonly<Record<string, never>>;

function asDecodeError(e: unknown): unknown {
  if (!(e instanceof OtlpDecodeError)) return e;
  const path = e.path !== "" ? e.path : e.offset >= 0 ? `byte ${e.offset}` : "";
  return new DecodeError(path, e.message);
}

/** The OTLP receiver's protobuf or JSON decoder. */
interface OtlpBodyDecoder {
  decode(body: Uint8Array): DecodedBatch;
  readonly interner: { readonly truncatedValues: number };
}

/** One OTLP request per message, through the OTLP receiver's decoder for the encoding. */
class OtlpMessageDecoder implements MessageDecoder {
  readonly encoding: string;
  readonly #decoder: OtlpBodyDecoder;

  constructor(encoding: string, decoder: OtlpBodyDecoder) {
    this.encoding = encoding;
    this.#decoder = decoder;
  }

  get truncatedValues(): number {
    return this.#decoder.interner.truncatedValues;
  }

  decode(message: Uint8Array, _meta: MessageMeta, into: DecodedBatchBuilder): void {
    let batch;
    try {
      batch = this.#decoder.decode(message);
    } catch (e) {
      throw asDecodeError(e);
    }
    into.appendBatch(batch);
  }
}

function validateNoOptions(raw: unknown, path: string, errors: ConfigError[]): OtlpOptions {
  checkKeys(objectAt(raw, path, errors), [], path, errors);
  return {};
}

export const otlpProtoDecoderFactory: DecoderFactory<OtlpOptions> = {
  encoding: "otlp_proto",
  defaultOptions: () => ({}),
  validate: validateNoOptions,
  create: () => new OtlpMessageDecoder("otlp_proto", new OtlpProtoDecoder()),
};

export const otlpJsonDecoderFactory: DecoderFactory<OtlpOptions> = {
  encoding: "otlp_json",
  defaultOptions: () => ({}),
  validate: validateNoOptions,
  create: () => new OtlpMessageDecoder("otlp_json", new OtlpJsonDecoder()),
};
