/**
 * Small validators for snake_case component options. Each reads one field of a raw YAML object,
 * pushes a path-bearing `ConfigError` when it is wrong and returns the default instead, so one pass
 * reports every problem.
 */
import type { ConfigError } from "../../components/types.ts";
import { preview } from "./decode-error.ts";

export type RawObject = Readonly<Record<string, unknown>>;

export function isObject(v: unknown): v is RawObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `raw` as an object; undefined/null mean "all defaults" (an empty object). */
export function objectAt(raw: unknown, path: string, errors: ConfigError[]): RawObject {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw)) return raw;
  errors.push({ path, message: `expected a mapping, got ${preview(raw)}` });
  return {};
}

/** Reports keys of `obj` not in `allowed` (typos must not silently fall back to defaults). */
export function checkKeys(obj: RawObject, allowed: readonly string[], path: string, errors: ConfigError[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) errors.push({ path: `${path}::${k}`, message: `unknown option (expected one of: ${allowed.join(", ")})` });
  }
}

export function stringAt(obj: RawObject, key: string, path: string, errors: ConfigError[], def: string, nonEmpty = false): string {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "string" || (nonEmpty && v === "")) {
    errors.push({ path: `${path}::${key}`, message: `expected a ${nonEmpty ? "non-empty " : ""}string, got ${preview(v)}` });
    return def;
  }
  return v;
}

export function optionalStringAt(obj: RawObject, key: string, path: string, errors: ConfigError[]): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") {
    errors.push({ path: `${path}::${key}`, message: `expected a non-empty string, got ${preview(v)}` });
    return undefined;
  }
  return v;
}

export function boolAt(obj: RawObject, key: string, path: string, errors: ConfigError[], def: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "boolean") {
    errors.push({ path: `${path}::${key}`, message: `expected true or false, got ${preview(v)}` });
    return def;
  }
  return v;
}

export function enumAt<T extends string>(
  obj: RawObject,
  key: string,
  path: string,
  errors: ConfigError[],
  allowed: readonly T[],
  def: T,
): T {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    errors.push({ path: `${path}::${key}`, message: `expected one of ${allowed.join(", ")}, got ${preview(v)}` });
    return def;
  }
  return v as T;
}

export function intAt(obj: RawObject, key: string, path: string, errors: ConfigError[], def: number, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    errors.push({ path: `${path}::${key}`, message: `expected an integer in [${min}, ${max}], got ${preview(v)}` });
    return def;
  }
  return v;
}

/** An array of non-empty strings. */
export function stringListAt(obj: RawObject, key: string, path: string, errors: ConfigError[], def: readonly string[]): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return def.slice();
  if (!Array.isArray(v)) {
    errors.push({ path: `${path}::${key}`, message: `expected a list of strings, got ${preview(v)}` });
    return def.slice();
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item !== "string" || item === "") {
      errors.push({ path: `${path}::${key}::${i}`, message: `expected a non-empty string, got ${preview(item)}` });
    } else out.push(item);
  });
  return out;
}

/** A mapping of string keys to string values (static labels). */
export function stringMapAt(obj: RawObject, key: string, path: string, errors: ConfigError[]): Record<string, string> {
  const v = obj[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    errors.push({ path: `${path}::${key}`, message: `expected a mapping of strings, got ${preview(v)}` });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, item] of Object.entries(v)) {
    if (k === "") errors.push({ path: `${path}::${key}`, message: "empty label name" });
    else if (typeof item === "string") out[k] = item;
    else if (typeof item === "number" || typeof item === "boolean") out[k] = String(item);
    else errors.push({ path: `${path}::${key}::${k}`, message: `expected a string, got ${preview(item)}` });
  }
  return out;
}
