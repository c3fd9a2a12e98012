/** Shared fixtures: a silent logger that records warnings, and a MeterProvider for self-metrics. */
import { MeterProvider } from "@opentelemetry/sdk-metrics";

export { capturedLogger } from "../../support/captured-logger.ts";
export type { CapturedLogger } from "../../support/captured-logger.ts";

export function meterProvider(): MeterProvider {
  return new MeterProvider();
}

/** Test credentials, never real ones. */
export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;
