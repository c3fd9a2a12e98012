/**
 * Every drop of the CloudWatch and EMF exporters is counted (`dropped_datums{reason}`) and logged:
 * at most one line per reason per minute (RateLimitedLog), naming the metric, the reason and what to
 * change, so an operator who sees the counter move finds the cause in the log.
 */
import type { Logger } from "pino";
import { RateLimitedLog } from "../../telemetry/rate-limited-log.ts";
import { DropReason, type DropContext, type DropSink } from "./drops.ts";
import { MAX_TIMESTAMP_AGE_MS, MAX_TIMESTAMP_FUTURE_MS } from "./limits.ts";
import type { ExporterTelemetry } from "./self-metrics.ts";

const DROP_LOG_INTERVAL_MS = 60_000;

/** Which exporter drops: the advice names its own options. */
export type DropExporterKind = "cloudwatch" | "emf";

/**
 * The unit mistakes a timestamp factor points to: a point stamped in another unit than its format
 * expects (OTLP time_unix_nano: nanoseconds; EMF _aws.Timestamp and kafka_topic_exporter
 * `timestamp`: milliseconds) lands near 1970 or far in the future, off the true time by a power of
 * 1000. Keyed by log10(now / timestamp).
 */
const UNIT_MISTAKES: readonly (readonly [number, string])[] = [
  [3, "epoch seconds where milliseconds are expected (EMF _aws.Timestamp, kafka_topic_exporter timestamp), or microseconds where OTLP expects time_unix_nano in nanoseconds"],
  [6, "epoch milliseconds where OTLP expects time_unix_nano in nanoseconds"],
  [9, "epoch seconds where OTLP expects time_unix_nano in nanoseconds"],
  [-3, "epoch microseconds where milliseconds are expected (EMF _aws.Timestamp, kafka_topic_exporter timestamp)"],
  [-6, "epoch nanoseconds where milliseconds are expected (EMF _aws.Timestamp, kafka_topic_exporter timestamp)"],
];

/**
 * Why a timestamp is out of CloudWatch's range and what to change. A timestamp off the clock by a
 * factor within 3 of 10^3, 10^6 or 10^9 (either way) is named as the unit mistake it looks like.
 */
export function timestampAdvice(timestampMs: number, nowMs: number): string {
  const at = Number.isFinite(timestampMs) && Math.abs(timestampMs) <= 8.64e15 ? new Date(timestampMs).toISOString() : String(timestampMs);
  const decades = Math.log10(nowMs / Math.max(timestampMs, 1));
  for (const [exponent, mistake] of UNIT_MISTAKES) {
    if (Math.abs(decades - exponent) <= Math.log10(3)) return `timestamp ${at} looks like ${mistake}; fix the sender's timestamp unit`;
  }
  if (timestampMs > nowMs + MAX_TIMESTAMP_FUTURE_MS) {
    return `timestamp ${at} is more than ${MAX_TIMESTAMP_FUTURE_MS / 3_600_000} hours ahead of this host's clock (CloudWatch's limit); check the senders' clocks and this host's`;
  }
  return `timestamp ${at} is older than CloudWatch's ${MAX_TIMESTAMP_AGE_MS / 86_400_000} days; send data sooner (or stop replaying old data)`;
}

/** What the operator can change for a drop of `reason`. */
export function dropAdvice(kind: DropExporterKind, reason: DropReason, context: DropContext): string {
  const error = context.error === undefined ? "" : ` (${context.error})`;
  switch (reason) {
    case DropReason.ValueOutOfRange:
      return "a value, the sum, min or max is NaN, infinite or beyond CloudWatch's +-2^360 after unit conversion; fix the values at the source or leave the metric out with a filter processor";
    case DropReason.TimestampOutOfRange:
      return timestampAdvice(context.timestampMs ?? NaN, context.nowMs ?? Date.now());
    case DropReason.InvalidMetricName:
      return "CloudWatch metric names are 1 to 255 characters without control characters; rename the instrument at the source";
    case DropReason.InvalidDimension:
      return "a dimension's attribute value is empty, not printable ASCII or longer than 1024 characters; fix the value at the source (or with the attributes processor) or take its key out of dimension_rules";
    case DropReason.MissingDimension:
      return `the series has attribute keys ${JSON.stringify(context.keys ?? [])} but every dimension set dimension_rules gives this metric (${JSON.stringify(context.sets ?? [])}) needs a key it lacks; add the attributes at the source, or add a set the series has to dimension_rules ([] publishes without dimensions)`;
    case DropReason.BufferFull:
      return "datums arrive faster than CloudWatch takes them (or CloudWatch is unreachable); raise max_buffered_datums or max_concurrency, or publish fewer series";
    case DropReason.Rejected:
      return `CloudWatch refused the request${error} and it is not retried; fix what the error names (credentials, permissions, namespace)`;
    case DropReason.RetriesExhausted:
      return `CloudWatch stayed unreachable or throttling past retry.max_elapsed_time${error}; check connectivity and credentials, or raise retry.max_elapsed_time`;
    case DropReason.Shutdown:
      return kind === "emf"
        ? "lines were still queued for an unreachable destination when the exporter stopped; check the CloudWatch agent's listener, or raise shutdown_timeout"
        : "datums were still buffered or in flight when shutdown_timeout expired; raise shutdown_timeout, or check why CloudWatch was slow";
    case DropReason.DatumTooLarge:
      return "one datum exceeds the PutMetricData request size, which the other limits should prevent; please report it";
    case DropReason.NameConflict:
      return "the metric's name equals an attribute key (or _aws), so its EMF member would collide; rename the metric or the attribute (attributes processor)";
    case DropReason.QueueFull:
      return "the EMF destination takes lines more slowly than they are written, or is unreachable; check it (the CloudWatch agent's listener, the disk), or raise max_queued_lines";
    case DropReason.LineTooLarge:
      return "one EMF document exceeds the 256 KB log event (or a 65,507-byte UDP datagram); shorten the series' attributes, or use tcp or file output instead of udp";
    case DropReason.WriteError:
      return `the destination refused a line${error}; check the file's path, permissions and disk, or the agent`;
  }
}

/** Counts drops in the exporter's self-metrics and logs each reason at most once a minute. */
export class DropLog {
  readonly #telemetry: ExporterTelemetry;
  readonly #exporterId: string;
  readonly #kind: DropExporterKind;
  readonly #logs = new Map<DropReason, RateLimitedLog>();
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(telemetry: ExporterTelemetry, logger: Logger, exporterId: string, kind: DropExporterKind, now: () => number = Date.now) {
    this.#telemetry = telemetry;
    this.#logger = logger;
    this.#exporterId = exporterId;
    this.#kind = kind;
    this.#now = now;
  }

  /** The DropSink to hand to builders, the buffer and sinks. */
  readonly drop: DropSink = (reason, n, context) => {
    if (n <= 0) return;
    this.#telemetry.drop(reason, n);
    let log = this.#logs.get(reason);
    if (log === undefined) this.#logs.set(reason, (log = new RateLimitedLog(this.#logger, DROP_LOG_INTERVAL_MS, this.#now)));
    const fields: Record<string, unknown> = { exporter: this.#exporterId, reason, metric: context.metric, dropped: n };
    if (context.keys !== undefined) fields.keys = context.keys;
    if (context.sets !== undefined) fields.dimensionSets = context.sets;
    if (context.error !== undefined) fields.error = context.error;
    log.warn(fields, `${this.#exporterId}: dropped ${n} of metric ${JSON.stringify(context.metric)} (${reason}): ${dropAdvice(this.#kind, reason, context)}`);
  };
}
