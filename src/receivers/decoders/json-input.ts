/** Bytes to JSON for the Kafka/ingest JSON decoders, failing with a `DecodeError` that says why. */
import { JsonBodyError, parseBoundedJson } from "../bounded-json.ts";
import { DecodeError } from "./decode-error.ts";

/** parseBoundedJson (nesting bounded) with its failures as a DecodeError for the whole message. */
export function parseJsonMessage(message: Uint8Array): unknown {
  try {
    return parseBoundedJson(message);
  } catch (e) {
    if (e instanceof JsonBodyError) throw new DecodeError("", `JSON refused: ${e.message}`);
    throw new DecodeError("", `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * A number from a JSON value: finite numbers as-is, strings holding a finite decimal number
 * ("0.93", " 12 ", "1e3") parsed; anything else NaN. Pushers that stringify values are common.
 */
export function numberFrom(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}
