/**
 * The `attributes` processor, after the Collector's: an ordered list of actions over each point's
 * attributes (after resource attributes chosen by `resource_to_telemetry` have been merged in).
 *
 *   actions:
 *     - { key: env, action: insert, value: prod }          # add when absent
 *     - { key: env, action: upsert, value: prod }          # add or overwrite
 *     - { key: env, action: update, value: prod }          # overwrite when present
 *     - { key: host, action: insert, from_attribute: node } # copy from another attribute
 *     - { key: http.method, action: rename, new_key: method }
 *     - { key: user.id, action: delete }                   # or `pattern: ^user\.` to delete by regexp
 *
 * The actions compile once; the pipeline calls the processor once per new stream.
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { ComponentContext, ConfigError } from "../components/types.ts";
import { ConfigReader, describeValue, isMapping } from "../config/fields.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

export const ATTRIBUTE_ACTIONS = ["insert", "update", "upsert", "delete", "rename"] as const;
export type AttributeActionName = (typeof ATTRIBUTE_ACTIONS)[number];

export interface AttributeAction {
  readonly action: AttributeActionName;
  /** Target key; absent for `delete` by `pattern`. */
  readonly key: string | null;
  readonly value?: AttributeValue;
  readonly fromAttribute?: string;
  readonly newKey?: string;
  /** Regexp source (delete only). */
  readonly pattern?: string;
}

export interface AttributesProcessorConfig {
  readonly actions: readonly AttributeAction[];
}

function validateAction(raw: unknown, path: string, errors: ConfigError[]): AttributeAction | null {
  const r = new ConfigReader(raw, path, errors);
  if (!r.ok) return null;
  const before = errors.length;
  const action = r.string("action", "", ATTRIBUTE_ACTIONS) as AttributeActionName | "";
  if (!r.has("action")) r.problem("action", `missing (one of ${ATTRIBUTE_ACTIONS.join(", ")})`);
  const key = r.has("key") ? r.string("key", "") : null;
  const pattern = r.has("pattern") ? r.string("pattern", "") : undefined;
  const fromAttribute = r.has("from_attribute") ? r.string("from_attribute", "") : undefined;
  const newKey = r.has("new_key") ? r.string("new_key", "") : undefined;
  const rawValue = r.value("value");
  let value: AttributeValue | undefined;
  if (rawValue !== undefined && rawValue !== null) {
    if (typeof rawValue === "string" || typeof rawValue === "number" || typeof rawValue === "boolean") value = rawValue;
    else r.problem("value", `expected a string, number or boolean, got ${describeValue(rawValue)}`);
  }
  r.finish();
  if (action === "") return null;
  if (pattern !== undefined) {
    if (action !== "delete") r.problem("pattern", `only the delete action takes a pattern`);
    try {
      new RegExp(pattern);
    } catch (e) {
      r.problem("pattern", `invalid regular expression: ${(e as Error).message}`);
    }
  }
  if (key === null && !(action === "delete" && pattern !== undefined)) r.problem("key", "missing");
  if (key === "") r.problem("key", "must not be empty");
  if (action === "insert" || action === "update" || action === "upsert") {
    if ((value === undefined) === (fromAttribute === undefined)) r.problem("value", `${action} needs exactly one of value or from_attribute`);
  } else if (value !== undefined) r.problem("value", `the ${action} action takes no value`);
  if (action === "rename") {
    if (newKey === undefined || newKey === "") r.problem("new_key", "rename needs a non-empty new_key");
  } else if (newKey !== undefined) r.problem("new_key", `only the rename action takes new_key`);
  if (fromAttribute !== undefined && action !== "insert" && action !== "update" && action !== "upsert") {
    r.problem("from_attribute", `the ${action} action takes no from_attribute`);
  }
  if (errors.length > before) return null;
  return { action, key, value, fromAttribute, newKey, pattern };
}

/** Applies compiled actions to attribute sets. */
export class AttributesProcessor implements MetricsProcessor {
  private readonly steps: readonly ((a: Record<string, AttributeValue | undefined>) => void)[];

  constructor(config: AttributesProcessorConfig) {
    this.steps = config.actions.map((a) => {
      const key = a.key ?? "";
      switch (a.action) {
        case "insert":
          return (attrs) => {
            if (attrs[key] !== undefined) return;
            const v = a.fromAttribute !== undefined ? attrs[a.fromAttribute] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "update":
          return (attrs) => {
            if (attrs[key] === undefined) return;
            const v = a.fromAttribute !== undefined ? attrs[a.fromAttribute] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "upsert":
          return (attrs) => {
            const v = a.fromAttribute !== undefined ? attrs[a.fromAttribute] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "rename": {
          const newKey = a.newKey ?? key;
          return (attrs) => {
            const v = attrs[key];
            if (v === undefined) return;
            delete attrs[key];
            attrs[newKey] = v;
          };
        }
        case "delete": {
          const re = a.pattern !== undefined ? new RegExp(a.pattern) : null;
          return (attrs) => {
            if (a.key !== null) delete attrs[key];
            if (re !== null) for (const k of Object.keys(attrs)) if (re.test(k)) delete attrs[k];
          };
        }
      }
    });
  }

  keepMetric(): boolean {
    return true;
  }

  processAttributes(attributes: Attributes): Attributes {
    if (this.steps.length === 0) return attributes;
    const out: Record<string, AttributeValue | undefined> = { ...attributes };
    for (const step of this.steps) step(out);
    return out;
  }

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export const attributesProcessorFactory: ProcessorFactory<AttributesProcessorConfig> = {
  type: "attributes",
  createDefaultConfig: () => ({ actions: [] }),
  validate(raw: unknown, path: string, errors: ConfigError[]): AttributesProcessorConfig {
    const r = new ConfigReader(raw, path, errors);
    const list = r.value("actions");
    const actions: AttributeAction[] = [];
    if (list === undefined || list === null) r.problem("actions", "missing: list at least one action");
    else if (!Array.isArray(list)) r.problem("actions", `expected a list of actions, got ${describeValue(list)}`);
    else
      list.forEach((item: unknown, i: number) => {
        const a = validateAction(item, `${r.at("actions")}[${i}]`, errors);
        if (a !== null) actions.push(a);
        else if (!isMapping(item)) return;
      });
    r.finish();
    return { actions };
  },
  create(_ctx: ComponentContext, config: AttributesProcessorConfig): MetricsProcessor {
    return new AttributesProcessor(config);
  },
};
