import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../src/components/types.ts";
import { batchProcessorFactory } from "../../src/processors/batch.ts";
import { capturedLogger } from "../support/captured-logger.ts";
import { startTestDaemon } from "../integration/daemon-harness.ts";

function validate(raw: unknown): { config: ReturnType<typeof batchProcessorFactory.validate>; errors: string[] } {
  const errors: ConfigError[] = [];
  const config = batchProcessorFactory.validate(raw, "processors::batch", errors);
  return { config, errors: errors.map((e) => `${e.path}: ${e.message}`) };
}

/**
 * The shape of the Collector's own examples (opentelemetry.io "Configuration" and the
 * memorylimiter/batch READMEs): memory_limiter first, then batch, in a metrics pipeline. Only the
 * endpoints differ, so the test can bind free ports.
 */
const COLLECTOR_CONFIG = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
      http:
        endpoint: 127.0.0.1:0
processors:
  batch:
  memory_limiter:
    check_interval: 1s
    limit_mib: 4000
    spike_limit_mib: 800
exporters:
  prometheus:
    endpoint: 127.0.0.1:0
service:
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [prometheus]
`;

describe("batchProcessorFactory", () => {
  describe("validate", () => {
    it("accepts the Collector's keys with the Collector's defaults", () => {
      assert.deepStrictEqual(validate(null), {
        config: { timeout: 200, send_batch_size: 8192, send_batch_max_size: 0, metadata_keys: [], metadata_cardinality_limit: 1000 },
        errors: [],
      });
      assert.deepStrictEqual(validate({ timeout: "10s", send_batch_size: 1024, send_batch_max_size: 2048, metadata_keys: ["tenant"] }).errors, []);
    });

    it("refuses what the Collector refuses, and typos, with the path", () => {
      assert.deepStrictEqual(validate({ send_batch_size: 100, send_batch_max_size: 10, timout: "1s" }).errors, [
        "processors::batch::timout: unknown key (expected one of: metadata_cardinality_limit, metadata_keys, send_batch_max_size, send_batch_size, timeout); did you mean `timeout`?",
        "processors::batch::send_batch_max_size: must be 0 or at least send_batch_size (100) (got number 10)",
      ]);
      assert.deepStrictEqual(validate({ send_batch_size: 100, send_batch_max_size: 10 }).errors, [
        "processors::batch::send_batch_max_size: must be 0 or at least send_batch_size (100) (got number 10)",
      ]);
      assert.deepStrictEqual(validate({ send_batch_size: -1, timeout: 5 }).errors, [
        'processors::batch::timeout: a duration needs a unit: write "5s" or "5ms" (got number 5)',
        "processors::batch::send_batch_size: must be >= 0 (got number -1)",
      ]);
    });
  });

  describe("in a Collector config pasted as is", () => {
    it("loads, serves the pipeline unchanged and says once per pipeline that batch has no effect", async () => {
      const log = capturedLogger("info");
      const d = await startTestDaemon(COLLECTOR_CONFIG, { logger: log.logger });
      try {
        const body = {
          resourceMetrics: [
            { scopeMetrics: [{ metrics: [{ name: "pasted_requests", sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: "7", timeUnixNano: String(Date.now() * 1e6) }] } }] }] },
          ],
        };
        const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        assert.equal(res.status, 200, await res.text());
        assert.match(await d.scrapeText(), /^pasted_requests_total\{[^}]*\} 7$/m);
        const notes = log.lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("the batch processor is accepted"));
        assert.equal(notes.length, 1, JSON.stringify(log.lines));
        assert.equal(notes[0].processor, "batch@metrics", "the instance of the metrics pipeline");
      } finally {
        await d.stop();
      }
    });
  });
});
