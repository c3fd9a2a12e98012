import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../src/components/types.ts";
import { AttributesProcessor, attributesProcessorFactory } from "../../src/processors/attributes.ts";
import { FilterProcessor, filterProcessorFactory } from "../../src/processors/filter.ts";
import { MemoryLimiter, memoryLimiterFactory } from "../../src/processors/memory-limiter.ts";
import { BackpressureError } from "../../src/pipeline/types.ts";

describe("AttributesProcessor", () => {
  describe("processAttributes", () => {
    it("applies insert, update, upsert, rename and delete in order", () => {
      const p = new AttributesProcessor(
        attributesProcessorFactory.validate(
          {
            actions: [
              { key: "env", action: "insert", value: "prod" },
              { key: "region", action: "insert", value: "x" },
              { key: "tier", action: "update", value: "gold" },
              { key: "host", action: "upsert", from_attribute: "node" },
              { key: "node", action: "delete" },
              { key: "http.method", action: "rename", new_key: "method" },
              { action: "delete", pattern: "^secret\\." },
            ],
          },
          "processors::attributes",
          [],
        ),
      );
      const out = p.processAttributes({ region: "eu", node: "n1", "http.method": "GET", "secret.token": "t", "secret.key": "k" });
      assert.deepEqual(out, { region: "eu", env: "prod", host: "n1", method: "GET" });
    });

    it("returns the same object when there are no actions", () => {
      const attrs = { a: 1 };
      assert.equal(new AttributesProcessor({ actions: [] }).processAttributes(attrs), attrs);
    });
  });

  describe("validate", () => {
    it("reports each bad action with its index", () => {
      const errors: ConfigError[] = [];
      attributesProcessorFactory.validate(
        { actions: [{ key: "a", action: "insert" }, { action: "delete" }, { key: "b", action: "delete", value: 1 }, "nope"] },
        "processors::attributes/x",
        errors,
      );
      assert.deepEqual(errors.map((e) => `${e.path}: ${e.message}`), [
        "processors::attributes/x::actions[0]::value: insert needs exactly one of value or from_attribute",
        "processors::attributes/x::actions[1]::key: required",
        "processors::attributes/x::actions[2]::value: the delete action takes no value",
        'processors::attributes/x::actions[3]: expected a mapping (got "nope")',
      ]);
    });
  });
});

describe("FilterProcessor", () => {
  describe("keepMetric", () => {
    it("keeps what include matches and exclude does not", () => {
      const p = new FilterProcessor(
        filterProcessorFactory.validate(
          { metrics: { include: { match_type: "regexp", metric_names: ["^http\\."] }, exclude: { match_type: "strict", metric_names: ["http.debug"] } } },
          "processors::filter",
          [],
        ),
      );
      assert.deepEqual(["http.requests", "http.debug", "rpc.calls"].map((n) => p.keepMetric(n)), [true, false, false]);
    });
  });

  describe("validate", () => {
    it("needs metrics with include or exclude", () => {
      const errors: ConfigError[] = [];
      filterProcessorFactory.validate({}, "processors::filter", errors);
      assert.deepStrictEqual(errors, [{ path: "processors::filter::metrics", message: "required" }]);
      errors.length = 0;
      filterProcessorFactory.validate({ metrics: {} }, "processors::filter", errors);
      assert.deepStrictEqual(errors, [{ path: "processors::filter::metrics", message: "give metrics::include and/or metrics::exclude" }]);
    });
  });
});

describe("MemoryLimiter", () => {
  describe("admit", () => {
    it("refuses with a retry hint while RSS is over limit_mib and recovers below it", () => {
      let rss = 100 * 1048576;
      const m = new MemoryLimiter({ check_interval: 2000, limit_mib: 64, spike_limit_mib: 0 }, () => rss);
      m.check();
      assert.throws(() => m.admit(), (e: unknown) => e instanceof BackpressureError && e.retryAfterSeconds === 2 && /RSS 100 MiB > limit_mib 64/.test(e.message));
      rss = 10 * 1048576;
      m.check();
      m.admit();
    });

    it("refuses above the Collector's soft limit, limit_mib - spike_limit_mib", () => {
      let rss = 60 * 1048576;
      const m = new MemoryLimiter({ check_interval: 1000, limit_mib: 64, spike_limit_mib: 8 }, () => rss);
      m.check();
      assert.throws(() => m.admit(), /RSS 60 MiB > limit_mib 64 - spike_limit_mib 8/);
      rss = 55 * 1048576;
      m.check();
      m.admit();
    });
  });

  describe("validate", () => {
    it("requires limit_mib and a duration check_interval", () => {
      const errors: ConfigError[] = [];
      memoryLimiterFactory.validate({ check_interval: 5 }, "processors::memory_limiter", errors);
      assert.deepEqual(errors.map((e) => `${e.path}: ${e.message}`), [
        'processors::memory_limiter::check_interval: a duration needs a unit: write "5s" or "5ms" (got number 5)',
        "processors::memory_limiter::limit_mib: required",
      ]);
    });

    it("refuses a spike_limit_mib that is not below limit_mib", () => {
      const errors: ConfigError[] = [];
      memoryLimiterFactory.validate({ limit_mib: 100, spike_limit_mib: 100 }, "processors::memory_limiter", errors);
      assert.deepEqual(errors, [{ path: "processors::memory_limiter::spike_limit_mib", message: "must be below limit_mib (100) (got number 100)" }]);
    });
  });
});
