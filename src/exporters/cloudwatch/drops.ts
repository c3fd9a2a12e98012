/** Every reason a datum (or EMF line) is not delivered. Each is a label value of the drop counters. */
export const DropReason = {
  /** A value, the sum, min or max is NaN, infinite or beyond CloudWatch's +-2^360. */
  ValueOutOfRange: "value_out_of_range",
  /** The window is more than 14 days old or more than 2 hours ahead of the clock. */
  TimestampOutOfRange: "timestamp_out_of_range",
  /** The instrument name breaks MetricName rules (length 1..255, no control characters). */
  InvalidMetricName: "invalid_metric_name",
  /** A configured dimension's attribute value breaks Dimension rules (empty, non-ASCII, over 1024). */
  InvalidDimension: "invalid_dimension",
  /** No configured dimension set applies: the series lacks a key of every set. */
  MissingDimension: "missing_dimension",
  /** The bounded buffer was full; the oldest datum made room. */
  BufferFull: "buffer_full",
  /** CloudWatch answered a permanent (non-throttling 4xx) error for the request. */
  Rejected: "rejected",
  /** Retries of a throttled or failed request ran past retry.max_elapsed_time. */
  RetriesExhausted: "retries_exhausted",
  /** Still buffered or in flight when shutdown's timeout expired. */
  Shutdown: "shutdown",
  /** A single datum larger than a whole request may be (cannot happen within the other limits). */
  DatumTooLarge: "datum_too_large",
  /** EMF: a metric name equals an attribute key (or `_aws`), so the value has no field of its own. */
  NameConflict: "name_conflict",
  /** EMF: the bounded line queue of a TCP/UDP/file sink was full; the oldest line made room. */
  QueueFull: "queue_full",
  /** EMF: one line exceeds the CloudWatch Logs event size or a UDP datagram. */
  LineTooLarge: "line_too_large",
  /** EMF: the destination failed to take a line (file write error). */
  WriteError: "write_error",
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** What was dropped, for the log line that tells the operator what to change. */
export interface DropContext {
  /** The metric (the first one, when a request or EMF line holding several is dropped). */
  readonly metric: string;
  /** The datum's timestamp and the clock it was checked against (timestamp drops). */
  readonly timestampMs?: number;
  readonly nowMs?: number;
  /** The series' attribute keys and the dimension sets configured for its metric (missing_dimension). */
  readonly keys?: readonly string[];
  readonly sets?: readonly (readonly string[])[];
  /** What CloudWatch or the destination answered (rejected, retries_exhausted, write_error). */
  readonly error?: string;
}

/** Counts `n` drops for `reason` and reports them (rate-limited) with `context`. */
export type DropSink = (reason: DropReason, n: number, context: DropContext) => void;
