import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OffsetTracker } from "../../../src/receivers/kafka/offset-tracker.ts";

describe("OffsetTracker", () => {
  describe("uncommitted", () => {
    it("reports last processed + 1 per partition until committed", () => {
      const t = new OffsetTracker();
      t.processed("a", 0, "9");
      t.processed("a", 1, "99");
      t.processed("a", 0, "19");
      assert.deepEqual(t.uncommitted(), [
        { topic: "a", partition: 0, offset: "20" },
        { topic: "a", partition: 1, offset: "100" },
      ]);
      t.committed(t.uncommitted());
      assert.deepEqual(t.uncommitted(), []);
      t.processed("a", 1, "100");
      assert.deepEqual(t.uncommitted(), [{ topic: "a", partition: 1, offset: "101" }]);
    });

    it("never moves a position backwards and handles 64-bit offsets", () => {
      const t = new OffsetTracker();
      t.processed("a", 0, "9007199254740993");
      t.processed("a", 0, "5");
      assert.equal(t.position("a", 0), "9007199254740994");
    });
  });

  describe("retain", () => {
    it("forgets partitions that were revoked and returns the kept positions", () => {
      const t = new OffsetTracker();
      t.processed("a", 0, "1");
      t.processed("a", 1, "2");
      t.processed("b", 0, "3");
      assert.deepEqual(t.retain({ a: [1], c: [0] }), [{ topic: "a", partition: 1, offset: "3" }]);
      assert.equal(t.size, 1);
      assert.equal(t.position("a", 0), undefined);
    });
  });
});
