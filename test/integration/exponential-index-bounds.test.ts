/**
 * Regression: an exponential-histogram point whose bucket range leaves the indexes OpenTelemetry's
 * mapping can produce at its scale (offset 2^31 - 3 with three buckets at scale 0) used to be
 * answered 200 with nothing rejected, after which every scrape answered 500 ("memory access out of
 * bounds") while /health stayed 200. Through the real daemon (OTLP/HTTP in, Prometheus out), over
 * OTLP/JSON and OTLP/protobuf: the point is refused in `partial_success` with a message naming
 * the offset and scale, every scrape stays 200 and valid for promtool, and a counter sent in the
 * same requests, and a normal exponential histogram sent before and after, stay exact.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { expositionProblems, promtool } from "../support/exposition-check.ts";
import { PbWriter } from "../support/otlp-proto-writer.ts";
import { startTestDaemon, type TestDaemon } from "./daemon-harness.ts";
import { bucketsOf, parsePromText, valueOf, type PromSample } from "./prom-text.ts";

/** One delta exponential-histogram point at `scale` with `counts` from `offset` in the positive range. */
interface ExpPoint {
  readonly name: string;
  readonly scale: number;
  readonly offset: number;
  readonly counts: readonly number[];
  readonly sum: number;
}

/** The reported point. */
const BAD: ExpPoint = { name: "edge_latency", scale: 0, offset: 2 ** 31 - 3, counts: [1, 1, 1], sum: 3 };
/** Where `offset + i` wrapped to negative indexes: two of the three counts landed under le="5". */
const WRAPPING: ExpPoint = { name: "edge_latency", scale: 0, offset: 2 ** 31 - 1, counts: [1, 1, 1], sum: 3 };
/** Buckets (1, 2] and (2, 4] at scale 0: both under le="5" of the default boundaries. */
const NORMAL: ExpPoint = { name: "normal_latency", scale: 0, offset: 0, counts: [1, 2], sum: 8 };
const COUNTER = "requests";
const INCREMENT = 7;

function pointCount(p: ExpPoint): number {
  return p.counts.reduce((a, c) => a + c, 0);
}

/** A request with a monotonic delta counter point (+INCREMENT) and the exponential points, in that order. */
function jsonBody(points: readonly ExpPoint[]): string {
  const counter = {
    name: COUNTER,
    sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: "1000000", asDouble: INCREMENT }] },
  };
  const histograms = points.map((p) => ({
    name: p.name,
    exponentialHistogram: {
      aggregationTemporality: 1,
      dataPoints: [{
        timeUnixNano: "1000000",
        count: String(pointCount(p)),
        sum: p.sum,
        scale: p.scale,
        zeroCount: "0",
        positive: { offset: p.offset, bucketCounts: p.counts.map(String) },
      }],
    },
  }));
  return JSON.stringify({ resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: "t" }, metrics: [counter, ...histograms] }] }] });
}

/** ExportMetricsServiceRequest > ResourceMetrics > ScopeMetrics > Metric (sum = 7, exponential_histogram = 10). */
function protoBody(points: readonly ExpPoint[]): Uint8Array {
  return new PbWriter()
    .message(1, (rm) =>
      rm.message(2, (sm) => {
        sm.message(2, (m) =>
          m.stringField(1, COUNTER).message(7, (sum) =>
            sum
              .message(1, (dp) => dp.fixed64Field(3, 1_000_000n).doubleField(4, INCREMENT))
              .uintField(2, 1) // AGGREGATION_TEMPORALITY_DELTA
              .uintField(3, 1), // is_monotonic
          ),
        );
        for (const p of points) {
          sm.message(2, (m) =>
            m.stringField(1, p.name).message(10, (eh) =>
              eh
                .message(1, (dp) => {
                  dp.fixed64Field(3, 1_000_000n).fixed64Field(4, pointCount(p)).doubleField(5, p.sum).sintField(6, p.scale).fixed64Field(7, 0);
                  dp.message(8, (b) => {
                    b.sintField(1, p.offset);
                    for (const c of p.counts) b.uintField(2, c);
                  });
                })
                .uintField(2, 1),
            ),
          );
        }
      }),
    )
    .finish();
}

interface Answer {
  readonly status: number;
  readonly rejected: number;
  readonly message: string;
}

interface Transport {
  readonly name: string;
  post(d: TestDaemon, points: readonly ExpPoint[]): Promise<Answer>;
}

const TRANSPORTS: Transport[] = [
  {
    name: "OTLP/JSON",
    async post(d, points) {
      const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body: jsonBody(points) });
      const parsed = JsonMetricsSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
      return { status: res.status, rejected: Number(parsed.partialSuccess?.rejectedDataPoints ?? 0), message: parsed.partialSuccess?.errorMessage ?? "" };
    },
  },
  {
    name: "OTLP/protobuf",
    async post(d, points) {
      const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: protoBody(points) });
      const parsed = ProtobufMetricsSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
      return { status: res.status, rejected: Number(parsed.partialSuccess?.rejectedDataPoints ?? 0), message: parsed.partialSuccess?.errorMessage ?? "" };
    },
  },
];

/** Scrapes, asserting 200 and text that promtool and a Prometheus server accept, and returns the samples. */
async function validScrape(d: TestDaemon): Promise<PromSample[]> {
  const res = await fetch(d.promUrl);
  const text = await res.text();
  assert.equal(res.status, 200, `scrape: ${text}`);
  assert.deepEqual(promtool(text).errors, [], `promtool\n--- exposition:\n${text}`);
  assert.deepEqual(expositionProblems(text), [], "exposition");
  return parsePromText(text);
}

/** The counter after `requests` requests, and NORMAL after `normals` points. */
function assertExact(samples: readonly PromSample[], requests: number, normals: number): void {
  assert.equal(valueOf(samples, `${COUNTER}_total`), INCREMENT * requests, "the counter");
  if (normals === 0) return;
  assert.equal(valueOf(samples, "normal_latency_count"), 3 * normals);
  assert.equal(valueOf(samples, "normal_latency_sum"), 8 * normals);
  const buckets = bucketsOf(samples, "normal_latency");
  assert.equal(buckets.get("0"), 0);
  assert.equal(buckets.get("5"), 3 * normals);
  assert.equal(buckets.get("+Inf"), 3 * normals);
}

function refusal(p: ExpPoint): string {
  return `metric ${p.name}: positive.offset ${p.offset} + ${p.counts.length} buckets exceeds the largest bucket index 1023 at scale 0`;
}

describe("Daemon", () => {
  describe("exponential histogram points beyond the bucket indexes of their scale", () => {
    for (const transport of TRANSPORTS) {
      it(`refuses them over ${transport.name} naming offset and scale, and keeps scrapes 200, valid and exact`, async () => {
        const d = await startTestDaemon();
        try {
          assert.deepEqual(await transport.post(d, [NORMAL]), { status: 200, rejected: 0, message: "" });
          assertExact(await validScrape(d), 1, 1);

          for (const [i, bad] of [BAD, WRAPPING].entries()) {
            assert.deepEqual(await transport.post(d, [bad]), { status: 200, rejected: 1, message: refusal(bad) });
            const samples = await validScrape(d);
            assertExact(samples, 2 + i, 1);
            assert.equal(valueOf(samples, "statset_points_refused_total", { reason: "invalid_point" }), 1 + i);
            assert.equal(samples.filter((s) => s.name.startsWith("edge_latency")).length, 0, "the refused point left no series");
          }

          assert.deepEqual(await transport.post(d, [NORMAL]), { status: 200, rejected: 0, message: "" });
          assertExact(await validScrape(d), 4, 2);
          assertExact(await validScrape(d), 4, 2);
          assert.equal((await fetch(d.healthUrl)).status, 200);
        } finally {
          await d.stop();
        }
      });
    }
  });
});
