/**
 * The `filter` processor, after the Collector's metric-name filter:
 *
 *   filter:
 *     metrics:
 *       include: { match_type: regexp, metric_names: ["^http\\.", "^rpc\\."] }
 *       exclude: { match_type: strict, metric_names: ["http.debug"] }
 *
 * A metric passes when it matches `include` (if given) and does not match `exclude`. Regexps are
 * unanchored, as in the Collector. The pipeline caches the decision per metric name.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ComponentContext, ConfigError } from "../components/types.ts";
import { readSection, regexSource, z } from "../config/schema.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

const nameMatchSchema = z
  .strictObject({
    match_type: z.enum(["strict", "regexp"]).prefault("strict").describe("exact names, or unanchored regexps"),
    metric_names: z.array(z.string()).min(1, { error: "list at least one metric name or pattern" }).describe("names or patterns"),
  })
  .superRefine((m, ctx) => {
    if (m.match_type !== "regexp") return;
    m.metric_names.forEach((p, i) => {
      const r = regexSource().safeParse(p);
      if (!r.success) ctx.addIssue({ code: "custom", path: ["metric_names", i], message: r.error.issues[0].message });
    });
  });

export const filterProcessorSchema = z.strictObject({
  metrics: z
    .strictObject({ include: nameMatchSchema.optional(), exclude: nameMatchSchema.optional() })
    .refine((m) => m.include !== undefined || m.exclude !== undefined, { message: "give metrics::include and/or metrics::exclude" })
    .describe("which metrics pass: matching `include` (if given) and not matching `exclude`"),
});

export type NameMatch = z.output<typeof nameMatchSchema>;
export type FilterProcessorConfig = z.output<typeof filterProcessorSchema>;

function compile(m: NameMatch | undefined): ((name: string) => boolean) | null {
  if (m === undefined) return null;
  if (m.match_type === "strict") {
    const set = new Set(m.metric_names);
    return (name) => set.has(name);
  }
  const res = m.metric_names.map((p) => new RegExp(p));
  return (name) => res.some((re) => re.test(name));
}

export class FilterProcessor implements MetricsProcessor {
  private readonly include: ((name: string) => boolean) | null;
  private readonly exclude: ((name: string) => boolean) | null;

  constructor(config: FilterProcessorConfig) {
    this.include = compile(config.metrics.include);
    this.exclude = compile(config.metrics.exclude);
  }

  keepMetric(name: string): boolean {
    if (this.include !== null && !this.include(name)) return false;
    return this.exclude === null || !this.exclude(name);
  }

  processAttributes(attributes: Attributes): Attributes {
    return attributes;
  }

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export const filterProcessorFactory: ProcessorFactory<FilterProcessorConfig> = {
  type: "filter",
  createDefaultConfig: () => ({ metrics: {} }),
  validate(raw: unknown, path: string, errors: ConfigError[]): FilterProcessorConfig {
    return readSection(filterProcessorSchema, raw, path, errors) ?? filterProcessorFactory.createDefaultConfig();
  },
  create(_ctx: ComponentContext, config: FilterProcessorConfig): MetricsProcessor {
    return new FilterProcessor(config);
  },
};
