/**
 * The `awscloudwatch` exporter: every aligned window it reads its delta readers, builds datums and
 * appends them to a bounded buffer; up to `maxConcurrency` senders drain the buffer in requests that
 * respect the PutMetricData limits, retrying throttling, 5xx and network failures with exponential
 * backoff and full jitter. Reading never awaits the network, so ingest never waits for CloudWatch.
 *
 * flush() reads now (stamped with the open window) and resolves when everything buffered has been
 * sent or dropped, or when what remains is held by senders that are backing off after a failure
 * (those datums stay buffered and keep retrying; flush does not wait out an outage).
 * shutdown() stops the ticker, reads the open window, waits up to `shutdownTimeoutMs` for the buffer
 * and in-flight requests to drain, then aborts and counts whatever is left as `shutdown` drops.
 */
import type { MeterProvider } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Exporter, PendingWork } from "../../components/types.ts";
import type { Aggregator } from "../../core/api.ts";
import { BoundedQueue } from "./buffer.ts";
import type { CloudWatchExporterConfig } from "./config.ts";
import { resolveStorageResolution } from "./config-parse.ts";
import { DatumBuilder, isTimestampInRange, type BuiltDatum } from "./datum.ts";
import { DimensionPlanner } from "./dimensions.ts";
import { DropLog } from "./drop-log.ts";
import { DropReason } from "./drops.ts";
import { requestBytes, requestOverheadBytes, takeBatch, type Batch } from "./request-batch.ts";
import { backoffDelay } from "./retry.ts";
import { ExporterTelemetry, type ExporterStats } from "./self-metrics.ts";
import { classifyError, describeError, SdkTransport, type PutMetricDataTransport, type StaticCredentials } from "./transport.ts";
import { alignDown, DeltaReaders, buildRead, systemClock, WindowTicker, type Clock } from "./window.ts";

export interface CloudWatchExporterDeps {
  /** Component id, e.g. "awscloudwatch/main" (labels self-metrics and logs). */
  readonly id: string;
  readonly logger: Logger;
  readonly meterProvider: Pick<MeterProvider, "getMeter">;
  /** Default: the AWS SDK client built from the config. */
  readonly transport?: PutMetricDataTransport;
  /** Explicit credentials for the default transport (default: the SDK's provider chain). */
  readonly credentials?: StaticCredentials;
  readonly clock?: Clock;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
}

interface SenderSlot {
  retrying: boolean;
  /** Datums of the request this sender is sending or retrying. */
  datums: number;
}

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
}

const RETRY_LOG_INTERVAL_MS = 10_000;

export class CloudWatchExporter implements Exporter {
  private readonly config: CloudWatchExporterConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly transport: PutMetricDataTransport;
  private readonly readers: DeltaReaders;
  private readonly builder: DatumBuilder;
  private readonly queue: BoundedQueue<BuiltDatum>;
  private readonly telemetry: ExporterTelemetry;
  private readonly drops: DropLog;
  private readonly ticker: WindowTicker;
  private readonly overheadBytes: number;
  private readonly abort = new AbortController();
  private readonly slots = new Set<SenderSlot>();
  private readonly sleeps = new Set<() => void>();
  private waiters: Waiter[] = [];
  /** Callers of deliveryBarrier() waiting for the next read to be delivered. */
  private readonly barrierWaiters: Array<() => void> = [];
  private started = false;
  private aborted = false;
  private shutdownPromise: Promise<void> | null = null;
  private lastRetryLogMs = -Infinity;

  constructor(config: CloudWatchExporterConfig, sources: readonly Aggregator[], deps: CloudWatchExporterDeps) {
    this.config = config;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.transport =
      deps.transport ??
      new SdkTransport({
        region: config.region,
        endpoint: config.endpoint,
        credentials: deps.credentials,
        requestTimeoutMs: config.timeoutMs,
      });
    this.readers = new DeltaReaders(sources);
    const planner = new DimensionPlanner(config.dimensionRules, (message, fields) =>
      this.logger.warn({ exporter: deps.id, ...fields }, message),
    );
    this.builder = new DatumBuilder({
      planner,
      percentiles: config.percentiles,
      maxPointsPerSeries: config.maxValuesPerSeries,
      storageResolution: resolveStorageResolution(config.storageResolution, config.intervalMs),
    });
    this.queue = new BoundedQueue<BuiltDatum>(config.maxBufferedDatums);
    this.telemetry = new ExporterTelemetry(deps.meterProvider, "statset.cloudwatch", deps.id, () => this.queue.length);
    this.drops = new DropLog(this.telemetry, deps.logger, deps.id, "cloudwatch", () => this.clock.now());
    this.overheadBytes = requestOverheadBytes(config.namespace);
    this.ticker = new WindowTicker(config.intervalMs, this.clock, (windowStartMs) => this.onWindow(windowStartMs));
  }

  async start(): Promise<void> {
    if (this.started || this.shutdownPromise !== null) return;
    this.started = true;
    this.ticker.start();
  }

  /**
   * Reads every source now and buffers the datums, stamped `windowStartMs`. Returns the number of
   * datums buffered. Synchronous: sending happens in the background.
   */
  collectWindow(windowStartMs: number): number {
    const out: BuiltDatum[] = [];
    buildRead(this.readers, windowStartMs, this.clock.now(), this.builder, out, this.drops.drop);
    for (const d of out) {
      const evicted = this.queue.push(d);
      if (evicted !== undefined) this.drops.drop(DropReason.BufferFull, 1, { metric: evicted.datum.MetricName ?? "" });
    }
    this.pump();
    this.releaseBarriers();
    return out.length;
  }

  async flush(): Promise<void> {
    if (this.aborted) return;
    this.collectWindow(alignDown(this.clock.now(), this.config.intervalMs));
    await this.waitFor(() => this.settled());
  }

  /**
   * Resolves when the next window (or a flush/shutdown) after this call has been read and every
   * datum buffered by then is sent or dropped and counted. During an outage it waits: a source that
   * commits on it never commits data that exists only in this process's memory.
   */
  deliveryBarrier(): Promise<void> {
    if (this.aborted) return Promise.resolve();
    return new Promise((resolve) => this.barrierWaiters.push(resolve));
  }

  /** Releases the barrier waiters of a completed read once the buffer has fully drained. */
  private releaseBarriers(): void {
    const waiting = this.barrierWaiters.splice(0);
    if (waiting.length === 0) return;
    void this.waitFor(() => this.aborted || (this.queue.length === 0 && this.slots.size === 0)).then(() => {
      for (const resolve of waiting) resolve();
    });
  }

  shutdown(): Promise<void> {
    if (this.shutdownPromise === null) this.shutdownPromise = this.doShutdown();
    return this.shutdownPromise;
  }

  stats(): ExporterStats {
    return this.telemetry.snapshot();
  }

  /** The open window (read and discarded), datums buffered, and datums in requests not yet answered. */
  abandon(): PendingWork {
    let inFlight = 0;
    for (const slot of this.slots) inFlight += slot.datums;
    const unread = this.readers.discardUnread();
    const items: Record<string, number> = {};
    if (unread.series > 0) {
      items.unread_series = unread.series;
      items.unread_points = unread.points;
    }
    if (this.queue.length > 0) items.buffered_datums = this.queue.length;
    if (inFlight > 0) items.in_flight_datums = inFlight;
    return { items };
  }

  private async doShutdown(): Promise<void> {
    this.ticker.stop();
    if (this.started) {
      try {
        this.collectWindow(alignDown(this.clock.now(), this.config.intervalMs));
      } catch (err) {
        this.logger.error({ err }, "cloudwatch exporter: reading the final window failed");
      }
      await this.waitFor(() => this.queue.length === 0 && this.slots.size === 0, this.config.shutdownTimeoutMs);
    }
    this.aborted = true;
    this.abort.abort();
    for (const wake of this.sleeps) wake();
    const left = this.queue.peek();
    if (left !== undefined) this.drops.drop(DropReason.Shutdown, this.queue.clear(), { metric: left.datum.MetricName ?? "" });
    await this.waitFor(() => this.slots.size === 0);
    this.readers.close();
    this.transport.close();
    this.checkWaiters();
  }

  private onWindow(windowStartMs: number): void {
    try {
      this.collectWindow(windowStartMs);
    } catch (err) {
      // The loop must survive anything a read or build throws; the window's data is lost and logged.
      this.logger.error({ err }, "cloudwatch exporter: building a window failed");
    }
  }

  /** Nothing left that a sender is about to send on a first attempt. */
  private settled(): boolean {
    if (this.aborted) return true;
    for (const slot of this.slots) if (!slot.retrying) return false;
    return this.queue.length === 0 || this.slots.size >= this.config.maxConcurrency;
  }

  private pump(): void {
    while (!this.aborted && this.slots.size < this.config.maxConcurrency && this.queue.length > 0) {
      const batch = this.nextBatch();
      if (batch === null) break;
      const slot: SenderSlot = { retrying: false, datums: batch.items.length };
      this.slots.add(slot);
      void this.runSender(slot, batch);
    }
    this.checkWaiters();
  }

  private nextBatch(): Batch | null {
    const now = this.clock.now();
    return takeBatch(
      this.queue,
      this.overheadBytes,
      (d) => {
        if (isTimestampInRange(d.timestampMs, now)) return true;
        this.drops.drop(DropReason.TimestampOutOfRange, 1, { metric: d.datum.MetricName ?? "", timestampMs: d.timestampMs, nowMs: now });
        return false;
      },
      (d) => this.drops.drop(DropReason.DatumTooLarge, 1, { metric: d.datum.MetricName ?? "" }),
    );
  }

  private async runSender(slot: SenderSlot, first: Batch): Promise<void> {
    let batch: Batch | null = first;
    try {
      while (batch !== null) {
        slot.datums = batch.items.length;
        await this.deliver(batch, slot);
        slot.retrying = false;
        batch = this.aborted ? null : this.nextBatch();
      }
    } catch (err) {
      this.logger.error({ err }, "cloudwatch exporter: sender failed unexpectedly");
    } finally {
      this.slots.delete(slot);
      this.checkWaiters();
    }
  }

  private async deliver(initial: Batch, slot: SenderSlot): Promise<void> {
    let batch = initial;
    const startedMs = this.clock.now();
    for (let attempt = 0; ; attempt++) {
      if (this.aborted) {
        this.drops.drop(DropReason.Shutdown, batch.items.length, firstMetric(batch));
        return;
      }
      try {
        await this.transport.putMetricData(
          this.config.namespace,
          batch.items.map((i) => i.datum),
          this.abort.signal,
        );
        this.telemetry.request("success");
        this.telemetry.delivered(batch.items.length, batch.bytes);
        return;
      } catch (err) {
        if (this.aborted) {
          this.drops.drop(DropReason.Shutdown, batch.items.length, firstMetric(batch));
          return;
        }
        const cls = classifyError(err);
        this.telemetry.request(cls);
        if (cls === "rejected") {
          this.telemetry.failure();
          this.drops.drop(DropReason.Rejected, batch.items.length, { ...firstMetric(batch), error: describeError(err) });
          return;
        }
        const delay = backoffDelay(attempt, this.config.retry, this.random);
        if (this.clock.now() + delay - startedMs > this.config.retry.maxElapsedTimeMs) {
          this.telemetry.failure();
          this.drops.drop(DropReason.RetriesExhausted, batch.items.length, { ...firstMetric(batch), error: describeError(err) });
          return;
        }
        const now = this.clock.now();
        if (now - this.lastRetryLogMs >= RETRY_LOG_INTERVAL_MS) {
          this.lastRetryLogMs = now;
          this.logger.warn({ err: describeError(err), outcome: cls, buffered: this.queue.length }, "cloudwatch exporter: PutMetricData failed; retrying with backoff");
        }
        this.telemetry.retry();
        slot.retrying = true;
        this.checkWaiters();
        await this.sleep(delay);
        // backing off is over: until this attempt fails again, flush() waits for it like any send
        slot.retrying = false;
        // A long outage can age datums past CloudWatch's 14-day limit; never send what it would refuse.
        const woke = this.clock.now();
        const stale = batch.items.find((d) => !isTimestampInRange(d.timestampMs, woke));
        if (stale !== undefined) {
          const fresh = batch.items.filter((d) => isTimestampInRange(d.timestampMs, woke));
          this.drops.drop(DropReason.TimestampOutOfRange, batch.items.length - fresh.length, { metric: stale.datum.MetricName ?? "", timestampMs: stale.timestampMs, nowMs: woke });
          if (fresh.length === 0) return;
          batch = { items: fresh, bytes: requestBytes(this.config.namespace, fresh) };
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleeps.delete(wake);
        this.clock.clearTimeout(handle);
        resolve();
      };
      const handle = this.clock.setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }

  private waitFor(done: () => boolean, timeoutMs?: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      let handle: unknown = null;
      const waiter: Waiter = {
        done,
        resolve: () => {
          if (handle !== null) this.clock.clearTimeout(handle);
          resolve();
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        handle = this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, timeoutMs);
      }
    });
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    const ready: Waiter[] = [];
    for (const w of this.waiters) (w.done() ? ready : still).push(w);
    this.waiters = still;
    for (const w of ready) w.resolve();
  }
}

/** The drop context of a whole request: its first datum's metric. */
function firstMetric(batch: Batch): { metric: string } {
  return { metric: batch.items[0]?.datum.MetricName ?? "" };
}
