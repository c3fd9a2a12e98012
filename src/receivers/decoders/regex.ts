/**
 * `regex`: metrics scraped from plain log lines, after benchmark-ai's log metrics. Each rule is
 * `{name, units, pattern}`: the pattern's one unnamed capturing group is the value, its named groups
 * become attributes (over the static `labels`). Every rule is tried on every line (a line may feed
 * several metrics). A message holds one or more lines (`\n` or `\r\n`); blank lines are ignored and
 * lines no rule matches are counted as skipped records, not errors. Values are raw observations
 * (`samples`) unless a rule says `as: gauge` or `as: counter`; the event time is the Kafka message
 * timestamp.
 */
import type { ConfigError } from "../../components/types.ts";
import { AttributeInterner } from "./attribute-interner.ts";
import type { BuilderMetricType, DecodedBatchBuilder } from "./batch-builder.ts";
import { utf8Text } from "../bounded-json.ts";
import { checkKeys, enumAt, isObject, objectAt, stringAt, stringMapAt } from "./options.ts";
import { compileValuePattern } from "./regex-pattern.ts";
import type { CompiledPattern } from "./regex-pattern.ts";
import type { DecoderFactory, InternedAttributes, MessageDecoder, MessageMeta } from "./types.ts";
import { preview } from "./decode-error.ts";

export const REGEX_SCOPE = "statset/regex";

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
  readonly #interner = new AttributeInterner();

  get truncatedValues(): number {
    return this.#interner.truncatedValues;
  }

  constructor(options: RegexOptions) {
    this.#labels = options.labels;
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
      if (lineEnd > start) this.#line(text.slice(start, lineEnd), timeMs, into);
      start = end + 1;
    }
  }

  #line(line: string, timeMs: number, into: DecodedBatchBuilder): void {
    let matched = false;
    for (let r = 0; r < this.#rules.length; r++) {
      const rule = this.#rules[r];
      const m = rule.compiled.regex.exec(line);
      if (m === null) continue;
      matched = true;
      const raw = m[rule.compiled.valueGroup];
      const value = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(value)) {
        into.reject(1, `rule ${JSON.stringify(rule.name)}: captured value ${preview(raw)} is not a number`);
        continue;
      }
      let attrs = rule.fixed;
      if (rule.compiled.names.length > 0 && m.groups !== undefined) {
        const record: Record<string, string> = { ...this.#labels };
        for (const name of rule.compiled.names) {
          const g = m.groups[name];
          if (g !== undefined) record[name] = g;
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
  defaultOptions: () => ({ rules: [], labels: {} }),
  validate(raw: unknown, path: string, errors: ConfigError[]): RegexOptions {
    const obj = objectAt(raw, path, errors);
    checkKeys(obj, ["rules", "labels"], path, errors);
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
    return { rules, labels: stringMapAt(obj, "labels", path, errors) };
  },
  create: (options) => new RegexDecoder(options),
};
