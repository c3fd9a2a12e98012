/**
 * The one config mechanism: every component declares its section once as a zod schema, which gives
 * its TypeScript type (`z.output`), its defaults (`.prefault`, so a default runs through the same
 * parsing as a user value) and its validation; `readSection` applies it and turns zod's issues into
 * the messages users get everywhere: `path: problem (got VALUE)`, unknown keys with the keys that
 * were expected and the closest one.
 *
 * zod (4.x) over TypeBox + ajv and valibot: its issues carry the path, the code and the input,
 * which is all a message needs; transforms (a duration string to milliseconds) are part of the
 * schema rather than a second decode step; and `z.toJSONSchema` renders the option tables that
 * docs/configuration.md is checked against (test/config/option-tables.test.ts).
 */
import * as z from "zod";
import type { ConfigError } from "../components/types.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { parseEndpoint } from "./endpoint.ts";
import { describeValue } from "./fields.ts";

export { z };

/** Config keys are joined with `::` and list items written `[i]`, as the Collector does. */
export function joinPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out = out === "" ? String(p) : `${out}::${String(p)}`;
  }
  return out;
}

/** Levenshtein distance, for "did you mean" (keys are short: the quadratic cost is nothing). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known key closest to `key`, when it is close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** The schema under the wrappers that do not change a value's shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    // z.preprocess(f, schema) is pipe(transform, schema); schema.transform(f) is pipe(schema, transform).
    else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else return s;
  }
}

/** The keys the object schema at `path` declares (for unknown-key messages). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const p of path) {
    if (s instanceof z.ZodObject && typeof p === "string") s = unwrap(s.shape[p] as z.ZodType);
    else if (s instanceof z.ZodArray && typeof p === "number") s = unwrap(s.element as z.ZodType);
    else if (s instanceof z.ZodRecord) s = unwrap(s.valueType as z.ZodType);
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  record: "a mapping",
};

/** ` (got VALUE)` for a scalar input; a whole mapping or list says nothing a reader can use. */
function got(issue: z.core.$ZodIssue): string {
  if (!("input" in issue) || issue.input === undefined) return "";
  if (typeof issue.input === "object" && issue.input !== null && issue.code !== "invalid_type") return "";
  return ` (got ${describeValue(issue.input)})`;
}

/** The message of one issue, path excluded. */
function problem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      if (!("input" in issue) || issue.input === undefined) return "required";
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}${got(issue)}`;
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return `must not be empty${got(issue)}`;
      return issue.origin === "array" || issue.origin === "string"
        ? `needs at least ${String(issue.minimum)} ${issue.origin === "array" ? "items" : "characters"}${got(issue)}`
        : `must be ${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}${got(issue)}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `allows at most ${String(issue.maximum)} ${issue.origin === "array" ? "items" : "characters"}${got(issue)}`
        : `must be ${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}${got(issue)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got(issue)}`;
    case "invalid_format":
      return `is not ${issue.format === "regex" ? `matching ${String(issue.pattern)}` : `a valid ${issue.format}`}${got(issue)}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}${got(issue)}`;
    default:
      // custom issues (durations, endpoints, cross-field rules) carry their own words.
      return `${issue.message}${got(issue)}`;
  }
}

/** zod's issues as ConfigErrors under `base`; unknown keys one error each, with a suggestion. */
export function configErrors(schema: z.ZodType, base: string, issues: readonly z.core.$ZodIssue[]): ConfigError[] {
  const out: ConfigError[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const near = closestKey(key, known);
        const expected = known.length === 0 ? "this section takes no settings" : `expected one of: ${[...known].sort().join(", ")}`;
        out.push({ path: joinPath(base, [...issue.path, key]), message: `unknown key (${expected})${near === undefined ? "" : `; did you mean \`${near}\`?`}` });
      }
    } else if (issue.code === "invalid_union") {
      out.push({ path: joinPath(base, issue.path), message: `${issue.message}${got(issue)}` });
    } else {
      out.push({ path: joinPath(base, issue.path), message: problem(issue) });
    }
  }
  return out;
}

/**
 * A key written with no value (`series_ttl:` in YAML) means "its default", as in the Collector: null
 * becomes undefined, and the key stays present so a schema can still tell `http:` (enabled, with
 * defaults) from no `http` at all.
 */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = x === null ? undefined : withoutNulls(x);
  return out;
}

/**
 * Validates `raw` (absent or null: all defaults) against `schema`, pushing every problem with its
 * full path. Returns the typed value, or undefined when there was a problem.
 */
export function readSection<S extends z.ZodType>(schema: S, raw: unknown, path: string, errors: ConfigError[]): z.output<S> | undefined {
  const r = parseSection(schema, raw, path, errors);
  return r.success ? r.data : undefined;
}

/** One parse of a section, its problems pushed; the input is kept for readSectionSalvaging. */
function parseSection<S extends z.ZodType>(schema: S, raw: unknown, path: string, errors: ConfigError[]): { success: true; data: z.output<S> } | { success: false; input: unknown; issues: readonly z.core.$ZodIssue[] } {
  const input = raw === null || raw === undefined ? {} : withoutNulls(raw);
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return { success: true, data: r.data };
  errors.push(...configErrors(schema, path, r.error.issues));
  return { success: false, input, issues: r.error.issues };
}

/**
 * `readSection` for a section whose parts are checked further (the document, `service`): after
 * reporting its problems, the keys they are under fall back to their defaults (unknown keys are
 * dropped), so the checks that depend on the other keys still run and report. Returns undefined
 * when `raw` is not a mapping or a key without a default was among the bad ones.
 */
export function readSectionSalvaging<S extends z.ZodType>(schema: S, raw: unknown, path: string, errors: ConfigError[]): z.output<S> | undefined {
  const r = parseSection(schema, raw, path, errors);
  if (r.success) return r.data;
  const input = r.input;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const rest: Record<string, unknown> = { ...input };
  for (const issue of r.issues) {
    if (issue.path.length > 0) delete rest[String(issue.path[0])];
    if (issue.code === "unrecognized_keys" && issue.path.length === 0) for (const k of issue.keys) delete rest[k];
  }
  const again = schema.safeParse(rest);
  return again.success ? again.data : undefined;
}

// ---- the value types every component shares ---------------------------------------------------

export interface DurationRule {
  readonly minMs?: number;
  readonly maxMs?: number;
  /** `0` (bare, as Go's ParseDuration allows) means "off" and is exempt from minMs. */
  readonly zeroMeansOff?: boolean;
}

/** A duration in the one syntax (`500ms`, `10s`, `1m30s`), parsed to milliseconds. */
export function duration(rule: DurationRule = {}) {
  return z
    .unknown()
    .transform((v, ctx): number => {
      if (v === 0 || v === "0") {
        if (rule.zeroMeansOff === true) return 0;
        ctx.addIssue({ code: "custom", message: "must not be 0", input: v });
        return z.NEVER;
      }
      if (typeof v === "number") {
        ctx.addIssue({ code: "custom", message: `a duration needs a unit: write "${v}s" or "${v}ms"`, input: v });
        return z.NEVER;
      }
      if (typeof v !== "string") {
        ctx.addIssue({ code: "custom", message: 'expected a duration such as "500ms", "10s" or "1m30s"', input: v });
        return z.NEVER;
      }
      const parsed = parseDuration(v);
      if ("problem" in parsed) {
        ctx.addIssue({ code: "custom", message: parsed.problem });
        return z.NEVER;
      }
      if (rule.minMs !== undefined && parsed.ms < rule.minMs) ctx.addIssue({ code: "custom", message: `must be at least ${formatDuration(rule.minMs)}`, input: v });
      else if (rule.maxMs !== undefined && parsed.ms > rule.maxMs) ctx.addIssue({ code: "custom", message: `must be at most ${formatDuration(rule.maxMs)}`, input: v });
      return parsed.ms;
    })
    .meta({ statsetType: "duration", ...rule });
}

/** A `host:port` listen or connect address (IPv6 as `[::1]:port`; port 0 picks a free one). */
export function endpoint() {
  return z
    .string()
    .superRefine((v, ctx) => {
      const parsed = parseEndpoint(v);
      if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
    })
    .meta({ statsetType: "host:port" });
}

/** The path part of a URL a server answers on (`/metrics`, `/v1/metrics`). */
export function urlPath() {
  return z.string().refine((p) => p.startsWith("/"), { message: 'must start with "/"' });
}

/** A byte count: a positive safe integer. */
export function byteSize() {
  return z.int().min(1).meta({ statsetType: "int bytes" });
}

/** A JavaScript regular expression's source, checked to compile (messages name the engine's complaint). */
export function regexSource() {
  return z
    .string()
    .superRefine((p, ctx) => {
      try {
        new RegExp(p);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(e as Error).message}` });
      }
    })
    .meta({ statsetType: "regexp" });
}

/** An attribute value written in YAML: a string, number or boolean. */
export function attributeValue() {
  return z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" }).meta({ statsetType: "string, number or bool" });
}
