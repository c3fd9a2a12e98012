/**
 * A reader for one mapping of the configuration that validates as it reads: every typed getter
 * falls back to its default, pushes a path-bearing problem on a bad value, and `finish()` reports
 * the keys nobody asked for. Factories use it in `validate(raw, path, errors)`.
 */
import type { ConfigError } from "../components/types.ts";
import { parseDuration } from "./duration.ts";
import { parseEndpoint } from "./endpoint.ts";

/** How a value looks in a message: short, typed, never the whole document. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? v.slice(0, 77) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return "a list";
  return "a mapping";
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

export class ConfigReader {
  readonly path: string;
  readonly errors: ConfigError[];
  /** False when the section itself was not a mapping (already reported). */
  readonly ok: boolean;
  private readonly raw: Record<string, unknown>;
  private readonly seen = new Set<string>();

  /** `raw` undefined or null means "all defaults". */
  constructor(raw: unknown, path: string, errors: ConfigError[]) {
    this.path = path;
    this.errors = errors;
    if (raw === undefined || raw === null) {
      this.raw = {};
      this.ok = true;
    } else if (isMapping(raw)) {
      this.raw = raw;
      this.ok = true;
    } else {
      this.raw = {};
      this.ok = false;
      errors.push({ path, message: `expected a mapping, got ${describeValue(raw)}` });
    }
  }

  /** Path of a key of this section. */
  at(key: string): string {
    return this.path === "" ? key : `${this.path}::${key}`;
  }

  problem(key: string, message: string): void {
    this.errors.push({ path: this.at(key), message });
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** The raw value (marks the key as known). */
  value(key: string): unknown {
    this.seen.add(key);
    return this.raw[key];
  }

  keys(): string[] {
    return Object.keys(this.raw);
  }

  string(key: string, def: string, allowed?: readonly string[]): string {
    const v = this.value(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== "string") {
      this.problem(key, `expected a string, got ${describeValue(v)}`);
      return def;
    }
    if (allowed !== undefined && !allowed.includes(v)) {
      this.problem(key, `${JSON.stringify(v)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
      return def;
    }
    return v;
  }

  number(key: string, def: number, rule: NumberRule = {}): number {
    const v = this.value(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      this.problem(key, `expected a number, got ${describeValue(v)}`);
      return def;
    }
    if (rule.integer === true && !Number.isInteger(v)) {
      this.problem(key, `expected an integer, got ${v}`);
      return def;
    }
    if (rule.min !== undefined && v < rule.min) {
      this.problem(key, `${v} is below the minimum ${rule.min}`);
      return def;
    }
    if (rule.max !== undefined && v > rule.max) {
      this.problem(key, `${v} is above the maximum ${rule.max}`);
      return def;
    }
    return v;
  }

  boolean(key: string, def: boolean): boolean {
    const v = this.value(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== "boolean") {
      this.problem(key, `expected true or false, got ${describeValue(v)}`);
      return def;
    }
    return v;
  }

  /** A Go-style duration string (`30s`, `5m`, `500ms`), returned in milliseconds. */
  duration(key: string, defMs: number, rule: { minMs?: number; maxMs?: number } = {}): number {
    const v = this.value(key);
    if (v === undefined || v === null) return defMs;
    if (typeof v !== "string" && v !== 0) {
      this.problem(key, `expected a duration such as "30s", "5m" or "500ms", got ${describeValue(v)}`);
      return defMs;
    }
    const parsed = parseDuration(String(v));
    if ("problem" in parsed) {
      this.problem(key, `${parsed.problem} (got ${describeValue(v)})`);
      return defMs;
    }
    if (rule.minMs !== undefined && parsed.ms < rule.minMs) {
      this.problem(key, `${String(v)} is shorter than the minimum ${rule.minMs} ms`);
      return defMs;
    }
    if (rule.maxMs !== undefined && parsed.ms > rule.maxMs) {
      this.problem(key, `${String(v)} is longer than the maximum ${rule.maxMs} ms`);
      return defMs;
    }
    return parsed.ms;
  }

  /** A `host:port` string. */
  endpoint(key: string, def: string): string {
    const v = this.string(key, def);
    if (v === def && !this.has(key)) return def;
    const parsed = parseEndpoint(v);
    if ("problem" in parsed) {
      this.problem(key, `${parsed.problem} (got ${describeValue(v)})`);
      return def;
    }
    return v;
  }

  stringList(key: string, def: readonly string[]): string[] {
    const v = this.value(key);
    if (v === undefined || v === null) return def.slice();
    if (!Array.isArray(v)) {
      this.problem(key, `expected a list of strings, got ${describeValue(v)}`);
      return def.slice();
    }
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== "string") this.errors.push({ path: `${this.at(key)}[${i}]`, message: `expected a string, got ${describeValue(item)}` });
      else out.push(item);
    }
    return out;
  }

  /** A nested mapping as its own reader (its unknown keys are checked by its own finish()). */
  child(key: string): ConfigReader {
    return new ConfigReader(this.value(key), this.at(key), this.errors);
  }

  /** Reports every key that no getter asked for. Call after reading all known keys. */
  finish(): void {
    if (!this.ok) return;
    for (const key of Object.keys(this.raw)) {
      if (this.seen.has(key)) continue;
      const known = [...this.seen].sort();
      this.errors.push({
        path: this.at(key),
        message: known.length > 0 ? `unknown key (expected one of: ${known.join(", ")})` : "unknown key (this section takes no settings)",
      });
    }
  }
}
