import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { JsonBodyError, MAX_JSON_DEPTH, checkJsonDepth, parseBoundedJson } from "../../src/receivers/bounded-json.ts";

/** Nesting depth of a parsed JSON value (a scalar is 0): the reference checkJsonDepth must agree with. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((m: number, x) => Math.max(m, depthOf(x)), 0);
  if (typeof v === "object" && v !== null) return 1 + Object.values(v).reduce((m: number, x) => Math.max(m, depthOf(x)), 0);
  return 0;
}

const bytes = (text: string) => Buffer.from(text, "utf8");
const refusedDeep = (e: unknown) => e instanceof JsonBodyError && /^nested deeper than the limit of 160 levels \(at byte \d+\)$/.test(e.message);

describe("checkJsonDepth", () => {
  it("accepts nesting to MAX_JSON_DEPTH and refuses one level more at the offending byte", () => {
    assert.equal(MAX_JSON_DEPTH, 160);
    checkJsonDepth(bytes(`${"[".repeat(160)}${"]".repeat(160)}`));
    checkJsonDepth(bytes(`${'{"a":'.repeat(80)}${"[".repeat(80)}1${"]".repeat(80)}${"}".repeat(80)}`));
    assert.throws(() => checkJsonDepth(bytes(`${"[".repeat(161)}${"]".repeat(161)}`)), (e: unknown) => refusedDeep(e) && (e as JsonBodyError).offset === 160);
    assert.throws(() => checkJsonDepth(bytes(`${'{"a":'.repeat(161)}1${"}".repeat(161)}`)), (e: unknown) => refusedDeep(e) && (e as JsonBodyError).offset === 800);
  });

  it("does not count brackets inside strings, escaped quotes and backslashes included", () => {
    const tricky = JSON.stringify({ k: '"[[[\\', v: ["\\", "]]]]]]", "\u00e9[{"] });
    const wrapped = `${"[".repeat(158)}${tricky}${"]".repeat(158)}`;
    assert.equal(depthOf(JSON.parse(wrapped)), 160);
    checkJsonDepth(bytes(wrapped));
    // Closers in strings must not hide real nesting either.
    const hidden = `${'["]]]]",'.repeat(161)}0${"]".repeat(161)}`;
    assert.equal(depthOf(JSON.parse(hidden)), 161);
    assert.throws(() => checkJsonDepth(bytes(hidden)), refusedDeep);
  });

  it("refuses 8 MiB of unclosed brackets, naming byte 160", () => {
    const body = Buffer.alloc(8 * 1024 * 1024, "[");
    assert.throws(() => checkJsonDepth(body), (e: unknown) => refusedDeep(e) && (e as JsonBodyError).offset === 160);
  });

  it("refuses exactly the JSON texts nesting deeper than the limit (property, against the parsed depth)", () => {
    const key = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "\u00e9", ":", ","), maxLength: 4 });
    const leaf = fc.oneof(fc.integer(), key, fc.constant(null));
    // A value nested `depth` levels, each level an array or an object with a bracket-laden key and siblings.
    const nested = fc
      .tuple(fc.integer({ min: 150, max: 170 }), fc.array(fc.tuple(fc.boolean(), key, leaf), { minLength: 170, maxLength: 170 }))
      .map(([depth, levels]) => {
        let v: unknown = levels[0][2];
        for (let d = 0; d < depth; d++) {
          const [asArray, k, sibling] = levels[d];
          v = asArray ? [sibling, v] : { [k]: v, [`${k}_`]: sibling };
        }
        return v;
      });
    fc.assert(
      fc.property(nested, (v) => {
        const text = JSON.stringify(v);
        const deep = depthOf(v) > MAX_JSON_DEPTH;
        let refused = false;
        try {
          checkJsonDepth(bytes(text));
        } catch (e) {
          assert.ok(refusedDeep(e), String(e));
          refused = true;
        }
        assert.equal(refused, deep);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseBoundedJson", () => {
  it("returns what JSON.parse returns for JSON within the limit, and JSON.parse's SyntaxError otherwise", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        assert.deepStrictEqual(parseBoundedJson(bytes(text)), JSON.parse(text));
      }),
    );
    assert.throws(() => parseBoundedJson(bytes("{not json")), SyntaxError);
    assert.throws(() => parseBoundedJson(bytes("[".repeat(1000))), refusedDeep);
  });
});
