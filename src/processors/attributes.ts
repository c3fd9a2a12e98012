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
import { attributeValue, readSection, regexSource, z } from "../config/schema.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

export const ATTRIBUTE_ACTIONS = ["insert", "update", "upsert", "delete", "rename"] as const;
export type AttributeActionName = (typeof ATTRIBUTE_ACTIONS)[number];

const SETS_A_VALUE: ReadonlySet<AttributeActionName> = new Set(["insert", "update", "upsert"]);

const actionSchema = z
  .strictObject({
    action: z.enum(ATTRIBUTE_ACTIONS).describe("what to do with `key`"),
    key: z.string().min(1).optional().describe("the attribute acted on (delete may give `pattern` instead)"),
    value: attributeValue().optional().describe("value to set (insert, update, upsert)"),
    from_attribute: z.string().min(1).optional().describe("copy the value of this attribute instead (insert, update, upsert)"),
    new_key: z.string().min(1).optional().describe("new name (rename)"),
    pattern: regexSource().optional().describe("delete every attribute whose key matches (delete)"),
  })
  .superRefine((a, ctx) => {
    const problem = (key: string, message: string): void => ctx.addIssue({ code: "custom", path: [key], message });
    if (a.pattern !== undefined && a.action !== "delete") problem("pattern", "only the delete action takes a pattern");
    if (a.key === undefined && !(a.action === "delete" && a.pattern !== undefined)) problem("key", "required");
    if (SETS_A_VALUE.has(a.action)) {
      if ((a.value === undefined) === (a.from_attribute === undefined)) problem("value", `${a.action} needs exactly one of value or from_attribute`);
    } else {
      if (a.value !== undefined) problem("value", `the ${a.action} action takes no value`);
      if (a.from_attribute !== undefined) problem("from_attribute", `the ${a.action} action takes no from_attribute`);
    }
    if (a.action === "rename" && a.new_key === undefined) problem("new_key", "rename needs a non-empty new_key");
    if (a.action !== "rename" && a.new_key !== undefined) problem("new_key", "only the rename action takes new_key");
  });

export const attributesProcessorSchema = z.strictObject({
  actions: z.array(actionSchema).min(1, { error: "list at least one action" }).describe("applied in order to each new stream's attributes"),
});

export type AttributeAction = z.output<typeof actionSchema>;
export type AttributesProcessorConfig = z.output<typeof attributesProcessorSchema>;

/** Applies compiled actions to attribute sets. */
export class AttributesProcessor implements MetricsProcessor {
  private readonly steps: readonly ((a: Record<string, AttributeValue | undefined>) => void)[];

  constructor(config: AttributesProcessorConfig) {
    this.steps = config.actions.map((a) => {
      const key = a.key ?? "";
      const from = a.from_attribute;
      switch (a.action) {
        case "insert":
          return (attrs) => {
            if (attrs[key] !== undefined) return;
            const v = from !== undefined ? attrs[from] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "update":
          return (attrs) => {
            if (attrs[key] === undefined) return;
            const v = from !== undefined ? attrs[from] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "upsert":
          return (attrs) => {
            const v = from !== undefined ? attrs[from] : a.value;
            if (v !== undefined) attrs[key] = v;
          };
        case "rename": {
          const newKey = a.new_key ?? key;
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
            if (a.key !== undefined) delete attrs[key];
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
    return readSection(attributesProcessorSchema, raw, path, errors) ?? attributesProcessorFactory.createDefaultConfig();
  },
  create(_ctx: ComponentContext, config: AttributesProcessorConfig): MetricsProcessor {
    return new AttributesProcessor(config);
  },
};
