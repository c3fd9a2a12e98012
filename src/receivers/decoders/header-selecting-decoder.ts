/**
 * With `encoding_from_header: true`, each message is decoded by the encoding its `content-type`
 * header names (see content-type.ts), falling back to the configured encoding.
 */
import type { DecodedBatchBuilder } from "./batch-builder.ts";
import { CONTENT_TYPE_HEADER, encodingForContentType, headerText } from "./content-type.ts";
import { DecodeError } from "./decode-error.ts";
import type { MessageDecoder, MessageMeta } from "./types.ts";

export class HeaderSelectingDecoder implements MessageDecoder {
  readonly encoding: string;
  readonly #fallback: MessageDecoder;
  readonly #decoders: ReadonlyMap<string, MessageDecoder>;

  /** `decoders`: every encoding available to this receiver; `fallback` is used without a usable header. */
  constructor(fallback: MessageDecoder, decoders: ReadonlyMap<string, MessageDecoder>) {
    this.#fallback = fallback;
    this.#decoders = decoders;
    this.encoding = fallback.encoding;
  }

  get truncatedValues(): number {
    let n = 0;
    for (const d of new Set([this.#fallback, ...this.#decoders.values()])) n += d.truncatedValues;
    return n;
  }

  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void {
    const contentType = headerText(meta.headers, CONTENT_TYPE_HEADER);
    if (contentType === undefined) {
      this.#fallback.decode(message, meta, into);
      return;
    }
    const encoding = encodingForContentType(contentType, message);
    if (encoding === undefined) {
      this.#fallback.decode(message, meta, into);
      return;
    }
    const decoder = this.#decoders.get(encoding);
    if (decoder === undefined) {
      throw new DecodeError("", `content-type ${JSON.stringify(contentType)} selects encoding ${JSON.stringify(encoding)}, which this receiver has no decoder for`);
    }
    decoder.decode(message, meta, into);
  }
}
