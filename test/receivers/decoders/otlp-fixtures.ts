/** OTLP requests serialised by the OpenTelemetry JS SDK's own serializers (an independent encoder). */
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { TestMetricReader } from "../kafka/recording-consumer.ts";

/** ResourceMetrics with one gauge holding `points` series (value = index, attribute `i`). */
export async function gaugeResourceMetrics(points: number, name = "queue_depth"): Promise<ResourceMetrics> {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  const gauge = provider.getMeter("fixture").createGauge(name, { unit: "1" });
  for (let i = 0; i < points; i++) gauge.record(i, { i: String(i) });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

export function otlpProto(rm: ResourceMetrics): Uint8Array {
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  if (bytes === undefined) throw new Error("serialisation failed");
  return bytes;
}

export function otlpJson(rm: ResourceMetrics): Uint8Array {
  const bytes = JsonMetricsSerializer.serializeRequest(rm);
  if (bytes === undefined) throw new Error("serialisation failed");
  return bytes;
}
