import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { createDefaultKafkaConfig, validateKafkaConfig } from "../../../src/receivers/kafka/config.ts";

const P = "receivers::kafka/events";

function problems(raw: unknown): ConfigError[] {
  const errors: ConfigError[] = [];
  validateKafkaConfig(raw, P, errors);
  return errors;
}

describe("validateKafkaConfig", () => {
  it("accepts no config at all (the defaults) and fills every field", () => {
    const errors: ConfigError[] = [];
    const config = validateKafkaConfig(undefined, P, errors);
    assert.deepEqual(errors, []);
    assert.deepEqual(config.brokers, createDefaultKafkaConfig().brokers);
    assert.equal(config.encoding, "otlp_proto");
    assert.equal(config.initial_offset, "latest");
  });

  it("merges user fields over the defaults and validates the encoding's options", () => {
    const errors: ConfigError[] = [];
    const config = validateKafkaConfig(
      { brokers: ["10.0.0.1:9092", "[::1]:9093"], topic: "m", encoding: "emf", emf: { properties_as_attributes: ["host"] }, commit_interval_ms: 250 },
      P,
      errors,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(config.topics, ["m"]);
    assert.deepEqual(config.decoders.emf, { properties_as_attributes: ["host"] });
    assert.equal(config.commit_interval_ms, 250);
  });

  it("reports every problem with its full path", () => {
    const errors = problems({
      brokers: ["nohost", 3],
      topics: ["ok", "bad topic"],
      topic_pattern: "(",
      initial_offset: "middle",
      sasl: { mechanism: "gssapi", username: "u" },
      encoding: "avro",
      regex: { rules: [{ name: "x", pattern: "(a" }] },
      commit_interval_ms: -5,
      heartbeat_interval_ms: 40_000,
      group_id: "",
      typo: true,
    });
    const paths = errors.map((e) => e.path).sort();
    assert.deepEqual(paths, [
      `${P}::brokers::0`,
      `${P}::brokers::1`,
      `${P}::commit_interval_ms`,
      `${P}::encoding`,
      `${P}::group_id`,
      `${P}::heartbeat_interval_ms`,
      `${P}::initial_offset`,
      `${P}::regex::rules::0::pattern`,
      `${P}::sasl::mechanism`,
      `${P}::sasl::password`,
      `${P}::topic_pattern`,
      `${P}::topic_pattern`,
      `${P}::topics::1`,
      `${P}::typo`,
    ]);
    assert.match(errors.find((e) => e.path === `${P}::encoding`)!.message, /unknown encoding "avro"/);
    assert.match(errors.find((e) => e.path === `${P}::brokers::0`)!.message, /expected host:port, got "nohost"/);
  });

  it("checks that TLS files exist and that cert and key come together", () => {
    const dir = mkdtempSync(join(tmpdir(), "statset-kafka-tls-"));
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, "x");
    assert.deepEqual(problems({ tls: { ca_file: ca } }), []);
    const errors = problems({ tls: { ca_file: join(dir, "missing.pem"), cert_file: ca } });
    assert.deepEqual(errors.map((e) => e.path).sort(), [`${P}::tls::ca_file`, `${P}::tls::key_file`]);
  });

  it("requires topics or a pattern but not both", () => {
    assert.deepEqual(problems({ topics: [] }).map((e) => e.path), [`${P}::topics`]);
    assert.deepEqual(problems({ topic_pattern: "^metrics\\." }), []);
  });
});
