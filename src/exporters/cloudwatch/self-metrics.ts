/**
 * Self-metrics of a push exporter, as OpenTelemetry SDK instruments on the daemon's MeterProvider
 * (meter "statset"), mirrored in plain counters that stats() returns for tests and benchmarks.
 * Names: `statset.<exporter>.requests{outcome}`, `.datums`, `.bytes`, `.retries`, `.failures`,
 * `.dropped_datums{reason}`, `.buffered_datums` (observable).
 */
import type { Counter, MeterProvider } from "@opentelemetry/api";
import type { DropReason } from "./drops.ts";

export interface ExporterStats {
  /** Requests (PutMetricData calls or EMF lines written) by outcome. */
  readonly requests: Readonly<Record<string, number>>;
  /** Datums (or EMF metric values) delivered. */
  readonly datums: number;
  /** Payload bytes delivered (uncompressed). */
  readonly bytes: number;
  readonly retries: number;
  /** Requests given up (permanent error or retries exhausted). */
  readonly failures: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly buffered: number;
}

export class ExporterTelemetry {
  private readonly requestCounter: Counter;
  private readonly datumCounter: Counter;
  private readonly byteCounter: Counter;
  private readonly retryCounter: Counter;
  private readonly failureCounter: Counter;
  private readonly dropCounter: Counter;
  private readonly requests: Record<string, number> = {};
  private readonly dropped: Record<string, number> = {};
  private datums = 0;
  private bytes = 0;
  private retries = 0;
  private failures = 0;
  private readonly attrs: { exporter: string };
  private buffered: () => number;

  /** `prefix` is e.g. "statset.cloudwatch"; `id` (the component id) labels every point. */
  constructor(meterProvider: Pick<MeterProvider, "getMeter">, prefix: string, id: string, buffered: () => number) {
    const meter = meterProvider.getMeter("statset");
    this.attrs = { exporter: id };
    this.buffered = buffered;
    this.requestCounter = meter.createCounter(`${prefix}.requests`, { description: "Requests by outcome" });
    this.datumCounter = meter.createCounter(`${prefix}.datums`, { description: "Datums delivered" });
    this.byteCounter = meter.createCounter(`${prefix}.bytes`, { description: "Payload bytes delivered (uncompressed)", unit: "By" });
    this.retryCounter = meter.createCounter(`${prefix}.retries`, { description: "Retried requests" });
    this.failureCounter = meter.createCounter(`${prefix}.failures`, { description: "Requests given up" });
    this.dropCounter = meter.createCounter(`${prefix}.dropped_datums`, { description: "Datums not delivered, by reason" });
    meter
      .createObservableGauge(`${prefix}.buffered_datums`, { description: "Datums waiting to be sent" })
      .addCallback((r) => r.observe(this.buffered(), this.attrs));
  }

  request(outcome: string): void {
    this.requests[outcome] = (this.requests[outcome] ?? 0) + 1;
    this.requestCounter.add(1, { ...this.attrs, outcome });
  }

  delivered(datums: number, bytes: number): void {
    this.datums += datums;
    this.bytes += bytes;
    this.datumCounter.add(datums, this.attrs);
    this.byteCounter.add(bytes, this.attrs);
  }

  retry(): void {
    this.retries++;
    this.retryCounter.add(1, this.attrs);
  }

  failure(): void {
    this.failures++;
    this.failureCounter.add(1, this.attrs);
  }

  drop(reason: DropReason, n: number): void {
    if (n <= 0) return;
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
    this.dropCounter.add(n, { ...this.attrs, reason });
  }

  snapshot(): ExporterStats {
    return {
      requests: { ...this.requests },
      datums: this.datums,
      bytes: this.bytes,
      retries: this.retries,
      failures: this.failures,
      dropped: { ...this.dropped },
      buffered: this.buffered(),
    };
  }
}
