/**
 * The Kafka message encodings served over HTTP: `POST /v1/ingest/<encoding>` on the OTLP/HTTP
 * receiver decodes the request body exactly as the Kafka receiver decodes one message of that
 * encoding, with the encoding's default options. Encodings that cannot work with defaults (`regex`
 * needs its rules) are not served; the event time of formats that carry none is the receive time.
 */
import type { ConfigError } from "../../components/types.ts";
import type { DecodedBatch } from "../../pipeline/types.ts";
import { OtlpDecodeError } from "../otlp/errors.ts";
import type { ExtraDecoder, ExtraDecoders } from "../otlp/http-receiver.ts";
import { DecodedBatchBuilder } from "./batch-builder.ts";
import { DecodeError } from "./decode-error.ts";
import { DECODER_FACTORIES } from "./registry.ts";
import type { MessageDecoder, MessageMeta } from "./types.ts";

/** One encoding's decoder behind the OTLP receiver's extra-decoder hook. */
function ingestDecoder(decoder: MessageDecoder): ExtraDecoder {
  // Decoding is synchronous and build() empties the builder, so one builder serves every request.
  const builder = new DecodedBatchBuilder();
  return (body: Buffer, contentType: string, countTruncated: (values: number) => void): DecodedBatch => {
    const meta: MessageMeta = { timestampMs: Date.now(), headers: contentType === "" ? {} : { "content-type": contentType } };
    // Decoders are shared by the daemon's OTLP receivers: this request's truncations are the difference.
    const truncatedBefore = decoder.truncatedValues;
    try {
      decoder.decode(body, meta, builder);
    } catch (e) {
      // A refused body appended nothing, but start the next request from a clean builder regardless.
      builder.build();
      if (e instanceof DecodeError) throw new OtlpDecodeError("extra", `${decoder.encoding}: ${e.message}`, -1, e.path);
      throw e;
    } finally {
      const truncated = decoder.truncatedValues - truncatedBefore;
      if (truncated > 0) countTruncated(truncated);
    }
    return builder.build();
  };
}

/**
 * A decoder per encoding whose default options validate, keyed by encoding name. Each call builds
 * new decoders (own attribute caches), so separate daemons in one process share nothing.
 */
export function createIngestDecoders(): ExtraDecoders {
  const out: Record<string, ExtraDecoder> = {};
  for (const [encoding, factory] of DECODER_FACTORIES) {
    const errors: ConfigError[] = [];
    const options = factory.validate(undefined, encoding, errors);
    if (errors.length > 0) continue;
    out[encoding] = ingestDecoder(factory.create(options));
  }
  return out;
}
