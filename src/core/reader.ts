/**
 * A reader: one consumer's view of the store, with its own temporality and its own per-series slot
 * that drained live data is merged into. Delta readers reset their slot when they read; cumulative
 * readers keep it.
 */
import type { MetricProducer, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { AggregationReader, SeriesSnapshot, Temporality } from "./api.ts";

/** What a reader needs from the store. */
export interface ReaderHost {
  readSeries(reader: ReaderState): SeriesSnapshot[];
  toResourceMetrics(snapshots: SeriesSnapshot[], temporality: Temporality): ResourceMetrics;
  closeReader(reader: ReaderState): void;
}

export class ReaderState implements AggregationReader {
  readonly id: number;
  readonly temporality: Temporality;
  /** End of the previous delta interval (epoch ms). */
  lastReadMs: number;
  closed = false;
  readonly metricProducer: MetricProducer;
  private readonly host: ReaderHost;

  constructor(id: number, temporality: Temporality, nowMs: number, host: ReaderHost) {
    this.id = id;
    this.temporality = temporality;
    this.lastReadMs = nowMs;
    this.host = host;
    this.metricProducer = {
      collect: async () => ({ resourceMetrics: this.collect(), errors: [] }),
    };
  }

  read(): SeriesSnapshot[] {
    if (this.closed) throw new Error(`reader ${this.id} (${this.temporality}) is closed`);
    return this.host.readSeries(this);
  }

  collect(): ResourceMetrics {
    return this.host.toResourceMetrics(this.read(), this.temporality);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.closeReader(this);
  }
}
