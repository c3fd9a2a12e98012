import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { regexDecoderFactory as factory } from "../../../src/receivers/decoders/regex.ts";
import { compileValuePattern, translatePythonGroups } from "../../../src/receivers/decoders/regex-pattern.ts";
import { DecodedBatchBuilder } from "../../../src/receivers/decoders/batch-builder.ts";
import { flatten } from "../kafka/recording-consumer.ts";

const meta = { timestampMs: 1_700_000_000_000, headers: {} };
const rules = [
  { name: "accuracy", units: "%", pattern: "accuracy=([0-9.]+)" },
  { name: "step_time", units: "ms", pattern: "step (?P<step>\\d+) took ([0-9.]+)ms" },
];
const decoder = (raw: unknown = { rules, labels: { job: "train" } }) => {
  const errors: ConfigError[] = [];
  const options = factory.validate(raw, "receivers::kafka::regex", errors);
  assert.deepEqual(errors, []);
  return factory.create(options);
};

describe("regexDecoderFactory", () => {
  describe("validate", () => {
    it("names the rule index and pattern of an invalid regular expression", () => {
      const errors: ConfigError[] = [];
      factory.validate({ rules: [rules[0], { name: "bad", pattern: "a(b" }] }, "receivers::kafka::regex", errors);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].path, "receivers::kafka::regex::rules::1::pattern");
      assert.match(errors[0].message, /rule 1 pattern "a\(b"/);
    });

    it("requires exactly one unnamed capturing group", () => {
      const errors: ConfigError[] = [];
      factory.validate({ rules: [{ name: "two", pattern: "(a)(b)" }, { name: "none", pattern: "(?<v>a)" }] }, "r", errors);
      assert.deepEqual(errors.map((e) => e.path), ["r::rules::0::pattern", "r::rules::1::pattern"]);
      assert.match(errors[0].message, /exactly one unnamed capturing group.*found 2/);
    });

    it("requires rules and their names", () => {
      const errors: ConfigError[] = [];
      factory.validate({}, "r", errors);
      factory.validate({ rules: [{ pattern: "(1)" }] }, "r", errors);
      assert.deepEqual(errors.map((e) => e.path), ["r::rules", "r::rules::0::name"]);
    });
  });

  describe("decode", () => {
    it("extracts values line by line with named groups and static labels as attributes", () => {
      const builder = new DecodedBatchBuilder();
      decoder().decode(Buffer.from("epoch 1 accuracy=93.5\r\nnoise\n\nstep 7 took 120.5ms\nstep 8 took 99ms\n"), meta, builder);
      assert.equal(builder.skippedRecords, 1);
      const obs = flatten(builder.build());
      assert.deepEqual(
        obs.map((o) => [o.metric, o.unit, o.value, o.attributes]),
        [
          ["accuracy", "%", 93.5, { job: "train" }],
          ["step_time", "ms", 120.5, { job: "train", step: "7" }],
          ["step_time", "ms", 99, { job: "train", step: "8" }],
        ],
      );
      assert.ok(obs.every((o) => o.timeMs === meta.timestampMs && o.type === "samples"));
    });

    it("counts a captured value that is not a number as a rejected point", () => {
      const d = decoder({ rules: [{ name: "v", pattern: "v=(\\S*)" }] });
      const builder = new DecodedBatchBuilder();
      d.decode(Buffer.from("v=abc\nv=\nv=4"), meta, builder);
      const batch = builder.build();
      assert.equal(batch.rejectedPoints, 2);
      assert.deepEqual(flatten(batch).map((o) => o.value), [4]);
    });

    it("lets several rules match one line", () => {
      const d = decoder({ rules: [{ name: "a", pattern: "a=(\\d+)" }, { name: "b", pattern: "b=(\\d+)" }] });
      const builder = new DecodedBatchBuilder();
      d.decode(Buffer.from("a=1 b=2"), meta, builder);
      assert.deepEqual(flatten(builder.build()).map((o) => [o.metric, o.value]), [["a", 1], ["b", 2]]);
    });
  });
});

describe("compileValuePattern", () => {
  it("finds the value group among named groups, ignoring escaped parentheses and classes", () => {
    const c = compileValuePattern("(?<a>x)\\((?:y)[(]([0-9]+)(?=z)");
    assert.equal(c.valueGroup, 2);
    assert.deepEqual(c.names, ["a"]);
  });

  it("translates Python named groups and backreferences", () => {
    assert.equal(translatePythonGroups("(?P<n>a)(?P=n)[(?P<x>]"), "(?<n>a)\\k<n>[(?P<x>]");
  });
});
