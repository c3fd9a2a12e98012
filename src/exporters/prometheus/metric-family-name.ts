/**
 * The Prometheus family name of a metric, exactly as the SDK's PrometheusSerializer derives it
 * (@opentelemetry/exporter-prometheus, PrometheusSerializer `_getPrometheusMetricName`, which is
 * private): escape, replace invalid characters with `_`, collapse runs of `_`, prefix, a leading
 * digit gets `_`, monotonic sums end in `_total`. A test holds the two equal.
 */
import { DataPointType, type MetricData } from "@opentelemetry/sdk-metrics";

const INVALID_CHARACTERS = /[^a-z0-9_]/gi;
const UNDERSCORE_RUNS = /_{2,}/g;

/** `prefix` is the namespace without its `_` ("" for none). Undefined: the SDK skips the metric. */
export function metricFamilyName(metric: MetricData, prefix: string): string | undefined {
  const escaped = metric.descriptor.name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  let name = escaped.replace(INVALID_CHARACTERS, "_").replace(UNDERSCORE_RUNS, "_");
  if (prefix !== "") name = `${prefix}_${name}`;
  if (name === "" || name === "_") return undefined;
  if (name[0] >= "0" && name[0] <= "9") name = `_${name}`;
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic && !name.endsWith("_total")) name += "_total";
  return name;
}

/** The TYPE line's type for a metric (the SDK's `toPrometheusType`). */
export function prometheusType(metric: MetricData): string {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? "counter" : "gauge";
    case DataPointType.GAUGE:
      return "gauge";
    case DataPointType.HISTOGRAM:
      return "histogram";
    default:
      return "untyped";
  }
}
