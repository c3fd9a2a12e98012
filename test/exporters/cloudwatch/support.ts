/** Shared fixtures: a silent logger that records warnings, and a MeterProvider for self-metrics. */
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { pino, type Logger } from "pino";
import { Writable } from "node:stream";

export interface CapturedLogger {
  readonly logger: Logger;
  /** Parsed log lines at warn level and above. */
  readonly lines: Record<string, unknown>[];
}

export function capturedLogger(): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "warn" }, stream), lines };
}

export function meterProvider(): MeterProvider {
  return new MeterProvider();
}

/** Test credentials, never real ones. */
export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;
