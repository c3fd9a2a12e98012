/**
 * The component model, after the OpenTelemetry Collector: a factory per type with defaults, a
 * validator that reports every problem with its path, and `create`; components have start() and an
 * idempotent shutdown() that is safe without start().
 */
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { Logger } from "pino";
import type { Aggregator } from "../core/api.ts";
import type { MetricsConsumer } from "../pipeline/types.ts";

/** One configuration problem: `path` uses the Collector's `::` separator, e.g. `exporters::awscloudwatch/main::namespace`. */
export interface ConfigError {
  readonly path: string;
  readonly message: string;
}

/** What a component still holds that would be lost if the process stopped now. */
export interface PendingWork {
  /** Undelivered items by unit (`datums`, `lines`, `partitions`, ...); only non-zero counts. */
  readonly items: Readonly<Record<string, number>>;
  /** Context for the log line, e.g. the Kafka offsets that stay uncommitted. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface Component {
  start(): Promise<void>;
  /**
   * Idempotent; safe without start() and during a pending start() (which then settles promptly,
   * e.g. a Kafka receiver stops connecting). Stops accepting, drains, flushes.
   */
  shutdown(): Promise<void>;
  /**
   * Called when a shutdown is cut short (`service::shutdown_timeout`, a second SIGINT) and the
   * process is about to exit: reports what is still undelivered (unread windows, buffered, in
   * flight, uncommitted), for the log and the self-metric. Synchronous; it may consume what it
   * counts (a push exporter reads its open window to count it), so nothing is sent afterwards.
   * Components that never hold undelivered data leave it out.
   */
  abandon?(): PendingWork;
}

export interface ComponentContext {
  /** `type` or `type/name` as written in the config. */
  readonly id: string;
  readonly logger: Logger;
  /** The daemon's MeterProvider: self-metrics are SDK instruments on it. */
  readonly meterProvider: MeterProvider;
}

export interface ComponentFactory<Config> {
  readonly type: string;
  createDefaultConfig(): Config;
  /**
   * Merges `raw` (the user's YAML for this component, possibly undefined) over the defaults and
   * validates it. Pushes every problem to `errors` with its full path (prefix `path`) and returns
   * the merged config (meaningful only when no error was pushed).
   */
  validate(raw: unknown, path: string, errors: ConfigError[]): Config;
  /** The `endpoint` keys a validated config listens on, relative to the component's path (servers only). */
  listenEndpoints?(config: Config): readonly { readonly key: string; readonly endpoint: string }[];
  /**
   * Checks the components of this type that will run (valid on their own and referenced by a
   * pipeline) against each other, for rules no single section can see (two Kafka receivers in one
   * consumer group on different topics). Pushes problems with full paths to `errors`.
   */
  validateTogether?(components: readonly ConfiguredComponent<Config>[], errors: ConfigError[]): void;
}

/** One validated component section, as `validateTogether` sees it. */
export interface ConfiguredComponent<Config> {
  /** `receivers::kafka/a` */
  readonly path: string;
  /** `kafka/a` */
  readonly id: string;
  readonly config: Config;
}

export interface Receiver extends Component {}

export interface ReceiverFactory<Config> extends ComponentFactory<Config> {
  create(ctx: ComponentContext, config: Config, next: MetricsConsumer): Receiver;
}

export interface Exporter extends Component {
  /** Hands everything aggregated so far to the destination (push exporters send or durably buffer it). */
  flush(): Promise<void>;
  /**
   * Resolves once everything aggregated before the call has been delivered at the exporter's own
   * pace (a push exporter: its next window has been sent, or dropped and counted). Never resolves
   * during an outage. This is the commit barrier of at-least-once sources (Kafka). Exporters
   * without one are treated as delivering immediately (pull exporters hold no undelivered data).
   */
  deliveryBarrier?(): Promise<void>;
}

export interface ExporterFactory<Config> extends ComponentFactory<Config> {
  /** `sources` are the aggregation stores of the pipelines this exporter belongs to. */
  create(ctx: ComponentContext, config: Config, sources: readonly Aggregator[]): Exporter;
  /**
   * The event-time window this exporter publishes (push exporters: their interval). The stores of
   * its pipelines keep data for closed windows apart at this granularity; none for pull exporters.
   */
  windowMs?(config: Config): number;
}
