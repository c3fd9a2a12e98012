/**
 * The one error a decoder throws: the message as a whole is malformed (not JSON, wrong shape).
 * Problems confined to one point (a non-numeric value, an empty name) are not errors: the decoder
 * counts them in the batch's `rejectedPoints` and keeps going.
 */
export class DecodeError extends Error {
  /** Where in the message the problem is, e.g. `_aws.CloudWatchMetrics[0].Dimensions`; "" for the whole message. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(path === "" ? problem : `${path}: ${problem}`);
    this.name = "DecodeError";
    this.path = path;
  }
}

const PREVIEW_CHARS = 60;

/** A short, printable rendering of a bad value for error messages. */
export function preview(value: unknown): string {
  let text: string;
  if (value === undefined) return "undefined";
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "number" || typeof value === "boolean" || value === null) text = String(value);
  else if (Array.isArray(value)) text = `array(${value.length})`;
  else if (typeof value === "object") text = "object";
  else text = typeof value;
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}...` : text;
}

/** `expected <what>, got <preview>` at `path`. */
export function expected(path: string, what: string, got: unknown): DecodeError {
  return new DecodeError(path, `expected ${what}, got ${preview(got)}`);
}
