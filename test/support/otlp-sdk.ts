/**
 * Test helpers around the real OpenTelemetry SDK: collect ResourceMetrics from a MeterProvider, and
 * map SDK data to the DecodedBatch shape independently of the decoders under test.
 */
import type { Attributes, HrTime } from "@opentelemetry/api";
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import type { AggregationOption, ResourceMetrics, ViewOptions } from "@opentelemetry/sdk-metrics";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { Meter } from "@opentelemetry/api";
import type { DecodedBatch, DecodedMetric } from "../../src/pipeline/types.ts";
import { attributesKey } from "../../src/core/attributes-key.ts";

/** A pull reader whose collect() the test calls by hand. */
export class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface SdkCollectOptions {
  readonly temporality: "delta" | "cumulative";
  /** Histograms aggregate as base-2 exponential histograms. */
  readonly exponential?: boolean;
  readonly resource?: Attributes;
  readonly views?: ViewOptions[];
}

export interface SdkHarness {
  readonly meter: Meter;
  collect(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

export function createSdkHarness(options: SdkCollectOptions): SdkHarness {
  const temporality = options.temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  const reader = new ManualReader({
    aggregationTemporalitySelector: () => temporality,
    aggregationSelector: (type: InstrumentType): AggregationOption =>
      options.exponential === true && type === InstrumentType.HISTOGRAM
        ? { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } }
        : { type: AggregationType.DEFAULT },
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes(options.resource ?? { "service.name": "otlp-test" }),
    readers: [reader],
    views: options.views ?? [],
  });
  return {
    meter: provider.getMeter("test-scope", "1.2.3"),
    async collect(): Promise<ResourceMetrics> {
      const result = await reader.collect();
      if (result.errors.length > 0) throw new Error(`collect errors: ${result.errors.join("; ")}`);
      return result.resourceMetrics;
    },
    shutdown: () => provider.shutdown(),
  };
}

export function hrTimeToMs(t: HrTime): number {
  return Number(BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])) / 1e6;
}

/** What a decoder must make of an SDK attribute value. */
function expectedAttributeValue(v: unknown): string | number | boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  return JSON.stringify(v);
}

export function expectedAttributes(attrs: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(attrs).sort()) {
    const v = expectedAttributeValue(attrs[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function temporalityName(t: AggregationTemporality): "delta" | "cumulative" {
  return t === AggregationTemporality.DELTA ? "delta" : "cumulative";
}

/**
 * The DecodedBatch a correct decoder produces for `rm` (the SDK serialisers emit one resource). Plain
 * objects: compare with `normalizeBatch(decoded)`.
 */
export function expectedBatch(rm: ResourceMetrics): DecodedBatch {
  const resAttrs = expectedAttributes(rm.resource.attributes);
  return {
    rejectedPoints: 0,
    rejectionMessage: "",
    resources: [
      {
        attributes: resAttrs,
        attributesKey: attributesKey(resAttrs),
        scopes: rm.scopeMetrics.map((sm) => ({
          name: sm.scope.name,
          version: sm.scope.version ?? "",
          metrics: sm.metrics.map((m): DecodedMetric => {
            const base = { name: m.descriptor.name, description: m.descriptor.description, unit: m.descriptor.unit };
            const common = (dp: { attributes: Attributes; startTime: HrTime; endTime: HrTime }) => {
              const attributes = expectedAttributes(dp.attributes);
              return {
                attributes,
                attributesKey: attributesKey(attributes),
                startTimeMs: hrTimeToMs(dp.startTime),
                timeMs: hrTimeToMs(dp.endTime),
              };
            };
            switch (m.dataPointType) {
              case DataPointType.SUM:
                return {
                  ...base,
                  type: "sum",
                  temporality: temporalityName(m.aggregationTemporality),
                  monotonic: m.isMonotonic,
                  points: m.dataPoints.map((dp) => ({ ...common(dp), value: dp.value })),
                };
              case DataPointType.GAUGE:
                return { ...base, type: "gauge", points: m.dataPoints.map((dp) => ({ ...common(dp), value: dp.value })) };
              case DataPointType.HISTOGRAM:
                return {
                  ...base,
                  type: "histogram",
                  temporality: temporalityName(m.aggregationTemporality),
                  points: m.dataPoints.map((dp) => {
                    const h = dp.value;
                    const hasCounts = h.buckets.counts.length > 0;
                    return {
                      ...common(dp),
                      count: h.count,
                      sum: h.sum ?? NaN,
                      min: h.min ?? NaN,
                      max: h.max ?? NaN,
                      boundaries: hasCounts ? h.buckets.boundaries : [],
                      bucketCounts: h.buckets.counts,
                    };
                  }),
                };
              case DataPointType.EXPONENTIAL_HISTOGRAM:
                return {
                  ...base,
                  type: "exponential_histogram",
                  temporality: temporalityName(m.aggregationTemporality),
                  points: m.dataPoints.map((dp) => {
                    const h = dp.value;
                    return {
                      ...common(dp),
                      count: h.count,
                      sum: h.sum ?? NaN,
                      min: h.min ?? NaN,
                      max: h.max ?? NaN,
                      scale: h.scale,
                      zeroCount: h.zeroCount,
                      positive: { offset: h.positive.offset, counts: h.positive.bucketCounts },
                      negative: { offset: h.negative.offset, counts: h.negative.bucketCounts },
                    };
                  }),
                };
            }
          }),
        })),
      },
    ],
  };
}

/**
 * Deep plain copy of a batch (frozen/shared objects become plain, NaN stays NaN), so
 * assert.deepStrictEqual compares values only.
 */
export function normalizeBatch(batch: DecodedBatch): unknown {
  return JSON.parse(
    JSON.stringify(batch, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `#${String(v)}` : v)),
  );
}
