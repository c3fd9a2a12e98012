import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { cloudWatchExporterFactory } from "../../../src/exporters/cloudwatch/factory.ts";

const P = "exporters::awscloudwatch/main";

function validate(raw: unknown): { config: ReturnType<typeof cloudWatchExporterFactory.validate>; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const config = cloudWatchExporterFactory.validate(raw, P, errors);
  return { config, errors };
}

describe("cloudWatchExporterFactory", () => {
  describe("validate", () => {
    it("merges the user's fields over the defaults and normalizes durations", () => {
      const { config, errors } = validate({
        region: "eu-west-1",
        namespace: "BenchmarkAI",
        interval: "10s",
        retry: { initial_interval: "250ms", max_interval: "5s", max_elapsed_time: "2m" },
        dimension_rules: [{ metric_name_selectors: ["^benchmark\\."], dimensions: [["action-id", "client-id"], []] }],
        max_concurrency: 8,
        percentiles: false,
      });
      assert.deepEqual(errors, []);
      assert.equal(config.intervalMs, 10_000);
      assert.deepEqual(config.retry, { initialIntervalMs: 250, maxIntervalMs: 5000, maxElapsedTimeMs: 120_000 });
      assert.equal(config.maxConcurrency, 8);
      assert.equal(config.maxBufferedDatums, 1_000_000);
      assert.equal(config.percentiles, false);
      assert.deepEqual(config.dimensionRules[0].dimensions, [["action-id", "client-id"], []]);
    });

    it("reports every problem with its path", () => {
      const { errors } = validate({
        region: "us-east-1",
        namespace: "AWS/EC2",
        interval: "90s",
        endpoint: "ftp://x",
        max_concurrency: 0,
        storage_resolution: 5,
        dimension_rules: [{ metric_name_selectors: ["("], dimensions: [[":bad"], Array.from({ length: 31 }, (_, i) => `k${i}`)] }],
        retry: { initial_interval: "2s", max_interval: "1s" },
        typo: 1,
      });
      const paths = errors.map((e) => e.path).sort();
      assert.deepEqual(paths, [
        `${P}::dimension_rules[0]::dimensions[0][0]`,
        `${P}::dimension_rules[0]::dimensions[1]`,
        `${P}::dimension_rules[0]::metric_name_selectors[0]`,
        `${P}::endpoint`,
        `${P}::interval`,
        `${P}::max_concurrency`,
        `${P}::namespace`,
        `${P}::retry::max_interval`,
        `${P}::storage_resolution`,
        `${P}::typo`,
      ]);
      assert.match(errors.find((e) => e.path === `${P}::namespace`)?.message ?? "", /AWS\//);
      assert.match(errors.find((e) => e.path === `${P}::interval`)?.message ?? "", /between 1s and 60s/);
    });

    it("requires a region when the environment has none", () => {
      const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      try {
        const { errors } = validate(undefined);
        assert.deepEqual(errors.map((e) => e.path), [`${P}::region`]);
      } finally {
        if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
        if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
      }
    });
  });
});
