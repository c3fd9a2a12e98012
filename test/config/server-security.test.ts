import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../src/components/types.ts";
import { defaultRegistry } from "../../src/components/registry.ts";
import { healthCheckSchema } from "../../src/config/health-check-config.ts";
import { ConfigLoadError, parseConfigText } from "../../src/config/loader.ts";
import { readSection } from "../../src/config/schema.ts";
import { isLoopbackHost, type ServerSecurityConfig } from "../../src/config/server-security.ts";

/** The security keys of one server section (health_check's: every server spreads the same shape). */
function read(raw: Record<string, unknown>, host = "127.0.0.1"): { config: ServerSecurityConfig | undefined; errors: Map<string, string> } {
  const errors: ConfigError[] = [];
  const section = readSection(healthCheckSchema, { endpoint: `${host}:1`, ...raw }, "x", errors);
  const config = section === undefined ? undefined : { ...(section.auth === undefined ? {} : { auth: section.auth }), ...(section.tls === undefined ? {} : { tls: section.tls }), allow_unauthenticated_non_loopback: section.allow_unauthenticated_non_loopback };
  return { config, errors: new Map(errors.map((e) => [e.path, e.message])) };
}

/** The messages a whole document gets, by path. */
function documentErrors(yaml: string): Map<string, string> {
  try {
    parseConfigText(yaml, "t.yaml", { registry: defaultRegistry, env: {} });
    return new Map();
  } catch (e) {
    if (!(e instanceof ConfigLoadError)) throw e;
    return new Map(e.problems.map((x) => [x.path, x.message]));
  }
}

const PIPELINE = "service:\n  extensions: [health_check]\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [prometheus]\n";

describe("isLoopbackHost", () => {
  it("recognises loopback names and addresses only", () => {
    for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"]) assert.equal(isLoopbackHost(h), false, h);
  });
});

describe("serverSecurityShape", () => {
  it("reads a bearer token, basic credentials and TLS files", () => {
    assert.deepStrictEqual(read({ auth: { bearer_token: "t" } }).config, { auth: { bearer_token: "t" }, allow_unauthenticated_non_loopback: false });
    assert.deepStrictEqual(read({ auth: { basic: { username: "u", password: "p:w" } }, tls: { cert_file: "c", key_file: "k" } }).config, {
      auth: { basic: { username: "u", password: "p:w" } },
      tls: { cert_file: "c", key_file: "k" },
      allow_unauthenticated_non_loopback: false,
    });
  });

  it("names the path and the value of every bad setting", () => {
    const { errors } = read({ auth: { bearer_token: "t", basic: { username: "u", password: "p" } }, tls: { cert_file: 3 }, allow_unauthenticated_non_loopback: "no" });
    assert.equal(errors.get("x::auth::basic"), "set either bearer_token or basic, not both");
    assert.equal(errors.get("x::tls::cert_file"), "expected a string (got number 3)");
    assert.equal(errors.get("x::tls::key_file"), "required");
    assert.equal(errors.get("x::allow_unauthenticated_non_loopback"), 'expected true or false (got "no")');
    const basic = read({ auth: { basic: { username: "a:b", password: "" } } }).errors;
    assert.equal(basic.get("x::auth::basic::password"), 'must not be empty (got "")');
    assert.equal(read({ auth: { basic: { username: "a:b", password: "p" } } }).errors.get("x::auth::basic::username"), 'must not contain ":" (got "a:b")');
    assert.match(read({ auth: { token: "t" } }).errors.get("x::auth::token") ?? "", /unknown key \(expected one of: basic, bearer_token\)/);
    assert.equal(read({ auth: {} }).errors.get("x::auth::bearer_token"), "required when auth is set (or basic)");
  });

  it("refuses a non-loopback host without auth unless explicitly allowed", () => {
    assert.match(read({}, "0.0.0.0").errors.get("x::endpoint") ?? "", /^refusing to listen on non-loopback address "0\.0\.0\.0" without auth \(bearer_token or basic\); set allow_unauthenticated_non_loopback: true/);
    assert.equal(read({ allow_unauthenticated_non_loopback: true }, "0.0.0.0").errors.size, 0);
    assert.equal(read({ auth: { bearer_token: "t" } }, "10.0.0.1").errors.size, 0);
    const invalid: ConfigError[] = [];
    readSection(healthCheckSchema, { endpoint: "nohost" }, "x", invalid);
    assert.deepStrictEqual(invalid.map((e) => e.path), ["x::endpoint"], "an invalid endpoint is reported once, by its own check");
  });
});

describe("the exposure rule on every server", () => {
  it("refuses prometheus, health_check and otlp on 0.0.0.0 without auth, naming each endpoint", () => {
    const errors = documentErrors(
      "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 0.0.0.0:4318\n" +
        "exporters:\n  prometheus:\n    endpoint: 0.0.0.0:9464\n" +
        "extensions:\n  health_check:\n    endpoint: 0.0.0.0:13133\n" +
        PIPELINE,
    );
    assert.deepStrictEqual([...errors.keys()].sort(), ["exporters::prometheus::endpoint", "extensions::health_check::endpoint", "receivers::otlp::protocols::http::endpoint"]);
  });

  it("accepts them with auth or with allow_unauthenticated_non_loopback", () => {
    const errors = documentErrors(
      "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 0.0.0.0:4318\n        auth: { basic: { username: u, password: p } }\n" +
        "exporters:\n  prometheus:\n    endpoint: 0.0.0.0:9464\n    auth: { bearer_token: t }\n" +
        "extensions:\n  health_check:\n    endpoint: 0.0.0.0:13133\n    allow_unauthenticated_non_loopback: true\n" +
        PIPELINE,
    );
    assert.deepStrictEqual([...errors.entries()], []);
  });
});
