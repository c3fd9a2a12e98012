/**
 * Micro-benchmark of the WASM engine's kernels (a working tool, not a test):
 *   node --expose-gc --no-flush-bytecode bench/wasm-kernels.ts
 * Prints ns per observation for recordBatch (copy included), staged record, recordScattered and
 * the exponential histogram, and bytes per series at 100k series. Best of several rounds.
 */
import { seededRandom } from "../test/support/random.ts";
import { createWasmEngine } from "../src/core/wasm-engine.ts";
import { SlotKind, type AggregationEngine } from "../src/core/types.ts";

const BOUNDARIES_16 = Float64Array.from([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 25, 50]);
const N = 1 << 20;
const BATCH = 1024;
const ROUNDS = 7;


const rng = seededRandom(42);
/** Latency-like values: log-normal around 50 ms, spanning ~4 decades. */
const values = Float64Array.from({ length: N }, () => Math.exp(Math.log(0.05) + 1.5 * Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng())));

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

function best(name: string, observations: number, run: () => void): number {
  run(); // warm-up
  let bestNs = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    gc();
    const t0 = process.hrtime.bigint();
    run();
    const ns = Number(process.hrtime.bigint() - t0) / observations;
    if (ns < bestNs) bestNs = ns;
  }
  console.log(`${name.padEnd(58)} ${bestNs.toFixed(2).padStart(7)} ns/obs`);
  return bestNs;
}

async function histogramEngine(boundaries: Float64Array | null, expSize: number): Promise<{ engine: AggregationEngine; slot: number }> {
  const engine = await createWasmEngine();
  const layout = engine.createLayout({ boundaries, exponentialMaxSize: expSize });
  return { engine, slot: engine.allocSlot(SlotKind.Histogram, layout) };
}

function batches(engine: AggregationEngine, slot: number): () => void {
  return () => {
    for (let i = 0; i < N; i += BATCH) engine.recordBatch(slot, values, i, i + BATCH);
  };
}

const results: Record<string, number> = {};

{
  const engine = await createWasmEngine();
  const slot = engine.allocSlot(SlotKind.Sum);
  results.batchStats = best("recordBatch, statistic set only (sum slot)", N, batches(engine, slot));
}
{
  const { engine, slot } = await histogramEngine(BOUNDARIES_16, 0);
  results.batch16 = best("recordBatch, 16 boundaries + statistic set", N, batches(engine, slot));
}
{
  const { engine, slot } = await histogramEngine(null, 160);
  results.batchExp = best("recordBatch, exponential (160) + statistic set", N, batches(engine, slot));
}
{
  const { engine, slot } = await histogramEngine(BOUNDARIES_16, 160);
  results.batchBoth = best("recordBatch, 16 boundaries + exponential (160)", N, batches(engine, slot));
}
{
  const { engine, slot } = await histogramEngine(null, 160);
  const narrow = Float64Array.from({ length: N }, (_, i) => 1 + (i % 1000) * 1e-6);
  best("recordBatch, exponential at scale 20 (narrow values)", N, () => {
    for (let i = 0; i < N; i += BATCH) engine.recordBatch(slot, narrow, i, i + BATCH);
  });
}
{
  const { engine, slot } = await histogramEngine(BOUNDARIES_16, 0);
  results.staged = best("record(slot, v) staged, 16 boundaries", N, () => {
    for (let i = 0; i < N; i++) engine.record(slot, values[i]);
  });
}
{
  const engine = await createWasmEngine();
  const layout = engine.createLayout({ boundaries: BOUNDARIES_16, exponentialMaxSize: 160 });
  const slots = Array.from({ length: 1000 }, () => engine.allocSlot(SlotKind.Histogram, layout));
  const picks = Int32Array.from({ length: N }, (_, i) => slots[(i * 7919) % slots.length]);
  best("record(slot, v) staged, 1000 slots, 16 bounds + exp", N, () => {
    for (let i = 0; i < N; i++) engine.record(picks[i], values[i]);
  });
  best("recordScattered, 1000 slots, 16 bounds + exp", N, () => {
    for (let i = 0; i < N; i += BATCH) engine.recordScattered(picks.subarray(i, i + BATCH), values.subarray(i, i + BATCH), BATCH);
  });
}
{
  gc();
  const engine = await createWasmEngine();
  const layout = engine.createLayout({ boundaries: BOUNDARIES_16, exponentialMaxSize: 160 });
  const before = engine.memoryBytes();
  const SERIES = 100_000;
  const sample = values.subarray(0, 64);
  for (let i = 0; i < SERIES; i++) {
    const slot = engine.allocSlot(SlotKind.Histogram, layout);
    engine.recordBatch(slot, sample);
  }
  const perSeries = (engine.memoryBytes() - before) / SERIES;
  results.bytesPerSeries = perSeries;
  console.log(`${"bytes/series at 100k series (16 bounds + exp 160, positive values)".padEnd(58)} ${perSeries.toFixed(1).padStart(7)} B (linear memory ${(engine.memoryBytes() / 2 ** 20).toFixed(1)} MiB)`);
}

console.log(JSON.stringify(results));
