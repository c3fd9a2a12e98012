/**
 * The daemon's structured logger: pino, one JSON line per event on stdout. Logging is for events
 * (start, stop, errors, refusals), never per data point, so a synchronous destination costs
 * nothing measurable and guarantees the last lines before exit are written.
 */
import { pino, type Logger } from "pino";
import type { LogLevel } from "../config/types.ts";

export interface LoggerOptions {
  readonly level: LogLevel;
  /** File descriptor to write to (default 1, stdout). */
  readonly fd?: number;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "statset", pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: options.fd ?? 1, sync: true }),
  );
}

/** A logger that discards everything (library use and tests that do not inspect logs). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
