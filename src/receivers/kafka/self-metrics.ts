/**
 * The Kafka receiver's self-metrics, on the daemon's MeterProvider (meter `statset`). Attribute
 * objects are built once per outcome so recording allocates nothing.
 *
 * - `statset.kafka.messages{receiver, outcome}`: decoded | malformed | empty (null value)
 * - `statset.kafka.points{receiver, outcome}`: accepted | rejected (by the pipeline) |
 *   invalid (refused by the decoder inside an otherwise valid message)
 * - `statset.kafka.records_skipped{receiver}`: records that carried no metric (unmatched log lines,
 *   Seldon responses without metrics)
 * - `statset.kafka.commits{receiver, outcome}`: ok | error
 * - `statset.kafka.dead_letters{receiver, outcome}`: sent | error
 * - `statset.kafka.backpressure_pauses{receiver}`: partitions paused because the pipeline was full
 */
import type { Attributes, Counter } from "@opentelemetry/api";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";

export type MessageOutcome = "decoded" | "malformed" | "empty";
export type PointOutcome = "accepted" | "rejected" | "invalid";

function attrs<K extends string>(receiver: string, outcomes: readonly K[]): Record<K, Attributes> {
  const out = {} as Record<K, Attributes>;
  for (const o of outcomes) out[o] = Object.freeze({ receiver, outcome: o });
  return out;
}

export class KafkaReceiverMetrics {
  readonly #messages: Counter;
  readonly #points: Counter;
  readonly #skipped: Counter;
  readonly #commits: Counter;
  readonly #deadLetters: Counter;
  readonly #pauses: Counter;
  readonly #messageAttrs: Record<MessageOutcome, Attributes>;
  readonly #pointAttrs: Record<PointOutcome, Attributes>;
  readonly #commitAttrs: Record<"ok" | "error", Attributes>;
  readonly #deadLetterAttrs: Record<"sent" | "error", Attributes>;
  readonly #receiverAttrs: Attributes;

  constructor(meterProvider: MeterProvider, receiver: string) {
    const meter = meterProvider.getMeter("statset");
    this.#messages = meter.createCounter("statset.kafka.messages", { description: "Kafka messages consumed, by outcome" });
    this.#points = meter.createCounter("statset.kafka.points", { description: "Points from Kafka messages, by outcome" });
    this.#skipped = meter.createCounter("statset.kafka.records_skipped", {
      description: "Records in Kafka messages that carried no metric (e.g. unmatched log lines)",
    });
    this.#commits = meter.createCounter("statset.kafka.commits", { description: "Offset commits, by outcome" });
    this.#deadLetters = meter.createCounter("statset.kafka.dead_letters", { description: "Malformed messages produced to the dead-letter topic" });
    this.#pauses = meter.createCounter("statset.kafka.backpressure_pauses", { description: "Partitions paused because the pipeline refused a batch" });
    this.#messageAttrs = attrs(receiver, ["decoded", "malformed", "empty"] as const);
    this.#pointAttrs = attrs(receiver, ["accepted", "rejected", "invalid"] as const);
    this.#commitAttrs = attrs(receiver, ["ok", "error"] as const);
    this.#deadLetterAttrs = attrs(receiver, ["sent", "error"] as const);
    this.#receiverAttrs = Object.freeze({ receiver });
  }

  messages(outcome: MessageOutcome, n: number): void {
    if (n > 0) this.#messages.add(n, this.#messageAttrs[outcome]);
  }

  points(outcome: PointOutcome, n: number): void {
    if (n > 0) this.#points.add(n, this.#pointAttrs[outcome]);
  }

  skipped(n: number): void {
    if (n > 0) this.#skipped.add(n, this.#receiverAttrs);
  }

  commit(outcome: "ok" | "error"): void {
    this.#commits.add(1, this.#commitAttrs[outcome]);
  }

  deadLetters(outcome: "sent" | "error", n: number): void {
    if (n > 0) this.#deadLetters.add(n, this.#deadLetterAttrs[outcome]);
  }

  pause(): void {
    this.#pauses.add(1, this.#receiverAttrs);
  }
}
