/**
 * Limits on one attribute, applied where attribute sets are built from what a client sent, so that
 * one absurd value cannot make every scrape huge (a histogram repeats its labels on every line) or
 * hold gigabytes in the decoders' caches and the pipeline's stream tables.
 *
 * - A value longer than MAX_ATTRIBUTE_VALUE_LENGTH UTF-16 code units is truncated to that length
 *   (as OpenTelemetry's AttributeValueLengthLimit truncates), counted, and logged by the receiver.
 *   Arrays and key-value lists are limited as the JSON text they are turned into.
 * - A key longer than MAX_ATTRIBUTE_KEY_LENGTH refuses the point: a key is a name, and cutting
 *   it would merge different names silently.
 */

/** Characters (UTF-16 code units) kept of an attribute value. CloudWatch allows 1024 per dimension value. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 4096;
/** Longest attribute key accepted. */
export const MAX_ATTRIBUTE_KEY_LENGTH = 1024;

/** `value` cut to MAX_ATTRIBUTE_VALUE_LENGTH, never inside a surrogate pair. */
export function truncatedValue(value: string): string {
  let end = MAX_ATTRIBUTE_VALUE_LENGTH;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return value.slice(0, end);
}
