/** A pino logger whose JSON lines are parsed into `lines`, for asserting what was logged. */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** One parsed line; `level` is pino's label (`warn`, `info`, ...). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly level: string; readonly msg: string };

export interface CapturedLogger {
  readonly logger: Logger;
  /** Parsed log lines at `level` and above. */
  readonly lines: LogLine[];
}

/** A logger at `level` (default warn) whose lines land in `lines`. */
export function capturedLogger(level = "warn"): CapturedLogger {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level, formatters: { level: (label) => ({ level: label }) } }, stream), lines };
}
