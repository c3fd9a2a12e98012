/**
 * Which attributes become CloudWatch dimensions, after the CloudWatch EMF exporter's
 * metric_declarations: rules select metrics by regular expression and list dimension sets; each
 * applicable set publishes the same data once (a rollup). Attributes outside every set are not
 * dimensions (PutMetricData drops them; EMF keeps them as properties).
 *
 * Without a matching rule a metric uses all its attributes, sorted by key, cut to the first 30.
 * Resolution is cached per (metric, attributes object): the store hands out the same frozen
 * attributes object for a series on every read, so steady-state windows do no per-series work here.
 */
import type { Attributes } from "@opentelemetry/api";
import { MAX_DIMENSIONS } from "./limits.ts";
import { attributeValueString, isValidDimensionName, isValidDimensionValue } from "./names.ts";

/** One configured rule: metrics whose name matches any selector publish under these dimension sets. */
export interface DimensionRule {
  /** Regular expressions, unanchored (`RegExp.test`); anchor with ^...$ for exact names. */
  readonly metricNameSelectors: readonly string[];
  /** Dimension sets, each a list of attribute keys; `[]` publishes the metric without dimensions. */
  readonly dimensions: readonly (readonly string[])[];
}

/** A CloudWatch Dimension (the SDK's shape, with both fields present). */
export interface DimensionPair {
  readonly Name: string;
  readonly Value: string;
}

export interface ResolvedSet {
  readonly keys: readonly string[];
  readonly dimensions: readonly DimensionPair[];
}

export interface ResolvedDimensions {
  /** Applicable, valid sets, in configured order. Empty: nothing can be published. */
  readonly sets: readonly ResolvedSet[];
  /** Sets refused because an attribute value (or key) breaks the Dimension rules. */
  readonly invalidSets: number;
  /** Sets skipped because the series lacks one of their keys. */
  readonly missingSets: number;
}

/** Reports a configuration-dependent data problem once per metric (the caller logs it). */
export type DimensionWarning = (message: string, fields: Record<string, unknown>) => void;

interface MetricPlan {
  /** Configured sets (deduplicated), or null for the default (all attributes). */
  readonly sets: readonly (readonly string[])[] | null;
  readonly cache: WeakMap<Attributes, ResolvedDimensions>;
  warnedCut: boolean;
  warnedInvalid: boolean;
}

interface CompiledRule {
  readonly selectors: readonly RegExp[];
  readonly sets: readonly (readonly string[])[];
}

export class DimensionPlanner {
  private readonly rules: readonly CompiledRule[];
  private readonly plans = new Map<string, MetricPlan>();
  private readonly warn: DimensionWarning;

  /** Rules must be valid (the config validator checks regexes, key names and set sizes). */
  constructor(rules: readonly DimensionRule[], warn: DimensionWarning) {
    this.rules = rules.map((r) => ({
      selectors: r.metricNameSelectors.map((s) => new RegExp(s)),
      sets: r.dimensions,
    }));
    this.warn = warn;
  }

  /** The dimension sets of one series. */
  resolve(metricName: string, attributes: Attributes): ResolvedDimensions {
    const plan = this.planFor(metricName);
    const cached = plan.cache.get(attributes);
    if (cached !== undefined) return cached;
    const resolved = plan.sets === null ? this.resolveDefault(metricName, plan, attributes) : resolveSets(plan.sets, attributes);
    plan.cache.set(attributes, resolved);
    return resolved;
  }

  /** The dimension sets dimension_rules give `metricName` (deduplicated); null when no rule matches. */
  configuredSets(metricName: string): readonly (readonly string[])[] | null {
    return this.planFor(metricName).sets;
  }

  private planFor(metricName: string): MetricPlan {
    let plan = this.plans.get(metricName);
    if (plan !== undefined) return plan;
    const seen = new Set<string>();
    const sets: (readonly string[])[] = [];
    let matched = false;
    for (const rule of this.rules) {
      if (!rule.selectors.some((re) => re.test(metricName))) continue;
      matched = true;
      for (const set of rule.sets) {
        // A set is a set: the same keys in another order publish the same CloudWatch metric twice.
        const id = JSON.stringify([...set].sort());
        if (seen.has(id)) continue;
        seen.add(id);
        sets.push(set);
      }
    }
    plan = { sets: matched ? sets : null, cache: new WeakMap(), warnedCut: false, warnedInvalid: false };
    this.plans.set(metricName, plan);
    return plan;
  }

  private resolveDefault(metricName: string, plan: MetricPlan, attributes: Attributes): ResolvedDimensions {
    const keys = Object.keys(attributes).sort();
    const dims: DimensionPair[] = [];
    const used: string[] = [];
    const invalid: string[] = [];
    const cut: string[] = [];
    for (const key of keys) {
      const raw = attributes[key];
      if (raw === undefined) continue;
      const value = attributeValueString(raw);
      if (!isValidDimensionName(key) || !isValidDimensionValue(value)) {
        invalid.push(key);
        continue;
      }
      if (dims.length >= MAX_DIMENSIONS) {
        cut.push(key);
        continue;
      }
      dims.push({ Name: key, Value: value });
      used.push(key);
    }
    if (cut.length > 0 && !plan.warnedCut) {
      plan.warnedCut = true;
      this.warn(
        `metric ${JSON.stringify(metricName)} has more than ${MAX_DIMENSIONS} attributes; publishing the first ${MAX_DIMENSIONS} keys in sorted order (add a dimension rule to choose)`,
        { metric: metricName, droppedKeys: cut },
      );
    }
    if (invalid.length > 0 && !plan.warnedInvalid) {
      plan.warnedInvalid = true;
      this.warn(
        `metric ${JSON.stringify(metricName)} has attributes that cannot be CloudWatch dimensions (empty, non-ASCII or over-long); they are left out of its dimensions`,
        { metric: metricName, keys: invalid },
      );
    }
    return { sets: [{ keys: used, dimensions: dims }], invalidSets: 0, missingSets: 0 };
  }
}

function resolveSets(sets: readonly (readonly string[])[], attributes: Attributes): ResolvedDimensions {
  const out: ResolvedSet[] = [];
  let invalidSets = 0;
  let missingSets = 0;
  for (const keys of sets) {
    const dims: DimensionPair[] = [];
    let state: "ok" | "missing" | "invalid" = "ok";
    for (const key of keys) {
      const raw = attributes[key];
      if (raw === undefined) {
        state = "missing";
        break;
      }
      const value = attributeValueString(raw);
      if (!isValidDimensionValue(value)) {
        state = "invalid";
        break;
      }
      dims.push({ Name: key, Value: value });
    }
    if (state === "missing") missingSets++;
    else if (state === "invalid") invalidSets++;
    else out.push({ keys, dimensions: dims });
  }
  return { sets: out, invalidSets, missingSets };
}
