/**
 * The daemon under the loads of issue 15, bounded to run in `npm test`: one metric flooding the
 * pipeline with unique attribute sets, clients streaming bodies the server refused unread, and
 * 40 MB attribute values. Each time a concurrent well-behaved client must keep being served
 * exactly, and the Prometheus scrape must stay valid and small.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValueType } from "@opentelemetry/api";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics";
import { MAX_ATTRIBUTE_VALUE_LENGTH } from "../../src/receivers/attribute-limits.ts";
import { streamEndlessBody } from "../support/endless-body.ts";
import { expositionProblems, promtool, USER_STYLE_LINT } from "../support/exposition-check.ts";
import { startTestDaemon, testConfigYaml, type TestDaemon } from "./daemon-harness.ts";
import { parsePromText, select, valueOf, type PromSample } from "./prom-text.ts";

const START = "1690000000000000000";
const T = "1700000000000000000";

interface Reply {
  readonly status: number;
  readonly body: string;
}

async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

/** An OTLP/JSON request of one monotonic sum. */
function sumRequest(name: string, temporality: "delta" | "cumulative", points: readonly { attrs: Record<string, string>; value: number }[]): string {
  const dataPoints = points.map((p) => ({
    attributes: Object.entries(p.attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
    startTimeUnixNano: START,
    timeUnixNano: T,
    asInt: String(p.value),
  }));
  const sum = { aggregationTemporality: temporality === "delta" ? 1 : 2, isMonotonic: true, dataPoints };
  return JSON.stringify({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: "load" }, metrics: [{ name, sum }] }] }] });
}

/** Asserts the scrape is valid for a Prometheus server, and returns it parsed with its size. */
async function validScrape(d: TestDaemon): Promise<{ samples: PromSample[]; bytes: number }> {
  const text = await d.scrapeText();
  assert.deepStrictEqual(expositionProblems(text), []);
  const verdict = promtool(text);
  assert.deepStrictEqual(verdict.errors, []);
  assert.deepStrictEqual(verdict.lints.filter((l) => !USER_STYLE_LINT.test(l)), []);
  return { samples: parsePromText(text), bytes: Buffer.byteLength(text) };
}

function refused(samples: readonly PromSample[], reason?: string): number {
  return select(samples, "statset_points_refused_total", reason === undefined ? { pipeline: "metrics" } : { pipeline: "metrics", reason }).reduce((n, s) => n + s.value, 0);
}

describe("the daemon under load", () => {
  describe("one metric flooding the pipeline with unique attribute sets", () => {
    const REQUESTS = 50;
    const PER_REQUEST = 1000;
    const STREAM_LIMIT = 20_000; // the default max_streams_per_metric
    const CARDINALITY = 2000; // the default cardinality_limit

    it("bounds the flooding metric's streams while another metric's new streams keep being accepted exactly", async () => {
      // max_series below the flood's 50k streams: were one metric's streams not bounded, the
      // whole pipeline would answer 429 long before the flood ends.
      const d = await startTestDaemon(testConfigYaml({ pipelineExtra: "      max_series: 30000" }));
      try {
        const value = (id: number): number => 1 + (id % 5);
        let expectedOther = 0;
        const otherReplies: Reply[] = [];
        let flooding = true;
        // The other metric: cumulative, a new stream per request, so it needs per-stream state.
        const other = (async () => {
          for (let i = 0; flooding || i < 10; i++) {
            otherReplies.push(await postJson(d.httpUrl, sumRequest("load_other", "cumulative", [{ attrs: { client: `c${i}` }, value: i + 1 }])));
            expectedOther += i + 1;
          }
        })();
        const floodReplies: Reply[] = [];
        for (let r = 0; r < REQUESTS; r++) {
          const points = Array.from({ length: PER_REQUEST }, (_, k) => {
            const id = r * PER_REQUEST + k;
            return { attrs: { id: String(id) }, value: value(id) };
          });
          floodReplies.push(await postJson(d.httpUrl, sumRequest("load_flood", "cumulative", points)));
        }
        flooding = false;
        await other;

        assert.deepStrictEqual(
          otherReplies.filter((x) => x.status !== 200 || x.body !== "{}"),
          [],
          "every request of the other metric accepted whole (no 429, no refused point)",
        );
        assert.ok(otherReplies.length >= 10);
        for (const [r, reply] of floodReplies.entries()) {
          assert.equal(reply.status, 200, `flood request ${r}: ${reply.body}`);
          const rejected = Number((JSON.parse(reply.body) as { partialSuccess?: { rejectedDataPoints?: number } }).partialSuccess?.rejectedDataPoints ?? 0);
          assert.equal(rejected, r * PER_REQUEST >= STREAM_LIMIT ? PER_REQUEST : 0, `flood request ${r} refused points`);
        }

        const { samples, bytes } = await validScrape(d);
        const flooded = REQUESTS * PER_REQUEST;
        const tracked = STREAM_LIMIT;
        assert.equal(refused(samples, "stream_limit"), flooded - tracked, "the flood's points beyond the stream budget are refused as stream_limit");
        assert.equal(refused(samples), flooded - tracked, "and nothing else is refused");
        assert.equal(valueOf(samples, "statset_points_overflow_total", { pipeline: "metrics" }), tracked - CARDINALITY, "tracked streams beyond cardinality_limit go to the overflow series");
        const received = valueOf(samples, "statset_points_received_total", { pipeline: "metrics" });
        assert.equal(received, flooded + otherReplies.length);
        assert.equal(valueOf(samples, "statset_points_accepted_total", { pipeline: "metrics" }), received - refused(samples));

        const floodSeries = select(samples, "load_flood_total");
        assert.equal(floodSeries.length, CARDINALITY + 1, "cardinality_limit series and one overflow series");
        assert.equal(select(samples, "load_flood_total", { otel_metric_overflow: "true" }).length, 1);
        let expectedFlood = 0;
        for (let id = 0; id < tracked; id++) expectedFlood += value(id);
        assert.equal(floodSeries.reduce((n, s) => n + s.value, 0), expectedFlood, "the tracked streams' values, none lost, none twice");

        const otherSeries = select(samples, "load_other_total");
        assert.equal(otherSeries.length, otherReplies.length, "each new stream of the other metric is a series");
        assert.equal(otherSeries.reduce((n, s) => n + s.value, 0), expectedOther, "the other metric's scraped total equals what was sent");
        assert.ok(bytes < 2_000_000, `scrape of ${bytes} bytes`);
      } finally {
        await d.stop();
      }
    });
  });

  describe("clients streaming a body the server refused before reading it", () => {
    const TOKEN = "load-test-token";

    it("answers and closes on each after a bounded read while a concurrent client is served exactly", async () => {
      const d = await startTestDaemon(testConfigYaml({ httpExtra: `        auth: { bearer_token: ${TOKEN} }` }));
      try {
        const port = Number(new URL(d.httpUrl).port);
        const auth = { authorization: `Bearer ${TOKEN}` };
        let streaming = true;
        let sent = 0;
        const replies: Reply[] = [];
        const normal = (async () => {
          for (let i = 1; streaming || i <= 5; i++) {
            replies.push(await postJson(d.httpUrl, sumRequest("load_served", "delta", [{ attrs: {}, value: i }]), auth));
            sent += i;
          }
        })();
        // Two of each at once: without a token, and with one to a path that does not exist.
        const heads = [
          "POST /v1/metrics HTTP/1.1\r\nContent-Type: application/x-protobuf",
          "POST /v1/metrics HTTP/1.1\r\nContent-Type: application/json",
          `POST /v1/nope HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/x-protobuf`,
          `POST /v1/ingest/nope HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json`,
        ];
        const refusals = await Promise.all(heads.map((head) => streamEndlessBody(port, head, 1024 * 1024 * 1024)));
        streaming = false;
        await normal;

        for (const [i, r] of refusals.entries()) {
          assert.match(r.statusLine, i < 2 ? /^HTTP\/1\.1 401 / : /^HTTP\/1\.1 404 /, heads[i]);
          assert.ok(r.closedByServer, `${heads[i]}: the server left the connection open`);
          // The server drains at most 16 MiB; the rest is what socket buffers hold.
          assert.ok(r.bytesWritten < 64 * 1024 * 1024, `${heads[i]}: the server read ${r.bytesWritten} bytes`);
        }
        assert.deepStrictEqual(replies.filter((x) => x.status !== 200 || x.body !== "{}"), [], "every request of the normal client accepted");
        const health = await fetch(d.healthUrl);
        assert.equal(health.status, 200);
        const { samples } = await validScrape(d);
        assert.equal(valueOf(samples, "load_served_total"), sent);
        assert.equal(valueOf(samples, "statset_receiver_requests_total", { transport: "http", outcome: "unauthenticated" }), 2);
        assert.equal(valueOf(samples, "statset_receiver_requests_total", { transport: "http", outcome: "not_found" }), 2);
      } finally {
        await d.stop();
      }
    });
  });

  describe("a 40 MB attribute value", () => {
    const HUGE = 40_000_000;

    it("is cut to 4096 characters and counted over /v1/ingest and OTLP, and no scrape fails or grows", async () => {
      const limit = 48 * 1024 * 1024;
      const d = await startTestDaemon(testConfigYaml({ httpExtra: `        max_request_body_size: ${limit}\n        max_json_body_size: ${limit}` }));
      try {
        const huge = "0123456789".repeat(HUGE / 10);
        const kept = huge.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH);
        const base = d.httpUrl.slice(0, -"/v1/metrics".length);
        const truncated = (samples: readonly PromSample[]): number => select(samples, "statset_receiver_attribute_values_truncated_total", { receiver: "otlp" }).reduce((n, s) => n + s.value, 0);

        const sends: [string, () => Promise<Reply>][] = [
          // Digits need no JSON escaping: the bodies are written around the value rather than stringified.
          ["kafka_topic_exporter over /v1/ingest", () => postJson(`${base}/v1/ingest/kafka_topic_exporter`, `{"name":"huge_ingest","value":2.5,"labels":{"big":"${huge}","small":"s"}}`)],
          [
            "OTLP/JSON",
            () =>
              postJson(
                d.httpUrl,
                `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"huge_json","gauge":{"dataPoints":[{"asDouble":1,"timeUnixNano":"${T}","attributes":[{"key":"big","value":{"stringValue":"${huge}"}}]}]}}]}]}]}`,
              ),
          ],
          [
            "OTLP/protobuf",
            async () => {
              const bytes = ProtobufMetricsSerializer.serializeRequest({
                resource: resourceFromAttributes({ "service.name": "load" }),
                scopeMetrics: [
                  {
                    scope: { name: "load" },
                    metrics: [
                      {
                        descriptor: { name: "huge_proto", description: "", unit: "", valueType: ValueType.DOUBLE },
                        aggregationTemporality: AggregationTemporality.DELTA,
                        dataPointType: DataPointType.HISTOGRAM,
                        dataPoints: [{ attributes: { big: huge }, startTime: [1_690_000_000, 0], endTime: [1_700_000_000, 0], value: { buckets: { boundaries: [1, 10], counts: [0, 1, 0] }, count: 1, sum: 2 } }],
                      },
                    ],
                  },
                ],
              });
              const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: bytes, signal: AbortSignal.timeout(30_000) });
              return { status: res.status, body: `${(await res.arrayBuffer()).byteLength} bytes` };
            },
          ],
        ];
        // Every way in is checked before asserting, so a failure names all the ways that fail.
        const problems: string[] = [];
        let before = truncated((await validScrape(d)).samples);
        for (const [how, send] of sends) {
          const reply = await send();
          if (reply.status !== 200 || (reply.body !== "{}" && reply.body !== "0 bytes")) problems.push(`${how}: answered ${reply.status} ${reply.body}`);
          const { samples, bytes } = await validScrape(d);
          const after = truncated(samples);
          if (after - before !== 1) problems.push(`${how}: ${after - before} truncated values counted, expected 1`);
          before = after;
          if (bytes >= 256 * 1024) problems.push(`${how}: scrape of ${bytes} bytes`);
        }
        const { samples } = await validScrape(d);
        const shown: [string, string, Record<string, string>][] = [
          ["kafka_topic_exporter over /v1/ingest", "huge_ingest_count", { big: kept, small: "s" }],
          ["OTLP/JSON", "huge_json", { big: kept }],
          ["OTLP/protobuf", "huge_proto_count", { big: kept }],
        ];
        for (const [how, name, labels] of shown) {
          const found = select(samples, name, labels);
          if (found.length !== 1 || found[0].value !== 1) problems.push(`${how}: ${name} with the value cut to ${kept.length} characters: ${JSON.stringify(found.map((f) => f.value))}`);
        }
        const dropped = select(samples, "statset_prometheus_dropped_series_total").reduce((n, s) => n + s.value, 0);
        if (dropped !== 0) problems.push(`${dropped} series left out of scrapes`);
        assert.deepStrictEqual(problems, []);
      } finally {
        await d.stop();
      }
    });
  });
});
