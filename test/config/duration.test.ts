import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatDuration, parseDuration } from "../../src/config/duration.ts";
import { parseEndpoint } from "../../src/config/endpoint.ts";

describe("parseDuration", () => {
  it("parses Go-style durations into milliseconds", () => {
    const cases: [string, number][] = [["500ms", 500], ["30s", 30_000], ["5m", 300_000], ["1h30m", 5_400_000], ["1.5s", 1500], ["0", 0], ["250us", 0.25], ["-2s", -2000]];
    for (const [text, ms] of cases) assert.deepEqual(parseDuration(text), { ms }, text);
  });

  it("refuses numbers without units and unknown units", () => {
    for (const text of ["30", "5 minutes", "1d", "", "s", "1.2.3s"]) assert.ok("problem" in parseDuration(text), text);
  });

  it("round-trips formatDuration for whole milliseconds", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (ms) => {
      assert.deepEqual(parseDuration(formatDuration(ms)), { ms });
    }));
  });
});

describe("parseEndpoint", () => {
  it("parses host:port, IPv6 and port 0", () => {
    assert.deepEqual(parseEndpoint("127.0.0.1:4318"), { host: "127.0.0.1", port: 4318 });
    assert.deepEqual(parseEndpoint("localhost:0"), { host: "localhost", port: 0 });
    assert.deepEqual(parseEndpoint("[::1]:9464"), { host: "::1", port: 9464 });
    assert.deepEqual(parseEndpoint(":4318"), { host: "0.0.0.0", port: 4318 }, "Go's every-interface form, as Collector configs write it");
  });

  it("names what is wrong with a bad endpoint", () => {
    assert.match((parseEndpoint("localhost") as { problem: string }).problem, /missing port/);
    assert.match((parseEndpoint("h:70000") as { problem: string }).problem, /out of range/);
    assert.match((parseEndpoint("h:http") as { problem: string }).problem, /not a number/);
    assert.match((parseEndpoint("bad host:1") as { problem: string }).problem, /not a valid host/);
    assert.match((parseEndpoint("::1:80") as { problem: string }).problem, /IPv6/);
  });
});
