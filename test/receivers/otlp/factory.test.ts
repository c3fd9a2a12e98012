import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ConfigError } from "../../../src/components/types.ts";
import { otlpReceiverFactory } from "../../../src/receivers/otlp/factory.ts";
import { ListenError } from "../../../src/telemetry/http-listen.ts";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_BODY_BYTES } from "../../../src/receivers/otlp/config.ts";
import { RecordingConsumer, createTestContext } from "../../support/otlp-receiver-harness.ts";

function validate(raw: unknown): { config: ReturnType<typeof otlpReceiverFactory.validate>; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const config = otlpReceiverFactory.validate(raw, "receivers::otlp", errors);
  return { config, errors };
}

describe("otlpReceiverFactory", () => {
  describe("createDefaultConfig", () => {
    it("enables HTTP on 127.0.0.1:4318 and gRPC on 127.0.0.1:4317 with 64 MiB limits, 8 MiB for JSON", () => {
      assert.equal(otlpReceiverFactory.type, "otlp");
      assert.deepStrictEqual(otlpReceiverFactory.createDefaultConfig(), {
        protocols: {
          http: {
            endpoint: "127.0.0.1:4318",
            max_request_body_size: DEFAULT_MAX_BODY_BYTES,
            max_json_body_size: DEFAULT_MAX_JSON_BODY_BYTES,
            metrics_url_path: "/v1/metrics", allow_unauthenticated_non_loopback: false,
          },
          grpc: { endpoint: "127.0.0.1:4317", max_recv_msg_size: DEFAULT_MAX_BODY_BYTES, allow_unauthenticated_non_loopback: false },
        },
      });
      assert.equal(DEFAULT_MAX_BODY_BYTES, 64 * 1024 * 1024);
      assert.equal(DEFAULT_MAX_JSON_BODY_BYTES, 8 * 1024 * 1024);
    });
  });

  describe("validate", () => {
    it("uses the defaults for an absent or empty config", () => {
      for (const raw of [undefined, null, {}, { protocols: null }]) {
        const { config, errors } = validate(raw);
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(config, otlpReceiverFactory.createDefaultConfig());
      }
    });

    it("enables only the listed protocols, a null protocol meaning its defaults", () => {
      const { config, errors } = validate({ protocols: { http: null } });
      assert.deepStrictEqual(errors, []);
      assert.equal(config.protocols.grpc, undefined);
      assert.equal(config.protocols.http?.endpoint, "127.0.0.1:4318");
    });

    it("merges user values over the defaults", () => {
      const { config, errors } = validate({
        protocols: {
          http: { endpoint: "[::1]:9000", max_request_body_size: 1024, metrics_url_path: "/m", auth: { bearer_token: "t" } },
          grpc: { endpoint: "0.0.0.0:9001", auth: { bearer_token: "u" }, tls: { cert_file: "c.pem", key_file: "k.pem" }, max_recv_msg_size: 2048 },
        },
      });
      assert.deepStrictEqual(errors, []);
      assert.deepStrictEqual(config.protocols.http, {
        endpoint: "[::1]:9000",
        max_request_body_size: 1024,
        max_json_body_size: DEFAULT_MAX_JSON_BODY_BYTES,
        metrics_url_path: "/m",
        auth: { bearer_token: "t" },
        allow_unauthenticated_non_loopback: false,
      });
      assert.deepStrictEqual(config.protocols.grpc, {
        endpoint: "0.0.0.0:9001",
        max_recv_msg_size: 2048,
        auth: { bearer_token: "u" },
        tls: { cert_file: "c.pem", key_file: "k.pem" },
        allow_unauthenticated_non_loopback: false,
      });
    });

    it("reports every problem with its full path", () => {
      const { errors } = validate({
        extra: 1,
        protocols: {
          http: { endpoint: "localhost", max_request_body_size: -5, bogus: true, auth: { bearer_token: "" }, tls: { cert_file: "c" } },
          grpc: { endpoint: "127.0.0.1:70000", allow_unauthenticated_non_loopback: "yes" },
          thrift: {},
        },
      });
      assert.deepStrictEqual(
        errors.map((e) => `${e.path}: ${e.message}`),
        [
          'receivers::otlp::protocols::http::endpoint: is not host:port (missing port) (got "localhost")',
          "receivers::otlp::protocols::http::max_request_body_size: must be >= 1 (got number -5)",
          'receivers::otlp::protocols::http::auth::bearer_token: must not be empty (got "")',
          "receivers::otlp::protocols::http::tls::key_file: required",
          "receivers::otlp::protocols::http::bogus: unknown key (expected one of: allow_unauthenticated_non_loopback, auth, endpoint, max_json_body_size, max_request_body_size, metrics_url_path, tls)",
          'receivers::otlp::protocols::grpc::endpoint: port 70000 is out of range 0..65535 (got "127.0.0.1:70000")',
          'receivers::otlp::protocols::grpc::allow_unauthenticated_non_loopback: expected true or false (got "yes")',
          "receivers::otlp::protocols::thrift: unknown key (expected one of: grpc, http)",
          "receivers::otlp::extra: unknown key (expected one of: protocols)",
        ],
      );
    });

    it("refuses non-loopback endpoints without a token unless explicitly allowed", () => {
      const refused = validate({ protocols: { http: { endpoint: "0.0.0.0:4318" }, grpc: { endpoint: ":4317" } } });
      assert.deepStrictEqual(
        refused.errors.map((e) => e.path),
        ["receivers::otlp::protocols::http::endpoint", "receivers::otlp::protocols::grpc::endpoint"],
      );
      assert.match(refused.errors[0].message, /refusing to listen on non-loopback address "0\.0\.0\.0" without auth \(bearer_token or basic\)/);
      const allowed = validate({ protocols: { http: { endpoint: "0.0.0.0:4318", allow_unauthenticated_non_loopback: true } } });
      assert.deepStrictEqual(allowed.errors, []);
      const withToken = validate({ protocols: { grpc: { endpoint: "10.1.2.3:4317", auth: { bearer_token: "x" } } } });
      assert.deepStrictEqual(withToken.errors, []);
      assert.deepStrictEqual(validate({ protocols: { http: { endpoint: "localhost:4318" } } }).errors, []);
    });

    it("requires at least one protocol and mappings where mappings belong", () => {
      assert.deepStrictEqual(validate({ protocols: {} }).errors, [
        { path: "receivers::otlp::protocols", message: "must enable at least one protocol (http, grpc)" },
      ]);
      assert.deepStrictEqual(validate("yes").errors, [{ path: "receivers::otlp", message: 'expected a mapping (got "yes")' }]);
      assert.deepStrictEqual(validate({ protocols: { http: [1] } }).errors, [
        { path: "receivers::otlp::protocols::http", message: "expected a mapping (got a list)" },
      ]);
    });
  });

  describe("create", () => {
    it("builds a receiver with only the configured transports", async () => {
      const config = otlpReceiverFactory.validate({ protocols: { grpc: { endpoint: "127.0.0.1:0" } } }, "r", []);
      const receiver = otlpReceiverFactory.create(createTestContext().ctx, config, new RecordingConsumer());
      assert.equal(receiver.http, undefined);
      assert.ok(receiver.grpc !== undefined);
      await receiver.start();
      assert.ok(receiver.grpc.port > 0);
      await receiver.shutdown();
    });

    it("fails to start, leaving nothing listening, when a port is taken", async () => {
      const first = otlpReceiverFactory.create(
        createTestContext().ctx,
        otlpReceiverFactory.validate({ protocols: { http: { endpoint: "127.0.0.1:0" } } }, "r", []),
        new RecordingConsumer(),
      );
      await first.start();
      const port = first.http?.port ?? assert.fail();
      const second = otlpReceiverFactory.create(
        createTestContext().ctx,
        otlpReceiverFactory.validate({ protocols: { http: { endpoint: `127.0.0.1:${port}` }, grpc: { endpoint: "127.0.0.1:0" } } }, "r", []),
        new RecordingConsumer(),
      );
      await assert.rejects(second.start(), (err: unknown) => err instanceof ListenError && err.code === "EADDRINUSE" && /127\.0\.0\.1:\d+ is already in use/.test(err.message));
      await second.shutdown();
      await first.shutdown();
    });
  });
});
