/**
 * The key, type and default columns of a section's option table, rendered from its schema, so
 * docs/configuration.md can be checked against the schemas (test/config/option-tables.test.ts)
 * and cannot drift. Nested mappings become `parent::child` rows, a list of mappings `list[]::key`
 * rows after its own; a schema with a `statsetType`
 * (durations, endpoints, auth, tls) is one row with that type.
 */
import { formatDuration } from "./duration.ts";
import { z } from "./schema.ts";

/** One row: the cells as docs/configuration.md writes them. */
export interface OptionRow {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  /** The schema's `.describe()` text (docs may say more). */
  readonly meaning: string;
}

interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly statsetType?: string;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly zeroMeansOff?: boolean;
  /** The default cell when the schema's default does not say it (`.meta({ docsDefault })`). */
  readonly docsDefault?: string;
  readonly description?: string;
}

const PLURAL: Readonly<Record<string, string>> = { string: "strings", number: "numbers", bool: "bools", value: "values", mapping: "mappings" };

function intType(s: JsonSchema, name: string): string {
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) return `${name} ${s.minimum}..${max}`;
  if (s.minimum !== undefined) return `${name} >= ${s.minimum}`;
  if (max !== undefined) return `${name} <= ${max}`;
  return name;
}

function typeOf(s: JsonSchema): string {
  if (s.statsetType === "duration") {
    const parts = [s.minMs !== undefined ? `>= ${formatDuration(s.minMs)}` : "", s.maxMs !== undefined ? `<= ${formatDuration(s.maxMs)}` : ""].filter((p) => p !== "");
    return `duration${parts.length > 0 ? ` ${parts.join(", ")}` : ""}${s.zeroMeansOff === true ? ", 0 = off" : ""}`;
  }
  if (s.statsetType === "int bytes") return intType(s, "bytes");
  if (s.statsetType !== undefined) return s.statsetType;
  if (s.anyOf !== undefined) {
    const nonNull = s.anyOf.filter((a) => a.type !== "null");
    const types = nonNull.map(typeOf).join(" or ");
    return nonNull.length < s.anyOf.length ? `${types} or null` : types;
  }
  if (s.enum !== undefined) return s.enum.map((v) => String(v)).join(" \\| ");
  switch (s.type) {
    case "integer":
      return intType(s, "int");
    case "number":
      return s.minimum !== undefined || s.maximum !== undefined ? intType(s, "number") : "number";
    case "boolean":
      return "bool";
    case "string":
      return s.minLength !== undefined && s.minLength > 0 ? "non-empty string" : "string";
    case "array": {
      const item = s.items === undefined ? "value" : typeOf(s.items).replace(/^non-empty /, "");
      return `list of ${PLURAL[item] ?? item}${s.minItems !== undefined && s.minItems > 0 ? `, >= ${s.minItems}` : ""}`;
    }
    case "object":
      return "mapping";
    default:
      return "value";
  }
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.docsDefault !== undefined) return s.docsDefault;
  if (required) return "**required**";
  if (s.default === undefined || s.default === null) return "—";
  if (typeof s.default === "string") return s.default === "" ? '`""`' : `\`${s.default}\``;
  return `\`${JSON.stringify(s.default)}\``;
}

function rows(s: JsonSchema, prefix: string, out: OptionRow[]): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}${key}`;
    const required = s.required?.includes(key) === true && prop.default === undefined;
    if (prop.type === "object" && prop.properties !== undefined && prop.statsetType === undefined && Object.keys(prop.properties).length > 0) {
      rows(prop, `${path}::`, out);
      continue;
    }
    out.push({ key: `\`${path}\``, type: typeOf(prop), default: defaultOf(prop, required), meaning: prop.description ?? "" });
    // A list of mappings (attributes' actions): its items' keys follow as `list[]::key`.
    if (prop.type === "array" && prop.items?.properties !== undefined) rows(prop.items, `${path}[]::`, out);
  }
}

/** The rows of `schema`'s option table, in declaration order. */
export function optionRows(schema: z.ZodType): OptionRow[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: OptionRow[] = [];
  rows(json, "", out);
  return out;
}
