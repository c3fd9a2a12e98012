/**
 * One receiver feeding several pipelines. Every pipeline is asked to admit the batch before any
 * consumes it, so a refusal (429) never leaves the batch half-recorded and a retry never counts
 * twice. The reported result is the most pessimistic one.
 */
import type { Pipeline } from "./pipeline.ts";
import type { ConsumeResult, DecodedBatch, MetricsConsumer } from "./types.ts";

export class FanoutConsumer implements MetricsConsumer {
  private readonly pipelines: readonly Pipeline[];

  constructor(pipelines: readonly Pipeline[]) {
    if (pipelines.length === 0) throw new RangeError("a fan-out needs at least one pipeline");
    this.pipelines = pipelines;
  }

  consume(batch: DecodedBatch): ConsumeResult {
    if (this.pipelines.length === 1) return this.pipelines[0].consume(batch);
    for (const p of this.pipelines) p.admit();
    let worst: ConsumeResult | null = null;
    for (const p of this.pipelines) {
      const r = p.consumeAdmitted(batch);
      if (worst === null || r.rejectedPoints > worst.rejectedPoints) worst = r;
    }
    return worst as ConsumeResult;
  }
}
