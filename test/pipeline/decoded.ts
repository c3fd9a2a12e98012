/** Builders of DecodedBatch values for pipeline tests (shapes as decoders produce them). */
import type { Attributes } from "@opentelemetry/api";
import { attributesKey } from "../../src/core/attributes-key.ts";
import type {
  DecodedBatch,
  DecodedExponentialPoint,
  DecodedHistogramPoint,
  DecodedMetric,
  DecodedNumberPoint,
  DecodedTemporality,
} from "../../src/pipeline/types.ts";

export function batch(metrics: DecodedMetric[], resource: Attributes = {}, scope = "test"): DecodedBatch {
  return {
    resources: [{ attributes: resource, attributesKey: attributesKey(resource), scopes: [{ name: scope, version: "", metrics }] }],
    rejectedPoints: 0,
    rejectionMessage: "",
  };
}

export function num(value: number, attributes: Attributes = {}, timeMs = 0, startTimeMs = 0): DecodedNumberPoint {
  return { value, attributes, attributesKey: attributesKey(attributes), timeMs, startTimeMs };
}

export function sum(name: string, points: DecodedNumberPoint[], temporality: DecodedTemporality = "delta", monotonic = true): DecodedMetric {
  return { type: "sum", name, unit: "", description: "", temporality, monotonic, points };
}

export function gauge(name: string, points: DecodedNumberPoint[]): DecodedMetric {
  return { type: "gauge", name, unit: "", description: "", points };
}

export function hist(
  boundaries: number[],
  bucketCounts: number[],
  sumValue: number,
  opts: { attributes?: Attributes; timeMs?: number; startTimeMs?: number; min?: number; max?: number } = {},
): DecodedHistogramPoint {
  const attributes = opts.attributes ?? {};
  return {
    attributes,
    attributesKey: attributesKey(attributes),
    timeMs: opts.timeMs ?? 0,
    startTimeMs: opts.startTimeMs ?? 0,
    count: bucketCounts.reduce((a, b) => a + b, 0),
    sum: sumValue,
    min: opts.min ?? NaN,
    max: opts.max ?? NaN,
    boundaries,
    bucketCounts,
  };
}

export function histogram(name: string, points: DecodedHistogramPoint[], temporality: DecodedTemporality = "delta"): DecodedMetric {
  return { type: "histogram", name, unit: "", description: "", temporality, points };
}

export function expPoint(
  scale: number,
  positive: { offset: number; counts: number[] },
  sumValue: number,
  opts: { attributes?: Attributes; timeMs?: number; startTimeMs?: number; zeroCount?: number; min?: number; max?: number } = {},
): DecodedExponentialPoint {
  const attributes = opts.attributes ?? {};
  const zeroCount = opts.zeroCount ?? 0;
  return {
    attributes,
    attributesKey: attributesKey(attributes),
    timeMs: opts.timeMs ?? 0,
    startTimeMs: opts.startTimeMs ?? 0,
    count: zeroCount + positive.counts.reduce((a, b) => a + b, 0),
    sum: sumValue,
    min: opts.min ?? NaN,
    max: opts.max ?? NaN,
    scale,
    zeroCount,
    positive,
    negative: { offset: 0, counts: [] },
  };
}

export function expHistogram(name: string, points: DecodedExponentialPoint[], temporality: DecodedTemporality = "delta"): DecodedMetric {
  return { type: "exponential_histogram", name, unit: "", description: "", temporality, points };
}
