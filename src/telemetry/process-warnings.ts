/**
 * Node's process warnings in the daemon's log: one JSON line at `warn` (name, message, stack)
 * instead of Node's bare stderr lines, so they reach whatever collects the daemon's log.
 *
 * One known warning is logged at `debug` only: kafkajs 2.2.4 schedules its request-queue check
 * with a negative delay when the queue is not throttled (upstream kafkajs#1751), which Node 24
 * reports as a TimeoutNegativeWarning and runs after 1 ms, as kafkajs intends; it is harmless.
 */
import type { Logger } from "pino";

/** Whether the warning is kafkajs's harmless negative timer (kafkajs#1751). */
export function isKafkajsNegativeTimer(warning: Error): boolean {
  return warning.name === "TimeoutNegativeWarning" && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? "");
}

/**
 * Routes process warnings to `logger` until the returned function is called, which gives Node's
 * own printing back.
 */
export function routeProcessWarnings(logger: Logger): () => void {
  const previous = process.listeners("warning");
  process.removeAllListeners("warning");
  const onWarning = (warning: Error): void => {
    const fields = { warning: warning.name, stack: warning.stack };
    if (isKafkajsNegativeTimer(warning)) logger.debug(fields, `process warning (kafkajs#1751, harmless): ${warning.message}`);
    else logger.warn(fields, `process warning: ${warning.message}`);
  };
  process.on("warning", onWarning);
  return () => {
    process.off("warning", onWarning);
    for (const listener of previous) process.on("warning", listener);
  };
}
