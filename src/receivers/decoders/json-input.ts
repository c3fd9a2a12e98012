/** Bytes to JSON for the JSON decoders, failing with a `DecodeError` that says why. */
import { DecodeError } from "./decode-error.ts";

/** The message as text (UTF-8), without copying the bytes. */
export function messageText(message: Uint8Array): string {
  const buf = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  return buf.toString("utf8");
}

export function parseJsonMessage(message: Uint8Array): unknown {
  const text = messageText(message);
  try {
    return JSON.parse(text);
  } catch (e) {
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
