/**
 * The connections of one receiver's kafkajs client: how they are made, what is logged about them,
 * and how they end when the receiver shuts down.
 *
 * - Sockets are created as kafkajs's default factory creates them (kafkajs src/network/socketFactory.js:
 *   `net.connect`, or `tls.connect` with SNI for host names; keep-alive after 60 s).
 * - Failed connection attempts are logged at warn with the broker, its consecutive failed attempts and
 *   the error: the first at once, then at most one line per CONNECT_LOG_INTERVAL_MS (kafkajs retries
 *   by itself and would otherwise log two error lines per attempt). A connection after failures is
 *   logged at info.
 * - close() ends them: open sockets are destroyed, new ones are refused, and the seed broker list
 *   (given to kafkajs as a function) becomes empty. kafkajs rejects an empty list as non-retriable
 *   (src/cluster/connectionPoolBuilder.js, validateBrokers) when it rebuilds its seed broker after a
 *   failed attempt (src/cluster/brokerPool.js, connect), which ends its connect retries within one
 *   backoff step instead of after its whole retry budget.
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ISocketFactory, ISocketFactoryArgs } from "kafkajs";
import type { Logger } from "pino";
import { RateLimitedLog } from "../../telemetry/rate-limited-log.ts";

/** At most one failed-connection line per broker outage and interval. */
export const CONNECT_LOG_INTERVAL_MS = 10_000;
/** kafkajs's default: TCP keep-alive probes after a minute idle. */
const KEEP_ALIVE_DELAY_MS = 60_000;

export class BrokerConnections {
  readonly #seeds: readonly string[];
  readonly #logger: Logger;
  readonly #failedLog: RateLimitedLog;
  /** Consecutive failed attempts per broker (host:port), reset by a connection. */
  readonly #failures = new Map<string, number>();
  readonly #open = new Set<Socket>();
  #failedTotal = 0;
  #closed = false;

  constructor(seeds: readonly string[], logger: Logger, now: () => number = Date.now) {
    this.#seeds = seeds.slice();
    this.#logger = logger;
    this.#failedLog = new RateLimitedLog(logger, CONNECT_LOG_INTERVAL_MS, now);
  }

  /** kafkajs `brokers`: the configured seeds while open, none once closed. */
  readonly brokers = (): string[] => (this.#closed ? [] : this.#seeds.slice());

  /** kafkajs `socketFactory`. */
  readonly socketFactory: ISocketFactory = (args: ISocketFactoryArgs): Socket => {
    const broker = `${args.host}:${args.port}`;
    if (this.#closed) throw new Error(`not connecting to ${broker}: the receiver is shutting down`);
    const socket: Socket =
      args.ssl !== undefined && args.ssl !== null
        ? tlsConnect({ host: args.host, port: args.port, ...(isIP(args.host) === 0 ? { servername: args.host } : {}), ...args.ssl }, args.onConnect)
        : netConnect({ host: args.host, port: args.port }, args.onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    let connected = false;
    let error: NodeJS.ErrnoException | undefined;
    socket.once(args.ssl !== undefined && args.ssl !== null ? "secureConnect" : "connect", () => {
      connected = true;
      const failed = this.#failures.get(broker) ?? 0;
      this.#failures.delete(broker);
      if (failed > 0) this.#logger.info({ broker, failedAttempts: failed }, "connected to kafka broker");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => (error = err));
    // One place for every failed attempt: refused, reset, TLS failure, or destroyed by kafkajs when
    // its connectionTimeout passed (no error event then).
    socket.once("close", () => {
      this.#open.delete(socket);
      if (connected || this.#closed) return;
      const attempts = (this.#failures.get(broker) ?? 0) + 1;
      this.#failures.set(broker, attempts);
      this.#failedTotal++;
      const fields = { broker, attempts, error: error?.message ?? "no connection within the connection timeout", code: error?.code };
      this.#failedLog.warn(fields, "cannot connect to kafka broker; kafkajs retries");
    });
    this.#open.add(socket);
    return socket;
  };

  /** Failed connection attempts since the receiver was created. */
  get failedAttempts(): number {
    return this.#failedTotal;
  }

  /** Destroys every open socket and refuses new ones (idempotent). */
  close(): void {
    this.#closed = true;
    for (const s of this.#open) s.destroy();
    this.#open.clear();
  }
}
