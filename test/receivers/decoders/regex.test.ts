import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigError } from "../../../src/components/types.ts";
import { regexDecoderFactory as factory } from "../../../src/receivers/decoders/regex.ts";
import { compileValuePattern, unsupportedConstruct } from "../../../src/receivers/decoders/regex-pattern.ts";
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

    it("refuses backreferences, lookaround and atomic groups, naming the path and the construct", () => {
      const errors: ConfigError[] = [];
      const patterns = ["(\\d)\\1", "(?P<n>a)(?P=n)(\\d)", "(?<n>a)\\k<n>(\\d)", "(\\d+)(?=ms)", "(\\d+)(?!x)", "(?<=t=)(\\d+)", "(?<!-)(\\d+)", "(?>a+)(\\d)"];
      factory.validate({ rules: patterns.map((pattern, i) => ({ name: `r${i}`, pattern })) }, "receivers::kafka::regex", errors);
      const constructs = ["backreference \\1", "backreference (?P=name)", "backreference \\k<name>", "lookahead (?=", "lookahead (?!", "lookbehind (?<=", "lookbehind (?<!", "atomic group (?>"];
      assert.deepEqual(
        errors.map((e) => [e.path, e.message.replace(/ is not supported .*$/, "")]),
        patterns.map((p, i) => [`receivers::kafka::regex::rules::${i}::pattern`, `rule ${i} pattern ${JSON.stringify(p)}: ${constructs[i]}`]),
      );
      assert.match(errors[0].message, /is not supported \(patterns run on RE2 in linear time: no backreferences, lookaround or atomic groups\)$/);
    });

    it("accepts the catastrophic-for-backtracking pattern ^(\\d+)+$, which RE2 runs in linear time", () => {
      const errors: ConfigError[] = [];
      factory.validate({ rules: [{ name: "digits", pattern: "^(\\d+)+$" }] }, "r", errors);
      assert.deepEqual(errors, []);
    });

    it("defaults max_line_length to 16384 and refuses a value outside 1..1048576", () => {
      assert.equal(factory.validate({ rules }, "r", []).max_line_length, 16_384);
      const errors: ConfigError[] = [];
      factory.validate({ rules, max_line_length: 0 }, "r", errors);
      factory.validate({ rules, max_line_length: 2 ** 21 }, "r", errors);
      assert.deepEqual(
        errors.map((e) => [e.path, e.message]),
        [
          ["r::max_line_length", "expected an integer in [1, 1048576], got 0"],
          ["r::max_line_length", "expected an integer in [1, 1048576], got 2097152"],
        ],
      );
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

    it("gives the right results for ^(\\d+)+$ on a 31-byte line and on 10 KB lines (no catastrophic backtracking)", () => {
      const d = decoder({ rules: [{ name: "digits", pattern: "^(\\d+)+$" }] });
      const builder = new DecodedBatchBuilder();
      const short = `${"1".repeat(30)}x`;
      assert.equal(short.length, 31);
      const longMatch = `${"0".repeat(10_239)}7`;
      const longMiss = `${"1".repeat(10_239)}x`;
      d.decode(Buffer.from([short, longMatch, longMiss, "42"].join("\n")), meta, builder);
      assert.equal(builder.skippedRecords, 2, "the lines ending in x match nothing");
      const batch = builder.build();
      assert.equal(batch.rejectedPoints, 0);
      assert.deepEqual(flatten(batch).map((o) => o.value), [7, 42]);
    });

    it("refuses a line longer than max_line_length as one point, and matches the lines around it", () => {
      const d = decoder({ rules: [{ name: "v", pattern: "v=(\\d+)" }], max_line_length: 10 });
      const builder = new DecodedBatchBuilder();
      d.decode(Buffer.from("v=1\nv=2 and a tail\r\nv=3 abcdef"), meta, builder);
      const batch = builder.build();
      assert.equal(batch.rejectedPoints, 1);
      assert.equal(batch.rejectionMessage, "line of 14 characters is longer than max_line_length (10); not matched");
      assert.deepEqual(flatten(batch).map((o) => o.value), [1, 3]);
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
  it("finds the value group among named groups of both spellings, ignoring escaped parentheses and classes", () => {
    const c = compileValuePattern("(?<a>x)\\((?:y)[(]([0-9]+)(?P<b>z)");
    assert.equal(c.valueGroup, 2);
    assert.deepEqual(c.names, ["a", "b"]);
    assert.ok(c.find("x(y(12z"));
    assert.deepEqual([c.value(), c.group("a"), c.group("b")], ["12", "x", "z"]);
    assert.equal(c.find("nothing"), false);
  });

  it("names RE2 syntax errors", () => {
    assert.throws(() => compileValuePattern("a(b"), /^Error: invalid RE2 syntax: /);
  });
});

describe("unsupportedConstruct", () => {
  it("ignores look-alikes inside classes and escapes", () => {
    assert.equal(unsupportedConstruct("[(?=]\\(?=[\\1]\\\\(\\d)"), "");
    assert.equal(unsupportedConstruct("[]\\1](\\d)"), "");
    assert.equal(unsupportedConstruct("(?:a)(?i)(?P<n>b)(?<m>c)"), "");
    assert.equal(unsupportedConstruct("[x]\\2"), "backreference \\2");
  });
});
