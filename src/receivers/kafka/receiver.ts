/**
 * The Kafka receiver: a kafkajs consumer-group member that decodes every message of a fetched batch
 * into one `DecodedBatch` per chunk, hands it to the pipeline, and commits offsets only behind the
 * pipeline's flush barrier.
 *
 * Delivery: at-least-once. A message's offset is committed only after (1) its points were accepted
 * by `next.consume` and (2) the `flush` hook, called after that, resolved. A crash, a kill or a lost
 * commit therefore redelivers; nothing consumed-but-unflushed is ever marked done.
 *
 * - Backpressure: when `consume` throws (BackpressureError or anything else), the partition is
 *   paused and resumed after `retryAfterSeconds` (1 s for other errors); the unaccepted messages are
 *   not resolved, so kafkajs fetches them again.
 * - Malformed messages: counted, logged (rate-limited, with topic/partition/offset), optionally
 *   produced to `dead_letter_topic`, and resolved like any other message so the partition flows.
 * - Rebalances: kafkajs resets fetch positions to the committed offsets whenever the group
 *   re-syncs; the receiver re-seeks partitions it keeps to its own position (no re-reading of
 *   what it already handed over) and forgets the partitions it lost (their new owner resumes from
 *   the last commit, which may redeliver). A commit is attempted as soon as a rebalance starts.
 * - Event time: the decoder's timestamp, else the Kafka message timestamp, else receive time.
 */
import { Kafka } from "kafkajs";
import type { Consumer, ConsumerRunConfig, EachBatchPayload, KafkaMessage, Message, Producer } from "kafkajs";
import type { Logger } from "pino";
import type { PendingWork, Receiver } from "../../components/types.ts";
import type { MetricsConsumer } from "../../pipeline/types.ts";
import { BackpressureError } from "../../pipeline/types.ts";
import { DecodedBatchBuilder } from "../decoders/batch-builder.ts";
import { DecodeError } from "../decoders/decode-error.ts";
import type { MessageDecoder, MessageMeta } from "../decoders/types.ts";
import { BrokerConnections } from "./broker-connections.ts";
import { kafkaClientConfig } from "./client-config.ts";
import type { KafkaReceiverConfig } from "./config.ts";
import { decoderForConfig } from "./decoder-for-config.ts";
import { OffsetTracker } from "./offset-tracker.ts";
import type { TopicPartitionOffset } from "./offset-tracker.ts";
import { RateLimitedLog } from "../../telemetry/rate-limited-log.ts";
import { KafkaReceiverMetrics } from "./self-metrics.ts";
import type { KafkaReceiverContext, KafkaReceiverHooks } from "./types.ts";

/** Retry delay after a non-backpressure failure of `consume` (a pipeline bug must not spin). */
const CONSUME_ERROR_RETRY_MS = 1000;
/** Delay before re-running a consumer that kafkajs stopped for good (a crash it deems non-retriable). */
const CRASH_RESTART_MS = 2000;
/** At most one line this often for malformed messages, and one for points the decoder refused. */
const MALFORMED_LOG_INTERVAL_MS = 10_000;

const EMPTY_HEADERS: Readonly<Record<string, never>> = Object.freeze({});

/** Mutable per-message metadata object, reused across messages (decoders must not keep it). */
interface MutableMeta {
  timestampMs: number;
  headers: MessageMeta["headers"];
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class KafkaReceiver implements Receiver {
  readonly #id: string;
  readonly #config: KafkaReceiverConfig;
  readonly #next: MetricsConsumer;
  readonly #hooks: KafkaReceiverHooks | undefined;
  readonly #logger: Logger;
  readonly #metrics: KafkaReceiverMetrics;
  readonly #decoder: MessageDecoder;
  readonly #builder = new DecodedBatchBuilder();
  readonly #meta: MutableMeta = { timestampMs: 0, headers: EMPTY_HEADERS };
  readonly #offsets = new OffsetTracker();
  readonly #malformedLog: RateLimitedLog;
  /** Points the decoder refused inside valid messages (a too-long line, a bad value). */
  readonly #refusedLog: RateLimitedLog;
  /** Partitions this receiver paused for backpressure, with their resume timers. */
  readonly #paused = new Map<string, NodeJS.Timeout>();
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  #connections: BrokerConnections | undefined;
  /** Ends a pending start() (set while starting). */
  #abandonStart: (() => void) | undefined;
  #shutdown: Promise<void> | undefined;
  #inFlight = 0;
  #idle: Array<() => void> = [];
  /** The commit cycle in progress (cycles never overlap). */
  #committing: Promise<void> | undefined;
  /** At most one cycle queued behind the running one (a blocked flush must not pile up cycles). */
  #queuedCycle: Promise<void> | undefined;
  #assignment: Readonly<Record<string, readonly number[]>> = {};
  /** Dead-letter sends not yet settled (a commit waits for them). */
  #deadLetterSends = new Set<Promise<void>>();

  constructor(ctx: KafkaReceiverContext, config: KafkaReceiverConfig, next: MetricsConsumer) {
    this.#id = ctx.id;
    this.#config = config;
    this.#next = next;
    this.#hooks = ctx.hooks;
    this.#logger = ctx.logger.child({ receiver: ctx.id });
    this.#metrics = new KafkaReceiverMetrics(ctx.meterProvider, ctx.id);
    this.#decoder = decoderForConfig(config);
    this.#malformedLog = new RateLimitedLog(this.#logger, MALFORMED_LOG_INTERVAL_MS);
    this.#refusedLog = new RateLimitedLog(this.#logger, MALFORMED_LOG_INTERVAL_MS);
  }

  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "starting";
    const config = this.#config;
    const connections = new BrokerConnections(config.brokers, this.#logger);
    this.#connections = connections;
    const kafka = new Kafka(kafkaClientConfig(config, this.#logger, connections));
    const consumer = kafka.consumer({
      groupId: config.group_id,
      sessionTimeout: config.session_timeout_ms,
      heartbeatInterval: config.heartbeat_interval_ms,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: config.max_fetch_wait_ms,
      maxBytesPerPartition: config.max_partition_fetch_bytes,
      maxBytes: Math.max(10 << 20, config.max_partition_fetch_bytes),
      // Restart after any crash (broker outages included) unless we are shutting down.
      retry: { restartOnFailure: async () => this.#state === "running" || this.#state === "starting" },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.#onGroupJoin(event.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => {
      this.#logger.info("consumer group rebalancing; committing what has been flushed");
      void this.#commitCycle();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.#state === "stopping" || this.#state === "stopped") {
        this.#logger.debug({ err: event.payload.error }, "kafka consumer stopped during shutdown");
        return;
      }
      this.#logger.error({ err: event.payload.error, restart: event.payload.restart }, "kafka consumer crashed");
      // kafkajs restarts only after errors it deems retriable; after any other (e.g. a protocol error
      // answered to SyncGroup during a rebalance) the consumer stays stopped while the daemon runs on.
      if (!event.payload.restart) this.#scheduleRestart();
    });
    // Connecting retries for as long as kafkajs's retry budget (about a minute) while brokers are
    // unreachable; shutdown() must not wait for that, so it can abandon the attempt.
    const abandoned = new Promise<"abandoned">((resolve) => (this.#abandonStart = () => resolve("abandoned")));
    const connecting = this.#connect(kafka, consumer);
    let outcome: "ready" | "abandoned";
    try {
      outcome = await Promise.race([connecting.then(() => "ready" as const), abandoned]);
    } catch (e) {
      if (this.#state !== "starting") return; // shut down meanwhile: shutdown() reports it
      this.#state = "stopped";
      await this.#disconnect();
      connections.close();
      throw e;
    }
    if (outcome === "abandoned" || this.#state !== "starting") {
      connecting.catch((e: unknown) => this.#logger.debug({ err: e }, "abandoned kafka connect ended"));
      return;
    }
    this.#state = "running";
    this.#commitTimer = setInterval(() => void this.#commitCycle(), config.commit_interval_ms);
    this.#commitTimer.unref();
  }

  async #connect(kafka: Kafka, consumer: Consumer): Promise<void> {
    const config = this.#config;
    if (config.dead_letter_topic !== undefined) {
      this.#producer = kafka.producer({ allowAutoTopicCreation: false });
      await this.#producer.connect();
    }
    await consumer.connect();
    const topics: Array<string | RegExp> = config.topic_pattern !== undefined ? [new RegExp(config.topic_pattern)] : config.topics.slice();
    await consumer.subscribe({ topics, fromBeginning: config.initial_offset === "earliest" });
    await consumer.run(this.#runConfig());
  }

  /**
   * Stops consuming, commits what the flush barrier covers (waiting at most `shutdown_timeout_ms`
   * for it), leaves the group. During start() it stops the connection attempts instead (start()
   * then resolves without running). Idempotent: every call returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    const was = this.#state;
    if (was === "new" || was === "stopped") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopping";
    clearInterval(this.#commitTimer);
    clearTimeout(this.#restartTimer);
    for (const t of this.#paused.values()) clearTimeout(t);
    this.#paused.clear();
    const connections = this.#connections;
    if (was === "starting") {
      // Nothing was consumed yet: there is nothing to commit, only connection attempts to end.
      this.#logger.info(
        { brokers: this.#config.brokers, failedAttempts: connections?.failedAttempts ?? 0 },
        "shutdown while connecting to kafka; connection attempts stopped",
      );
      connections?.close();
      this.#abandonStart?.();
      await this.#disconnect();
      this.#state = "stopped";
      return;
    }
    const consumer = this.#consumer;
    if (consumer !== undefined) {
      // Stop fetching: batches are ignored from now on, and the final commit should not race refetches.
      const topics = Object.keys(this.#assignment);
      if (topics.length > 0) {
        try {
          consumer.pause(topics.map((topic) => ({ topic })));
        } catch (e) {
          this.#logger.debug({ err: e }, "pause before shutdown failed");
        }
      }
      await this.#waitIdle();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.#config.shutdown_timeout_ms);
      });
      const outcome = await Promise.race([this.#commitCycle(), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.#logger.warn(
          { timeoutMs: this.#config.shutdown_timeout_ms, uncommitted: this.#offsets.uncommittedSpans() },
          "final offset commit did not finish in time; uncommitted messages will be redelivered",
        );
      }
    }
    await this.#disconnect();
    connections?.close();
    this.#state = "stopped";
  }

  /** Partitions consumed past their last commit: redelivered to the group after the exit. */
  abandon(): PendingWork {
    const spans = this.#offsets.uncommittedSpans();
    if (spans.length === 0) return { items: {} };
    const messages = spans.reduce((n, s) => n + (s.messages ?? 0), 0);
    const items: Record<string, number> = { partitions: spans.length };
    if (messages > 0) items.messages = messages;
    return { items, detail: { uncommitted: spans } };
  }

  #runConfig(): ConsumerRunConfig {
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    };
  }

  /** Runs the consumer again after a crash kafkajs does not recover from (until shutdown). */
  #scheduleRestart(): void {
    if (this.#restartTimer !== undefined || (this.#state !== "starting" && this.#state !== "running")) return;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      const consumer = this.#consumer;
      if (this.#state === "starting") {
        this.#scheduleRestart();
        return;
      }
      if (this.#state !== "running" || consumer === undefined) return;
      this.#logger.warn({ delayMs: CRASH_RESTART_MS }, "restarting the kafka consumer after a crash kafkajs does not recover from");
      consumer.run(this.#runConfig()).catch((e: unknown) => {
        this.#logger.error({ err: e }, "kafka consumer restart failed; retrying");
        this.#scheduleRestart();
      });
    }, CRASH_RESTART_MS);
    this.#restartTimer.unref();
  }

  async #disconnect(): Promise<void> {
    try {
      await this.#consumer?.disconnect();
    } catch (e) {
      this.#logger.warn({ err: e }, "kafka consumer disconnect failed");
    }
    try {
      await this.#producer?.disconnect();
    } catch (e) {
      this.#logger.warn({ err: e }, "kafka dead-letter producer disconnect failed");
    }
  }

  #waitIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #onGroupJoin(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.#assignment = assignment;
    // kafkajs restarted every assigned partition from its committed offset; move the ones we kept
    // back to where we are (what lies between was handed to our pipeline already).
    const retained = this.#offsets.retain(assignment);
    const consumer = this.#consumer;
    for (const p of retained) {
      try {
        consumer?.seek({ topic: p.topic, partition: p.partition, offset: p.offset });
      } catch (e) {
        this.#logger.warn({ err: e, topic: p.topic, partition: p.partition }, "could not re-seek after rebalance");
      }
    }
    // Paused partitions that moved away: their resume timers would resume nothing useful.
    for (const [key, timer] of this.#paused) {
      const [topic, partition] = key.split("\u0000");
      if (!(assignment[topic] ?? []).includes(Number(partition))) {
        clearTimeout(timer);
        this.#paused.delete(key);
      }
    }
    this.#logger.info({ assignment }, "kafka partitions assigned");
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.#state !== "running" || !payload.isRunning() || payload.isStale()) return;
    if (this.#paused.has(tpKey(batch.topic, batch.partition))) return;
    this.#inFlight++;
    try {
      await this.#handleBatch(payload);
    } finally {
      if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition, messages } = batch;
    const receivedAt = Date.now();
    const chunk = this.#config.max_batch_messages;
    const builder = this.#builder;
    const meta = this.#meta;
    for (let start = 0; start < messages.length; start += chunk) {
      if (this.#state !== "running") return;
      const end = Math.min(start + chunk, messages.length);
      let decoded = 0;
      let empty = 0;
      let deadLetters: Message[] | undefined;
      let malformed = 0;
      for (let i = start; i < end; i++) {
        const message = messages[i];
        const value = message.value;
        if (value === null || value.length === 0) {
          empty++;
          continue;
        }
        const ts = Number(message.timestamp);
        meta.timestampMs = ts > 0 ? ts : receivedAt;
        meta.headers = message.headers ?? EMPTY_HEADERS;
        try {
          this.#decoder.decode(value, meta, builder);
          decoded++;
        } catch (e) {
          malformed++;
          const dl = this.#malformed(e, topic, partition, message);
          if (dl !== undefined) (deadLetters ??= []).push(dl);
        }
      }
      const skipped = builder.skippedRecords;
      const out = builder.build();
      let accepted = 0;
      let rejected = 0;
      if (out.resources.length > 0 || out.rejectedPoints > 0) {
        try {
          const result = this.#next.consume(out);
          accepted = result.acceptedPoints;
          // The result covers the decoder's refusals too; "rejected" counts the pipeline's own.
          rejected = result.rejectedPoints - out.rejectedPoints;
        } catch (e) {
          // Nothing of this chunk is resolved: kafkajs fetches it again after the resume.
          this.#pauseFor(payload, e);
          return;
        }
      }
      // The chunk is in the pipeline: account for it and move the partition forward.
      this.#metrics.messages("decoded", decoded);
      this.#metrics.messages("malformed", malformed);
      this.#metrics.messages("empty", empty);
      this.#metrics.points("accepted", accepted);
      this.#metrics.points("rejected", rejected);
      this.#metrics.points("invalid", out.rejectedPoints);
      if (out.rejectedPoints > 0) {
        this.#refusedLog.warn({ topic, partition, points: out.rejectedPoints, reason: out.rejectionMessage }, "points refused by the decoder");
      }
      this.#metrics.skipped(skipped);
      if (deadLetters !== undefined) this.#sendDeadLetters(deadLetters);
      const last = messages[end - 1].offset;
      payload.resolveOffset(last);
      this.#offsets.processed(topic, partition, last);
      await payload.heartbeat();
    }
  }

  #pauseFor(payload: EachBatchPayload, error: unknown): void {
    const { topic, partition } = payload.batch;
    const key = tpKey(topic, partition);
    const delayMs = error instanceof BackpressureError ? Math.max(0, error.retryAfterSeconds * 1000) : CONSUME_ERROR_RETRY_MS;
    if (error instanceof BackpressureError) this.#logger.debug({ topic, partition, delayMs }, "pipeline backpressure; pausing partition");
    else this.#logger.error({ err: error, topic, partition, delayMs }, "pipeline refused a batch; pausing partition");
    this.#metrics.pause();
    const resume = payload.pause();
    const timer = setTimeout(() => {
      this.#paused.delete(key);
      if (this.#state === "running") resume();
    }, delayMs);
    timer.unref();
    this.#paused.set(key, timer);
  }

  /** Counts and logs a malformed message; returns its dead-letter record when that topic is configured. */
  #malformed(error: unknown, topic: string, partition: number, message: KafkaMessage): Message | undefined {
    const reason = error instanceof Error ? error.message : String(error);
    const fields = { topic, partition, offset: message.offset, encoding: this.#decoder.encoding, reason };
    if (error instanceof DecodeError) this.#malformedLog.warn(fields, "malformed kafka message skipped");
    else this.#malformedLog.warn({ ...fields, err: error }, "decoder failed on kafka message; skipped");
    if (this.#producer === undefined) return undefined;
    return {
      key: message.key,
      value: message.value,
      headers: {
        ...(message.headers ?? {}),
        "statset-error": reason,
        "statset-source-topic": topic,
        "statset-source-partition": String(partition),
        "statset-source-offset": message.offset,
        "statset-encoding": this.#decoder.encoding,
      },
    };
  }

  #sendDeadLetters(messages: Message[]): void {
    const producer = this.#producer;
    const topic = this.#config.dead_letter_topic;
    if (producer === undefined || topic === undefined) return;
    const send: Promise<void> = producer
      .send({ topic, messages })
      .then(
        () => this.#metrics.deadLetters("sent", messages.length),
        (e: unknown) => {
          this.#metrics.deadLetters("error", messages.length);
          this.#logger.error({ err: e, topic, count: messages.length }, "dead-letter produce failed");
        },
      )
      .finally(() => this.#deadLetterSends.delete(send));
    this.#deadLetterSends.add(send);
  }

  /**
   * Runs a commit cycle (snapshot positions, pass the flush barrier, commit). If one is running, the
   * returned promise settles after one more cycle that starts when it ends, so the caller's
   * snapshot includes everything handed over before the call.
   */
  #commitCycle(): Promise<void> {
    const running = this.#committing;
    if (running !== undefined) {
      this.#queuedCycle ??= running.then(() => {
        this.#queuedCycle = undefined;
        return this.#commitCycle();
      });
      return this.#queuedCycle;
    }
    const run = this.#commitOnce().finally(() => {
      this.#committing = undefined;
    });
    this.#committing = run;
    return run;
  }

  async #commitOnce(): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const offsets: TopicPartitionOffset[] = this.#offsets.uncommitted();
    if (offsets.length === 0) return;
    try {
      if (this.#deadLetterSends.size > 0) await Promise.all(this.#deadLetterSends);
      if (this.#hooks !== undefined) await this.#hooks.flush();
      await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
      this.#offsets.committed(offsets);
      this.#metrics.commit("ok");
    } catch (e) {
      this.#metrics.commit("error");
      this.#logger.warn({ err: e, partitions: offsets.length }, "offset commit failed; retrying next interval");
    }
  }

  /** The receiver's id (for logs and tests). */
  get id(): string {
    return this.#id;
  }

  /** Partitions assigned to this member at the last group join (topic -> partitions). */
  get assignment(): Readonly<Record<string, readonly number[]>> {
    return this.#assignment;
  }
}
