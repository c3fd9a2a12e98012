/** A pipeline on the JS engine with a real MeterProvider, plus readers of what it aggregated. */
import type { Attributes } from "@opentelemetry/api";
import type { DataPoint, Histogram as OtelHistogram, MetricData } from "@opentelemetry/sdk-metrics";
import { createAggregator } from "../../src/core/aggregator.ts";
import { pipelineSchema } from "../../src/config/pipeline-config.ts";
import type { PipelineConfig } from "../../src/config/types.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import type { MetricsProcessor } from "../../src/processors/types.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { createTelemetryMeterProvider } from "../../src/telemetry/meter-provider.ts";
import { PipelineMetrics, selfMeter } from "../../src/telemetry/self-metrics.ts";

/** The schema's defaults for a one-receiver, one-exporter pipeline, with `overrides` on top. */
export function pipelineConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return { id: "metrics", ...pipelineSchema.parse({ receivers: ["otlp"], exporters: ["prometheus"] }), ...overrides };
}

export async function makePipeline(
  overrides: Partial<PipelineConfig> = {},
  processors: MetricsProcessor[] = [],
  now?: () => number,
  windowMs = 0,
): Promise<Pipeline> {
  const store = await createAggregator(now === undefined ? { engine: "js", windowMs } : { engine: "js", now, windowMs });
  const provider = createTelemetryMeterProvider();
  const config = pipelineConfig(overrides);
  return new Pipeline({
    config,
    store,
    processors,
    metrics: new PipelineMetrics(selfMeter(provider), config.id),
    logger: createSilentLogger(),
    now,
  });
}

export function metricNamed(p: Pipeline, name: string): MetricData | undefined {
  const rm = p.store.collect();
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m;
  return undefined;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function pointOf(m: MetricData | undefined, attributes: Attributes = {}): DataPoint<unknown> | undefined {
  if (m === undefined) return undefined;
  return (m.dataPoints as DataPoint<unknown>[]).find((d) => sameAttributes(d.attributes, attributes));
}

export function valueOf(p: Pipeline, name: string, attributes: Attributes = {}): number | undefined {
  return pointOf(metricNamed(p, name), attributes)?.value as number | undefined;
}

export function histogramOf(p: Pipeline, name: string, attributes: Attributes = {}): OtelHistogram | undefined {
  return pointOf(metricNamed(p, name), attributes)?.value as OtelHistogram | undefined;
}
