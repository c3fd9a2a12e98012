/**
 * The JSON parse step of every JSON decoder: plain JSON.parse (what main's decoders ran) against
 * parseBoundedJson (src/receivers/bounded-json.ts: a nesting-depth scan, then JSON.parse), in the
 * same run.
 *
 * 1. Worst-case bodies of 8 MiB (the HTTP receiver's `max_json_body_size`): unclosed `[`, closed
 *    `[[...]]`, `{"a":` repeated, many tiny objects `[{},{},...]`, one long string, one long string of
 *    escapes, and for comparison valid OTLP/JSON bodies (SDK-serialized, and minimal points
 *    `{"asDouble":1}`). Each case runs in a child process of its own, so its peak RSS is its own; the
 *    child parses inside a timer while perf_hooks.monitorEventLoopDelay watches the loop, and prints
 *    the worst event-loop delay, the RSS the parse added to the process peak and the outcome.
 * 2. Valid bodies: OTLP/JSON of 1, 4 and 8 MiB from the SDK's JsonMetricsSerializer and batches of
 *    small kafka_topic_exporter messages; the parse step both ways and the whole OtlpJsonDecoder.decode,
 *    interleaved rounds, medians; the depth check's share.
 *
 *   npm run bench:json [-- --quick]     (--quick: fewer rounds)
 */
import { spawnSync } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics";
import type { MetricData, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { checkJsonDepth, parseBoundedJson, utf8Text } from "../src/receivers/bounded-json.ts";
import { OtlpJsonDecoder } from "../src/receivers/otlp/otlp-json-decoder.ts";
import { median } from "./stats.ts";

const MIB = 1024 * 1024;
const SIZE = 8 * MIB;
const SHAPES = [
  "unclosed [",
  "closed [[...]]",
  '{"a": repeated',
  "[{},{},...]",
  "long string",
  "long escaped string",
  "valid OTLP/JSON (SDK)",
  "valid OTLP/JSON (minimal points)",
] as const;
type Shape = (typeof SHAPES)[number];
const PARSERS = { "JSON.parse": (b: Uint8Array) => JSON.parse(utf8Text(b)), parseBoundedJson } as const;
type ParserName = keyof typeof PARSERS;

const BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** One SDK-serialized request of `points` points (half sums, half histograms), 4 attributes each. */
function otlpRequest(points: number, offset = 0): Uint8Array {
  const attributes = (i: number) => ({
    "http.route": `/api/v1/resource/${i % 250}`,
    "http.response.status_code": [200, 201, 204, 400, 404, 500][i % 6],
    "http.request.method": ["GET", "POST", "PUT", "DELETE"][i % 4],
    "server.instance": `pod-${Math.floor(i / 250)}`,
  });
  const start: [number, number] = [1_700_000_000, 0];
  const end: [number, number] = [1_700_000_060, 123_456_789];
  const half = points >> 1;
  const sums: MetricData = {
    descriptor: { name: "http.server.requests", description: "", unit: "{request}", valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: Array.from({ length: half }, (_, j) => ({ attributes: attributes(offset + j), startTime: start, endTime: end, value: 1000 + j * 3.5 })),
  };
  const histograms: MetricData = {
    descriptor: { name: "http.server.duration", description: "", unit: "ms", valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: Array.from({ length: points - half }, (_, j) => {
      const counts = BOUNDARIES.map((_, b) => (j + b) % 7).concat([1]);
      const count = counts.reduce((s, c) => s + c, 0);
      return {
        attributes: attributes(offset + half + j),
        startTime: start,
        endTime: end,
        value: { buckets: { boundaries: BOUNDARIES, counts }, count, sum: count * 42.5, min: 0.5, max: 12000 },
      };
    }),
  };
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ "service.name": "bench", "host.name": "bench-host" }),
    scopeMetrics: [{ scope: { name: "bench", version: "1.0.0" }, metrics: [sums, histograms] }],
  };
  const bytes = JsonMetricsSerializer.serializeRequest(rm);
  if (bytes === undefined) throw new Error("serialization failed");
  return bytes;
}

/** A valid OTLP/JSON body of about `bytes` bytes: SDK-serialized 1000-point resources, repeated. */
function otlpBody(bytes: number): Buffer {
  const one = Buffer.from(otlpRequest(1000));
  // `{"resourceMetrics":[ RM ]}`: repeat the RM element.
  const head = Buffer.from('{"resourceMetrics":[');
  const element = one.subarray(head.length, one.length - 2);
  const copies = Math.max(1, Math.round(bytes / element.length));
  const parts: Buffer[] = [head];
  for (let i = 0; i < copies; i++) parts.push(i === 0 ? element : Buffer.concat([Buffer.from(","), element]));
  parts.push(Buffer.from("]}"));
  return Buffer.concat(parts);
}

function hostileBody(shape: Shape, bytes: number): Buffer {
  switch (shape) {
    case "unclosed [":
      return Buffer.alloc(bytes, "[");
    case "closed [[...]]":
      return Buffer.concat([Buffer.alloc(bytes >> 1, "["), Buffer.alloc(bytes >> 1, "]")]);
    case '{"a": repeated':
      return Buffer.alloc(bytes - (bytes % 5), '{"a":');
    case "[{},{},...]": {
      const objects = Buffer.alloc(3 * Math.floor((bytes - 1) / 3), "{},");
      objects[objects.length - 1] = 0x5d; // the last "," closes the array
      return Buffer.concat([Buffer.from("["), objects]);
    }
    case "long string":
      return Buffer.concat([Buffer.from('["'), Buffer.alloc(bytes - 4, "a"), Buffer.from('"]')]);
    case "long escaped string":
      return Buffer.concat([Buffer.from('["'), Buffer.alloc((bytes - 4) & ~1, "\\\\"), Buffer.from('"]')]);
    case "valid OTLP/JSON (SDK)":
      return otlpBody(bytes);
    case "valid OTLP/JSON (minimal points)": {
      const head = '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[';
      const tail = "]}}]}]}]}";
      const point = '{"asDouble":1},';
      const points = Buffer.alloc(point.length * Math.floor((bytes - head.length - tail.length) / point.length), point);
      return Buffer.concat([Buffer.from(head), points.subarray(0, points.length - 1), Buffer.from(tail)]);
    }
  }
}

interface ChildResult {
  readonly stallMs: number;
  readonly addedRssMiB: number;
  readonly outcome: string;
}

/** Child: build the body, parse it inside a timer while the loop is watched, print one JSON line. */
async function child(shape: Shape, bytes: number, parser: ParserName): Promise<void> {
  // Warm the parser up on small valid bodies first, as in a daemon that has served requests:
  // a cold first call would time the interpreter, not the optimized scan.
  const warm = otlpBody(64 * 1024);
  for (let i = 0; i < 200; i++) PARSERS[parser](warm);
  const body = hostileBody(shape, bytes);
  const rssBefore = process.resourceUsage().maxRSS;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let outcome = "";
  await new Promise((r) => setTimeout(r, 20));
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      try {
        const v = PARSERS[parser](body);
        outcome = `parsed (${Array.isArray(v) ? "array" : typeof v})`;
      } catch (e) {
        outcome = `refused: ${(e as Error).message.slice(0, 60)}`;
      }
      resolve();
    }, 1),
  );
  await new Promise((r) => setTimeout(r, 20));
  delay.disable();
  const result: ChildResult = {
    stallMs: delay.max / 1e6,
    addedRssMiB: (process.resourceUsage().maxRSS - rssBefore) / 1024,
    outcome,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(shape: Shape, bytes: number, parser: ParserName): ChildResult {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", shape, String(bytes), parser], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`child ${shape} ${bytes} ${parser} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim()) as ChildResult;
}

function hostile(bytes: number): void {
  console.log(`1. worst event-loop stall and added peak RSS per ${bytes / MIB} MiB body (child process per case)\n`);
  console.log("| body | JSON.parse stall | RSS | parseBoundedJson stall | RSS | stall ratio | outcome (bounded) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const shape of SHAPES) {
    const before = runChild(shape, bytes, "JSON.parse");
    const after = runChild(shape, bytes, "parseBoundedJson");
    console.log(
      `| ${shape} | ${before.stallMs.toFixed(0)} ms | ${before.addedRssMiB.toFixed(0)} MiB | ${after.stallMs.toFixed(1)} ms | ${after.addedRssMiB.toFixed(0)} MiB | ${(after.stallMs / before.stallMs).toFixed(3)} | ${after.outcome} |`,
    );
  }
}

/** `count` kafka_topic_exporter messages like benchmark-ai's metrics pusher sends (~110 bytes each). */
function kafkaMessages(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(JSON.stringify({ name: "latency", value: 12.5 + i, timestamp: 1_700_000_000_000 + i, labels: { "action-id": `a${i % 97}`, "client-id": "c1" } })),
  );
}

/** Median ms of each case over interleaved rounds (two warm-up rounds), a full GC before each run. */
function interleaved<K extends string>(cases: Record<K, () => void>, rounds: number): Record<K, number> {
  const keys = Object.keys(cases) as K[];
  const times = new Map<K, number[]>(keys.map((k) => [k, []]));
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let r = 0; r < rounds + 2; r++) {
    for (const key of keys) {
      gc?.();
      const t0 = process.hrtime.bigint();
      cases[key]();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= 2) times.get(key)?.push(ms);
    }
  }
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = median(times.get(k) ?? []);
  return out;
}

function valid(rounds: number): void {
  console.log("\n2. valid bodies (medians of interleaved rounds)\n");
  console.log("| body | JSON.parse | parseBoundedJson | ratio | OtlpJsonDecoder.decode | checkJsonDepth alone | share of decode |");
  console.log("|---|---|---|---|---|---|---|");
  const bodies: { name: string; body: Uint8Array }[] = [1, 4, 8].map((mib) => {
    const points = Math.round((mib * MIB) / 420); // ~420 bytes per point with these attributes
    const body = Buffer.from(otlpRequest(points));
    return { name: `OTLP/JSON (SDK) ${(body.length / MIB).toFixed(2)} MiB, ${points} points`, body };
  });
  const minimal = hostileBody("valid OTLP/JSON (minimal points)", SIZE);
  bodies.push({ name: `OTLP/JSON (minimal points) ${(minimal.length / MIB).toFixed(2)} MiB, ${Math.floor(minimal.length / 15)} points`, body: minimal });
  for (const { name, body } of bodies) {
    const decoder = new OtlpJsonDecoder();
    const m = interleaved(
      {
        plain: () => JSON.parse(utf8Text(body)),
        bounded: () => parseBoundedJson(body),
        decode: () => decoder.decode(body),
        check: () => checkJsonDepth(body),
      },
      rounds,
    );
    console.log(
      `| ${name} | ${m.plain.toFixed(2)} ms | ${m.bounded.toFixed(2)} ms | ${(m.bounded / m.plain).toFixed(3)} | ${m.decode.toFixed(2)} ms | ${m.check.toFixed(2)} ms | ${((100 * m.check) / m.decode).toFixed(1)}% |`,
    );
  }
  const messages = kafkaMessages(20_000);
  const m = interleaved(
    {
      plain: () => {
        for (const msg of messages) JSON.parse(utf8Text(msg));
      },
      bounded: () => {
        for (const msg of messages) parseBoundedJson(msg);
      },
      check: () => {
        for (const msg of messages) checkJsonDepth(msg);
      },
    },
    rounds,
  );
  const bytes = messages.reduce((n, msg) => n + msg.length, 0);
  console.log(
    `| ${messages.length} kafka_topic_exporter messages, ${(bytes / messages.length).toFixed(0)} B each | ${m.plain.toFixed(2)} ms | ${m.bounded.toFixed(2)} ms | ${(m.bounded / m.plain).toFixed(3)} | | ${m.check.toFixed(2)} ms | |`,
  );
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(args[1] as Shape, Number(args[2]), args[3] as ParserName);
} else {
  hostile(SIZE);
  valid(args.includes("--quick") ? 5 : 15);
}
