/**
 * Harness for OTLP receiver tests: a recording MetricsConsumer with switchable behaviour, a component
 * context whose MeterProvider can be read back, and self-metric lookups.
 */
import { pino } from "pino";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { ComponentContext } from "../../src/components/types.ts";
import { BackpressureError } from "../../src/pipeline/types.ts";
import type { ConsumeResult, DecodedBatch, MetricsConsumer } from "../../src/pipeline/types.ts";
import { countPoints } from "../../src/receivers/otlp/receiver-metrics.ts";
import { ManualReader } from "./otlp-sdk.ts";

export type ConsumerBehaviour =
  | { readonly kind: "accept" }
  | { readonly kind: "reject"; readonly points: number; readonly message: string }
  /** Throws BackpressureError `times` times (default: always), then accepts. */
  | { readonly kind: "backpressure"; readonly retryAfterSeconds: number; times?: number }
  | { readonly kind: "throw" };

export class RecordingConsumer implements MetricsConsumer {
  readonly batches: DecodedBatch[] = [];
  /** Backpressure refusals so far. */
  refusals = 0;
  behaviour: ConsumerBehaviour = { kind: "accept" };
  #waiters: { n: number; resolve: () => void }[] = [];

  consume(batch: DecodedBatch): ConsumeResult {
    const b = this.behaviour;
    if (b.kind === "backpressure") {
      if (b.times === undefined || b.times > 0) {
        if (b.times !== undefined) b.times--;
        this.refusals++;
        throw new BackpressureError("queue full", b.retryAfterSeconds);
      }
    }
    if (b.kind === "throw") throw new Error("pipeline exploded");
    this.batches.push(batch);
    for (const w of this.#waiters.filter((w) => this.batches.length >= w.n)) w.resolve();
    this.#waiters = this.#waiters.filter((w) => this.batches.length < w.n);
    // Like the real pipeline, the result covers the decoder's refusals too (ConsumeResult's contract).
    const points = countPoints(batch);
    const decoder = batch.rejectedPoints;
    if (b.kind === "reject") {
      const rejected = Math.min(points, b.points);
      const message = batch.rejectionMessage === "" ? b.message : `${batch.rejectionMessage}; ${b.message}`;
      return { acceptedPoints: points - rejected, rejectedPoints: decoder + rejected, message };
    }
    return { acceptedPoints: points, rejectedPoints: decoder, message: batch.rejectionMessage };
  }

  /** Resolves once `n` batches were consumed in total. */
  waitFor(n: number): Promise<void> {
    if (this.batches.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
}

export interface TestContext {
  readonly ctx: ComponentContext;
  readonly reader: ManualReader;
  /** Sum of a counter's data points whose attributes include `match`. */
  counterValue(name: string, match: Record<string, string>): Promise<number>;
  /** Count of a histogram's observations whose attributes include `match`. */
  histogramCount(name: string, match: Record<string, string>): Promise<number>;
}

export function createTestContext(id = "otlp"): TestContext {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const ctx: ComponentContext = { id, logger: pino({ level: "silent" }), meterProvider };
  const points = async (name: string, match: Record<string, string>) => {
    const { resourceMetrics } = await reader.collect();
    const out: { attributes: Record<string, unknown>; value: unknown }[] = [];
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue;
        for (const dp of m.dataPoints) {
          if (Object.entries(match).every(([k, v]) => dp.attributes[k] === v)) out.push(dp);
        }
      }
    }
    return out;
  };
  return {
    ctx,
    reader,
    async counterValue(name, match) {
      return (await points(name, match)).reduce((s, p) => s + (p.value as number), 0);
    },
    async histogramCount(name, match) {
      return (await points(name, match)).reduce((s, p) => s + (p.value as { count: number }).count, 0);
    },
  };
}
