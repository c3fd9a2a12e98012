/**
 * Self-metrics of the Prometheus exporter beyond the shared exporter ones:
 * `statset.prometheus.dropped_series{exporter, reason}`, series left out of a scrape, counted on
 * every scrape that leaves them out (`type_conflict`, `duplicate_labels`, `render_failed`).
 */
import type { Attributes, Counter, Meter } from "@opentelemetry/api";
import type { ExpositionDropReason } from "./exposition-guard.ts";

export type SeriesDropReason = ExpositionDropReason | "render_failed";

export class ExpositionMetrics {
  readonly #dropped: Counter;
  readonly #attrs: Readonly<Record<SeriesDropReason, Attributes>>;

  constructor(meter: Meter, exporterId: string) {
    this.#dropped = meter.createCounter("statset.prometheus.dropped_series", {
      description: "Series left out of a scrape because they would make it invalid or cannot be rendered, by reason (counted per scrape)",
      unit: "{series}",
    });
    const attrs = (reason: SeriesDropReason): Attributes => Object.freeze({ exporter: exporterId, reason });
    this.#attrs = { type_conflict: attrs("type_conflict"), duplicate_labels: attrs("duplicate_labels"), render_failed: attrs("render_failed") };
  }

  recordDropped(reason: SeriesDropReason, series: number): void {
    if (series > 0) this.#dropped.add(series, this.#attrs[reason]);
  }
}
