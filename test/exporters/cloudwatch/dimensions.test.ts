import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DimensionPlanner } from "../../../src/exporters/cloudwatch/dimensions.ts";

function planner(rules: ConstructorParameters<typeof DimensionPlanner>[0]) {
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  return { p: new DimensionPlanner(rules, (message, fields) => warnings.push({ message, fields })), warnings };
}

describe("DimensionPlanner", () => {
  describe("resolve", () => {
    it("publishes every configured dimension set of a matching rule (rollups)", () => {
      const { p } = planner([
        { metricNameSelectors: ["^benchmark\\."], dimensions: [["action-id", "client-id"], ["client-id"], []] },
      ]);
      const r = p.resolve("benchmark.latency", { "action-id": "a1", "client-id": "c1", "pod": "p-123" });
      assert.deepEqual(
        r.sets.map((s) => s.dimensions),
        [
          [{ Name: "action-id", Value: "a1" }, { Name: "client-id", Value: "c1" }],
          [{ Name: "client-id", Value: "c1" }],
          [],
        ],
      );
      assert.equal(r.invalidSets, 0);
    });

    it("skips sets whose keys the series lacks and reports none left as missing", () => {
      const { p } = planner([{ metricNameSelectors: ["lat"], dimensions: [["EndpointName", "VariantName"], ["EndpointName"]] }]);
      const some = p.resolve("lat", { EndpointName: "ep" });
      assert.deepEqual(some.sets.map((s) => s.keys), [["EndpointName"]]);
      assert.equal(some.missingSets, 1);
      const none = p.resolve("lat", { other: "x" });
      assert.equal(none.sets.length, 0);
      assert.equal(none.missingSets, 2);
    });

    it("refuses a set whose attribute value breaks the Dimension rules", () => {
      const { p } = planner([{ metricNameSelectors: ["m"], dimensions: [["k"], []] }]);
      for (const bad of ["", "   ", "caf\u00e9", "x".repeat(1025), "a\nb"]) {
        const r = p.resolve("m", { k: bad });
        assert.equal(r.invalidSets, 1, JSON.stringify(bad));
        assert.deepEqual(r.sets.map((s) => s.keys), [[]]);
      }
      assert.equal(p.resolve("m", { k: "x".repeat(1024) }).invalidSets, 0);
    });

    it("unions the sets of every matching rule without duplicates", () => {
      const { p } = planner([
        { metricNameSelectors: ["^a"], dimensions: [["x", "y"]] },
        { metricNameSelectors: ["b$"], dimensions: [["y", "x"], ["x"]] },
      ]);
      assert.deepEqual(p.resolve("ab", { x: "1", y: "2" }).sets.map((s) => s.keys), [["x", "y"], ["x"]]);
    });

    it("uses all attributes sorted by key when no rule matches", () => {
      const { p, warnings } = planner([{ metricNameSelectors: ["^other$"], dimensions: [["k"]] }]);
      const r = p.resolve("m", { b: 2, a: "1", c: true });
      assert.deepEqual(r.sets[0].dimensions, [
        { Name: "a", Value: "1" },
        { Name: "b", Value: "2" },
        { Name: "c", Value: "true" },
      ]);
      assert.equal(warnings.length, 0);
    });

    it("keeps the first 30 keys in sorted order and warns once per metric", () => {
      const { p, warnings } = planner([]);
      const attrs: Record<string, string> = {};
      for (let i = 0; i < 35; i++) attrs[`k${String(i).padStart(2, "0")}`] = `v${i}`;
      const r = p.resolve("wide", attrs);
      assert.equal(r.sets[0].dimensions.length, 30);
      assert.equal(r.sets[0].dimensions[29].Name, "k29");
      p.resolve("wide", { ...attrs, k99: "again" });
      assert.equal(warnings.length, 1);
      assert.deepEqual(warnings[0].fields.droppedKeys, ["k30", "k31", "k32", "k33", "k34"]);
      p.resolve("wide2", attrs);
      assert.equal(warnings.length, 2);
    });

    it("leaves attributes that cannot be dimensions out of the default set, with a warning", () => {
      const { p, warnings } = planner([]);
      const r = p.resolve("m", { good: "x", empty: "" });
      assert.deepEqual(r.sets[0].keys, ["good"]);
      assert.equal(warnings.length, 1);
    });
  });
});
