/**
 * The `memory_limiter` processor, after the Collector's: the process RSS is sampled every
 * `check_interval`; while it is above `limit_mib` every batch is refused with a BackpressureError
 * (receivers answer 429 / RESOURCE_EXHAUSTED with Retry-After), so senders back off instead of the
 * daemon growing until the OS kills it.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ComponentContext, ConfigError } from "../components/types.ts";
import { ConfigReader } from "../config/fields.ts";
import { BackpressureError } from "../pipeline/types.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

export interface MemoryLimiterConfig {
  readonly checkIntervalMs: number;
  readonly limitMib: number;
}

export class MemoryLimiter implements MetricsProcessor {
  private readonly config: MemoryLimiterConfig;
  private readonly readRss: () => number;
  private timer: NodeJS.Timeout | null = null;
  private over = false;
  private lastRssMib = 0;

  /** `readRss` (bytes) is injectable for tests. */
  constructor(config: MemoryLimiterConfig, readRss: () => number = () => process.memoryUsage.rss()) {
    this.config = config;
    this.readRss = readRss;
  }

  /** Samples now (also called by the timer). */
  check(): void {
    this.lastRssMib = this.readRss() / (1024 * 1024);
    this.over = this.lastRssMib > this.config.limitMib;
  }

  keepMetric(): boolean {
    return true;
  }

  processAttributes(attributes: Attributes): Attributes {
    return attributes;
  }

  admit(): void {
    if (this.over) {
      throw new BackpressureError(
        `memory limit exceeded: RSS ${this.lastRssMib.toFixed(0)} MiB > limit_mib ${this.config.limitMib}`,
        Math.max(1, Math.ceil(this.config.checkIntervalMs / 1000)),
      );
    }
  }

  async start(): Promise<void> {
    this.check();
    this.timer ??= setInterval(() => this.check(), this.config.checkIntervalMs).unref();
  }

  async shutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

export const memoryLimiterFactory: ProcessorFactory<MemoryLimiterConfig> = {
  type: "memory_limiter",
  createDefaultConfig: () => ({ checkIntervalMs: 1000, limitMib: 0 }),
  validate(raw: unknown, path: string, errors: ConfigError[]): MemoryLimiterConfig {
    const r = new ConfigReader(raw, path, errors);
    const checkIntervalMs = r.duration("check_interval", 1000, { minMs: 10 });
    const limitMib = r.number("limit_mib", 0, { min: 1, integer: true });
    if (!r.has("limit_mib") && r.ok) r.problem("limit_mib", "missing: the RSS limit in MiB");
    r.finish();
    return { checkIntervalMs, limitMib };
  },
  create(_ctx: ComponentContext, config: MemoryLimiterConfig): MetricsProcessor {
    return new MemoryLimiter(config);
  },
};
