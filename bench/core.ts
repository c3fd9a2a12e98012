/**
 * bench:core — per-observation cost of statset's engines against the anchors, in one run.
 * Usage: npm run bench:core [-- --json FILE] [-- --quick]
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { metrics as otelApi } from "@opentelemetry/api";
import { AggregationType, InstrumentType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import * as hdr from "hdr-histogram-js";
import promClient from "prom-client";
import { createAggregator, exponentialBuckets } from "../src/index.ts";
import { lognormal, nsPerOp } from "./stats.ts";

const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const quick = args.includes("--quick");
// Child mode: only statset's cases on one engine, rows as JSON on stdout. Each engine runs in its own
// process so neither sees call sites the JIT specialised for the other.
const engineAt = args.indexOf("--engine-cases");
const engineOnly = engineAt >= 0 ? (args[engineAt + 1] === "js" ? "js" : "wasm") : null;
const N = quick ? 200_000 : 1_000_000;
const REPS = quick ? 5 : 7;
const CHUNK = 1024;
const BOUNDARIES = exponentialBuckets(0.001, 1.6, 16);
const values = lognormal(N, Math.log(0.05), 0.8);
const MODELS = ["mnist", "resnet", "bert", "gpt"];
const ROUTES = ["/predict", "/explain"];

interface Row {
  name: string;
  nsPerObservation: number;
  runs: number[];
}
const rows: Row[] = [];
function measure(name: string, run: () => void): void {
  const r = nsPerOp(run, N, REPS);
  rows.push({ name, nsPerObservation: r.median, runs: r.runs });
  console.error(`  ${name}: ${r.median.toFixed(2)} ns/obs`);
}

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

if (engineOnly === null) {
  console.error(`bench:core  node ${process.version}  ${N} lognormal observations, ${BOUNDARIES.length} boundaries, median of ${REPS}`);

  // OpenTelemetry SDK: Histogram.record with 2 attributes (its only recording path).
  {
    const reader = new ManualReader({ aggregationSelector: (t) => (t === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: BOUNDARIES } } : { type: AggregationType.DEFAULT }) });
    const provider = new MeterProvider({ readers: [reader] });
    otelApi.disable();
    const h = provider.getMeter("bench").createHistogram("latency", { unit: "s" });
    measure("otel-sdk Histogram.record(v, 2 attrs)", () => {
      for (let i = 0; i < N; i++) h.record(values[i], { model: MODELS[i & 3], route: ROUTES[i & 1] });
    });
  }

  // prom-client: Histogram.observe with 2 labels.
  {
    const registry = new promClient.Registry();
    const h = new promClient.Histogram({ name: "latency", help: "latency", labelNames: ["model", "route"], buckets: BOUNDARIES, registers: [registry] });
    measure("prom-client Histogram.observe(2 labels, v)", () => {
      for (let i = 0; i < N; i++) h.observe({ model: MODELS[i & 3], route: ROUTES[i & 1] }, values[i]);
    });
  }

  // hdr-histogram-js with WebAssembly: recordValue of integer microseconds (it records integers).
  {
    await hdr.initWebAssembly();
    const h = hdr.build({ useWebAssembly: true, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
    const micros = values.map((v) => Math.round(v * 1e6));
    measure("hdr-histogram-js wasm recordValue(v)", () => {
      for (let i = 0; i < N; i++) h.recordValue(micros[i]);
    });
    h.destroy();
  }
}

async function measureEngine(engine: "js" | "wasm"): Promise<void> {
  const agg = await createAggregator({ engine });
  const h = agg.histogram("latency", { unit: "s", boundaries: BOUNDARIES });
  const bound = h.bind({ model: "mnist", route: "/predict" });
  measure(`statset ${engine} recordBatch (bound, ${CHUNK}/call)`, () => {
    for (let i = 0; i < N; i += CHUNK) bound.recordBatch(values, i, Math.min(N, i + CHUNK));
  });
  measure(`statset ${engine} bound record(v)`, () => {
    for (let i = 0; i < N; i++) bound.record(values[i]);
  });
  measure(`statset ${engine} record(v, 2 attrs)`, () => {
    for (let i = 0; i < N; i++) h.record(values[i], { model: MODELS[i & 3], route: ROUTES[i & 1] });
  });
  const e = agg.histogram("latency_exp", { unit: "s", exponential: { maxSize: 160 } }).bind();
  measure(`statset ${engine} exponential recordBatch (${CHUNK}/call)`, () => {
    for (let i = 0; i < N; i += CHUNK) e.recordBatch(values, i, Math.min(N, i + CHUNK));
  });
  agg.collect();
}

if (engineOnly !== null) {
  await measureEngine(engineOnly);
  console.log(JSON.stringify(rows));
  process.exit(0);
}
for (const engine of ["js", "wasm"] as const) {
  const childArgs = ["--expose-gc", "--no-flush-bytecode", fileURLToPath(import.meta.url), "--engine-cases", engine, ...(quick ? ["--quick"] : [])];
  const child = spawnSync(process.execPath, childArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (child.status !== 0) throw new Error(`engine child (${engine}) failed with status ${child.status}`);
  rows.push(...(JSON.parse(child.stdout.trim().split("\n").pop() as string) as Row[]));
}

// Memory: 100k series of a histogram with 16 boundaries plus a 160-bucket exponential histogram,
// each engine in a fresh child process so earlier cases leave nothing on the heap.
const memory: Record<string, number> = {};
for (const engine of ["js", "wasm"] as const) {
  const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(new URL("./core-memory.ts", import.meta.url)), engine], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`memory child (${engine}) failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim()) as { bytesPerSeries: number; engineBytesPerSeries: number };
  memory[engine] = r.bytesPerSeries;
  console.error(`  statset ${engine} memory: ${r.bytesPerSeries.toFixed(0)} bytes/series (engine ${r.engineBytesPerSeries.toFixed(0)})`);
}

const otel = rows[0].nsPerObservation;
const find = (name: string): number => rows.find((r) => r.name.startsWith(name))?.nsPerObservation ?? Number.NaN;
console.log("\n| case | ns/observation | OTel SDK time / this |\n|---|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.nsPerObservation.toFixed(2)} | ${(otel / r.nsPerObservation).toFixed(1)}x |`);
console.log(`| statset wasm memory, 16 boundaries + 160-bucket exponential | ${memory.wasm.toFixed(0)} bytes/series | |`);
console.log(`| statset js memory, same layout | ${memory.js.toFixed(0)} bytes/series | |`);

const hdrNs = find("hdr-histogram-js");
const targets = [
  ["wasm recordBatch <= 6 ns", find("statset wasm recordBatch") <= 6],
  ["wasm recordBatch >= 200x faster than OTel record", otel / find("statset wasm recordBatch") >= 200],
  ["wasm bound record <= 15 ns", find("statset wasm bound record") <= 15],
  ["wasm bound record >= 3x faster than hdr wasm", hdrNs / find("statset wasm bound record") >= 3],
  ["wasm record(v, 2 attrs) <= 1/5 of OTel", find("statset wasm record(v, 2 attrs)") <= otel / 5],
  ["wasm exponential batch <= 10 ns", find("statset wasm exponential") <= 10],
  ["wasm memory <= 1024 bytes/series", memory.wasm <= 1024],
] as const;
console.log("\n| target | met |\n|---|---|");
for (const [t, ok] of targets) console.log(`| ${t} | ${ok ? "yes" : "NO"} |`);

if (jsonFile !== undefined) {
  writeFileSync(jsonFile, JSON.stringify({ node: process.version, observations: N, reps: REPS, rows, memoryBytesPerSeries: memory, targets: Object.fromEntries(targets) }, null, 2) + "\n");
  console.error(`wrote ${jsonFile}`);
}
