import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { describe, it } from "node:test";
import { createAggregator } from "../../../src/core/aggregator.ts";
import type { ConfigError } from "../../../src/components/types.ts";
import { validatePrometheusConfig } from "../../../src/exporters/prometheus/config.ts";
import { PrometheusPullExporter, PROMETHEUS_CONTENT_TYPE } from "../../../src/exporters/prometheus/exporter.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { createTelemetryMeterProvider } from "../../../src/telemetry/meter-provider.ts";
import { startPrometheus } from "../../support/prometheus-server.ts";
import { selfSignedCertificate } from "../../support/tls.ts";

async function setup(config: Partial<ReturnType<typeof validatePrometheusConfig>> = {}, now?: () => number) {
  const store = await createAggregator({ engine: "js", now });
  const meterProvider = createTelemetryMeterProvider({ "deployment.environment": "test" });
  const errors: ConfigError[] = [];
  const exporter = new PrometheusPullExporter(
    { id: "prometheus", logger: createSilentLogger(), meterProvider },
    { ...validatePrometheusConfig({ endpoint: "127.0.0.1:0" }, "exporters::prometheus", errors), ...config },
    [store],
  );
  await exporter.start();
  return { store, exporter, url: `http://127.0.0.1:${exporter.listeningPort}` };
}

function httpsGet(port: number, path: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, ca, servername: "localhost", headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("PrometheusPullExporter", () => {
  describe("scrape", () => {
    it("serves the store and the daemon's SDK instruments with the 0.0.4 content type", async () => {
      const { store, exporter, url } = await setup({ namespace: "app" });
      try {
        store.counter("jobs").add(3, { queue: "a" });
        const res = await fetch(`${url}/metrics`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
        const text = await res.text();
        assert.match(text, /^app_jobs_total\{queue="a",otel_scope_name="statset"\} 3$/m);
        assert.match(text, /^target_info\{service_name="statset",deployment_environment="test"\} 1$/m);
      } finally {
        await exporter.shutdown();
      }
    });

    it("answers 404 elsewhere and 405 for other methods", async () => {
      const { exporter, url } = await setup();
      try {
        assert.equal((await fetch(`${url}/other`)).status, 404);
        assert.equal((await fetch(`${url}/metrics`, { method: "POST" })).status, 405);
      } finally {
        await exporter.shutdown();
      }
    });
  });

  describe("auth and TLS", () => {
    it("is scraped by a real Prometheus over HTTPS with basic_auth, and answers 401 to anyone else", async () => {
      const cert = selfSignedCertificate();
      const { store, exporter } = await setup({
        auth: { basic: { username: "prom", password: "pa:ss" } },
        tls: { cert_file: cert.certFile, key_file: cert.keyFile },
      });
      const target = `localhost:${exporter.listeningPort}`;
      const prom = await startPrometheus([target], {
        jobLines: ["scheme: https", "tls_config:", `  ca_file: ${cert.certFile}`, "basic_auth:", "  username: prom", "  password: pa:ss"],
      });
      try {
        store.counter("jobs").add(5, { queue: "a" });
        const up = await prom.waitFor("up", (r) => r.length === 1 && r[0].value[1] === "1");
        assert.equal(up[0].metric.instance, target);
        const jobs = await prom.waitFor("jobs_total", (r) => r.length === 1);
        assert.equal(jobs[0].value[1], "5");
        // Anyone without the credentials learns nothing, not even the path.
        for (const path of ["/metrics", "/elsewhere"]) {
          const res = await httpsGet(exporter.listeningPort, path, cert.ca, {});
          assert.equal(res.status, 401, path);
          assert.equal(res.headers["www-authenticate"], 'Basic realm="statset", charset="UTF-8"');
        }
        const wrong = await httpsGet(exporter.listeningPort, "/metrics", cert.ca, { authorization: `Basic ${Buffer.from("prom:pass").toString("base64")}` });
        assert.equal(wrong.status, 401);
      } finally {
        await prom.stop();
        await exporter.shutdown();
        cert.remove();
      }
    });

    it("takes a bearer token the way Prometheus' authorization setting sends it", async () => {
      const { store, exporter, url } = await setup({ auth: { bearer_token: "t0ken" } });
      try {
        store.counter("jobs").add(1);
        assert.equal((await fetch(`${url}/metrics`)).status, 401);
        const ok = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer t0ken" } });
        assert.equal(ok.status, 200);
        assert.match(await ok.text(), /^jobs_total\{otel_scope_name="statset"\} 1$/m);
      } finally {
        await exporter.shutdown();
      }
    });
  });

  describe("expire", () => {
    it("drops series idle for series_ttl and keeps active ones", async () => {
      let now = 1_000_000;
      const { store, exporter } = await setup({ series_ttl: 60_000 }, () => now);
      try {
        const c = store.counter("c");
        c.add(1, { s: "idle" });
        c.add(1, { s: "busy" });
        await exporter.render();
        now += 30_000;
        c.add(1, { s: "busy" });
        await exporter.render();
        now += 40_000;
        assert.equal(exporter.expire(), 1);
        const text = await exporter.render();
        assert.match(text, /s="busy"/);
        assert.doesNotMatch(text, /s="idle"/);
      } finally {
        await exporter.shutdown();
      }
    });
  });

  describe("shutdown", () => {
    it("is idempotent and safe without start", async () => {
      const store = await createAggregator({ engine: "js" });
      const e = new PrometheusPullExporter({ id: "p", logger: createSilentLogger(), meterProvider: createTelemetryMeterProvider() }, validatePrometheusConfig({}, "p", []), [store]);
      await e.shutdown();
      await e.shutdown();
    });
  });
});

describe("validatePrometheusConfig", () => {
  it("defaults to 127.0.0.1:9464, /metrics and a 5m series_ttl", () => {
    const errors: ConfigError[] = [];
    assert.deepEqual(validatePrometheusConfig(undefined, "exporters::prometheus", errors), {
      endpoint: "127.0.0.1:9464",
      path: "/metrics",
      namespace: "",
      series_ttl: 300_000,
      without_scope_info: false,
      without_target_info: false,
      allow_unauthenticated_non_loopback: false,
    });
    assert.deepEqual(errors, []);
  });

  it("reports every bad setting as path: problem (got VALUE), and the closest key for a typo", () => {
    const errors: ConfigError[] = [];
    validatePrometheusConfig({ endpoint: "x", path: "metrics", namespace: "1bad", series_ttl: "100ms", without_scope_infos: true }, "exporters::prometheus/a", errors);
    assert.deepEqual(
      errors.map((e) => `${e.path}: ${e.message}`),
      [
        'exporters::prometheus/a::endpoint: is not host:port (missing port) (got "x")',
        'exporters::prometheus/a::path: must start with "/" (got "metrics")',
        'exporters::prometheus/a::namespace: is not a Prometheus name prefix ([A-Za-z_][A-Za-z0-9_]*) (got "1bad")',
        'exporters::prometheus/a::series_ttl: must be at least 1s (got "100ms")',
        "exporters::prometheus/a::without_scope_infos: unknown key (expected one of: allow_unauthenticated_non_loopback, auth, endpoint, namespace, path, series_ttl, tls, without_scope_info, without_target_info); did you mean `without_scope_info`?",
      ],
    );
  });

  it("takes 0 for series_ttl (never expire) and refuses a bare number with a hint", () => {
    assert.equal(validatePrometheusConfig({ series_ttl: 0 }, "p", []).series_ttl, 0);
    const errors: ConfigError[] = [];
    validatePrometheusConfig({ series_ttl: 30 }, "p", errors);
    assert.deepEqual(errors, [{ path: "p::series_ttl", message: 'a duration needs a unit: write "30s" or "30ms" (got number 30)' }]);
  });
});
