/**
 * `POST /v1/ingest/<encoding>` on a running daemon's OTLP/HTTP receiver: the Kafka message formats
 * over HTTP, decoded with each encoding's default options, scraped back from Prometheus.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestDaemon, type TestDaemon } from "./daemon-harness.ts";
import { type PromSample, select } from "./prom-text.ts";

function value(samples: readonly PromSample[], name: string, labels: Record<string, string>): number | undefined {
  const found = select(samples, name, labels).filter(
    (s) => Object.keys(s.labels).filter((k) => !k.startsWith("otel_scope_")).length === Object.keys(labels).length,
  );
  assert.ok(found.length <= 1, `${name}${JSON.stringify(labels)} is ambiguous`);
  return found[0]?.value;
}

describe("OTLP/HTTP receiver in the daemon", () => {
  let d: TestDaemon;
  let base: string;

  const post = async (encoding: string, body: string, contentType = "application/json"): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${base}/v1/ingest/${encoding}`, { method: "POST", headers: { "content-type": contentType }, body });
    const text = await res.text();
    return { status: res.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
  };

  before(async () => {
    d = await startTestDaemon();
    base = d.httpUrl.slice(0, -"/v1/metrics".length);
  });

  after(async () => {
    await d?.stop();
  });

  describe("POST /v1/ingest/<encoding>", () => {
    it("aggregates kafka_topic_exporter JSON lines and arrays", async () => {
      const labels = { "action-id": "run-7", "client-id": "alice" };
      const one = await post("kafka_topic_exporter", JSON.stringify({ name: "ingest_accuracy", value: 0.5, timestamp: Date.now(), labels }));
      assert.deepEqual(one, { status: 200, body: {} });
      const many = await post(
        "kafka_topic_exporter",
        JSON.stringify([
          { name: "ingest_accuracy", value: 0.75, labels },
          { name: "ingest_accuracy", value: 1.25, labels },
        ]),
      );
      assert.deepEqual(many, { status: 200, body: {} });
      const samples = await d.scrape();
      assert.equal(value(samples, "ingest_accuracy_count", { action_id: "run-7", client_id: "alice" }), 3);
      assert.equal(value(samples, "ingest_accuracy_sum", { action_id: "run-7", client_id: "alice" }), 2.5);
      assert.equal(value(samples, "ingest_accuracy_bucket", { action_id: "run-7", client_id: "alice", le: "0" }), 0);
      assert.equal(value(samples, "ingest_accuracy_bucket", { action_id: "run-7", client_id: "alice", le: "5" }), 3);
    });

    it("aggregates the custom metrics of a Seldon prediction response", async () => {
      const response = {
        data: { names: ["proba"], ndarray: [[0.9]] },
        meta: {
          metrics: [
            { type: "COUNTER", key: "ingest_seldon_requests", value: 1, tags: { model: "iris" } },
            { type: "COUNTER", key: "ingest_seldon_requests", value: 2, tags: { model: "iris" } },
            { type: "GAUGE", key: "ingest_seldon_queue", value: 3.5, tags: { model: "iris" } },
            { type: "TIMER", key: "ingest_seldon_predict", value: 12.5, tags: { model: "iris" } },
          ],
        },
      };
      assert.deepEqual(await post("seldon", JSON.stringify(response)), { status: 200, body: {} });
      const samples = await d.scrape();
      assert.equal(value(samples, "ingest_seldon_requests_total", { model: "iris" }), 3);
      assert.equal(value(samples, "ingest_seldon_queue", { model: "iris" }), 3.5);
      assert.equal(value(samples, "ingest_seldon_predict_count", { model: "iris" }), 1);
      assert.equal(value(samples, "ingest_seldon_predict_sum", { model: "iris" }), 12.5);
    });

    it("aggregates an EMF document per dimension set", async () => {
      const doc = {
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: "svc", Dimensions: [["Service"], ["Service", "Operation"]], Metrics: [{ Name: "ingest_emf_latency", Unit: "Milliseconds" }] }],
        },
        Service: "api",
        Operation: "get",
        ingest_emf_latency: [4, 6, 11],
        requestId: "not-a-dimension",
      };
      assert.deepEqual(await post("emf", JSON.stringify(doc)), { status: 200, body: {} });
      const samples = await d.scrape();
      const sets: Record<string, string>[] = [{ Service: "api" }, { Service: "api", Operation: "get" }];
      for (const labels of sets) {
        assert.equal(value(samples, "ingest_emf_latency_count", labels), 3, JSON.stringify(labels));
        assert.equal(value(samples, "ingest_emf_latency_sum", labels), 21, JSON.stringify(labels));
      }
    });

    it("answers 400 naming the depth limit to a deeply nested body on every JSON path, and keeps serving", async () => {
      // 4 MiB of `[`: under max_json_body_size, refused by the nesting bound before JSON.parse.
      const deep = "[".repeat(4 * 1024 * 1024);
      for (const encoding of ["kafka_topic_exporter", "seldon", "emf", "otlp_json"]) {
        const res = await post(encoding, deep);
        assert.equal(res.status, 400, encoding);
        assert.match((res.body as { message: string }).message, new RegExp(`^${encoding}: .*nested deeper than the limit of 160 levels \\(at byte 160\\)$`));
      }
      const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body: `{"resourceMetrics":${deep}` });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 3, message: "invalid OTLP JSON: nested deeper than the limit of 160 levels (at byte 178)" });
      assert.deepEqual(await post("kafka_topic_exporter", JSON.stringify({ name: "ingest_after_deep", value: 1 })), { status: 200, body: {} });
      assert.equal(value(await d.scrape(), "ingest_after_deep_count", {}), 1);
    });

    it("answers partial success for invalid points, 400 naming the encoding for a malformed body, and 404 for encodings that need options", async () => {
      const partial = await post(
        "kafka_topic_exporter",
        JSON.stringify([
          { name: "ingest_partial", value: 1 },
          { name: "ingest_partial", value: "abc" },
        ]),
      );
      assert.deepEqual(partial, {
        status: 200,
        body: { partialSuccess: { rejectedDataPoints: 1, errorMessage: '[1].value: expected a finite number, got "abc"' } },
      });
      const malformed = await post("seldon", "{not json");
      assert.equal(malformed.status, 400);
      assert.match((malformed.body as { message: string }).message, /^seldon: not valid JSON/);
      const wrongShape = await post("emf", JSON.stringify({ _aws: { CloudWatchMetrics: "nope" } }));
      assert.equal(wrongShape.status, 400);
      assert.match((wrongShape.body as { message: string }).message, /^emf: _aws\.CloudWatchMetrics: expected an array/);
      // regex needs rules, which only a Kafka receiver's configuration can give.
      assert.equal((await post("regex", "step 1 took 5ms", "text/plain")).status, 404);
      assert.equal((await post("no_such_encoding", "{}")).status, 404);
      // The daemon kept serving: the valid point of the partial request is there.
      assert.equal(value(await d.scrape(), "ingest_partial_count", {}), 1);
    });
  });
});
