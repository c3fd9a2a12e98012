/**
 * The message encodings the Kafka receiver understands, by name. The receiver's config names one
 * (`encoding`) and may give per-encoding options under the same key (`emf: {...}`).
 */
import { DecodedBatchBuilder } from "./batch-builder.ts";
import { emfDecoderFactory } from "./emf.ts";
import { kafkaTopicExporterDecoderFactory } from "./kafka-topic-exporter.ts";
import { otlpJsonDecoderFactory, otlpProtoDecoderFactory } from "./otlp.ts";
import { regexDecoderFactory } from "./regex.ts";
import { seldonDecoderFactory } from "./seldon.ts";
import type { DecodedBatch } from "../../pipeline/types.ts";
import type { DecoderFactory, MessageDecoder, MessageMeta } from "./types.ts";

export const DECODER_FACTORIES: ReadonlyMap<string, DecoderFactory<unknown>> = new Map<string, DecoderFactory<unknown>>([
  [otlpProtoDecoderFactory.encoding, otlpProtoDecoderFactory],
  [otlpJsonDecoderFactory.encoding, otlpJsonDecoderFactory],
  [kafkaTopicExporterDecoderFactory.encoding, kafkaTopicExporterDecoderFactory],
  [seldonDecoderFactory.encoding, seldonDecoderFactory],
  [emfDecoderFactory.encoding, emfDecoderFactory],
  [regexDecoderFactory.encoding, regexDecoderFactory],
]);

/** Encoding names, for messages and validation. */
export const ENCODINGS: readonly string[] = [...DECODER_FACTORIES.keys()];

/** Decodes one message into its own batch (tests, one-off use); the receiver reuses a builder instead. */
export function decodeMessage(decoder: MessageDecoder, message: Uint8Array, meta: MessageMeta): DecodedBatch {
  const builder = new DecodedBatchBuilder();
  decoder.decode(message, meta, builder);
  return builder.build();
}
