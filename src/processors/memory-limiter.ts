/**
 * The `memory_limiter` processor, after the Collector's: the process RSS is sampled every
 * `check_interval`; while it is above `limit_mib` every batch is refused with a BackpressureError
 * (receivers answer 429 / RESOURCE_EXHAUSTED with Retry-After), so senders back off instead of the
 * daemon growing until the OS kills it.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ComponentContext, ConfigError } from "../components/types.ts";
import { duration, readSection, z } from "../config/schema.ts";
import { BackpressureError } from "../pipeline/types.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

export const memoryLimiterSchema = z
  .strictObject({
    check_interval: duration({ minMs: 10 }).prefault("1s").describe("how often the process RSS is sampled"),
    limit_mib: z.int().min(1).max(Number.MAX_SAFE_INTEGER).describe("RSS in MiB; batches are refused above limit_mib - spike_limit_mib"),
    // The Collector's memorylimiterprocessor refuses data above its soft limit, limit_mib -
    // spike_limit_mib (processor/memorylimiterprocessor, README "soft limit"); statset has no GC
    // to force at the hard limit, so the spike margin only lowers the refusal threshold.
    spike_limit_mib: z.int().min(0).prefault(0).describe("headroom below limit_mib where refusals start (Collector's soft limit); < limit_mib"),
  })
  .superRefine((m, ctx) => {
    if (m.spike_limit_mib >= m.limit_mib) ctx.addIssue({ code: "custom", path: ["spike_limit_mib"], message: `must be below limit_mib (${m.limit_mib})`, input: m.spike_limit_mib });
  });

/** `check_interval` in milliseconds. */
export type MemoryLimiterConfig = z.output<typeof memoryLimiterSchema>;

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
    this.over = this.lastRssMib > this.config.limit_mib - this.config.spike_limit_mib;
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
        `memory limit exceeded: RSS ${this.lastRssMib.toFixed(0)} MiB > limit_mib ${this.config.limit_mib} - spike_limit_mib ${this.config.spike_limit_mib}`,
        Math.max(1, Math.ceil(this.config.check_interval / 1000)),
      );
    }
  }

  async start(): Promise<void> {
    this.check();
    this.timer ??= setInterval(() => this.check(), this.config.check_interval).unref();
  }

  async shutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

export const memoryLimiterFactory: ProcessorFactory<MemoryLimiterConfig> = {
  type: "memory_limiter",
  createDefaultConfig: () => ({ check_interval: 1000, limit_mib: 1, spike_limit_mib: 0 }),
  validate(raw: unknown, path: string, errors: ConfigError[]): MemoryLimiterConfig {
    return readSection(memoryLimiterSchema, raw, path, errors) ?? memoryLimiterFactory.createDefaultConfig();
  },
  create(_ctx: ComponentContext, config: MemoryLimiterConfig): MetricsProcessor {
    return new MemoryLimiter(config);
  },
};
