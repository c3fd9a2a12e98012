import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultRegistry } from "../../src/components/registry.ts";
import { ConfigLoadError, formatConfigError, loadConfigFile } from "../../src/config/loader.ts";

const DIR = new URL("../../otel-config/", import.meta.url).pathname;
const valid = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
const invalid = readdirSync(join(DIR, "invalid")).filter((f) => f.endsWith(".yaml"));
const ENV = { AWS_REGION: "eu-west-1" };

describe("otel-config examples", () => {
  describe("valid examples", () => {
    it("has the default config and at least three examples", () => {
      assert.ok(valid.includes("default.yaml"));
      assert.ok(valid.length >= 3);
    });
    for (const file of valid) {
      it(`loads ${file}`, async () => {
        const config = await loadConfigFile(join(DIR, file), { registry: defaultRegistry, env: ENV });
        assert.ok(config.service.pipelines.length >= 1);
      });
    }
  });

  describe("default.yaml in a container", () => {
    it("refuses all-interfaces endpoints without auth until STATSET_ALLOW_UNAUTHENTICATED=true", async () => {
      const env = { ...ENV, STATSET_PROMETHEUS_ENDPOINT: "0.0.0.0:9464", STATSET_HEALTH_ENDPOINT: "0.0.0.0:13133" };
      const err = await loadConfigFile(join(DIR, "default.yaml"), { registry: defaultRegistry, env }).then(
        () => assert.fail("expected a ConfigLoadError"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigLoadError);
      assert.deepStrictEqual(err.problems.map((p) => p.path).sort(), ["exporters::prometheus::endpoint", "extensions::health_check::endpoint"]);
      const allowed = await loadConfigFile(join(DIR, "default.yaml"), { registry: defaultRegistry, env: { ...env, STATSET_ALLOW_UNAUTHENTICATED: "true" } });
      assert.equal(allowed.healthCheck?.allow_unauthenticated_non_loopback, true);
    });
  });

  describe("invalid examples", () => {
    for (const file of invalid) {
      it(`${file} is refused with every expected message`, async () => {
        const expected = readFileSync(join(DIR, "invalid", file), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("# expect: "))
          .map((l) => l.slice("# expect: ".length));
        assert.ok(expected.length > 0, "the example states what it expects");
        const err = await loadConfigFile(join(DIR, "invalid", file), { registry: defaultRegistry, env: ENV }).then(
          () => assert.fail("expected a ConfigLoadError"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ConfigLoadError);
        const lines = err.problems.map(formatConfigError);
        assert.equal(lines.length, expected.length, `problems:\n${lines.join("\n")}`);
        for (const want of expected) assert.ok(lines.some((l) => l.startsWith(want)), `missing ${want}\nin:\n${lines.join("\n")}`);
      });
    }
  });
});
