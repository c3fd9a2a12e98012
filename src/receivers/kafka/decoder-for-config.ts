/** Builds the receiver's message decoder from its validated config (once, at create). */
import type { ConfigError } from "../../components/types.ts";
import { HeaderSelectingDecoder } from "../decoders/header-selecting-decoder.ts";
import { DECODER_FACTORIES } from "../decoders/registry.ts";
import type { MessageDecoder } from "../decoders/types.ts";
import type { KafkaReceiverConfig } from "./config.ts";

/**
 * The configured encoding's decoder; with `encoding_from_header`, a decoder that dispatches on the
 * `content-type` header to every encoding that was configured or works with default options (so
 * `regex`, which needs rules, is available only when configured).
 */
export function decoderForConfig(config: KafkaReceiverConfig): MessageDecoder {
  const build = (encoding: string): MessageDecoder | undefined => {
    const factory = DECODER_FACTORIES.get(encoding);
    if (factory === undefined) return undefined;
    if (Object.hasOwn(config.decoders, encoding)) return factory.create(config.decoders[encoding]);
    const errors: ConfigError[] = [];
    const options = factory.validate(undefined, encoding, errors);
    return errors.length === 0 ? factory.create(options) : undefined;
  };
  const main = build(config.encoding);
  if (main === undefined) throw new Error(`no decoder for encoding ${JSON.stringify(config.encoding)}`);
  if (!config.encoding_from_header) return main;
  const all = new Map<string, MessageDecoder>([[config.encoding, main]]);
  for (const encoding of DECODER_FACTORIES.keys()) {
    if (all.has(encoding)) continue;
    const d = build(encoding);
    if (d !== undefined) all.set(encoding, d);
  }
  return new HeaderSelectingDecoder(main, all);
}
