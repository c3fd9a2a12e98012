/**
 * Field parsers shared by the CloudWatch and EMF exporter configs. Each reports problems with the
 * Collector's `::` path (e.g. `exporters::awscloudwatch/main::interval`) and returns a usable value
 * (the default) so validation continues and every problem is reported in one pass.
 */
import type { ConfigError } from "../../components/types.ts";
import type { DimensionRule } from "./dimensions.ts";
import { MAX_DIMENSIONS } from "./limits.ts";
import { isValidDimensionName } from "./names.ts";

export type RawObject = Record<string, unknown>;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function isObject(v: unknown): v is RawObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The raw section as an object; `undefined`/`null` mean "all defaults". */
export function rawSection(raw: unknown, path: string, errors: ConfigError[]): RawObject {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw)) return raw;
  errors.push({ path, message: `must be a mapping, got ${show(raw)}` });
  return {};
}

/** Reports keys that no field reads (typos would otherwise be ignored silently). */
export function checkUnknownKeys(raw: RawObject, known: readonly string[], path: string, errors: ConfigError[]): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) errors.push({ path: `${path}::${key}`, message: `unknown field (known: ${known.join(", ")})` });
  }
}

/** A duration: "250ms", "10s", "1m", "1h", or a number of seconds. Returns ms. */
export function parseDuration(
  value: unknown,
  fallbackMs: number,
  path: string,
  errors: ConfigError[],
  bounds: { minMs: number; maxMs: number },
): number {
  if (value === undefined) return fallbackMs;
  let ms = Number.NaN;
  if (typeof value === "number") ms = value * 1000;
  else if (typeof value === "string") {
    const m = DURATION.exec(value.trim());
    if (m !== null) ms = Number(m[1]) * UNIT_MS[m[2]];
  }
  if (!Number.isFinite(ms)) {
    errors.push({ path, message: `must be a duration like "500ms", "10s", "1m" or a number of seconds, got ${show(value)}` });
    return fallbackMs;
  }
  if (ms < bounds.minMs || ms > bounds.maxMs) {
    errors.push({ path, message: `must be between ${bounds.minMs / 1000}s and ${bounds.maxMs / 1000}s, got ${show(value)}` });
    return fallbackMs;
  }
  return ms;
}

export function parseInteger(value: unknown, fallback: number, path: string, errors: ConfigError[], min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    errors.push({ path, message: `must be an integer in ${min}..${max}, got ${show(value)}` });
    return fallback;
  }
  return value;
}

export function parseBoolean(value: unknown, fallback: boolean, path: string, errors: ConfigError[]): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    errors.push({ path, message: `must be true or false, got ${show(value)}` });
    return fallback;
  }
  return value;
}

export function parseString(value: unknown, fallback: string, path: string, errors: ConfigError[]): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") {
    errors.push({ path, message: `must be a string, got ${show(value)}` });
    return fallback;
  }
  return value;
}

/** `storage_resolution`: "auto" (1 when the interval is under 60 s, else 60), 1 or 60. */
export function parseStorageResolution(value: unknown, path: string, errors: ConfigError[]): "auto" | 1 | 60 {
  if (value === undefined || value === "auto") return "auto";
  if (value === 1 || value === 60) return value;
  errors.push({ path, message: `must be "auto", 1 or 60, got ${show(value)}` });
  return "auto";
}

export function resolveStorageResolution(setting: "auto" | 1 | 60, intervalMs: number): 1 | 60 {
  if (setting !== "auto") return setting;
  return intervalMs < 60_000 ? 1 : 60;
}

/**
 * `dimension_rules: [{ metric_name_selectors: [regex...], dimensions: [[k1, k2], [k1], []] }]`.
 * Selectors must compile; dimension keys must be valid Dimension names; at most 30 keys per set.
 */
export function parseDimensionRules(value: unknown, path: string, errors: ConfigError[]): DimensionRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ path, message: `must be a list of {metric_name_selectors, dimensions}, got ${show(value)}` });
    return [];
  }
  const rules: DimensionRule[] = [];
  value.forEach((rawRule: unknown, i: number) => {
    const rulePath = `${path}[${i}]`;
    if (!isObject(rawRule)) {
      errors.push({ path: rulePath, message: `must be a mapping, got ${show(rawRule)}` });
      return;
    }
    checkUnknownKeys(rawRule, ["metric_name_selectors", "dimensions"], rulePath, errors);
    const selectors: string[] = [];
    const rawSelectors = rawRule.metric_name_selectors;
    if (!Array.isArray(rawSelectors) || rawSelectors.length === 0) {
      errors.push({ path: `${rulePath}::metric_name_selectors`, message: `must be a non-empty list of regular expressions, got ${show(rawSelectors)}` });
    } else {
      rawSelectors.forEach((sel: unknown, j: number) => {
        const selPath = `${rulePath}::metric_name_selectors[${j}]`;
        if (typeof sel !== "string") {
          errors.push({ path: selPath, message: `must be a string, got ${show(sel)}` });
          return;
        }
        try {
          new RegExp(sel);
          selectors.push(sel);
        } catch (e) {
          errors.push({ path: selPath, message: `is not a valid regular expression: ${(e as Error).message}` });
        }
      });
    }
    const sets: string[][] = [];
    const rawSets = rawRule.dimensions;
    if (!Array.isArray(rawSets) || rawSets.length === 0) {
      errors.push({ path: `${rulePath}::dimensions`, message: `must be a non-empty list of dimension sets (lists of attribute keys), got ${show(rawSets)}` });
    } else {
      rawSets.forEach((set: unknown, j: number) => {
        const setPath = `${rulePath}::dimensions[${j}]`;
        if (!Array.isArray(set)) {
          errors.push({ path: setPath, message: `must be a list of attribute keys, got ${show(set)}` });
          return;
        }
        if (set.length > MAX_DIMENSIONS) {
          errors.push({ path: setPath, message: `has ${set.length} keys; CloudWatch allows at most ${MAX_DIMENSIONS} dimensions` });
          return;
        }
        const keys: string[] = [];
        let ok = true;
        set.forEach((key: unknown, k: number) => {
          if (typeof key !== "string" || !isValidDimensionName(key)) {
            errors.push({ path: `${setPath}[${k}]`, message: `must be a dimension name (1..255 printable ASCII, not starting with ':'), got ${show(key)}` });
            ok = false;
          } else if (keys.includes(key)) {
            errors.push({ path: `${setPath}[${k}]`, message: `duplicate key ${show(key)}` });
            ok = false;
          } else keys.push(key);
        });
        if (ok) sets.push(keys);
      });
    }
    rules.push({ metricNameSelectors: selectors, dimensions: sets });
  });
  return rules;
}
