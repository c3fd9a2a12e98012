import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { routeProcessWarnings } from "../../src/telemetry/process-warnings.ts";

/** A debug-level logger whose JSON lines land in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "debug", formatters: { level: (label) => ({ level: label }) } }, sink), lines };
}

/** Warnings are emitted on the next tick. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("routeProcessWarnings", () => {
  it("logs process warnings at warn instead of Node's stderr line, and gives Node's printing back", async () => {
    const before = process.listeners("warning");
    const { logger, lines } = capturingLogger();
    const restore = routeProcessWarnings(logger);
    try {
      assert.equal(process.listenerCount("warning"), 1, "Node's own printer is off");
      process.emitWarning("something odd", "ExperimentalWarning");
      setTimeout(() => {}, -5).unref(); // a negative timer outside kafkajs stays a warning
      await tick();
    } finally {
      restore();
    }
    assert.deepEqual(process.listeners("warning"), before);
    assert.deepEqual(lines.map((l) => [l.level, l.warning, l.msg]), [
      ["warn", "ExperimentalWarning", "process warning: something odd"],
      ["warn", "TimeoutNegativeWarning", "process warning: -5 is a negative number.\nTimeout duration was set to 1."],
    ]);
  });

  it("logs kafkajs's negative request-queue timer (kafkajs#1751) at debug", async () => {
    const { logger, lines } = capturingLogger();
    const restore = routeProcessWarnings(logger);
    try {
      const warning = new Error("-1747359280440 is a negative number.\nTimeout duration was set to 1.");
      warning.name = "TimeoutNegativeWarning";
      warning.stack = `TimeoutNegativeWarning: ${warning.message}\n    at new Timeout (node:internal/timers:195:17)\n    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)`;
      process.emitWarning(warning);
      await tick();
    } finally {
      restore();
    }
    assert.deepEqual(lines.map((l) => [l.level, l.warning]), [["debug", "TimeoutNegativeWarning"]]);
    assert.match(String(lines[0].msg), /kafkajs#1751, harmless/);
  });
});
