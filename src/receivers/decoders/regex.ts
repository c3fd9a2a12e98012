/**
 * `regex`: metrics scraped from plain log lines, after benchmark-ai's log metrics. Each rule is
 * `{name, units, pattern}`: the pattern's one unnamed capturing group is the value, its named groups
 * become attributes (over the static `labels`). Every rule is tried on every line (a line may feed
 * several metrics). A message holds one or more lines (`\n` or `\r\n`); blank lines are ignored and
 * lines no rule matches are counted as skipped records, not errors. Values are raw observations
 * (`samples`) unless a rule says `as: gauge` or `as: counter`; the event time is the Kafka message
 * timestamp. Patterns run on RE2 (regex-pattern.ts), in time linear in the line; a line longer than
 * `max_line_length` is refused as one point, unread.
 */
import type { ConfigError } from "../../components/types.ts";
import { AttributeInterner } from "./attribute-interner.ts";
import type { BuilderMetricType, DecodedBatchBuilder } from "./batch-builder.ts";
import { utf8Text } from "../bounded-json.ts";
import { checkKeys, enumAt, intAt, isObject, objectAt, stringAt, stringMapAt } from "./options.ts";
import { compileValuePattern } from "./regex-pattern.ts";
import type { CompiledPattern } from "./regex-pattern.ts";
import type { DecoderFactory, InternedAttributes, MessageDecoder, MessageMeta } from "./types.ts";
import { preview } from "./decode-error.ts";

export const REGEX_SCOPE = "statset/regex";
/** Longest line matched by default (characters): log lines are far shorter, stack traces fit. */
export const DEFAULT_MAX_LINE_LENGTH = 16_384;
/** Upper bound of `max_line_length`: a line is matched as one string, so this bounds one match's work. */
export const MAX_LINE_LENGTH_LIMIT = 1_048_576;

export interface RegexRule {
  readonly name: string;
  readonly units: string;
  readonly pattern: string;
  readonly as: "samples" | "gauge" | "counter";
}

export interface RegexOptions {
  readonly rules: readonly RegexRule[];
  /** Attributes on every point; named groups of the same name win. */
  readonly labels: Readonly<Record<string, string>>;
  /** Lines longer than this (UTF-16 code units) are refused, not matched. */
  readonly max_line_length: number;
}

interface Rule {
  readonly name: string;
  readonly units: string;
  readonly compiled: CompiledPattern;
  readonly type: BuilderMetricType;
  readonly monotonic: boolean;
  /** Interned static labels, used as-is when the pattern has no named groups. */
  readonly fixed: InternedAttributes;
}

const TYPE_OF = { samples: "samples", gauge: "gauge", counter: "sum" } as const;

class RegexDecoder implements MessageDecoder {
  readonly encoding = "regex";
  readonly #rules: readonly Rule[];
  readonly #labels: Readonly<Record<string, string>>;
  readonly #maxLineLength: number;
  readonly #interner = new AttributeInterner();

  get truncatedValues(): number {
    return this.#interner.truncatedValues;
  }

  constructor(options: RegexOptions) {
    this.#labels = options.labels;
    this.#maxLineLength = options.max_line_length;
    const fixed = this.#interner.intern(options.labels, "labels") ?? AttributeInterner.empty;
    this.#rules = options.rules.map((r) => ({
      name: r.name,
      units: r.units,
      compiled: compileValuePattern(r.pattern),
      type: TYPE_OF[r.as],
      monotonic: r.as === "counter",
      fixed,
    }));
  }

  decode(message: Uint8Array, meta: MessageMeta, into: DecodedBatchBuilder): void {
    const text = utf8Text(message);
    const timeMs = meta.timestampMs;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (lineEnd - start > this.#maxLineLength) {
        into.reject(1, `line of ${lineEnd - start} characters is longer than max_line_length (${this.#maxLineLength}); not matched`);
      } else if (lineEnd > start) {
        this.#line(text.slice(start, lineEnd), timeMs, into);
      }
      start = end + 1;
    }
  }

  #line(line: string, timeMs: number, into: DecodedBatchBuilder): void {
    let matched = false;
    for (let r = 0; r < this.#rules.length; r++) {
      const rule = this.#rules[r];
      const compiled = rule.compiled;
      if (!compiled.find(line)) continue;
      matched = true;
      const raw = compiled.value();
      const value = raw === null || raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(value)) {
        into.reject(1, `rule ${JSON.stringify(rule.name)}: captured value ${preview(raw)} is not a number`);
        continue;
      }
      let attrs = rule.fixed;
      if (compiled.names.length > 0) {
        const record: Record<string, string> = { ...this.#labels };
        for (const name of compiled.names) {
          const g = compiled.group(name);
          if (g !== null) record[name] = g;
        }
        const interned = this.#interner.intern(record, "groups");
        if (interned === null) {
          into.reject(1, this.#interner.lastError);
          continue;
        }
        attrs = interned;
      }
      const metric = into.metric(REGEX_SCOPE, rule.name, rule.type, rule.units, rule.type === "sum" ? "delta" : "unspecified", rule.monotonic);
      if (rule.type === "samples") metric.addSample(attrs, timeMs, value);
      else metric.addNumber(attrs, timeMs, value);
    }
    if (!matched) into.skip(1);
  }
}

export const regexDecoderFactory: DecoderFactory<RegexOptions> = {
  encoding: "regex",
  defaultOptions: () => ({ rules: [], labels: {}, max_line_length: DEFAULT_MAX_LINE_LENGTH }),
  validate(raw: unknown, path: string, errors: ConfigError[]): RegexOptions {
    const obj = objectAt(raw, path, errors);
    checkKeys(obj, ["rules", "labels", "max_line_length"], path, errors);
    const rules: RegexRule[] = [];
    const rawRules = obj.rules;
    if (!Array.isArray(rawRules) || rawRules.length === 0) {
      errors.push({ path: `${path}::rules`, message: `expected a non-empty list of {name, units, pattern}, got ${preview(rawRules)}` });
    } else {
      rawRules.forEach((item: unknown, i) => {
        const at = `${path}::rules::${i}`;
        if (!isObject(item)) {
          errors.push({ path: at, message: `expected a mapping {name, units, pattern}, got ${preview(item)}` });
          return;
        }
        checkKeys(item, ["name", "units", "unit", "pattern", "as"], at, errors);
        const before = errors.length;
        const name = stringAt(item, "name", at, errors, "", true);
        if (item.name === undefined) errors.push({ path: `${at}::name`, message: "required" });
        const units = stringAt(item, "units", at, errors, stringAt(item, "unit", at, errors, ""));
        const pattern = stringAt(item, "pattern", at, errors, "", true);
        if (item.pattern === undefined) errors.push({ path: `${at}::pattern`, message: "required" });
        const as = enumAt(item, "as", at, errors, ["samples", "gauge", "counter"] as const, "samples");
        if (pattern !== "") {
          try {
            compileValuePattern(pattern);
          } catch (e) {
            errors.push({ path: `${at}::pattern`, message: `rule ${i} pattern ${JSON.stringify(pattern)}: ${(e as Error).message}` });
          }
        }
        if (errors.length === before) rules.push({ name, units, pattern, as });
      });
    }
    return {
      rules,
      labels: stringMapAt(obj, "labels", path, errors),
      max_line_length: intAt(obj, "max_line_length", path, errors, DEFAULT_MAX_LINE_LENGTH, 1, MAX_LINE_LENGTH_LIMIT),
    };
  },
  create: (options) => new RegexDecoder(options),
};
