/**
 * A pipeline's aggregation store as exporters see it. It forwards everything to the aggregator and
 * counts expiries: the pipeline caches bound series per input stream, and a series freed by
 * `expireIdle` must never be recorded into again (its slot is reused), so the pipeline drops its
 * cached bindings whenever `generation` moves.
 */
import type { MetricProducer, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type {
  AggregationReader,
  Aggregator,
  AggregatorStats,
  Counter,
  CounterOptions,
  Gauge,
  Histogram,
  HistogramOptions,
  InstrumentOptions,
  Temporality,
} from "../core/api.ts";

export class PipelineStore implements Aggregator {
  readonly inner: Aggregator;
  /** Bumped whenever `expireIdle` frees at least one series. */
  generation = 0;

  constructor(inner: Aggregator) {
    this.inner = inner;
  }

  get engine(): "wasm" | "js" {
    return this.inner.engine;
  }

  histogram(name: string, options?: HistogramOptions): Histogram {
    return this.inner.histogram(name, options);
  }

  counter(name: string, options?: CounterOptions): Counter {
    return this.inner.counter(name, options);
  }

  gauge(name: string, options?: InstrumentOptions): Gauge {
    return this.inner.gauge(name, options);
  }

  collect(options?: { temporality?: Temporality }): ResourceMetrics {
    return this.inner.collect(options);
  }

  get metricProducer(): MetricProducer {
    return this.inner.metricProducer;
  }

  createReader(temporality: Temporality): AggregationReader {
    return this.inner.createReader(temporality);
  }

  setEventTime(timeMs: number): void {
    this.inner.setEventTime(timeMs);
  }

  expireIdle(idleMs: number): number {
    const removed = this.inner.expireIdle(idleMs);
    if (removed > 0) this.generation++;
    return removed;
  }

  stats(): AggregatorStats {
    return this.inner.stats();
  }
}
