/**
 * Name and value rules of CloudWatch identifiers (Dimension, MetricDatum, Namespace), as predicates.
 * Shared by the PutMetricData and EMF exporters.
 */
import {
  MAX_DIMENSION_NAME_LENGTH,
  MAX_DIMENSION_VALUE_LENGTH,
  MAX_METRIC_NAME_LENGTH,
  MAX_NAMESPACE_LENGTH,
} from "./limits.ts";

/** Printable ASCII (0x20..0x7E) only, with at least one non-space: the Dimension character rule. */
function isPrintableAsciiWithContent(s: string): boolean {
  let content = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
    if (c !== 0x20) content = true;
  }
  return content;
}

/** Dimension.Name: 1..255 ASCII characters, not all whitespace, no control characters, no leading ':'. */
export function isValidDimensionName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= MAX_DIMENSION_NAME_LENGTH &&
    name.charCodeAt(0) !== 0x3a &&
    isPrintableAsciiWithContent(name)
  );
}

/** Dimension.Value: 1..1024 ASCII characters, not all whitespace, no control characters. */
export function isValidDimensionValue(value: string): boolean {
  return value.length >= 1 && value.length <= MAX_DIMENSION_VALUE_LENGTH && isPrintableAsciiWithContent(value);
}

/** MetricDatum.MetricName: 1..255 characters, no control characters, not all whitespace. */
export function isValidMetricName(name: string): boolean {
  if (name.length < 1 || name.length > MAX_METRIC_NAME_LENGTH) return false;
  let content = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c !== 0x20) content = true;
  }
  return content;
}

/** Why a namespace is refused, or "" when it is valid (PutMetricData Namespace: 1..255, `[^:].*`, not `AWS/`). */
export function namespaceProblem(namespace: string): string {
  if (namespace.length < 1 || namespace.length > MAX_NAMESPACE_LENGTH) {
    return `must be 1..${MAX_NAMESPACE_LENGTH} characters, got ${namespace.length}`;
  }
  if (namespace.startsWith(":")) return "must not start with ':'";
  if (namespace.startsWith("AWS/")) return "must not start with 'AWS/' (reserved for AWS services)";
  if (!isPrintableAsciiWithContent(namespace)) return "must be printable ASCII with at least one non-space character";
  return "";
}

/** An attribute value as a dimension value string (arrays as JSON, everything else via String). */
export function attributeValueString(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}
