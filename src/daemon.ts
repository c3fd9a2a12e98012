/**
 * The daemon: builds a pipeline set from a validated configuration and runs it. Usable in-process
 * (tests, embedding) and by the CLI.
 *
 * Start order: health endpoint (503), exporters, processors, pipelines, receivers, then health 200.
 * Shutdown order: health 503, receivers (stop accepting, drain in-flight requests), pipelines and
 * processors, exporters (flush, then shut down), MeterProvider, health endpoint. Everything a
 * receiver acknowledged is in a store before exporters flush, so push exporters send it and the
 * Prometheus endpoint serves it until it closes.
 */
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { Logger } from "pino";
import type { Component, ComponentContext, Exporter, Receiver } from "./components/types.ts";
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
import { observePipelineStore, PipelineMetrics, selfMeter } from "./telemetry/self-metrics.ts";

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
  private readonly started: Component[] = [];

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
    this.onDrained = onDrained;
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
        const hooks = { flush: () => Promise.all(downstream.map((e) => (e.deliveryBarrier === undefined ? Promise.resolve() : e.deliveryBarrier()))).then(() => undefined) };
        const receiverCtx = { ...ctx(id), hooks };
        receivers.push({ id, path: `receivers::${id}`, component: factory.create(receiverCtx, section.config, new FanoutConsumer(targets)), section });
      } catch (e) {
        throw describeStartError(e, `receivers::${id}`, section);
      }
    }

    const hc = config.healthCheck;
    const health = hc === null ? null : new HealthServer(hc, logger.child({ component: "health_check" }));
    return new Daemon(config, logger, meterProvider, { pipelines, receivers, processors, exporters, health }, options.onDrained);
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

  /** Starts everything; on failure stops what started and throws DaemonStartError. */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const step = async (c: Component, path: string, section: ComponentConfig | null): Promise<void> => {
      try {
        await c.start();
        this.started.push(c);
      } catch (e) {
        throw describeStartError(e, path, section);
      }
    };
    try {
      if (this.health !== null) {
        this.health.setStatus("starting");
        await step(this.health, "extensions::health_check", { id: "health_check", type: "health_check", config: this.config.healthCheck, raw: this.config.healthCheck });
      }
      for (const e of this.exporterList) await step(e.component, e.path, e.section);
      for (const p of this.processors) await step(p.component, p.path, p.section);
      for (const p of this.pipelines.values()) p.start();
      // Receivers start together: a Kafka receiver waits seconds for its group join.
      const started = await Promise.allSettled(this.receivers.map((r) => step(r.component, r.path, r.section)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    } catch (e) {
      this.logger.error({ err: e }, "start failed; stopping what started");
      await this.shutdown();
      throw e;
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

  /** Graceful, idempotent shutdown; never throws (problems are logged). */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    this.health?.setStatus("stopping");
    this.logger.info("statset stopping");
    const quietly = async (what: string, f: () => Promise<void>): Promise<void> => {
      try {
        await f();
      } catch (e) {
        this.logger.error({ err: e, component: what }, "error during shutdown");
      }
    };
    await Promise.all(this.receivers.map((r) => quietly(r.id, () => r.component.shutdown())));
    for (const p of this.pipelines.values()) p.stop();
    await Promise.all(this.processors.map((p) => quietly(p.id, () => p.component.shutdown())));
    if (this.onDrained !== undefined) await quietly("onDrained", this.onDrained);
    await Promise.all(this.exporterList.map((e) => quietly(e.id, () => e.component.flush())));
    await Promise.all(this.exporterList.map((e) => quietly(e.id, () => e.component.shutdown())));
    await quietly("meter_provider", () => this.meterProvider.shutdown());
    if (this.health !== null) await quietly("health_check", () => (this.health as HealthServer).shutdown());
    this.logger.info("statset stopped");
  }
}

/** Builds and starts a daemon in one step. */
export async function startDaemon(config: DaemonConfig, options: DaemonOptions = {}): Promise<Daemon> {
  const daemon = await Daemon.create(config, options);
  await daemon.start();
  return daemon;
}
