/**
 * Self-metrics of the OTLP receivers, as ordinary SDK instruments on the daemon's MeterProvider
 * (meter "statset"). OTel names use dots; the Prometheus exporter renders them with underscores
 * (`statset_receiver_requests_total`, ...).
 */
import { LATENCY_BOUNDARIES } from "../../telemetry/self-metrics.ts";
import type { Attributes, Counter, Histogram, ObservableCounter, ObservableResult } from "@opentelemetry/api";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { DecodedBatch } from "../../pipeline/types.ts";
import type { Logger } from "pino";
import { RateLimitedLog } from "../../telemetry/rate-limited-log.ts";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "../attribute-limits.ts";
import type { AttributeInterner } from "./attribute-interner.ts";

/** At most one truncation warning per receiver this often. */
const TRUNCATION_LOG_INTERVAL_MS = 60_000;

export type Transport = "http" | "grpc";

/** Request outcomes, one label value each. */
export const REQUEST_OUTCOMES = [
  "success",
  "partial",
  "invalid",
  "unauthenticated",
  "too_large",
  "unsupported_media_type",
  "not_found",
  "method_not_allowed",
  "backpressure",
  "unavailable",
  "aborted",
  "error",
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** Why points were refused. */
export type RefusalReason = "decoder" | "pipeline" | "backpressure" | "error";

export function countPoints(batch: DecodedBatch): number {
  let n = 0;
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) n += m.points.length;
    }
  }
  return n;
}

export class ReceiverMetrics {
  readonly #requests: Counter;
  readonly #points: Counter;
  readonly #duration: Histogram;
  readonly #evictions: ObservableCounter;
  readonly #truncations: ObservableCounter;
  readonly #observeEvictions: (result: ObservableResult) => void;
  readonly #observeTruncations: (result: ObservableResult) => void;
  readonly #interner: AttributeInterner;
  readonly #truncationLog: RateLimitedLog;
  #truncationsLogged = 0;
  readonly #receiver: string;
  /** Label sets are built once per distinct combination, not per request. */
  readonly #labels = new Map<string, Attributes>();

  constructor(meterProvider: MeterProvider, receiverId: string, interner: AttributeInterner, logger: Logger) {
    const meter = meterProvider.getMeter("statset");
    this.#receiver = receiverId;
    this.#requests = meter.createCounter("statset.receiver.requests", {
      description: "Requests handled by a receiver, by transport, outcome and status.",
      unit: "{request}",
    });
    this.#points = meter.createCounter("statset.receiver.points", {
      description: "Data points received, by outcome (accepted/refused) and refusal reason.",
      unit: "{point}",
    });
    // Named like the daemon's other durations (Prometheus shows the unit in the name).
    this.#duration = meter.createHistogram("statset.receiver.request.duration.seconds", {
      description: "Time from request start to response, by transport and outcome.",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BOUNDARIES },
    });
    this.#evictions = meter.createObservableCounter("statset.receiver.attribute_cache.evictions", {
      description: "Attribute sets dropped from a receiver's intern cache to keep it bounded.",
      unit: "{entry}",
    });
    this.#truncations = meter.createObservableCounter("statset.receiver.attribute_values.truncated", {
      description: `Attribute values cut to ${MAX_ATTRIBUTE_VALUE_LENGTH} characters, counted when a decoder builds the set (a cached set is not counted again).`,
      unit: "{value}",
    });
    const labels = { receiver: receiverId };
    this.#observeEvictions = (result: ObservableResult) => result.observe(interner.evictions, labels);
    this.#observeTruncations = (result: ObservableResult) => result.observe(interner.truncatedValues, labels);
    this.#evictions.addCallback(this.#observeEvictions);
    this.#truncations.addCallback(this.#observeTruncations);
    this.#interner = interner;
    this.#truncationLog = new RateLimitedLog(logger, TRUNCATION_LOG_INTERVAL_MS);
  }

  /** One finished request. */
  request(transport: Transport, outcome: RequestOutcome, status: string, durationSeconds: number): void {
    const k = `${transport}|${outcome}|${status}`;
    let attrs = this.#labels.get(k);
    if (attrs === undefined) {
      attrs = Object.freeze({ receiver: this.#receiver, transport, outcome, status });
      this.#labels.set(k, attrs);
    }
    this.#requests.add(1, attrs);
    const dk = `${transport}|${outcome}`;
    let dattrs = this.#labels.get(dk);
    if (dattrs === undefined) {
      dattrs = Object.freeze({ receiver: this.#receiver, transport, outcome });
      this.#labels.set(dk, dattrs);
    }
    this.#duration.record(durationSeconds, dattrs);
  }

  accepted(transport: Transport, points: number): void {
    if (points > 0) this.#points.add(points, this.#pointLabels(transport, "accepted", ""));
  }

  refused(transport: Transport, reason: RefusalReason, points: number): void {
    if (points > 0) this.#points.add(points, this.#pointLabels(transport, "refused", reason));
  }

  /** Detaches the observable callback (the instruments themselves live as long as the provider). */
  close(): void {
    this.#evictions.removeCallback(this.#observeEvictions);
    this.#truncations.removeCallback(this.#observeTruncations);
  }

  /** Counts values cut by a decoder that does not use this receiver's interner (`/v1/ingest`). */
  countTruncated(values: number): void {
    this.#interner.countTruncated(values);
  }

  /** Logs (rate-limited) when decoding truncated attribute values since the last call. */
  noteTruncations(): void {
    const n = this.#interner.truncatedValues;
    if (n === this.#truncationsLogged) return;
    this.#truncationLog.warn(
      { receiver: this.#receiver, truncated: n - this.#truncationsLogged },
      `attribute values longer than ${MAX_ATTRIBUTE_VALUE_LENGTH} characters were truncated`,
    );
    this.#truncationsLogged = n;
  }

  #pointLabels(transport: Transport, outcome: string, reason: string): Attributes {
    const k = `p|${transport}|${outcome}|${reason}`;
    let attrs = this.#labels.get(k);
    if (attrs === undefined) {
      attrs = Object.freeze(
        reason === ""
          ? { receiver: this.#receiver, transport, outcome }
          : { receiver: this.#receiver, transport, outcome, reason },
      );
      this.#labels.set(k, attrs);
    }
    return attrs;
  }
}
