/**
 * The Prometheus pull endpoint. An OpenTelemetry `PrometheusExporter` (a MetricReader) reads the
 * pipelines' aggregation stores through their `metricProducer`s and the daemon's own SDK
 * instruments through the MeterProvider's producer, so both appear on one endpoint in the text
 * exposition format. The HTTP server is ours (port 0, clear bind errors, clean shutdown); the
 * serialization is the SDK's, run in slices that yield to the event loop (sliced-serializer.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { emptyResource } from "@opentelemetry/resources";
import type { MetricProducer } from "@opentelemetry/sdk-metrics";
import type { Logger } from "pino";
import type { Aggregator } from "../../core/api.ts";
import type { ComponentContext, Exporter } from "../../components/types.ts";
import { parseEndpoint } from "../../config/endpoint.ts";
import { createHttpServer } from "../../net/http-server.ts";
import { ServerAuth } from "../../net/server-auth.ts";
import { closeServer, listen } from "../../telemetry/http-listen.ts";
import { sdkMetricProducerOf } from "../../telemetry/meter-provider.ts";
import { ExporterMetrics, selfMeter } from "../../telemetry/self-metrics.ts";
import { RateLimitedLog } from "../../telemetry/rate-limited-log.ts";
import type { PrometheusExporterConfig } from "./config.ts";
import { ExpositionGuard } from "./exposition-guard.ts";
import { SlicedPrometheusSerializer } from "./sliced-serializer.ts";
import { ExpositionMetrics, type SeriesDropReason } from "./self-metrics.ts";

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** One warning per problem kind at most this often: a bad series repeats on every scrape. */
const DROP_LOG_INTERVAL_MS = 60_000;

const EMPTY_PRODUCER: MetricProducer = {
  collect: async () => ({ resourceMetrics: { resource: emptyResource(), scopeMetrics: [] }, errors: [] }),
};

export class PrometheusPullExporter implements Exporter {
  private readonly config: PrometheusExporterConfig;
  private readonly sources: readonly Aggregator[];
  private readonly logger: Logger;
  private readonly id: string;
  private readonly reader: PrometheusExporter;
  private readonly serializer: SlicedPrometheusSerializer;
  private readonly guard: ExpositionGuard;
  private server: Server | null = null;
  private readonly auth: ServerAuth | undefined;
  private readonly metrics: ExporterMetrics;
  private readonly exposition: ExpositionMetrics;
  private readonly dropLogs: Record<SeriesDropReason, RateLimitedLog>;
  private readonly host: string;
  private readonly port: number;
  private expiryTimer: NodeJS.Timeout | null = null;
  private boundPort = 0;
  private started = false;
  private stopped = false;

  constructor(ctx: ComponentContext, config: PrometheusExporterConfig, sources: readonly Aggregator[]) {
    this.config = config;
    this.sources = sources;
    this.logger = ctx.logger;
    this.id = ctx.id;
    const ep = parseEndpoint(config.endpoint);
    if ("problem" in ep) throw new TypeError(`${ctx.id} endpoint: ${ep.problem}`);
    this.host = ep.host;
    this.port = ep.port;
    this.reader = new PrometheusExporter({
      preventServerStart: true,
      metricProducers: sources.map((s) => s.metricProducer),
      prefix: config.namespace,
      withoutScopeInfo: config.without_scope_info,
      withoutTargetInfo: config.without_target_info,
    });
    const sdk = sdkMetricProducerOf(ctx.meterProvider);
    this.reader.setMetricProducer(sdk ?? EMPTY_PRODUCER);
    this.serializer = new SlicedPrometheusSerializer({ prefix: config.namespace, withoutTargetInfo: config.without_target_info, withoutScopeInfo: config.without_scope_info });
    this.guard = new ExpositionGuard({ prefix: config.namespace, withoutScopeInfo: config.without_scope_info });
    this.metrics = new ExporterMetrics(selfMeter(ctx.meterProvider), ctx.id);
    this.exposition = new ExpositionMetrics(selfMeter(ctx.meterProvider), ctx.id);
    const log = (): RateLimitedLog => new RateLimitedLog(ctx.logger, DROP_LOG_INTERVAL_MS);
    this.dropLogs = { type_conflict: log(), duplicate_labels: log(), render_failed: log() };
    this.auth = ServerAuth.of(config.auth);
  }

  /** The bound port (after start). */
  get listeningPort(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.server = await createHttpServer(this.config.tls, { keepAliveTimeout: 5000 }, (req, res) => this.handle(req, res));
    this.boundPort = await listen(this.server, this.host, this.port);
    const ttl = this.config.series_ttl;
    if (ttl > 0) {
      this.expiryTimer = setInterval(() => this.expire(), Math.min(Math.max(1000, Math.floor(ttl / 2)), 30_000)).unref();
    }
    this.logger.info(
      { exporter: this.id, endpoint: `${this.host}:${this.boundPort}`, path: this.config.path, tls: this.config.tls !== undefined, auth: this.auth !== undefined },
      "prometheus endpoint listening",
    );
  }

  /** Drops series idle for series_ttl in every source. Never throws (timer context). */
  expire(): number {
    let removed = 0;
    for (const s of this.sources) {
      try {
        removed += s.expireIdle(this.config.series_ttl);
      } catch (e) {
        this.metrics.recordError();
        this.logger.error({ exporter: this.id, err: e }, "series expiry failed");
      }
    }
    this.metrics.recordExpired(removed);
    if (removed > 0) this.logger.debug({ exporter: this.id, removed }, "expired idle series");
    return removed;
  }

  /** A pull exporter holds nothing to send: scrapes read the stores directly. */
  async flush(): Promise<void> {}

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.expiryTimer !== null) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    if (this.server !== null) await closeServer(this.server);
  }

  /** The exposition text, as a scrape would get it. */
  async render(): Promise<string> {
    const parts: string[] = [];
    await this.writeExposition((part) => void parts.push(part));
    return parts.join("");
  }

  /**
   * Collects and hands the exposition to `sink` in parts. Series that would make a Prometheus
   * server reject the whole scrape, or that cannot be rendered at all, are left out, counted
   * (`statset.exporter.series.dropped`) and logged; the rest of the scrape is served.
   */
  private async writeExposition(sink: (part: string) => void | Promise<void>): Promise<void> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) {
      this.metrics.recordError();
      this.logger.warn({ exporter: this.id, errors: errors.map(String) }, "errors while collecting for a scrape");
    }
    const guarded = this.guard.guard(resourceMetrics);
    for (const drop of guarded.drops) {
      this.exposition.recordDropped(drop.reason, drop.series);
      this.dropLogs[drop.reason].warn(
        { exporter: this.id, reason: drop.reason, series: drop.series, example: drop.example },
        drop.reason === "duplicate_labels"
          ? "series left out of the scrape: another series of the family renders to the same labels (rename one attribute, e.g. with the attributes processor)"
          : "series left out of the scrape: a metric family must have one type (rename one of the metrics)",
      );
    }
    await this.serializer.write(guarded.resourceMetrics, sink, undefined, (family, error) => {
      this.exposition.recordDropped("render_failed", 1);
      this.dropLogs.render_failed.warn({ exporter: this.id, reason: "render_failed", family, err: error }, "series left out of the scrape: its text cannot be rendered (too large for one string)");
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Before routing: without credentials nothing is learnt, not even where the metrics are.
    if (this.auth !== undefined && !this.auth.check(req.headers.authorization)) {
      res.writeHead(401, { "www-authenticate": this.auth.challenge, "content-type": "text/plain" }).end("unauthorized\n");
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== this.config.path) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found; metrics are at ${this.config.path}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    const t0 = performance.now();
    this.serve(req, res).then(
      () => this.metrics.recordDuration((performance.now() - t0) / 1000),
      (err: unknown) => {
        this.metrics.recordError();
        this.logger.error({ exporter: this.id, err }, "scrape failed");
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(`scrape failed: ${String(err)}\n`);
        else res.destroy();
      },
    );
  }

  /** Streams the exposition: memory holds one slice, however large the scrape. */
  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let started = false;
    await this.writeExposition(async (part) => {
      if (!started) {
        started = true;
        res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
      }
      if (req.method === "HEAD" || res.destroyed) return;
      if (!res.write(part)) await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    });
    if (!started) res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    res.end();
  }
}
