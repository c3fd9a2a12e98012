/**
 * Child process of bench:core: bytes per series for 100k series of a histogram with 16 boundaries
 * plus a 160-bucket exponential histogram, in a fresh process so nothing else is on the heap.
 * Usage: node --expose-gc bench/core-memory.ts js|wasm  -> one JSON line on stdout
 */
import { createAggregator, exponentialBuckets } from "../src/index.ts";
import { lognormal } from "./stats.ts";

const engine = process.argv[2] === "js" ? "js" : "wasm";
const SERIES = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const sample = lognormal(200, Math.log(0.05), 0.8);

function used(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const agg = await createAggregator({ engine, cardinalityLimit: SERIES });
const h = agg.histogram("mem", { boundaries: exponentialBuckets(0.001, 1.6, 16), exponential: { maxSize: 160 } });
h.bind({ series: -1 }).recordBatch(sample);
const before = used();
const engineBefore = agg.stats().engineBytes;
for (let i = 0; i < SERIES; i++) h.bind({ series: i }).recordBatch(sample);
const after = used();
const engineBytes = agg.stats().engineBytes - engineBefore;
if (agg.stats().series !== SERIES + 1) throw new Error(`expected ${SERIES + 1} series, got ${agg.stats().series}`);
console.log(JSON.stringify({ engine, series: SERIES, bytesPerSeries: (after - before) / SERIES, engineBytesPerSeries: engineBytes / SERIES }));
