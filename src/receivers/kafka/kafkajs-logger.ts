/** Routes kafkajs's log entries to the component's pino logger. */
import { logLevel } from "kafkajs";
import type { LogEntry, logCreator } from "kafkajs";
import type { Logger } from "pino";

/** The kafkajs log level matching a pino level (kafkajs filters before calling us). */
export function kafkajsLevel(logger: Logger): logLevel {
  switch (logger.level) {
    case "trace":
    case "debug":
      return logLevel.DEBUG;
    case "info":
      return logLevel.INFO;
    case "warn":
      return logLevel.WARN;
    case "silent":
      return logLevel.NOTHING;
    default:
      return logLevel.ERROR;
  }
}

/**
 * kafkajs's lines about one failed connection attempt (two error lines per retry, from
 * src/network/connection.js connect and src/cluster/brokerPool.js connect). BrokerConnections logs
 * those attempts itself, rate-limited at warn, so these go to debug.
 */
function isConnectAttemptFailure(entry: LogEntry): boolean {
  const message = entry.log.message;
  if (entry.namespace === "BrokerPool") return message.startsWith("Failed to connect to seed broker");
  if (entry.namespace === "Connection") return /^Connection error: (connect|getaddrinfo) |^Connection timeout$|^Failed to connect: /.test(message);
  return false;
}

export function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ lib: "kafkajs" });
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, ...rest } = entry.log;
    const fields = { namespace: entry.namespace, ...rest };
    const level = isConnectAttemptFailure(entry) ? logLevel.DEBUG : entry.level;
    switch (level) {
      case logLevel.ERROR:
        child.error(fields, message);
        break;
      case logLevel.WARN:
        child.warn(fields, message);
        break;
      case logLevel.INFO:
        child.info(fields, message);
        break;
      default:
        child.debug(fields, message);
    }
  };
}
