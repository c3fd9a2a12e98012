/**
 * Load generator for bench/ingest.ts, run as a separate process so its CPU does not count against
 * the daemon. It pre-encodes OTLP ExportMetricsServiceRequest protobuf payloads (1000 points each:
 * 500 delta histogram points and 500 delta sum points, spread over 10k series) and sends them over
 * OTLP/HTTP or OTLP/gRPC, either closed-loop (as fast as `--concurrency` allows) or open-loop at a
 * fixed `--rate` of requests per second. Prints one JSON line with counts and latency percentiles.
 *
 *   node bench/load-generator.ts --mode http --target http://127.0.0.1:4318/v1/metrics --seconds 20 [--concurrency 16 | --rate 500]
 */
import { Agent, request } from "node:http";
import { ValueType } from "@opentelemetry/api";
import * as grpc from "@grpc/grpc-js";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { exponentialBuckets } from "../src/core/boundaries.ts";

export const POINTS_PER_REQUEST = 1000;
export const SERIES = 10_000;
const BOUNDARIES = exponentialBuckets(0.001, 1.5, 10);

/** Deterministic payloads; payload p covers series [p*500, p*500+500) mod 10k for two metrics. */
export function buildPayloads(count: number): Uint8Array[] {
  const perMetric = POINTS_PER_REQUEST / 2;
  const resource = resourceFromAttributes({ "service.name": "bench", "host.name": "loadgen" });
  const out: Uint8Array[] = [];
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const now = Date.now();
  const t: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
  for (let p = 0; p < count; p++) {
    const histPoints: DataPoint<Histogram>[] = [];
    const sumPoints: DataPoint<number>[] = [];
    for (let j = 0; j < perMetric; j++) {
      const s = (p * perMetric + j) % SERIES;
      const attributes = { series: `s${s}`, route: `/r${s % 50}`, code: s % 7 === 0 ? "500" : "200" };
      const counts = BOUNDARIES.map(() => Math.floor(rnd() * 5));
      counts.push(Math.floor(rnd() * 2));
      const count = counts.reduce((a, b) => a + b, 0);
      histPoints.push({
        startTime: t,
        endTime: t,
        attributes,
        value: { buckets: { boundaries: BOUNDARIES, counts }, count, sum: count * 0.01, min: 0.0005, max: 0.05 },
      });
      sumPoints.push({ startTime: t, endTime: t, attributes, value: 1 + Math.floor(rnd() * 10) });
    }
    const metrics: MetricData[] = [
      {
        descriptor: { name: "bench.request.duration", description: "", unit: "s", valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: histPoints,
      } as MetricData,
      {
        descriptor: { name: "bench.requests", description: "", unit: "1", valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: sumPoints,
      } as MetricData,
    ];
    const rm: ResourceMetrics = { resource, scopeMetrics: [{ scope: { name: "bench" }, metrics }] };
    const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
    if (bytes === undefined) throw new Error("serialization failed");
    out.push(bytes);
  }
  return out;
}

interface Options {
  mode: "http" | "grpc";
  target: string;
  seconds: number;
  concurrency: number;
  rate: number;
  payloads: number;
}

function parse(argv: string[]): Options {
  const o: Options = { mode: "http", target: "", seconds: 10, concurrency: 16, rate: 0, payloads: 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--mode":
        o.mode = v === "grpc" ? "grpc" : "http";
        break;
      case "--target":
        o.target = v;
        break;
      case "--seconds":
        o.seconds = Number(v);
        break;
      case "--concurrency":
        o.concurrency = Number(v);
        break;
      case "--rate":
        o.rate = Number(v);
        break;
      case "--payloads":
        o.payloads = Number(v);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (o.target === "") throw new Error("--target is required");
  return o;
}

type Send = (body: Uint8Array) => Promise<number>;

function httpSender(target: string, concurrency: number): Send {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 64) });
  return (body) =>
    new Promise<number>((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/x-protobuf", "content-length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", () => resolve(-1));
      req.end(body);
    });
}

function grpcSender(target: string): Send {
  const client = new grpc.Client(target.replace(/^http:\/\//, ""), grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  const path = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
  const id = (b: Buffer): Buffer => b;
  return (body) =>
    new Promise<number>((resolve) => {
      client.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength), id, body, (err) => resolve(err === null ? 200 : 1000 + (err.code ?? 0)));
    });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(o: Options): Promise<void> {
  const payloads = buildPayloads(o.payloads);
  const send = o.mode === "grpc" ? grpcSender(o.target) : httpSender(o.target, o.concurrency);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const end = performance.now() + o.seconds * 1000;
  const one = async (): Promise<void> => {
    const body = payloads[next++ % payloads.length];
    const t0 = performance.now();
    const status = await send(body);
    latencies.push(performance.now() - t0);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  };
  const t0 = performance.now();
  if (o.rate > 0) {
    // Open loop: a fixed schedule, independent of how fast answers come back.
    const inflight = new Set<Promise<void>>();
    const intervalMs = 1000 / o.rate;
    let due = performance.now();
    while (performance.now() < end) {
      const now = performance.now();
      while (due <= now) {
        const p = one().finally(() => inflight.delete(p));
        inflight.add(p);
        due += intervalMs;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, due - performance.now()))));
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < end) await one();
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const ok = statuses.get(200) ?? 0;
  process.stdout.write(
    JSON.stringify({
      mode: o.mode,
      seconds,
      requests: latencies.length,
      ok,
      statuses: Object.fromEntries(statuses),
      pointsSent: ok * POINTS_PER_REQUEST,
      p50ms: percentile(sorted, 0.5),
      p99ms: percentile(sorted, 0.99),
      maxms: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
      payloadBytes: payloads[0].length,
    }) + "\n",
  );
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(parse(process.argv.slice(2))).catch((e: unknown) => {
    process.stderr.write(`load-generator: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
