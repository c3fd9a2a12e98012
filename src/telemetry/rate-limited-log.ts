/**
 * At most one log line per interval for a recurring problem (malformed messages on a busy topic
 * must not flood the log); the next line says how many were suppressed in between.
 */
import type { Logger } from "pino";

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last = -Infinity;
  #suppressed = 0;

  constructor(logger: Logger, intervalMs: number, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  warn(fields: Record<string, unknown>, message: string): void {
    const t = this.#now();
    if (t - this.#last < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#last = t;
    this.#logger.warn({ ...fields, suppressed: this.#suppressed }, message);
    this.#suppressed = 0;
  }
}
