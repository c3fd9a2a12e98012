import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_ATTRIBUTE_KEY_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH } from "../../../src/receivers/attribute-limits.ts";
import { AttributeInterner } from "../../../src/receivers/decoders/attribute-interner.ts";

describe("AttributeInterner", () => {
  describe("intern", () => {
    it("cuts a string value to MAX_ATTRIBUTE_VALUE_LENGTH and counts it once per new set", () => {
      const interner = new AttributeInterner();
      const long = "0123456789".repeat(1000);
      const set = interner.intern({ big: long, small: "s" }, "labels");
      assert.deepStrictEqual(set?.attributes, { big: long.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH), small: "s" });
      assert.equal(interner.truncatedValues, 1);
      assert.equal(interner.intern({ small: "s", big: long }, "labels"), set, "the same raw set is the cached one");
      assert.equal(interner.truncatedValues, 1, "a cached set is not counted again");
    });

    it("refuses an empty key, a key longer than MAX_ATTRIBUTE_KEY_LENGTH and a key at the limit is kept", () => {
      const interner = new AttributeInterner();
      assert.equal(interner.intern({ "": "v" }, "labels"), null);
      assert.equal(interner.lastError, "labels: empty attribute key");
      assert.equal(interner.intern({ ["k".repeat(MAX_ATTRIBUTE_KEY_LENGTH + 1)]: "v" }, "labels"), null);
      assert.match(interner.lastError, /^labels: attribute key of 1025 characters exceeds 1024/);
      assert.ok(interner.intern({ ["k".repeat(MAX_ATTRIBUTE_KEY_LENGTH)]: "v" }, "labels"));
    });

    it("refuses a key, a string value or an array item holding a lone surrogate, so distinct inputs never merge", () => {
      const interner = new AttributeInterner();
      assert.equal(interner.intern({ ["k\ud800"]: "v" }, "labels"), null);
      assert.match(interner.lastError, /not well-formed Unicode/);
      assert.equal(interner.intern({ k: "v\udc00" }, "labels"), null);
      assert.equal(interner.lastError, "labels.k: the value is not well-formed Unicode (lone surrogate)");
      assert.equal(interner.intern({ k: ["ok", "\ud83d"] }, "labels"), null);
      assert.deepStrictEqual(interner.intern({ k: "\u{1F600}" }, "labels")?.attributes, { k: "\u{1F600}" }, "a surrogate pair is well-formed");
    });

    it("never cuts inside a surrogate pair", () => {
      const interner = new AttributeInterner();
      const value = `a${"\u{1F600}".repeat(MAX_ATTRIBUTE_VALUE_LENGTH)}`;
      const cut = interner.intern({ v: value }, "labels")?.attributes.v;
      assert.equal(cut, value.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH - 1));
      assert.equal(cut, Buffer.from(cut ?? "", "utf8").toString("utf8"), "well-formed");
    });

    it("turns an array whose JSON text is too long into that text, cut, and keeps short arrays", () => {
      const interner = new AttributeInterner();
      const long = Array.from({ length: 2000 }, (_, i) => `item-${i}`);
      assert.equal(interner.intern({ a: long }, "labels")?.attributes.a, JSON.stringify(long).slice(0, MAX_ATTRIBUTE_VALUE_LENGTH));
      assert.deepStrictEqual(interner.intern({ a: ["x", "y"] }, "labels")?.attributes.a, ["x", "y"]);
      assert.equal(interner.truncatedValues, 1);
    });

    it("does not cache a raw set by a key longer than 16 KiB, so a huge value is not kept", () => {
      const interner = new AttributeInterner();
      const huge = "x".repeat(1_000_000);
      const first = interner.intern({ big: huge }, "labels");
      assert.equal(interner.size, 0);
      assert.equal(interner.intern({ big: huge }, "labels"), first, "the cut set is still interned");
      assert.equal(interner.truncatedValues, 2, "each uncached occurrence is cut, and counted, again");
    });
  });
});
