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
import { ConfigReader } from "../config/fields.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

export interface NameMatch {
  readonly matchType: "strict" | "regexp";
  readonly metricNames: readonly string[];
}

export interface FilterProcessorConfig {
  readonly include: NameMatch | null;
  readonly exclude: NameMatch | null;
}

function validateMatch(r: ConfigReader): NameMatch | null {
  if (!r.ok) return null;
  const matchType = r.string("match_type", "strict", ["strict", "regexp"]) as "strict" | "regexp";
  const metricNames = r.stringList("metric_names", []);
  if (metricNames.length === 0) r.problem("metric_names", "list at least one metric name or pattern");
  if (matchType === "regexp") {
    metricNames.forEach((p, i) => {
      try {
        new RegExp(p);
      } catch (e) {
        r.errors.push({ path: `${r.at("metric_names")}[${i}]`, message: `invalid regular expression: ${(e as Error).message}` });
      }
    });
  }
  r.finish();
  return { matchType, metricNames };
}

function compile(m: NameMatch | null): ((name: string) => boolean) | null {
  if (m === null) return null;
  if (m.matchType === "strict") {
    const set = new Set(m.metricNames);
    return (name) => set.has(name);
  }
  const res = m.metricNames.map((p) => new RegExp(p));
  return (name) => res.some((re) => re.test(name));
}

export class FilterProcessor implements MetricsProcessor {
  private readonly include: ((name: string) => boolean) | null;
  private readonly exclude: ((name: string) => boolean) | null;

  constructor(config: FilterProcessorConfig) {
    this.include = compile(config.include);
    this.exclude = compile(config.exclude);
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
  createDefaultConfig: () => ({ include: null, exclude: null }),
  validate(raw: unknown, path: string, errors: ConfigError[]): FilterProcessorConfig {
    const r = new ConfigReader(raw, path, errors);
    const metrics = r.child("metrics");
    const include = metrics.has("include") ? validateMatch(metrics.child("include")) : null;
    const exclude = metrics.has("exclude") ? validateMatch(metrics.child("exclude")) : null;
    if (include === null && exclude === null && metrics.ok && r.ok) metrics.problem("include", "give metrics::include and/or metrics::exclude");
    metrics.finish();
    r.finish();
    return { include, exclude };
  },
  create(_ctx: ComponentContext, config: FilterProcessorConfig): MetricsProcessor {
    return new FilterProcessor(config);
  },
};
