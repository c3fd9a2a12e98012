/** The `awscloudwatch` exporter factory (PutMetricData with statistic sets and Values/Counts). */
import type { ExporterFactory } from "../../components/types.ts";
import { defaultCloudWatchConfig, validateCloudWatchConfig, type CloudWatchExporterConfig } from "./config.ts";
import { CloudWatchExporter } from "./exporter.ts";

export const cloudWatchExporterFactory: ExporterFactory<CloudWatchExporterConfig> = {
  type: "awscloudwatch",
  createDefaultConfig: defaultCloudWatchConfig,
  validate: validateCloudWatchConfig,
  windowMs: (config) => config.intervalMs,
  create(ctx, config, sources) {
    return new CloudWatchExporter(config, sources, { id: ctx.id, logger: ctx.logger, meterProvider: ctx.meterProvider });
  },
};
