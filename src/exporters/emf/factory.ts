/** The `awsemf` exporter factory (CloudWatch Embedded Metric Format lines). */
import type { ExporterFactory } from "../../components/types.ts";
import { defaultEmfConfig, validateEmfConfig, type EmfExporterConfig } from "./config.ts";
import { EmfExporter } from "./exporter.ts";

export const emfExporterFactory: ExporterFactory<EmfExporterConfig> = {
  type: "awsemf",
  createDefaultConfig: defaultEmfConfig,
  validate: validateEmfConfig,
  windowMs: (config) => config.intervalMs,
  create(ctx, config, sources) {
    return new EmfExporter(config, sources, { id: ctx.id, logger: ctx.logger, meterProvider: ctx.meterProvider });
  },
};
