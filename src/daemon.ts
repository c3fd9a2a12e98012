/**
 * The daemon: builds a pipeline set from a validated configuration and runs it. Usable in-process
 * (tests, embedding) and by the CLI.
 *
 * Start order: health endpoint (503), exporters, processors, pipelines, receivers, then health 200.
 * Shutdown order: health 503, receivers (stop accepting, drain in-flight requests), pipelines and
 * processors, exporters (flush, then shut down), MeterProvider, health endpoint. Everything a
 * receiver acknowledged is in a store before exporters flush, so push exporters send it and the
 * Prometheus endpoint serves it until it closes. During shutdown a Kafka receiver's commit barrier
 * asks its exporters to flush now instead of waiting for their next window, so its final commit
 * covers what it consumed without waiting out a 60 s interval.
 *
 * shutdown() may come while start() is still running (a signal while a Kafka receiver connects):
 * nothing more is started, receivers still starting are told to stop (which ends their start), and
 * start() resolves once that happened, without the "statset started" line. The shutdown then
 * completes as usual. abandonShutdown() reports what a shutdown cut short leaves undelivered.
 */
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { Logger } from "pino";
import type { Component, ComponentContext, Exporter, PendingWork, Receiver } from "./components/types.ts";
import { defaultRegistry } from "./components/registry.ts";
import { createAggregator } from "./core/aggregator.ts";
import type { Aggregator } from "./core/api.ts";
import { isMapping } from "./config/fields.ts";
import type { ComponentConfig, ComponentRegistry, DaemonConfig } from "./config/types.ts";
import { FanoutConsumer } from "./pipeline/fanout.ts";
import { Pipeline } from "./pipeline/pipeline.ts";
import { PipelineStore } from "./pipeline/store.ts";
import type { MetricsProcessor } from "./processors/types.ts";
import { HealthServer } from "./telemetry/health-server.ts";
import { ListenError } from "./telemetry/http-listen.ts";
import { createLogger } from "./telemetry/logger.ts";
import { createTelemetryMeterProvider } from "./telemetry/meter-provider.ts";
import { observePipelineStore, PipelineMetrics, selfMeter, ShutdownMetrics, type ShutdownAbortReason } from "./telemetry/self-metrics.ts";

export interface DaemonOptions {
  readonly registry?: ComponentRegistry;
  /** Default: a pino logger at the configured level on stdout. */
  readonly logger?: Logger;
  /** Overrides `service::engine`. */
  readonly engine?: "wasm" | "js";
  /**
   * Called during shutdown after receivers have drained and before exporters flush (a test seam
   * and a hook for a last scrape).
   */
  readonly onDrained?: () => Promise<void>;
}

/** A failure to start, naming the component (and, for bind errors, the configuration key). */
export class DaemonStartError extends Error {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = "DaemonStartError";
    this.path = path;
  }
}

/** What a shutdown cut short left behind (see Daemon.abandonShutdown). */
export interface AbandonedShutdown {
  readonly reason: ShutdownAbortReason;
  /** The shutdown step in progress: `receivers`, `processors`, `flush`, `exporters` or `telemetry`. */
  readonly stage: ShutdownStage;
  /** Components whose current shutdown step (shutdown or flush) had not finished, by path. */
  readonly unfinished: readonly string[];
  /** Push exporters whose final flush had not completed: data aggregated since their last window is lost. */
  readonly notFlushed: readonly string[];
  /** Undelivered items by component path (only components that reported some). */
  readonly pending: Readonly<Record<string, PendingWork>>;
}

export type ShutdownStage = "running" | "receivers" | "processors" | "flush" | "exporters" | "telemetry" | "stopped";

interface Named<C extends Component> {
  readonly id: string;
  readonly path: string;
  readonly component: C;
  readonly section: ComponentConfig;
}

/** Finds the key path under `tree` whose string value is `endpoint` (or ends with `:port`). */
function findEndpointPath(tree: unknown, endpoint: string, port: number, prefix: string): string | null {
  if (typeof tree === "string") {
    if (tree === endpoint || tree.endsWith(`:${port}`)) return prefix;
    return null;
  }
  if (isMapping(tree)) {
    for (const [k, v] of Object.entries(tree)) {
      const found = findEndpointPath(v, endpoint, port, `${prefix}::${k}`);
      if (found !== null) return found;
    }
  }
  return null;
}

const BIND_CODES = ["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"] as const;
type BindCode = (typeof BIND_CODES)[number];
const BIND_WORDS: Record<BindCode, string> = {
  EADDRINUSE: "is already in use",
  EACCES: "permission denied to listen",
  EADDRNOTAVAIL: "the address is not available on this host",
};

/**
 * The bind failure behind `err`, if any: from the error's own fields or its `cause` chain.
 */
function bindFailure(err: unknown): { code: BindCode; endpoint: string } | null {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const x = e as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e instanceof ListenError && (BIND_CODES as readonly string[]).includes(e.code)) return { code: e.code as BindCode, endpoint: e.endpoint };
    if (typeof x.code === "string" && (BIND_CODES as readonly string[]).includes(x.code) && x.address !== undefined && x.port !== undefined) {
      return { code: x.code as BindCode, endpoint: x.address.includes(":") ? `[${x.address}]:${x.port}` : `${x.address}:${x.port}` };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Turns a start failure into one line naming where it came from (the config key for bind errors). */
function describeStartError(err: unknown, base: string, section: ComponentConfig | null): DaemonStartError {
  if (err instanceof DaemonStartError) return err;
  const bind = bindFailure(err);
  if (bind !== null) {
    const port = Number(bind.endpoint.slice(bind.endpoint.lastIndexOf(":") + 1));
    let path = base;
    if (section !== null) {
      path = findEndpointPath(section.raw, bind.endpoint, port, base) ?? findEndpointPath(section.config, bind.endpoint, port, base) ?? base;
    }
    return new DaemonStartError(path, `${bind.endpoint} ${BIND_WORDS[bind.code]}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DaemonStartError(base, message, { cause: err });
}

export class Daemon {
  readonly config: DaemonConfig;
  readonly logger: Logger;
  readonly meterProvider: MeterProvider;
  readonly pipelines: ReadonlyMap<string, Pipeline>;
  private readonly receivers: readonly Named<Receiver>[];
  private readonly processors: readonly Named<MetricsProcessor>[];
  private readonly exporterList: readonly Named<Exporter>[];
  private readonly health: HealthServer | null;
  private readonly onDrained: (() => Promise<void>) | undefined;
  private startPromise: Promise<void> | null = null;
  private shutdownPromise: Promise<void> | null = null;
  /** Shared with the receivers' commit hooks: set when shutdown begins. */
  private readonly state: { stopping: boolean };
  private readonly shutdownMetrics: ShutdownMetrics;
  /** Settles when a start in progress has stopped starting components. */
  private startSettled: Promise<void> | null = null;
  private stage: ShutdownStage = "running";
  /** Paths of components whose current shutdown step has not finished. */
  private readonly unfinished = new Set<string>();
  /** Exporter paths whose final flush completed. */
  private readonly flushed = new Set<string>();

  private constructor(
    config: DaemonConfig,
    logger: Logger,
    meterProvider: MeterProvider,
    parts: {
      pipelines: Map<string, Pipeline>;
      receivers: Named<Receiver>[];
      processors: Named<MetricsProcessor>[];
      exporters: Named<Exporter>[];
      health: HealthServer | null;
      state: { stopping: boolean };
    },
    onDrained: (() => Promise<void>) | undefined,
  ) {
    this.config = config;
    this.logger = logger;
    this.meterProvider = meterProvider;
    this.pipelines = parts.pipelines;
    this.receivers = parts.receivers;
    this.processors = parts.processors;
    this.exporterList = parts.exporters;
    this.health = parts.health;
    this.state = parts.state;
    this.onDrained = onDrained;
    this.shutdownMetrics = new ShutdownMetrics(selfMeter(meterProvider));
  }

  /** Builds every component (nothing listens yet). Throws DaemonStartError naming the component. */
  static async create(config: DaemonConfig, options: DaemonOptions = {}): Promise<Daemon> {
    const registry = options.registry ?? defaultRegistry;
    const logger = options.logger ?? createLogger({ level: config.service.logLevel });
    const meterProvider = createTelemetryMeterProvider(config.service.resource);
    const meter = selfMeter(meterProvider);
    const engine = options.engine ?? config.service.engine;
    const ctx = (id: string): ComponentContext => ({ id, logger: logger.child({ component: id }), meterProvider });

    const pipelines = new Map<string, Pipeline>();
    const processors: Named<MetricsProcessor>[] = [];
    for (const pc of config.service.pipelines) {
      let store: Aggregator;
      try {
        const suffix = pc.id === "metrics" ? "" : pc.id.slice("metrics/".length);
        // Event-time windows at the finest push exporter's interval, so replayed or late points
        // reach CloudWatch/EMF stamped with their own window.
        const windows = pc.exporters.flatMap((id) => {
          const section = config.exporters.get(id) as ComponentConfig;
          const w = registry.exporters.get(section.type)?.windowMs?.(section.config);
          return w === undefined ? [] : [w];
        });
        const windowMs = windows.length === 0 ? 0 : Math.min(...windows);
        store = await createAggregator({ engine, windowMs, cardinalityLimit: pc.cardinality_limit, scope: { name: suffix === "" ? "statset" : `statset/${suffix}` } });
      } catch (e) {
        throw new DaemonStartError(`service::pipelines::${pc.id}`, `cannot create the aggregation store: ${(e as Error).message}`, { cause: e });
      }
      const chain: MetricsProcessor[] = [];
      for (const id of pc.processors) {
        const section = config.processors.get(id) as ComponentConfig;
        const factory = registry.processors.get(section.type);
        if (factory === undefined) throw new DaemonStartError(`processors::${id}`, `unknown processor type ${section.type}`);
        const processor = factory.create(ctx(`${id}@${pc.id}`), section.config);
        chain.push(processor);
        processors.push({ id, path: `processors::${id}`, component: processor, section });
      }
      const pipelineStore = new PipelineStore(store);
      const pipeline = new Pipeline({
        config: pc,
        store: pipelineStore,
        processors: chain,
        metrics: new PipelineMetrics(meter, pc.id),
        logger: logger.child({ pipeline: pc.id }),
      });
      observePipelineStore(meter, pc.id, () => {
        const s = pipelineStore.stats();
        return { series: s.series, streams: pipeline.streams, engineBytes: s.engineBytes };
      });
      pipelines.set(pc.id, pipeline);
    }

    const exporters: Named<Exporter>[] = [];
    for (const [id, section] of config.exporters) {
      const sources = config.service.pipelines.filter((p) => p.exporters.includes(id)).map((p) => (pipelines.get(p.id) as Pipeline).store);
      if (sources.length === 0) continue;
      const factory = registry.exporters.get(section.type);
      if (factory === undefined) throw new DaemonStartError(`exporters::${id}`, `unknown exporter type ${section.type}`);
      try {
        exporters.push({ id, path: `exporters::${id}`, component: factory.create(ctx(id), section.config, sources), section });
      } catch (e) {
        throw describeStartError(e, `exporters::${id}`, section);
      }
    }

    // The hooks are built before the daemon exists; they read its shutdown state through this.
    const daemonRef = { stopping: false };
    const receivers: Named<Receiver>[] = [];
    for (const [id, section] of config.receivers) {
      const targets = config.service.pipelines.filter((p) => p.receivers.includes(id)).map((p) => pipelines.get(p.id) as Pipeline);
      if (targets.length === 0) continue;
      const factory = registry.receivers.get(section.type);
      if (factory === undefined) throw new DaemonStartError(`receivers::${id}`, `unknown receiver type ${section.type}`);
      try {
        const downstream = config.service.pipelines
          .filter((p) => p.receivers.includes(id))
          .flatMap((p) => exporters.filter((e) => p.exporters.includes(e.id)).map((e) => e.component));
        // At-least-once sources (Kafka) commit only after this barrier: every exporter fed by the
        // receiver's pipelines has delivered what was consumed before the call.
        // During shutdown the barrier is taken at once: each exporter is asked to flush right after
        // the barrier is registered, which reads and sends now and releases it (an outage still
        // holds it, so nothing is committed that exists only here).
        const hooks = {
          flush: () =>
            Promise.all(
              downstream.map((e) => {
                if (e.deliveryBarrier === undefined) return Promise.resolve();
                const barrier = e.deliveryBarrier();
                if (daemonRef.stopping) void e.flush().catch(() => {});
                return barrier;
              }),
            ).then(() => undefined),
        };
        const receiverCtx = { ...ctx(id), hooks };
        receivers.push({ id, path: `receivers::${id}`, component: factory.create(receiverCtx, section.config, new FanoutConsumer(targets)), section });
      } catch (e) {
        throw describeStartError(e, `receivers::${id}`, section);
      }
    }

    const hc = config.healthCheck;
    const health = hc === null ? null : new HealthServer(hc, logger.child({ component: "health_check" }));
    return new Daemon(config, logger, meterProvider, { pipelines, receivers, processors, exporters, health, state: daemonRef }, options.onDrained);
  }

  /** The exporter instance configured under `id` (for tests and embedding). */
  exporter(id: string): Exporter | undefined {
    return this.exporterList.find((e) => e.id === id)?.component;
  }

  /** The receiver instance configured under `id`. */
  receiver(id: string): Receiver | undefined {
    return this.receivers.find((r) => r.id === id)?.component;
  }

  /** The bound port of the health endpoint (0 without one). */
  get healthPort(): number {
    return this.health?.listeningPort ?? 0;
  }

  /**
   * Starts everything; on failure stops what started and throws DaemonStartError. A shutdown()
   * meanwhile ends the start early: it resolves once nothing more is starting.
   */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    let settle = (): void => {};
    this.startSettled = new Promise((resolve) => (settle = resolve));
    let failure: { error: unknown } | null = null;
    try {
      await this.startComponents();
    } catch (e) {
      failure = { error: e };
    }
    settle();
    if (this.state.stopping) {
      // The shutdown in progress stops what started; a component that failed meanwhile was told to stop.
      this.logger.info({ startFailure: failure?.error }, "start interrupted by shutdown");
      return;
    }
    if (failure !== null) {
      this.logger.error({ err: failure.error }, "start failed; stopping what started");
      await this.shutdown();
      throw failure.error;
    }
    this.health?.setStatus("ready");
    this.logger.info(
      {
        pipelines: [...this.pipelines.keys()],
        receivers: this.receivers.map((r) => r.id),
        exporters: this.exporterList.map((e) => e.id),
        engine: [...this.pipelines.values()][0]?.store.engine,
      },
      "statset started",
    );
  }

  /** Starts the components in order; stops launching more once shutdown() was called. */
  private async startComponents(): Promise<void> {
    const step = async (c: Component, path: string, section: ComponentConfig | null): Promise<void> => {
      try {
        await c.start();
      } catch (e) {
        throw describeStartError(e, path, section);
      }
    };
    const stopping = (): boolean => this.state.stopping;
    if (stopping()) return;
    if (this.health !== null) {
      this.health.setStatus("starting");
      await step(this.health, "extensions::health_check", { id: "health_check", type: "health_check", config: this.config.healthCheck, raw: this.config.healthCheck });
    }
    for (const e of this.exporterList) {
      if (stopping()) return;
      await step(e.component, e.path, e.section);
    }
    for (const p of this.processors) {
      if (stopping()) return;
      await step(p.component, p.path, p.section);
    }
    if (stopping()) return;
    for (const p of this.pipelines.values()) p.start();
    // Receivers start together: a Kafka receiver waits seconds for its group join.
    const started = await Promise.allSettled(this.receivers.map((r) => step(r.component, r.path, r.section)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /** Graceful, idempotent shutdown; never throws (problems are logged). */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    // Synchronously first: a start in progress launches nothing more from here on.
    this.state.stopping = true;
    this.health?.setStatus("stopping");
    this.logger.info("statset stopping");
    const quietly = async (what: string, f: () => Promise<void>): Promise<void> => {
      this.unfinished.add(what);
      try {
        await f();
      } catch (e) {
        this.logger.error({ err: e, component: what }, "error during shutdown");
      } finally {
        this.unfinished.delete(what);
      }
    };
    this.stage = "receivers";
    await Promise.all(this.receivers.map((r) => quietly(r.path, () => r.component.shutdown())));
    if (this.startSettled !== null) await this.startSettled;
    this.stage = "processors";
    for (const p of this.pipelines.values()) p.stop();
    await Promise.all(this.processors.map((p) => quietly(p.path, () => p.component.shutdown())));
    if (this.onDrained !== undefined) await quietly("onDrained", this.onDrained);
    this.stage = "flush";
    await Promise.all(
      this.exporterList.map((e) =>
        quietly(e.path, async () => {
          await e.component.flush();
          this.flushed.add(e.path);
        }),
      ),
    );
    this.stage = "exporters";
    await Promise.all(this.exporterList.map((e) => quietly(e.path, () => e.component.shutdown())));
    this.stage = "telemetry";
    await quietly("meter_provider", () => this.meterProvider.shutdown());
    if (this.health !== null) await quietly("extensions::health_check", () => (this.health as HealthServer).shutdown());
    this.stage = "stopped";
    this.logger.info("statset stopped");
  }

  /**
   * For a caller about to exit before shutdown() finished (`service::shutdown_timeout`, a second
   * SIGINT): logs at error and counts what the exit abandons, as the components report it (their
   * `abandon()`: unread windows, buffered and in-flight datums, uncommitted offsets), plus the push
   * exporters that had not flushed. Returns the same report. Nothing is delivered afterwards.
   */
  abandonShutdown(reason: ShutdownAbortReason): AbandonedShutdown {
    const pending: Record<string, PendingWork> = {};
    const counts = new Map<string, Readonly<Record<string, number>>>();
    const all: readonly Named<Component>[] = [...this.receivers, ...this.processors, ...this.exporterList];
    for (const c of all) {
      const p = c.component.abandon?.();
      if (p === undefined || Object.keys(p.items).length === 0) continue;
      pending[c.path] = p;
      counts.set(c.path, p.items);
    }
    // Pull exporters (no delivery barrier) hold nothing that a flush would deliver.
    const notFlushed = this.stage === "stopped" ? [] : this.exporterList.filter((e) => e.component.deliveryBarrier !== undefined && !this.flushed.has(e.path)).map((e) => e.path);
    const report: AbandonedShutdown = { reason, stage: this.stage, unfinished: [...this.unfinished], notFlushed, pending };
    this.shutdownMetrics.recordAbort(reason, counts);
    this.logger.error(report, "shutdown cut short; what it had not finished is lost or left uncommitted");
    return report;
  }
}

/** Builds and starts a daemon in one step. */
export async function startDaemon(config: DaemonConfig, options: DaemonOptions = {}): Promise<Daemon> {
  const daemon = await Daemon.create(config, options);
  await daemon.start();
  return daemon;
}
