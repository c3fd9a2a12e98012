/**
 * CloudWatch units (as written in EMF `Metrics[].Unit`) to the UCUM-style units OpenTelemetry uses,
 * so an EMF metric and the same metric arriving over OTLP carry the same unit downstream (the
 * CloudWatch exporter maps them back). Units without a UCUM equivalent stay verbatim.
 */
const CLOUDWATCH_TO_UCUM: Readonly<Record<string, string>> = {
  Seconds: "s",
  Microseconds: "us",
  Milliseconds: "ms",
  Bytes: "By",
  Kilobytes: "kBy",
  Megabytes: "MBy",
  Gigabytes: "GBy",
  Terabytes: "TBy",
  Bits: "bit",
  Kilobits: "kbit",
  Megabits: "Mbit",
  Gigabits: "Gbit",
  Terabits: "Tbit",
  Percent: "%",
  Count: "{count}",
  "Bytes/Second": "By/s",
  "Kilobytes/Second": "kBy/s",
  "Megabytes/Second": "MBy/s",
  "Gigabytes/Second": "GBy/s",
  "Terabytes/Second": "TBy/s",
  "Bits/Second": "bit/s",
  "Kilobits/Second": "kbit/s",
  "Megabits/Second": "Mbit/s",
  "Gigabits/Second": "Gbit/s",
  "Terabits/Second": "Tbit/s",
  "Count/Second": "{count}/s",
  None: "",
};

/** The UCUM unit for a CloudWatch unit name; unknown names are returned unchanged. */
export function ucumFromCloudWatchUnit(unit: string): string {
  return Object.hasOwn(CLOUDWATCH_TO_UCUM, unit) ? CLOUDWATCH_TO_UCUM[unit] : unit;
}
