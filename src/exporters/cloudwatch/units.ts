/**
 * OpenTelemetry/UCUM units to CloudWatch's StandardUnit, with a scale where the value must be converted
 * (CloudWatch has no nanoseconds: `ns` becomes Microseconds with values divided by 1000). Unknown units
 * map to `None` with scale 1: the value is never changed for a unit we do not understand.
 */
import type { StandardUnit } from "@aws-sdk/client-cloudwatch";
import { SlotKind } from "../../core/types.ts";

export interface UnitMapping {
  readonly unit: StandardUnit;
  /** Multiply every value (sum, min, max, Values) by this to express it in `unit`. */
  readonly scale: number;
}

const NONE: UnitMapping = { unit: "None", scale: 1 };
const COUNT: UnitMapping = { unit: "Count", scale: 1 };

function u(unit: StandardUnit, scale = 1): UnitMapping {
  return { unit, scale };
}

// CloudWatch does not distinguish decimal from binary prefixes (its "Kilobytes" is documented only by
// name), so both kBy and KiBy map to Kilobytes without conversion; the choice is documented.
const TABLE: ReadonlyMap<string, UnitMapping> = new Map<string, UnitMapping>([
  ["s", u("Seconds")],
  ["ms", u("Milliseconds")],
  ["us", u("Microseconds")],
  ["\u00b5s", u("Microseconds")],
  ["\u03bcs", u("Microseconds")],
  ["ns", u("Microseconds", 1e-3)],
  ["min", u("Seconds", 60)],
  ["h", u("Seconds", 3600)],
  ["d", u("Seconds", 86400)],
  ["By", u("Bytes")],
  ["kBy", u("Kilobytes")],
  ["KBy", u("Kilobytes")],
  ["KiBy", u("Kilobytes")],
  ["MBy", u("Megabytes")],
  ["MiBy", u("Megabytes")],
  ["GBy", u("Gigabytes")],
  ["GiBy", u("Gigabytes")],
  ["TBy", u("Terabytes")],
  ["TiBy", u("Terabytes")],
  ["bit", u("Bits")],
  ["kbit", u("Kilobits")],
  ["Kibit", u("Kilobits")],
  ["Mbit", u("Megabits")],
  ["Mibit", u("Megabits")],
  ["Gbit", u("Gigabits")],
  ["Gibit", u("Gigabits")],
  ["Tbit", u("Terabits")],
  ["Tibit", u("Terabits")],
  ["By/s", u("Bytes/Second")],
  ["kBy/s", u("Kilobytes/Second")],
  ["KiBy/s", u("Kilobytes/Second")],
  ["MBy/s", u("Megabytes/Second")],
  ["MiBy/s", u("Megabytes/Second")],
  ["GBy/s", u("Gigabytes/Second")],
  ["GiBy/s", u("Gigabytes/Second")],
  ["TBy/s", u("Terabytes/Second")],
  ["TiBy/s", u("Terabytes/Second")],
  ["bit/s", u("Bits/Second")],
  ["kbit/s", u("Kilobits/Second")],
  ["Kibit/s", u("Kilobits/Second")],
  ["Mbit/s", u("Megabits/Second")],
  ["Mibit/s", u("Megabits/Second")],
  ["Gbit/s", u("Gigabits/Second")],
  ["Gibit/s", u("Gigabits/Second")],
  ["Tbit/s", u("Terabits/Second")],
  ["Tibit/s", u("Terabits/Second")],
  ["1/s", u("Count/Second")],
  ["%", u("Percent")],
]);

const CLOUDWATCH_UNITS: ReadonlySet<string> = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
  "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
  "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
  "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);

/** A `{annotation}` alone, e.g. `{request}`, `{count}`: a count of things. */
const ANNOTATION = /^\{[^{}]*\}$/;
/** `{annotation}/s`: things per second. */
const ANNOTATION_RATE = /^\{[^{}]*\}\/s$/;

/**
 * Maps an instrument's unit. `1` (dimensionless) is a count for sums (e.g. a counter of events) and
 * `None` for gauges and histograms, where it is usually a ratio. A unit already spelled as a
 * CloudWatch unit (`Seconds`, `Count`) passes through.
 */
export function mapUnit(unit: string, kind: SlotKind): UnitMapping {
  const known = TABLE.get(unit);
  if (known !== undefined) return known;
  if (unit === "1") return kind === SlotKind.Sum ? COUNT : NONE;
  if (ANNOTATION.test(unit)) return COUNT;
  if (ANNOTATION_RATE.test(unit)) return u("Count/Second");
  if (CLOUDWATCH_UNITS.has(unit)) return u(unit as StandardUnit);
  return NONE;
}
