/** Test doubles for the Kafka receiver: a MetricsConsumer that records flattened observations. */
import type { Attributes } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { pino } from "pino";
import type { Logger } from "pino";
import type { ConsumeResult, DecodedBatch, MetricsConsumer } from "../../../src/pipeline/types.ts";

/** One value as the pipeline would see it. */
export interface Observation {
  readonly scope: string;
  readonly metric: string;
  readonly type: string;
  readonly unit: string;
  readonly attributes: Attributes;
  readonly timeMs: number;
  readonly value: number;
}

/** Flattens a batch into one observation per value (samples: per sample). */
export function flatten(batch: DecodedBatch): Observation[] {
  const out: Observation[] = [];
  for (const r of batch.resources) {
    for (const s of r.scopes) {
      for (const m of s.metrics) {
        const base = { scope: s.name, metric: m.name, type: m.type, unit: m.unit };
        if (m.type === "samples") {
          for (const p of m.points) for (const v of p.values) out.push({ ...base, attributes: p.attributes, timeMs: p.timeMs, value: v });
        } else if (m.type === "gauge" || m.type === "sum") {
          for (const p of m.points) out.push({ ...base, attributes: p.attributes, timeMs: p.timeMs, value: p.value });
        }
      }
    }
  }
  return out;
}

export class RecordingConsumer implements MetricsConsumer {
  readonly observations: Observation[] = [];
  batches = 0;
  rejectedPoints = 0;
  /** Called before recording; throw from it to refuse the batch (e.g. BackpressureError). */
  gate: ((batch: DecodedBatch) => void) | undefined;
  #waiters: Array<{ n: number; resolve: () => void }> = [];

  consume(batch: DecodedBatch): ConsumeResult {
    this.gate?.(batch);
    const obs = flatten(batch);
    for (const o of obs) this.observations.push(o);
    this.batches++;
    this.rejectedPoints += batch.rejectedPoints;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.observations.length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
    return { acceptedPoints: obs.length, rejectedPoints: batch.rejectedPoints, message: batch.rejectionMessage };
  }

  /** Resolves once at least `n` observations were recorded; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 30_000): Promise<void> {
    if (this.observations.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${n} observations (have ${this.observations.length})`)),
        timeoutMs,
      );
      this.#waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** A quiet logger for tests (set STATSET_TEST_LOG=debug to see kafkajs and receiver logs). */
export function testLogger(): Logger {
  return pino({ level: process.env.STATSET_TEST_LOG ?? "silent" });
}

/** A pull reader for asserting self-metrics. */
export class TestMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  /** Sum of counter `name` over data points whose attributes include `match`. */
  async counter(name: string, match: Attributes = {}): Promise<number> {
    const { resourceMetrics } = await this.collect();
    let total = 0;
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue;
        for (const dp of m.dataPoints) {
          if (Object.entries(match).every(([k, v]) => dp.attributes[k] === v)) total += dp.value as number;
        }
      }
    }
    return total;
  }
}

export function testMeterProvider(reader?: MetricReader): MeterProvider {
  return new MeterProvider(reader === undefined ? {} : { readers: [reader] });
}
