/**
 * The Collector's `batch` processor, accepted so that Collector configs load as they are
 * (`processors: [memory_limiter, batch]` is in nearly every example). statset needs no batching
 * stage: receivers hand whole requests to the pipeline, which aggregates them, and exporters send
 * per window. The keys are validated as the Collector's batchprocessor declares them
 * (open-telemetry/opentelemetry-collector, processor/batchprocessor/config.go: Timeout 200ms,
 * SendBatchSize 8192, SendBatchMaxSize 0 = no maximum and >= SendBatchSize otherwise, MetadataKeys,
 * MetadataCardinalityLimit 1000), and one log line at start says they have no effect.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ComponentContext, ConfigError } from "../components/types.ts";
import { duration, readSection, z } from "../config/schema.ts";
import type { MetricsProcessor, ProcessorFactory } from "./types.ts";

const uint32 = (def: number) => z.int().min(0).max(0xffff_ffff).prefault(def);

export const batchProcessorSchema = z
  .strictObject({
    timeout: duration({ zeroMeansOff: true }).prefault("200ms").describe("accepted, no effect: statset exports per window"),
    send_batch_size: uint32(8192).describe("accepted, no effect"),
    send_batch_max_size: uint32(0).describe("accepted, no effect; 0 or >= send_batch_size"),
    metadata_keys: z.array(z.string()).prefault([]).describe("accepted, no effect"),
    metadata_cardinality_limit: uint32(1000).describe("accepted, no effect"),
  })
  .superRefine((b, ctx) => {
    if (b.send_batch_max_size !== 0 && b.send_batch_max_size < b.send_batch_size) {
      ctx.addIssue({ code: "custom", path: ["send_batch_max_size"], message: `must be 0 or at least send_batch_size (${b.send_batch_size})`, input: b.send_batch_max_size });
    }
  });

/** `timeout` in milliseconds. */
export type BatchProcessorConfig = z.output<typeof batchProcessorSchema>;

/** Passes everything through; exists so a Collector pipeline listing `batch` runs unchanged. */
export class BatchProcessor implements MetricsProcessor {
  readonly #ctx: ComponentContext;

  constructor(ctx: ComponentContext) {
    this.#ctx = ctx;
  }

  keepMetric(): boolean {
    return true;
  }

  processAttributes(attributes: Attributes): Attributes {
    return attributes;
  }

  async start(): Promise<void> {
    this.#ctx.logger.info(
      { processor: this.#ctx.id },
      "the batch processor is accepted for Collector compatibility and has no effect: statset aggregates every request and exports per window",
    );
  }

  async shutdown(): Promise<void> {}
}

export const batchProcessorFactory: ProcessorFactory<BatchProcessorConfig> = {
  type: "batch",
  createDefaultConfig: () => batchProcessorSchema.parse({}),
  validate(raw: unknown, path: string, errors: ConfigError[]): BatchProcessorConfig {
    return readSection(batchProcessorSchema, raw, path, errors) ?? batchProcessorFactory.createDefaultConfig();
  },
  create(ctx: ComponentContext): MetricsProcessor {
    return new BatchProcessor(ctx);
  },
};
