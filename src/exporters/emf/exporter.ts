/**
 * The `awsemf` exporter: the same aligned windows as `awscloudwatch`, written as EMF lines to a sink.
 * Reading and building are synchronous; sinks queue (bounded) and never block ingest.
 * flush() reads now (stamped with the open window) and resolves when the sink has handed every line
 * to the OS (a disconnected TCP sink keeps its lines queued for the reconnect and resolves at once).
 * shutdown() reads the open window, flushes up to `shutdownTimeoutMs`, and closes the sink.
 */
import type { MeterProvider } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Exporter, PendingWork } from "../../components/types.ts";
import type { Aggregator } from "../../core/api.ts";
import { resolveStorageResolution } from "../cloudwatch/config-parse.ts";
import { DimensionPlanner } from "../cloudwatch/dimensions.ts";
import { DropLog } from "../cloudwatch/drop-log.ts";
import { ExporterTelemetry, type ExporterStats } from "../cloudwatch/self-metrics.ts";
import { alignDown, DeltaReaders, buildRead, systemClock, WindowTicker, type Clock } from "../cloudwatch/window.ts";
import type { EmfExporterConfig } from "./config.ts";
import { EmfEventBuilder, type EmfLine } from "./event.ts";
import { StreamSink, TcpSink, UdpSink, type LineSink } from "./sinks.ts";

export interface EmfExporterDeps {
  readonly id: string;
  readonly logger: Logger;
  readonly meterProvider: Pick<MeterProvider, "getMeter">;
  readonly clock?: Clock;
  /** Default: built from `config.output`. */
  readonly sink?: LineSink;
}

/** Rough bytes per line for the stdout/file buffer bound. */
const BYTES_PER_QUEUED_LINE = 1024;

export class EmfExporter implements Exporter {
  private readonly config: EmfExporterConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly readers: DeltaReaders;
  private readonly builder: EmfEventBuilder;
  private readonly telemetry: ExporterTelemetry;
  private readonly drops: DropLog;
  private readonly ticker: WindowTicker;
  private readonly sink: LineSink;
  private started = false;
  private shutdownPromise: Promise<void> | null = null;
  /** Callers of deliveryBarrier() waiting for the next window's lines to reach the sink's peer. */
  private readonly barrierWaiters: Array<() => void> = [];

  constructor(config: EmfExporterConfig, sources: readonly Aggregator[], deps: EmfExporterDeps) {
    this.config = config;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.readers = new DeltaReaders(sources);
    const planner = new DimensionPlanner(config.dimensionRules, (message, fields) => this.logger.warn({ exporter: deps.id, ...fields }, message));
    this.builder = new EmfEventBuilder({
      namespace: config.namespace,
      planner,
      percentiles: config.percentiles,
      maxPointsPerSeries: config.maxValuesPerSeries,
      storageResolution: resolveStorageResolution(config.storageResolution, config.intervalMs),
    });
    let sink: LineSink | null = deps.sink ?? null;
    this.telemetry = new ExporterTelemetry(deps.meterProvider, "statset.emf", deps.id, () => sink?.queued ?? 0);
    this.drops = new DropLog(this.telemetry, deps.logger, deps.id, "emf", () => this.clock.now());
    const drop = this.drops.drop;
    if (sink === null) {
      const out = config.output;
      const maxBytes = config.maxQueuedLines * BYTES_PER_QUEUED_LINE;
      if (out.kind === "stdout") sink = StreamSink.stdout(maxBytes, drop);
      else if (out.kind === "file") sink = StreamSink.file(out.path, maxBytes, drop);
      else if (out.kind === "tcp") sink = new TcpSink(out.host, out.port, config.maxQueuedLines, drop);
      else sink = new UdpSink(out.host, out.port, drop);
    }
    this.sink = sink;
    this.ticker = new WindowTicker(config.intervalMs, this.clock, (w) => {
      try {
        this.collectWindow(w);
      } catch (err) {
        this.logger.error({ err }, "emf exporter: building a window failed");
      }
    });
  }

  async start(): Promise<void> {
    if (this.started || this.shutdownPromise !== null) return;
    this.started = true;
    this.ticker.start();
  }

  /** Reads every source now and writes the window's lines; returns how many lines. */
  collectWindow(windowStartMs: number): number {
    const lines: EmfLine[] = [];
    buildRead(this.readers, windowStartMs, this.clock.now(), this.builder, lines, this.drops.drop);
    for (const l of lines) {
      this.sink.write(l.line);
      this.telemetry.request("written");
      this.telemetry.delivered(l.metrics, Buffer.byteLength(l.line) + 1);
    }
    const waiting = this.barrierWaiters.splice(0);
    if (waiting.length > 0) {
      void this.sink.flush().then(
        () => waiting.forEach((resolve) => resolve()),
        (err: unknown) => {
          // Not delivered: the waiters stay for the next window instead of committing early.
          this.logger.warn({ err }, "emf exporter: sink flush failed; delivery barrier waits for the next window");
          this.barrierWaiters.push(...waiting);
        },
      );
    }
    return lines.length;
  }

  /** Resolves when the next window's lines (read after this call) have been flushed by the sink. */
  deliveryBarrier(): Promise<void> {
    if (this.shutdownPromise !== null) return Promise.resolve();
    return new Promise((resolve) => this.barrierWaiters.push(resolve));
  }

  async flush(): Promise<void> {
    if (this.shutdownPromise !== null) return;
    this.collectWindow(alignDown(this.clock.now(), this.config.intervalMs));
    await this.sink.flush();
  }

  shutdown(): Promise<void> {
    if (this.shutdownPromise === null) this.shutdownPromise = this.doShutdown();
    return this.shutdownPromise;
  }

  stats(): ExporterStats {
    return this.telemetry.snapshot();
  }

  /** The open window (read and discarded) and what the sink has not handed to the OS: bytes for stdout/file, lines for tcp/udp. */
  abandon(): PendingWork {
    const items: Record<string, number> = {};
    const unread = this.readers.discardUnread();
    if (unread.series > 0) {
      items.unread_series = unread.series;
      items.unread_points = unread.points;
    }
    const queued = this.sink.queued;
    if (queued > 0) items[this.config.output.kind === "stdout" || this.config.output.kind === "file" ? "queued_bytes" : "queued_lines"] = queued;
    return { items };
  }

  private async doShutdown(): Promise<void> {
    this.ticker.stop();
    if (this.started) {
      try {
        this.collectWindow(alignDown(this.clock.now(), this.config.intervalMs));
      } catch (err) {
        this.logger.error({ err }, "emf exporter: reading the final window failed");
      }
    }
    await this.sink.close(this.config.shutdownTimeoutMs);
    this.readers.close();
  }
}
