/**
 * Hands a decoded batch to the pipeline and accounts for it, identically for every transport:
 * the pipeline's result already covers the decoder's refusals (ConsumeResult), so it is reported as
 * it is; the self-metric splits refusals into the decoder's and the pipeline's own.
 */
import type { DecodedBatch, MetricsConsumer } from "../../pipeline/types.ts";
import { BackpressureError } from "../../pipeline/types.ts";
import { countPoints } from "./receiver-metrics.ts";
import type { ReceiverMetrics, Transport } from "./receiver-metrics.ts";

export interface ExportOutcome {
  readonly acceptedPoints: number;
  readonly rejectedPoints: number;
  readonly message: string;
}

/** Throws what `next.consume` throws (BackpressureError or a bug), after counting the points as refused. */
export function consumeBatch(
  next: MetricsConsumer,
  batch: DecodedBatch,
  metrics: ReceiverMetrics,
  transport: Transport,
): ExportOutcome {
  metrics.noteTruncations();
  metrics.refused(transport, "decoder", batch.rejectedPoints);
  let result;
  try {
    result = next.consume(batch);
  } catch (err) {
    metrics.refused(transport, err instanceof BackpressureError ? "backpressure" : "error", countPoints(batch));
    throw err;
  }
  metrics.accepted(transport, result.acceptedPoints);
  metrics.refused(transport, "pipeline", result.rejectedPoints - batch.rejectedPoints);
  return { acceptedPoints: result.acceptedPoints, rejectedPoints: result.rejectedPoints, message: result.message };
}
