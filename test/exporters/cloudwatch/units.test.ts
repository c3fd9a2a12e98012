import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlotKind } from "../../../src/core/types.ts";
import { mapUnit } from "../../../src/exporters/cloudwatch/units.ts";

describe("mapUnit", () => {
  it("maps the OpenTelemetry/UCUM units to CloudWatch units", () => {
    const table: [string, string, number][] = [
      ["s", "Seconds", 1],
      ["ms", "Milliseconds", 1],
      ["us", "Microseconds", 1],
      ["ns", "Microseconds", 1e-3],
      ["min", "Seconds", 60],
      ["By", "Bytes", 1],
      ["KiBy", "Kilobytes", 1],
      ["kBy", "Kilobytes", 1],
      ["MiBy", "Megabytes", 1],
      ["GiBy", "Gigabytes", 1],
      ["bit", "Bits", 1],
      ["By/s", "Bytes/Second", 1],
      ["bit/s", "Bits/Second", 1],
      ["%", "Percent", 1],
      ["{request}", "Count", 1],
      ["{count}", "Count", 1],
      ["{request}/s", "Count/Second", 1],
      ["Seconds", "Seconds", 1],
      ["", "None", 1],
      ["furlongs", "None", 1],
      ["{", "None", 1],
    ];
    for (const [ucum, unit, scale] of table) {
      assert.deepEqual(mapUnit(ucum, SlotKind.Histogram), { unit, scale }, `unit ${JSON.stringify(ucum)}`);
    }
  });

  it("maps the dimensionless 1 to Count for counters and None otherwise", () => {
    assert.equal(mapUnit("1", SlotKind.Sum).unit, "Count");
    assert.equal(mapUnit("1", SlotKind.Gauge).unit, "None");
    assert.equal(mapUnit("1", SlotKind.Histogram).unit, "None");
  });
});
