import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HealthServer } from "../../src/telemetry/health-server.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { createTelemetryMeterProvider, sdkMetricProducerOf } from "../../src/telemetry/meter-provider.ts";
import { PipelineMetrics, RefusalReason, selfMeter } from "../../src/telemetry/self-metrics.ts";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { request as httpsRequest } from "node:https";
import { selfSignedCertificate } from "../support/tls.ts";

function httpsStatus(port: number, ca: Buffer, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = authorization === undefined ? {} : { authorization };
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/health", ca, servername: "localhost", headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HealthServer", () => {
  describe("handle", () => {
    it("answers 503 while starting or stopping, 200 when ready, 404 elsewhere", async () => {
      const h = new HealthServer({ endpoint: "127.0.0.1:0", path: "/health", allow_unauthenticated_non_loopback: false }, createSilentLogger());
      await h.start();
      const url = `http://127.0.0.1:${h.listeningPort}`;
      try {
        assert.equal((await fetch(`${url}/health`)).status, 503);
        h.setStatus("ready");
        const ok = await fetch(`${url}/health`);
        assert.equal(ok.status, 200);
        assert.equal(((await ok.json()) as { status: string }).status, "Server available");
        h.setStatus("stopping");
        assert.equal((await fetch(`${url}/health`)).status, 503);
        assert.equal((await fetch(`${url}/other`)).status, 404);
      } finally {
        await h.shutdown();
      }
    });
  });
});

describe("HealthServer with tls and auth", () => {
  it("serves HTTPS and answers 401 without the bearer token", async () => {
    const cert = selfSignedCertificate();
    const h = new HealthServer(
      { endpoint: "127.0.0.1:0", path: "/health", auth: { bearer_token: "hc" }, tls: { cert_file: cert.certFile, key_file: cert.keyFile }, allow_unauthenticated_non_loopback: false },
      createSilentLogger(),
    );
    await h.start();
    try {
      h.setStatus("ready");
      assert.equal(await httpsStatus(h.listeningPort, cert.ca), 401);
      assert.equal(await httpsStatus(h.listeningPort, cert.ca, "Bearer nope"), 401);
      assert.equal(await httpsStatus(h.listeningPort, cert.ca, "Bearer hc"), 200);
      await assert.rejects(fetch(`http://127.0.0.1:${h.listeningPort}/health`), "plain HTTP on the TLS port fails");
    } finally {
      await h.shutdown();
      cert.remove();
    }
  });
});

describe("createTelemetryMeterProvider", () => {
  it("exposes the SDK instruments through a MetricProducer", async () => {
    const mp = createTelemetryMeterProvider({ "service.instance.id": "i-1" });
    const m = new PipelineMetrics(selfMeter(mp), "metrics");
    m.recordBatch(10, 7, 0.001);
    m.recordRefused(RefusalReason.NonFinite, 3);
    const producer = sdkMetricProducerOf(mp);
    assert.ok(producer !== undefined);
    const { resourceMetrics } = await producer.collect();
    assert.equal(resourceMetrics.resource.attributes["service.instance.id"], "i-1");
    const byName = new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((x) => [x.descriptor.name, x]));
    assert.equal(byName.get("statset.points.received")?.dataPoints[0].value, 10);
    assert.equal(byName.get("statset.points.accepted")?.dataPoints[0].value, 7);
    assert.deepEqual(byName.get("statset.points.refused")?.dataPoints[0].attributes, { pipeline: "metrics", reason: "non_finite" });
    assert.equal(sdkMetricProducerOf(new MeterProvider()), undefined);
  });
});
