/** A pino logger whose JSON lines (`level` and above, default warn) are parsed into `lines`, for asserting what was logged. */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface CapturedLogger {
  readonly logger: Logger;
  /** Parsed log lines at the logger's level and above. */
  readonly lines: Record<string, unknown>[];
}

export function capturedLogger(level: "info" | "warn" = "warn"): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
