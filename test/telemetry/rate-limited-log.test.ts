import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { RateLimitedLog } from "../../src/telemetry/rate-limited-log.ts";

describe("RateLimitedLog", () => {
  describe("warn", () => {
    it("logs at most once per interval and reports how many it suppressed", () => {
      const lines: string[] = [];
      const logger = pino(new Writable({ write: (chunk, _e, cb) => { lines.push(String(chunk)); cb(); } }));
      let now = 0;
      const log = new RateLimitedLog(logger, 1000, () => now);
      log.warn({ offset: 1 }, "bad");
      log.warn({ offset: 2 }, "bad");
      log.warn({ offset: 3 }, "bad");
      now = 1500;
      log.warn({ offset: 4 }, "bad");
      assert.equal(lines.length, 2);
      assert.deepEqual(lines.map((l) => [JSON.parse(l).offset, JSON.parse(l).suppressed]), [[1, 0], [4, 2]]);
    });
  });
});
