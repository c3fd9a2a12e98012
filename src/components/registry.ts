/**
 * The one place (with cli.ts) that knows the concrete components: every factory a configuration
 * may name, by type.
 */
import type { ExporterFactory, ReceiverFactory } from "./types.ts";
import type { ComponentRegistry } from "../config/types.ts";
import { cloudWatchExporterFactory } from "../exporters/cloudwatch/factory.ts";
import { emfExporterFactory } from "../exporters/emf/factory.ts";
import { prometheusExporterFactory } from "../exporters/prometheus/factory.ts";
import { attributesProcessorFactory } from "../processors/attributes.ts";
import { batchProcessorFactory } from "../processors/batch.ts";
import { filterProcessorFactory } from "../processors/filter.ts";
import { memoryLimiterFactory } from "../processors/memory-limiter.ts";
import type { ProcessorFactory } from "../processors/types.ts";
import { kafkaReceiverFactory } from "../receivers/kafka/factory.ts";
import { createIngestDecoders } from "../receivers/decoders/http-ingest.ts";
import { createOtlpReceiverFactory } from "../receivers/otlp/factory.ts";

const PROCESSORS: readonly ProcessorFactory<unknown>[] = [attributesProcessorFactory, batchProcessorFactory, filterProcessorFactory, memoryLimiterFactory];
const EXPORTERS: readonly ExporterFactory<unknown>[] = [prometheusExporterFactory, cloudWatchExporterFactory, emfExporterFactory];

function byType<F extends { readonly type: string }>(list: readonly F[]): Map<string, F> {
  const out = new Map<string, F>();
  for (const f of list) {
    if (out.has(f.type)) throw new Error(`two factories claim the component type ${JSON.stringify(f.type)}`);
    out.set(f.type, f);
  }
  return out;
}

/** A registry of the built-in factories plus `extra` ones (tests add fakes; later entries win). */
export function createRegistry(extra: {
  receivers?: readonly ReceiverFactory<unknown>[];
  processors?: readonly ProcessorFactory<unknown>[];
  exporters?: readonly ExporterFactory<unknown>[];
} = {}): ComponentRegistry {
  // The OTLP/HTTP receiver also serves the Kafka encodings at /v1/ingest/<encoding>; each registry
  // gets its own decoders so daemons sharing a process share no decoder state.
  const otlp = createOtlpReceiverFactory({ extraDecoders: createIngestDecoders() });
  const receivers = byType<ReceiverFactory<unknown>>([otlp, kafkaReceiverFactory]);
  const processors = byType(PROCESSORS);
  const exporters = byType(EXPORTERS);
  for (const f of extra.receivers ?? []) receivers.set(f.type, f);
  for (const f of extra.processors ?? []) processors.set(f.type, f);
  for (const f of extra.exporters ?? []) exporters.set(f.type, f);
  return { receivers, processors, exporters };
}

/** The built-in components. */
export const defaultRegistry: ComponentRegistry = createRegistry();
