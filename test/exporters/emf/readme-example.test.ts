/**
 * The README's "Try it" example, run as written: the default config (otel-config/default.yaml) on
 * free ports, the curl body posted to OTLP/HTTP, and the EMF file compared with the lines the README
 * says it contains (their timestamp aside: the window's start).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultRegistry } from "../../../src/components/registry.ts";
import { loadConfigFile } from "../../../src/config/loader.ts";
import { Daemon } from "../../../src/daemon.ts";
import { OtlpReceiver } from "../../../src/receivers/otlp/factory.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** The JSON body of the README's curl POST and the EMF lines the README shows for it. */
function readmeExample(): { body: string; emfLines: string[] } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const post = /curl -s -X POST http:\/\/127\.0\.0\.1:4318\/v1\/metrics [^\n]*-d '([^']*)'/.exec(readme);
  assert.ok(post !== null, "the README posts an OTLP/JSON body with curl");
  const block = /written every minute as Embedded Metric[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  assert.ok(block !== null, "the README shows the EMF lines of the example");
  return { body: post[1], emfLines: block[1].trim().split("\n") };
}

/** The histogram data points of an OTLP/JSON body: metric name, count and sum as sent. */
function histogramPoints(body: unknown): { name: string; count: number; sum: number }[] {
  type Point = { count: string; sum: number };
  type Doc = { resourceMetrics: { scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: Point[] } }[] }[] }[] };
  return (body as Doc).resourceMetrics.flatMap((r) =>
    r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => (m.histogram?.dataPoints ?? []).map((p) => ({ name: m.name, count: Number(p.count), sum: p.sum })))),
  );
}

/** A line with its `_aws.Timestamp` replaced, for comparing documents of different windows. */
function withoutTimestamp(line: string): unknown {
  const doc = JSON.parse(line) as { _aws: { Timestamp: unknown } };
  assert.equal(typeof doc._aws.Timestamp, "number");
  doc._aws.Timestamp = "window start";
  return doc;
}

describe("README Try it", () => {
  it("writes to the EMF file exactly the lines the README shows for its curl example", async () => {
    const { body, emfLines } = readmeExample();
    const dir = mkdtempSync(join(tmpdir(), "statset-readme-"));
    try {
      const emfFile = join(dir, "emf.log");
      const env = {
        STATSET_OTLP_HTTP_ENDPOINT: "127.0.0.1:0",
        STATSET_OTLP_GRPC_ENDPOINT: "127.0.0.1:0",
        STATSET_PROMETHEUS_ENDPOINT: "127.0.0.1:0",
        STATSET_HEALTH_ENDPOINT: "127.0.0.1:0",
        STATSET_EMF_FILE: emfFile,
      };
      const config = await loadConfigFile(join(ROOT, "otel-config/default.yaml"), { registry: defaultRegistry, env });
      const daemon = await Daemon.create(config, { logger: createSilentLogger() });
      await daemon.start();
      try {
        const otlp = daemon.receiver("otlp") as OtlpReceiver;
        const res = await fetch(`http://127.0.0.1:${otlp.http?.port ?? 0}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body });
        assert.equal(res.status, 200, await res.text());
      } finally {
        await daemon.shutdown(); // flushes the open window to the file
      }
      const written = readFileSync(emfFile, "utf8").trim().split("\n");
      assert.deepEqual(written.map(withoutTimestamp), emfLines.map(withoutTimestamp), written.join("\n"));
      // The histogram's Count and Sum are the ones the curl body sent, not what its buckets imply.
      const sent = histogramPoints(JSON.parse(body));
      assert.equal(sent.length, 1);
      const doc = JSON.parse(written[0]) as Record<string, { Count?: number; Sum?: number }>;
      assert.deepEqual({ Count: doc[sent[0].name]?.Count, Sum: doc[sent[0].name]?.Sum }, { Count: sent[0].count, Sum: sent[0].sum });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
