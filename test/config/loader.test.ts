import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRegistry } from "../../src/components/registry.ts";
import { ConfigLoadError, formatConfigError, parseConfigText } from "../../src/config/loader.ts";
import type { ReceiverFactory } from "../../src/components/types.ts";
import { ConfigReader } from "../../src/config/fields.ts";

/** A receiver type with one setting, so these tests do not depend on the real receivers. */
const fakeReceiver: ReceiverFactory<{ endpoint: string }> = {
  type: "fake",
  createDefaultConfig: () => ({ endpoint: "127.0.0.1:1" }),
  validate(raw, path, errors) {
    const r = new ConfigReader(raw, path, errors);
    const endpoint = r.endpoint("endpoint", "127.0.0.1:1");
    r.finish();
    return { endpoint };
  },
  create() {
    throw new Error("not used");
  },
};
const registry = createRegistry({ receivers: [fakeReceiver] });

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, "test.yaml", { registry, env });
  } catch (e) {
    if (e instanceof ConfigLoadError) return e.problems.map(formatConfigError);
    throw e;
  }
  return [];
}

const MINIMAL = `
receivers: { fake: }
exporters: { prometheus: }
service: { pipelines: { metrics: { receivers: [fake], exporters: [prometheus] } } }
`;

describe("parseConfigText", () => {
  describe("defaults and merging", () => {
    it("fills component defaults under the user's values", () => {
      const c = parseConfigText(MINIMAL, "t", { registry, env: {} });
      assert.deepEqual(c.exporters.get("prometheus")?.config, {
        endpoint: "127.0.0.1:9464",
        path: "/metrics",
        namespace: "",
        series_ttl: 300_000,
        without_scope_info: false,
        without_target_info: false,
        allow_unauthenticated_non_loopback: false,
      });
      assert.equal(c.service.logLevel, "info");
      assert.equal(c.healthCheck, null);
      assert.deepEqual(c.service.pipelines[0].resource_to_telemetry, { enabled: false, include: null });
    });

    it("accepts type/name ids and metrics/<name> pipelines", () => {
      const c = parseConfigText(
        `receivers: { fake/a: , fake/b: { endpoint: "127.0.0.1:7" } }
exporters: { prometheus/x: { series_ttl: 90s } }
service: { pipelines: { metrics/one: { receivers: [fake/a, fake/b], exporters: [prometheus/x] } } }`,
        "t",
        { registry, env: {} },
      );
      assert.equal(c.receivers.get("fake/b")?.type, "fake");
      assert.deepEqual(c.receivers.get("fake/b")?.config, { endpoint: "127.0.0.1:7" });
      assert.equal((c.exporters.get("prometheus/x")?.config as { series_ttl: number }).series_ttl, 90_000);
      assert.equal(c.service.pipelines[0].id, "metrics/one");
    });

    it("enables health_check only when listed in service::extensions", () => {
      const text = `${MINIMAL}\nextensions: { health_check: { endpoint: "127.0.0.1:0" } }\n`;
      assert.equal(parseConfigText(text, "t", { registry, env: {} }).healthCheck, null);
      const on = text.replace("service: {", "service: { extensions: [health_check],");
      assert.deepEqual(parseConfigText(on, "t", { registry, env: {} }).healthCheck, { endpoint: "127.0.0.1:0", path: "/health", allow_unauthenticated_non_loopback: false });
    });
  });

  describe("environment substitution", () => {
    it("substitutes ${env:VAR} and keeps YAML typing for whole values", () => {
      const c = parseConfigText(
        MINIMAL.replace("prometheus: }", "prometheus: { endpoint: '${env:HOST}:${env:PORT}', without_scope_info: '${env:NOSCOPE}' } }"),
        "t",
        { registry, env: { HOST: "127.0.0.1", PORT: "9999", NOSCOPE: "true" } },
      );
      const cfg = c.exporters.get("prometheus")?.config as { endpoint: string; without_scope_info: boolean };
      assert.equal(cfg.endpoint, "127.0.0.1:9999");
      assert.equal(cfg.without_scope_info, true);
    });

    it("uses ${env:VAR:-default} when the variable is unset and $$ for a literal dollar", () => {
      const c = parseConfigText(
        MINIMAL.replace("prometheus: }", "prometheus: { endpoint: '${env:NOPE:-127.0.0.1:9100}', path: '/a$$b' } }"),
        "t",
        { registry, env: {} },
      );
      const cfg = c.exporters.get("prometheus")?.config as { endpoint: string; path: string };
      assert.equal(cfg.endpoint, "127.0.0.1:9100");
      assert.equal(cfg.path, "/a$b");
    });

    it("names a missing variable and an unsupported reference", () => {
      const p = problems(MINIMAL.replace("prometheus: }", "prometheus: { endpoint: '${env:MISSING_ONE}', namespace: '${file:/x}' } }"));
      assert.equal(p.length, 2);
      assert.match(p[0], /^exporters::prometheus::endpoint: environment variable MISSING_ONE is not set/);
      assert.match(p[1], /^exporters::prometheus::namespace: unsupported reference \$\{file:\/x\}/);
    });
  });

  describe("validation", () => {
    it("reports every problem of the document, each with its path", () => {
      const p = problems(`
receivers: { fake: { endpoint: "nohost", extra: 1 }, nope: {} }
exporters: { prometheus: { endpoint: "127.0.0.1:99999", series_ttl: 7 } }
bogus: 1
service:
  telemetry: { logs: { level: loud } }
  pipelines:
    metrics: { receivers: [fake, ghost], exporters: [] }
`);
      assert.deepEqual(p.sort(), [
        "bogus: unknown key (expected one of: exporters, extensions, processors, receivers, service)",
        'exporters::prometheus::endpoint: port 99999 is out of range 0..65535 (got "127.0.0.1:99999")',
        'exporters::prometheus::series_ttl: a duration needs a unit: write "7s" or "7ms" (got number 7)',
        'receivers::fake::endpoint: is not host:port (missing port) (got "nohost")',
        "receivers::fake::extra: unknown key (expected one of: endpoint)",
        'receivers::nope: unknown receiver type "nope" (known: fake, kafka, otlp)',
        "service::pipelines::metrics::exporters: a pipeline needs at least one exporter",
        'service::pipelines::metrics::receivers[1]: references receiver "ghost", which is not configured under receivers',
        'service::telemetry::logs::level: must be one of "trace", "debug", "info", "warn", "error", "fatal", "silent" (got "loud")',
      ]);
    });

    it("requires a service section with at least one pipeline", () => {
      assert.deepEqual(problems("receivers: { fake: }"), ["service: missing: the service section lists the pipelines to run"]);
      assert.deepEqual(problems("receivers: { fake: }\nservice: { pipelines: {} }"), ["service::pipelines: at least one metrics pipeline is required"]);
    });

    it("refuses a list listing the same component twice", () => {
      const p = problems(MINIMAL.replace("receivers: [fake]", "receivers: [fake, fake]"));
      assert.deepEqual(p, ['service::pipelines::metrics::receivers[1]: "fake" is listed twice']);
    });

    it("reports YAML syntax errors with line and column", () => {
      const p = problems("a: [\nb: 1\n");
      assert.equal(p.length, 1);
      assert.match(p[0], /^test\.yaml:2:1: invalid YAML: /);
    });

    it("refuses duplicate keys", () => {
      assert.match(problems("service: {}\nservice: {}\n")[0], /invalid YAML: Map keys must be unique/);
    });
  });
});
