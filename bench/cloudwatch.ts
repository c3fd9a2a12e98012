/**
 * bench:cloudwatch — what statset's windowed statistic sets cost CloudWatch, against publishing raw
 * observations. Simulates 1M observations/s over 10k series for one 60 s window (generated faster
 * than real time on an injected clock), recorded into a real aggregator, then exported through the
 * real @aws-sdk/client-cloudwatch to a local PutMetricData endpoint (test/support), never AWS.
 *
 * Reports PutMetricData requests and datums per window for statset (statistic sets, and Values/Counts
 * with percentiles), versus one PutMetricData call per observation and one datum per observation
 * batched at the API limit (1000 datums per request), plus the CPU time of building and serializing.
 *
 * Usage: npm run bench:cloudwatch [-- --quick] [-- --engine js|wasm]
 */
import { gzipSync } from "node:zlib";
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { pino } from "pino";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { createAggregator } from "../src/index.ts";
import type { Aggregator } from "../src/core/api.ts";
import { defaultCloudWatchConfig } from "../src/exporters/cloudwatch/config.ts";
import { CloudWatchExporter } from "../src/exporters/cloudwatch/exporter.ts";
import { MAX_DATUMS_PER_REQUEST, MAX_REQUEST_BYTES } from "../src/exporters/cloudwatch/limits.ts";
import type { PutMetricDataTransport } from "../src/exporters/cloudwatch/transport.ts";
import { SdkTransport } from "../src/exporters/cloudwatch/transport.ts";
import type { Clock } from "../src/exporters/cloudwatch/window.ts";
import { CloudWatchEndpoint } from "../test/support/cloudwatch-endpoint.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const engineArg = args.indexOf("--engine");
const engine = (engineArg >= 0 ? args[engineArg + 1] : "wasm") as "wasm" | "js";
const SERIES = 10_000;
const RATE = quick ? 100_000 : 1_000_000; // observations per second
const WINDOW_S = 60;
const OBSERVATIONS = RATE * WINDOW_S;
const PER_SERIES = OBSERVATIONS / SERIES;
const BATCH = 200;

/** Latency-like values: a seeded lognormal pool, cycled. */
function lognormalPool(n: number, mu: number, sigma: number): Float64Array {
  let a = 12345;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd()));
  return out;
}

interface Recorded {
  readonly agg: Aggregator;
  readonly exactCount: number;
  readonly recordCpuMs: number;
  readonly engine: string;
}

/** Records one window of observations; the aggregator's clock is the simulated one. */
async function record(simNow: { t: number }, percentiles: boolean): Promise<Recorded> {
  let agg: Aggregator;
  try {
    agg = await createAggregator({ engine, now: () => simNow.t });
  } catch (err) {
    console.error(`engine ${engine} unavailable (${(err as Error).message}); using js`);
    agg = await createAggregator({ engine: "js", now: () => simNow.t });
  }
  const h = agg.histogram("inference_latency", {
    unit: "ms",
    cardinalityLimit: SERIES * 2,
    ...(percentiles ? { exponential: { maxSize: 160 } } : {}),
  });
  const bound = Array.from({ length: SERIES }, (_, i) => h.bind({ "action-id": `action-${i % 100}`, "client-id": `client-${Math.floor(i / 100)}` }));
  const pool = lognormalPool(1 << 20, Math.log(40), 0.6);
  const cpu0 = process.cpuUsage();
  let offset = 0;
  let count = 0;
  // Round-robin over series in batches, advancing the simulated clock evenly across the window.
  const rounds = PER_SERIES / BATCH;
  for (let r = 0; r < rounds; r++) {
    simNow.t += (WINDOW_S * 1000) / rounds;
    for (let s = 0; s < SERIES; s++) {
      if (offset + BATCH > pool.length) offset = 0;
      bound[s].recordBatch(pool, offset, offset + BATCH);
      offset += BATCH;
      count += BATCH;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { agg, exactCount: count, recordCpuMs: (cpu.user + cpu.system) / 1000, engine: agg.engine };
}

/** Captures batches without sending, to time serialization apart from the network. */
class CapturingTransport implements PutMetricDataTransport {
  readonly batches: MetricDatum[][] = [];
  async putMetricData(_ns: string, data: MetricDatum[]): Promise<void> {
    this.batches.push(data);
  }
  close(): void {}
}

interface Row {
  readonly approach: string;
  readonly requests: number;
  readonly datums: number;
  readonly fullByCount: string;
  readonly fullByBytes: string;
  readonly mb: string;
  readonly buildCpuMs: string;
  readonly serializeCpuMs: string;
}

function cpuMs(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
}

async function statsetRun(percentiles: boolean, endpoint: CloudWatchEndpoint): Promise<{ row: Row; recorded: Recorded }> {
  const simNow = { t: Math.floor(Date.now() / 60_000) * 60_000 - 120_000 };
  const windowStart = simNow.t;
  const recorded = await record(simNow, percentiles);
  const clock: Clock = { now: () => simNow.t, setTimeout: () => null, clearTimeout: () => {} };
  const cfg = { ...defaultCloudWatchConfig(), region: "us-east-1", namespace: "Bench", percentiles, endpoint: endpoint.url };
  const logger = pino({ level: "silent" });

  // 1. Build (read + datums + exact sizes) and pack, with a capturing transport: CPU of our work.
  const capture = new CapturingTransport();
  const ex = new CloudWatchExporter(cfg, [recorded.agg], { id: "bench", logger, meterProvider: new MeterProvider(), transport: capture, clock });
  const buildMs = cpuMs(() => ex.collectWindow(windowStart));
  await ex.flush();
  // 2. Serialize as the SDK's AWS JSON 1.0 protocol does, plus gzip (the SDK compresses >= 10 KiB).
  let bytes = 0;
  const serializeMs = cpuMs(() => {
    for (const batch of capture.batches) {
      const body = JSON.stringify({
        Namespace: cfg.namespace,
        MetricData: batch.map((d) => ({ ...d, Timestamp: (d.Timestamp as Date).getTime() / 1000 })),
      });
      bytes += Buffer.byteLength(body);
      if (body.length >= 10_240) gzipSync(body);
    }
  });
  const stats = ex.stats();
  const requests = capture.batches.length;
  await ex.shutdown();

  // 3. The same window through the real SDK to the local endpoint: checks limits end to end.
  const before = endpoint.requests.length;
  const simNow2 = { t: windowStart };
  const recorded2 = await record(simNow2, percentiles);
  const clock2: Clock = { now: () => simNow2.t, setTimeout: () => null, clearTimeout: () => {} };
  const transport = new SdkTransport({ region: "us-east-1", endpoint: endpoint.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, requestTimeoutMs: 30_000 });
  const ex2 = new CloudWatchExporter(cfg, [recorded2.agg], { id: "bench-sdk", logger, meterProvider: new MeterProvider(), transport, clock: clock2 });
  ex2.collectWindow(windowStart);
  const wall0 = performance.now();
  await ex2.flush();
  const sdkWallMs = performance.now() - wall0;
  await ex2.shutdown();
  const sent = endpoint.requests.slice(before);
  const sentCount = sent.reduce((a, r) => a + r.datums.reduce((b, d) => b + (d.StatisticValues?.SampleCount ?? (d.Counts ?? []).reduce((x, y) => x + y, 0)), 0), 0);
  if (sentCount !== recorded2.exactCount) throw new Error(`endpoint saw ${sentCount} samples, recorded ${recorded2.exactCount}`);
  if (sent.length !== requests) throw new Error(`SDK run made ${sent.length} requests, capture ${requests}`);
  if (endpoint.refused.length > 0) throw new Error(`endpoint refused: ${JSON.stringify(endpoint.refused[0])}`);
  console.error(`  statset${percentiles ? " +percentiles" : ""}: ${requests} requests via the SDK in ${sdkWallMs.toFixed(0)} ms wall (${cfg.maxConcurrency} in parallel)`);

  const fullCount = stats.datums / (requests * MAX_DATUMS_PER_REQUEST);
  const fullBytes = bytes / (requests * MAX_REQUEST_BYTES);
  return {
    recorded,
    row: {
      approach: percentiles ? "statset, Values/Counts (percentiles)" : "statset, statistic sets",
      requests,
      datums: stats.datums,
      fullByCount: `${(fullCount * 100).toFixed(1)}%`,
      fullByBytes: `${(fullBytes * 100).toFixed(1)}%`,
      mb: (bytes / 1e6).toFixed(2),
      buildCpuMs: buildMs.toFixed(0),
      serializeCpuMs: serializeMs.toFixed(0),
    },
  };
}

/** One datum per observation: size of a representative datum times the count. */
function rawRows(observations: number): Row[] {
  const sample: MetricDatum = {
    MetricName: "inference_latency",
    Dimensions: [
      { Name: "action-id", Value: "action-42" },
      { Name: "client-id", Value: "client-17" },
    ],
    Timestamp: new Date(),
    Value: 40.123456789,
    Unit: "Milliseconds",
  };
  const datumBytes = Buffer.byteLength(JSON.stringify({ ...sample, Timestamp: Date.now() / 1000 }));
  const overhead = Buffer.byteLength('{"Namespace":"Bench","MetricData":[]}');
  const perRequestByBytes = Math.floor((MAX_REQUEST_BYTES - overhead) / (datumBytes + 1));
  const perRequest = Math.min(MAX_DATUMS_PER_REQUEST, perRequestByBytes);
  const batched = Math.ceil(observations / perRequest);
  return [
    {
      approach: "one PutMetricData per observation",
      requests: observations,
      datums: observations,
      fullByCount: `${(100 / MAX_DATUMS_PER_REQUEST).toFixed(1)}%`,
      fullByBytes: `${(((overhead + datumBytes) / MAX_REQUEST_BYTES) * 100).toFixed(3)}%`,
      mb: ((observations * (overhead + datumBytes)) / 1e6).toFixed(0),
      buildCpuMs: "-",
      serializeCpuMs: "-",
    },
    {
      approach: `one datum per observation, ${perRequest}/request`,
      requests: batched,
      datums: observations,
      fullByCount: `${((perRequest / MAX_DATUMS_PER_REQUEST) * 100).toFixed(1)}%`,
      fullByBytes: `${(((overhead + perRequest * (datumBytes + 1)) / MAX_REQUEST_BYTES) * 100).toFixed(1)}%`,
      mb: ((observations * (datumBytes + 1)) / 1e6).toFixed(0),
      buildCpuMs: "-",
      serializeCpuMs: "-",
    },
  ];
}

function table(rows: Row[]): string {
  const headers = ["approach", "requests/window", "datums/window", "full (datums)", "full (bytes)", "MB/window", "build CPU ms", "serialize+gzip CPU ms"];
  const cells = rows.map((r) => [r.approach, r.requests.toLocaleString("en-US"), r.datums.toLocaleString("en-US"), r.fullByCount, r.fullByBytes, r.mb, r.buildCpuMs, r.serializeCpuMs]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}

const endpoint = await CloudWatchEndpoint.start();
try {
  console.error(`bench:cloudwatch: ${SERIES.toLocaleString()} series, ${RATE.toLocaleString()} observations/s, one ${WINDOW_S} s window`);
  const plain = await statsetRun(false, endpoint);
  const pct = await statsetRun(true, endpoint);
  const obs = plain.recorded.exactCount;
  const rows = [plain.row, pct.row, ...rawRows(obs)];
  console.log(`engine ${plain.recorded.engine}; ${obs.toLocaleString("en-US")} observations recorded in ${plain.recorded.recordCpuMs.toFixed(0)} ms CPU (statistic sets) / ${pct.recorded.recordCpuMs.toFixed(0)} ms (with exponential histograms)`);
  console.log(table(rows));
  const perThousand = plain.row.requests / (SERIES / 1000);
  console.log(
    `target: one request per 1000 series per window with requests >= 95% full -> statistic sets: ${perThousand.toFixed(2)} requests per 1000 series, ${plain.row.fullByCount} full by datums: ${perThousand <= 1 && Number.parseFloat(plain.row.fullByCount) >= 95 ? "MET" : "NOT MET"}`,
  );
  console.log(`reduction vs one datum per observation batched: ${(rows[3].requests / plain.row.requests).toFixed(0)}x fewer requests (statistic sets), ${(rows[3].requests / pct.row.requests).toFixed(0)}x (with percentiles)`);
} finally {
  await endpoint.close();
}
