/**
 * The processor contract. A processor is compiled at construction into two pure decisions the
 * pipeline caches: which metrics continue (per metric name) and how an attribute set is rewritten
 * (once per new stream). Nothing here runs per data point.
 */
import type { Attributes } from "@opentelemetry/api";
import type { Component, ComponentContext, ComponentFactory } from "../components/types.ts";

export interface MetricsProcessor extends Component {
  /** False drops every point of the metric (counted as `filtered`). Asked once per name; cached. */
  keepMetric(name: string): boolean;
  /**
   * Rewrites one attribute set. Must be pure (same input, same output): the pipeline calls it once
   * per new stream and keeps the result. Return the input object when nothing changes.
   */
  processAttributes(attributes: Attributes): Attributes;
  /** Called before each batch; throws `BackpressureError` to refuse it (e.g. memory_limiter). */
  admit?(): void;
}

export interface ProcessorFactory<Config> extends ComponentFactory<Config> {
  create(ctx: ComponentContext, config: Config): MetricsProcessor;
}
