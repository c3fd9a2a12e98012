/**
 * The daemon's MeterProvider: the hub every self-metric instrument lives on. Its SDK output is
 * reachable as a MetricProducer so that pull exporters (Prometheus) can serve it next to the
 * aggregation stores' producers on one endpoint. The MeterProvider takes its readers at
 * construction, but exporters are created after it (their ComponentContext carries it), so a
 * reader that only produces is registered here and exporters ask for it by provider.
 */
import type { Attributes } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  MetricReader,
  type CollectionResult,
  type MetricCollectOptions,
  type MetricProducer,
} from "@opentelemetry/sdk-metrics";

/** A reader that never exports by itself: it only lets others collect the SDK instruments. */
class ProducingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const producers = new WeakMap<MeterProvider, MetricProducer>();

export const SELF_RESOURCE_DEFAULTS: Attributes = Object.freeze({ "service.name": "statset" });

/** A MeterProvider whose SDK metrics can be collected through `sdkMetricProducerOf`. */
export function createTelemetryMeterProvider(resource: Attributes = {}): MeterProvider {
  const reader = new ProducingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ ...SELF_RESOURCE_DEFAULTS, ...resource }),
    readers: [reader],
  });
  producers.set(provider, {
    collect: (options?: MetricCollectOptions): Promise<CollectionResult> => reader.collect(options),
  });
  return provider;
}

/** The SDK instruments of `provider` as a MetricProducer; undefined for providers not made here. */
export function sdkMetricProducerOf(provider: MeterProvider): MetricProducer | undefined {
  return producers.get(provider);
}
