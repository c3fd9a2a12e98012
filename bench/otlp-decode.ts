/**
 * Bare OTLP decode throughput: 1000-point ExportMetricsServiceRequests (half sums, half explicit
 * histograms) cycling over 10k series, serialised by the SDK's own serialisers, decoded by
 * OtlpProtoDecoder and OtlpJsonDecoder. Prints points/s for each, warm (interned) and cold (a fresh
 * intern cache per request), and the protobuf/JSON ratio. Rates are per CPU-second of this process
 * (the smaller of wall and CPU time), so other load on a shared machine skews them less.
 *
 *   node --expose-gc bench/otlp-decode.ts [seconds-per-case] [only: proto-warm|proto-cold|json]
 */
import { ValueType } from "@opentelemetry/api";
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics";
import type { MetricData, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { OtlpProtoDecoder } from "../src/receivers/otlp/otlp-proto-decoder.ts";
import { OtlpJsonDecoder } from "../src/receivers/otlp/otlp-json-decoder.ts";
import { AttributeInterner } from "../src/receivers/otlp/attribute-interner.ts";
import type { DecodedBatch } from "../src/pipeline/types.ts";

const POINTS_PER_REQUEST = 1000;
const SERIES = 10_000;
const REQUESTS = SERIES / POINTS_PER_REQUEST;
const BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const seconds = Number(process.argv[2] ?? "3");
const only = process.argv[3];

function seriesAttributes(i: number): Record<string, string | number> {
  return {
    "http.route": `/api/v1/resource/${i % 250}`,
    "http.response.status_code": [200, 201, 204, 400, 404, 500][i % 6],
    "http.request.method": ["GET", "POST", "PUT", "DELETE"][i % 4],
    "server.instance": `pod-${Math.floor(i / 250)}`,
  };
}

function buildRequest(r: number): ResourceMetrics {
  const start: [number, number] = [1_700_000_000, 0];
  const end: [number, number] = [1_700_000_060, 123_456_789];
  const half = POINTS_PER_REQUEST / 2;
  const sums: MetricData = {
    descriptor: { name: "http.server.requests", description: "", unit: "{request}", valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: Array.from({ length: half }, (_, j) => ({
      attributes: seriesAttributes(r * POINTS_PER_REQUEST + j),
      startTime: start,
      endTime: end,
      value: 1000 + j * 3.5,
    })),
  };
  const histograms: MetricData = {
    descriptor: { name: "http.server.duration", description: "", unit: "ms", valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: Array.from({ length: half }, (_, j) => {
      const counts = BOUNDARIES.map((_, b) => (j + b) % 7).concat([1]);
      const count = counts.reduce((s, c) => s + c, 0);
      return {
        attributes: seriesAttributes(r * POINTS_PER_REQUEST + half + j),
        startTime: start,
        endTime: end,
        value: { buckets: { boundaries: BOUNDARIES, counts }, count, sum: count * 42.5, min: 0.5, max: 12000 },
      };
    }),
  };
  return {
    resource: resourceFromAttributes({ "service.name": "bench", "host.name": "bench-host" }),
    scopeMetrics: [{ scope: { name: "bench", version: "1.0.0" }, metrics: [sums, histograms] }],
  };
}

function countPoints(batch: DecodedBatch): number {
  let n = 0;
  for (const r of batch.resources) for (const s of r.scopes) for (const m of s.metrics) n += m.points.length;
  return n;
}

function run(label: string, payloads: readonly Uint8Array[], decode: (bytes: Uint8Array) => DecodedBatch): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Warm-up: JIT and (for the warm case) the intern cache.
  for (let i = 0; i < 200; i++) decode(payloads[i % payloads.length]);
  gc?.();
  let points = 0;
  let requests = 0;
  // The machine is shared: rate by this process's CPU time, which other processes do not inflate.
  const cpu0 = process.cpuUsage();
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < deadline) {
    for (let k = 0; k < 20; k++) {
      points += countPoints(decode(payloads[requests % payloads.length]));
      requests++;
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Math.min(wall, (cpu.user + cpu.system) / 1e6);
  const rate = points / elapsed;
  const bytes = payloads.reduce((s, p) => s + p.length, 0) / payloads.length;
  console.log(
    `${label.padEnd(34)} ${(rate / 1e6).toFixed(2).padStart(6)} M points/s  ${(requests / elapsed).toFixed(0).padStart(6)} req/s  ` +
      `${((bytes * requests) / elapsed / 1e6).toFixed(0).padStart(5)} MB/s  (${(bytes / 1024).toFixed(0)} KiB/request)`,
  );
  return rate;
}

const requests = Array.from({ length: REQUESTS }, (_, r) => buildRequest(r));
const protoPayloads = requests.map((rm) => ProtobufMetricsSerializer.serializeRequest(rm) ?? new Uint8Array());
const jsonPayloads = requests.map((rm) => JsonMetricsSerializer.serializeRequest(rm) ?? new Uint8Array());

console.log(`OTLP decode: ${POINTS_PER_REQUEST} points/request (sums + histograms), ${SERIES} series, ${seconds}s per case, node ${process.version}`);
const warmInterner = new AttributeInterner();
const proto = new OtlpProtoDecoder({ interner: warmInterner });
const json = new OtlpJsonDecoder({ interner: new AttributeInterner() });
const want = (name: string): boolean => only === undefined || only === name;
const protoWarm = want("proto-warm") ? run("protobuf, warm intern cache", protoPayloads, (b) => proto.decode(b)) : NaN;
const protoCold = want("proto-cold") ? run("protobuf, cold (fresh cache/request)", protoPayloads, (b) => new OtlpProtoDecoder().decode(b)) : NaN;
const jsonWarm = want("json") ? run("json, warm intern cache", jsonPayloads, (b) => json.decode(b)) : NaN;
if (only === undefined) {
  console.log(`ratios: protobuf warm / json warm = ${(protoWarm / jsonWarm).toFixed(1)}x; warm / cold = ${(protoWarm / protoCold).toFixed(1)}x`);
  console.log(`intern cache: ${warmInterner.size} entries, ${warmInterner.evictions} evictions`);
}
