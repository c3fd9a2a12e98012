/** The `prometheus` exporter factory. */
import type { Aggregator } from "../../core/api.ts";
import type { ComponentContext, ConfigError, Exporter, ExporterFactory } from "../../components/types.ts";
import { defaultPrometheusConfig, validatePrometheusConfig, type PrometheusExporterConfig } from "./config.ts";
import { PrometheusPullExporter } from "./exporter.ts";

export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  type: "prometheus",
  createDefaultConfig: defaultPrometheusConfig,
  validate(raw: unknown, path: string, errors: ConfigError[]): PrometheusExporterConfig {
    return validatePrometheusConfig(raw, path, errors);
  },
  listenEndpoints: (config: PrometheusExporterConfig) => [{ key: "endpoint", endpoint: config.endpoint }],
  create(ctx: ComponentContext, config: PrometheusExporterConfig, sources: readonly Aggregator[]): Exporter {
    return new PrometheusPullExporter(ctx, config, sources);
  },
};
