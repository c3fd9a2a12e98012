import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DropLog, timestampAdvice } from "../../../src/exporters/cloudwatch/drop-log.ts";
import { DropReason, type DropContext } from "../../../src/exporters/cloudwatch/drops.ts";
import { ExporterTelemetry } from "../../../src/exporters/cloudwatch/self-metrics.ts";
import { capturedLogger, meterProvider } from "./support.ts";

const NOW = Date.parse("2026-12-04T12:00:30.000Z");

function dropLog(kind: "cloudwatch" | "emf", now: () => number = () => NOW) {
  const captured = capturedLogger();
  const telemetry = new ExporterTelemetry(meterProvider(), `statset.${kind}`, `aws${kind}/test`, () => 0);
  return { log: new DropLog(telemetry, captured.logger, `aws${kind}/test`, kind, now), telemetry, lines: captured.lines };
}

/** Every reason, the context an exporter gives it, and what its log line must tell the operator. */
const CASES: readonly [DropReason, "cloudwatch" | "emf", DropContext, RegExp][] = [
  [DropReason.ValueOutOfRange, "cloudwatch", { metric: "m" }, /NaN, infinite or beyond CloudWatch's \+-2\^360/],
  [DropReason.TimestampOutOfRange, "cloudwatch", { metric: "m", timestampMs: NOW / 1000, nowMs: NOW }, /looks like epoch seconds where milliseconds are expected/],
  [DropReason.InvalidMetricName, "cloudwatch", { metric: "m" }, /1 to 255 characters without control characters; rename the instrument/],
  [DropReason.InvalidDimension, "cloudwatch", { metric: "m" }, /not printable ASCII or longer than 1024 characters/],
  [DropReason.MissingDimension, "cloudwatch", { metric: "m", keys: ["pod"], sets: [["EndpointName", "VariantName"]] }, /attribute keys \["pod"\] but every dimension set dimension_rules gives this metric \(\[\["EndpointName","VariantName"\]\]\) needs a key it lacks; add the attributes at the source, or add a set/],
  [DropReason.BufferFull, "cloudwatch", { metric: "m" }, /raise max_buffered_datums or max_concurrency/],
  [DropReason.Rejected, "cloudwatch", { metric: "m", error: "AccessDenied: not authorized" }, /CloudWatch refused the request \(AccessDenied: not authorized\)/],
  [DropReason.RetriesExhausted, "cloudwatch", { metric: "m", error: "Throttling" }, /past retry\.max_elapsed_time \(Throttling\); .*raise retry\.max_elapsed_time/],
  [DropReason.Shutdown, "cloudwatch", { metric: "m" }, /when shutdown_timeout expired; raise shutdown_timeout/],
  [DropReason.Shutdown, "emf", { metric: "m" }, /still queued for an unreachable destination/],
  [DropReason.DatumTooLarge, "cloudwatch", { metric: "m" }, /exceeds the PutMetricData request size/],
  [DropReason.NameConflict, "emf", { metric: "m" }, /equals an attribute key \(or _aws\)/],
  [DropReason.QueueFull, "emf", { metric: "m" }, /raise max_queued_lines/],
  [DropReason.LineTooLarge, "emf", { metric: "m" }, /exceeds the 256 KB log event \(or a 65,507-byte UDP datagram\)/],
  [DropReason.WriteError, "emf", { metric: "m", error: "EACCES" }, /the destination refused a line \(EACCES\)/],
];

describe("DropLog", () => {
  describe("drop", () => {
    it("counts every reason in the exporter's self-metric and logs a line naming the exporter, the metric, the reason and what to change", () => {
      assert.deepEqual(new Set(CASES.map(([reason]) => reason)), new Set(Object.values(DropReason)), "every reason has a case");
      for (const [reason, kind, context, advice] of CASES) {
        const { log, telemetry, lines } = dropLog(kind);
        log.drop(reason, 3, { ...context, metric: "model_latency" });
        assert.deepEqual(telemetry.snapshot().dropped, { [reason]: 3 });
        assert.equal(lines.length, 1, reason);
        const line = lines[0];
        assert.equal(line.level, "warn");
        assert.equal(line.reason, reason);
        assert.equal(line.metric, "model_latency");
        assert.equal(line.dropped, 3);
        assert.equal(line.exporter, `aws${kind}/test`);
        const msg = String(line.msg);
        assert.ok(msg.startsWith(`aws${kind}/test: dropped 3 of metric "model_latency" (${reason}): `), msg);
        assert.match(msg, advice, reason);
      }
    });

    it("logs each reason at most once a minute and says how many were suppressed, while counting every drop", () => {
      let now = NOW;
      const { log, telemetry, lines } = dropLog("cloudwatch", () => now);
      for (let i = 0; i < 5; i++) log.drop(DropReason.MissingDimension, 1, { metric: `m${i}`, keys: [], sets: [["a"]] });
      log.drop(DropReason.ValueOutOfRange, 2, { metric: "v" });
      now += 60_000;
      log.drop(DropReason.MissingDimension, 1, { metric: "m5", keys: [], sets: [["a"]] });
      assert.deepEqual(telemetry.snapshot().dropped, { missing_dimension: 6, value_out_of_range: 2 });
      assert.deepEqual(lines.map((l) => [l.reason, l.metric, l.suppressed]), [
        ["missing_dimension", "m0", 0],
        ["value_out_of_range", "v", 0],
        ["missing_dimension", "m5", 4],
      ]);
    });

    it("ignores empty drops", () => {
      const { log, telemetry, lines } = dropLog("emf");
      log.drop(DropReason.Shutdown, 0, { metric: "" });
      assert.deepEqual(telemetry.snapshot().dropped, {});
      assert.equal(lines.length, 0);
    });
  });
});

describe("timestampAdvice", () => {
  it("names the unit mistake a timestamp off by a power of 1000 looks like", () => {
    const cases: [number, RegExp][] = [
      [NOW / 1e3, /epoch seconds where milliseconds are expected \(EMF _aws\.Timestamp, kafka_topic_exporter timestamp\), or microseconds where OTLP expects time_unix_nano in nanoseconds/],
      [NOW / 1e6, /epoch milliseconds where OTLP expects time_unix_nano in nanoseconds/],
      [NOW / 1e9, /epoch seconds where OTLP expects time_unix_nano in nanoseconds/],
      [NOW * 1e3, /epoch microseconds where milliseconds are expected/],
      [NOW * 1e6, /epoch nanoseconds where milliseconds are expected/],
    ];
    for (const [timestampMs, advice] of cases) {
      const text = timestampAdvice(timestampMs, NOW);
      assert.match(text, advice, text);
      assert.match(text, /fix the sender's timestamp unit$/);
    }
  });

  it("says which of CloudWatch's limits an otherwise plausible timestamp breaks", () => {
    assert.equal(
      timestampAdvice(NOW - 15 * 86_400_000, NOW),
      "timestamp 2026-11-19T12:00:30.000Z is older than CloudWatch's 14 days; send data sooner (or stop replaying old data)",
    );
    assert.equal(
      timestampAdvice(NOW + 3 * 3_600_000, NOW),
      "timestamp 2026-12-04T15:00:30.000Z is more than 2 hours ahead of this host's clock (CloudWatch's limit); check the senders' clocks and this host's",
    );
  });
});
