/**
 * The daemon in-process: health life cycle, bad input through the real receivers, backpressure,
 * start failures, and a graceful shutdown that loses nothing acknowledged.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import type { ComponentContext, Receiver, ReceiverFactory } from "../../src/components/types.ts";
import { createRegistry } from "../../src/components/registry.ts";
import { parseConfigText } from "../../src/config/loader.ts";
import { Daemon, DaemonStartError } from "../../src/daemon.ts";
import { PrometheusPullExporter } from "../../src/exporters/prometheus/exporter.ts";
import type { MetricsConsumer } from "../../src/pipeline/types.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { freePort } from "../support/free-port.ts";
import { startTestDaemon, testConfigYaml } from "./daemon-harness.ts";
import { parsePromText, select, valueOf } from "./prom-text.ts";

function gaugeJson(name: string, values: (number | string)[], attributes: { key: string; value: { stringValue: string } }[] = []): string {
  return JSON.stringify({
    resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: "t" }, metrics: [{ name, gauge: { dataPoints: values.map((v) => ({ asDouble: v, timeUnixNano: "1", attributes })) } }] }] }],
  });
}

function deltaSumJson(name: string, value: number, attrs: Record<string, string> = {}): string {
  const attributes = Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return JSON.stringify({
    resourceMetrics: [
      { resource: {}, scopeMetrics: [{ scope: { name: "t" }, metrics: [{ name, sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asDouble: value, timeUnixNano: "1", attributes }] } }] }] },
    ],
  });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const r = await fetch(url, { method: "POST", headers, body });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get("retry-after") };
}

/** A receiver whose start() waits until released (to observe health while starting). */
function gatedReceiverFactory(gate: Promise<void>): ReceiverFactory<Record<string, never>> {
  return {
    type: "gated",
    createDefaultConfig: () => ({}),
    validate: () => ({}),
    create(_ctx: ComponentContext, _config: Record<string, never>, _next: MetricsConsumer): Receiver {
      return { start: () => gate, shutdown: async () => {} };
    },
  };
}

describe("Daemon", () => {
  describe("start", () => {
    it("answers 503 on /health while starting and 200 once every component runs", async () => {
      let release = (): void => {};
      const gate = new Promise<void>((r) => (release = r));
      const health = await freePort();
      const yaml = `
receivers: { gated: }
exporters: { prometheus: { endpoint: "127.0.0.1:0" } }
extensions: { health_check: { endpoint: "127.0.0.1:${health}" } }
service:
  extensions: [health_check]
  pipelines: { metrics: { receivers: [gated], exporters: [prometheus] } }`;
      const registry = createRegistry({ receivers: [gatedReceiverFactory(gate)] });
      const daemon = await Daemon.create(parseConfigText(yaml, "t", { registry, env: {} }), { registry, logger: createSilentLogger() });
      const starting = daemon.start();
      try {
        let status = 0;
        for (let i = 0; i < 50 && status !== 503; i++) {
          try {
            status = (await fetch(`http://127.0.0.1:${health}/health`)).status;
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        assert.equal(status, 503);
        release();
        await starting;
        const ok = await fetch(`http://127.0.0.1:${health}/health`);
        assert.equal(ok.status, 200);
        assert.equal(((await ok.json()) as { status: string }).status, "Server available");
      } finally {
        release();
        await daemon.shutdown();
      }
    });

    it("fails naming the configuration key of an endpoint in use, and stops what it started", async () => {
      const busy = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen({ host: "127.0.0.1", port: busy }, () => r()));
      const health = await freePort();
      try {
        const yaml = testConfigYaml().replace("prometheus:\n    endpoint: 127.0.0.1:0", `prometheus:\n    endpoint: 127.0.0.1:${busy}`).replace("health_check:\n    endpoint: 127.0.0.1:0", `health_check:\n    endpoint: 127.0.0.1:${health}`);
        const daemon = await Daemon.create(parseConfigText(yaml, "t", { registry: createRegistry(), env: {} }), { logger: createSilentLogger() });
        await assert.rejects(daemon.start(), (e: unknown) => e instanceof DaemonStartError && e.message === `exporters::prometheus::endpoint: 127.0.0.1:${busy} is already in use`);
        await assert.rejects(fetch(`http://127.0.0.1:${health}/health`), "the health endpoint was closed again");
      } finally {
        await new Promise<void>((r) => blocker.close(() => r()));
      }
    });
  });

  describe("bad input", () => {
    it("answers each kind of bad request with its documented status and keeps serving", async () => {
      const d = await startTestDaemon(testConfigYaml({ httpExtra: "        max_request_body_size: 1048576" }));
      try {
        const json = { "content-type": "application/json" };
        assert.equal((await post(d.httpUrl, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { "content-type": "application/x-protobuf" })).status, 400, "malformed protobuf");
        assert.equal((await post(d.httpUrl, "{not json", json)).status, 400, "malformed JSON");
        assert.equal((await post(d.httpUrl, "hello", { "content-type": "text/plain" })).status, 415, "wrong content type");
        assert.equal((await post(d.httpUrl, Buffer.alloc(2 * 1024 * 1024, 0x20), json)).status, 413, "oversize body");
        const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
        assert.ok(bomb.length < 1024 * 1024);
        assert.equal((await post(d.httpUrl, bomb, { ...json, "content-encoding": "gzip" })).status, 413, "gzip bomb");

        const nan = await post(d.httpUrl, gaugeJson("bad_values", ["NaN", "Infinity", "-Infinity", 4]), json);
        assert.equal(nan.status, 200);
        assert.deepEqual(JSON.parse(nan.text), { partialSuccess: { rejectedDataPoints: 3, errorMessage: "metric bad_values: non-finite value NaN" } });

        const wide = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: { stringValue: `v${i}` } }));
        const huge = await post(d.httpUrl, gaugeJson("wide_point", [1], wide), json);
        assert.equal(huge.status, 200);
        assert.equal((JSON.parse(huge.text) as { partialSuccess: { rejectedDataPoints: number } }).partialSuccess.rejectedDataPoints, 1);

        assert.equal((await post(d.httpUrl, deltaSumJson("still_serving", 2), json)).status, 200);
        const s = await d.scrape();
        assert.equal(valueOf(s, "still_serving_total"), 2);
        assert.equal(valueOf(s, "bad_values"), 4);
        assert.equal(select(s, "wide_point").length, 0);
        assert.equal(valueOf(s, "statset_points_refused_total", { reason: "non_finite" }), 3);
        assert.equal(valueOf(s, "statset_points_refused_total", { reason: "invalid_point" }), 1);
        assert.equal((await fetch(d.healthUrl)).status, 200);
      } finally {
        await d.stop();
      }
    });

    it("answers 429 with Retry-After when the pipeline is over max_series", async () => {
      const d = await startTestDaemon(testConfigYaml({ pipelineExtra: "      max_series: 2" }));
      try {
        const json = { "content-type": "application/json" };
        assert.equal((await post(d.httpUrl, deltaSumJson("bp", 1, { i: "1" }), json)).status, 200);
        assert.equal((await post(d.httpUrl, deltaSumJson("bp", 1, { i: "2" }), json)).status, 200);
        const refused = await post(d.httpUrl, deltaSumJson("bp", 1, { i: "3" }), json);
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
        assert.equal(select(await d.scrape(), "bp_total").length, 2);
      } finally {
        await d.stop();
      }
    });
  });

  describe("shutdown", () => {
    it("loses nothing it acknowledged: every 200 is visible to a scrape after receivers drained", async () => {
      let drainedScrape = "";
      let prom: PrometheusPullExporter | undefined;
      const d = await startTestDaemon(testConfigYaml(), {
        onDrained: async () => {
          drainedScrape = await (prom as PrometheusPullExporter).render();
        },
      });
      prom = d.daemon.exporter("prometheus") as PrometheusPullExporter;
      const json = { "content-type": "application/json" };
      const sends = Array.from({ length: 60 }, (_, i) =>
        post(d.httpUrl, deltaSumJson("acked", i + 1), json).then(
          (r) => (r.status === 200 ? i + 1 : 0),
          () => 0,
        ),
      );
      // Stop as soon as the first acknowledgement arrives: the rest are in flight or not yet sent.
      await Promise.race(sends.map((p) => p.then((v) => (v > 0 ? Promise.resolve() : new Promise(() => {})))));
      const stopping = d.stop();
      const acknowledged = (await Promise.all(sends)).reduce((a, b) => a + b, 0);
      await stopping;
      assert.ok(acknowledged > 0, "some requests were acknowledged before the shutdown");
      assert.ok(acknowledged < (60 * 61) / 2, "and some were refused by the shutdown, so the test raced it");
      const s = parsePromText(drainedScrape);
      assert.equal(valueOf(s, "acked_total"), acknowledged);
      await assert.rejects(fetch(d.healthUrl), "everything is closed after shutdown");
    });

    it("is idempotent and safe before start", async () => {
      const daemon = await Daemon.create(parseConfigText(testConfigYaml(), "t", { registry: createRegistry(), env: {} }), { logger: createSilentLogger() });
      await daemon.shutdown();
      await daemon.shutdown();
    });
  });
});
