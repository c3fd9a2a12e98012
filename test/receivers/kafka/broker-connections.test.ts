import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { describe, it } from "node:test";
import type { ConnectionOptions } from "node:tls";
import { BrokerConnections, CONNECT_LOG_INTERVAL_MS } from "../../../src/receivers/kafka/broker-connections.ts";
import { freePort } from "../../support/free-port.ts";
import { capturedLogger } from "../../support/captured-logger.ts";

/** kafkajs passes `ssl: null` without TLS (src/network/connection.js), which its types do not admit. */
const NO_TLS = null as unknown as ConnectionOptions;

/** One connection attempt through the factory, as kafkajs makes it; resolves when the socket closed or connected. */
function attempt(c: BrokerConnections, port: number): Promise<{ connected: boolean; socket: Socket }> {
  return new Promise((resolve) => {
    let socket: Socket | undefined = undefined;
    socket = c.socketFactory({ host: "127.0.0.1", port, ssl: NO_TLS, onConnect: () => resolve({ connected: true, socket: socket as Socket }) });
    socket.on("error", () => {});
    socket.once("close", () => resolve({ connected: false, socket: socket as Socket }));
  });
}

/** Lets the close handlers of the socket run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("BrokerConnections", () => {
  describe("socketFactory", () => {
    it("logs the first failed attempt at once, then at most one line per interval with the broker, its attempts and the error", async () => {
      const port = await freePort();
      let now = 1_000_000;
      const { logger, lines } = capturedLogger("info");
      const c = new BrokerConnections([`127.0.0.1:${port}`], logger, () => now);
      assert.equal((await attempt(c, port)).connected, false);
      await tick();
      assert.equal(lines.length, 1);
      assert.deepEqual(
        { level: lines[0].level, msg: lines[0].msg, broker: lines[0].broker, attempts: lines[0].attempts, code: lines[0].code, suppressed: lines[0].suppressed },
        { level: "warn", msg: "cannot connect to kafka broker; kafkajs retries", broker: `127.0.0.1:${port}`, attempts: 1, code: "ECONNREFUSED", suppressed: 0 },
      );
      assert.match(String(lines[0].error), /ECONNREFUSED/);
      now += CONNECT_LOG_INTERVAL_MS - 1;
      await attempt(c, port);
      await tick();
      assert.equal(lines.length, 1, "a second failure within the interval is not logged");
      now += 1;
      await attempt(c, port);
      await tick();
      assert.equal(lines.length, 2);
      assert.equal(lines[1].attempts, 3);
      assert.equal(lines[1].suppressed, 1);
      assert.equal(c.failedAttempts, 3);
    });

    it("logs a connection after failed attempts at info with their count", async () => {
      const port = await freePort();
      const { logger, lines } = capturedLogger("info");
      const c = new BrokerConnections([`127.0.0.1:${port}`], logger);
      await attempt(c, port);
      await attempt(c, port);
      const server = createServer((s) => s.end());
      await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port }, () => r()));
      try {
        const { connected, socket } = await attempt(c, port);
        assert.equal(connected, true);
        socket.destroy();
        await tick();
        assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
          ["warn", "cannot connect to kafka broker; kafkajs retries"],
          ["info", "connected to kafka broker"],
        ]);
        assert.equal(lines[1].failedAttempts, 2);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });

  describe("close", () => {
    it("destroys open sockets, refuses new ones and empties the seed list, logging nothing more", async () => {
      const accepted = new Set<Socket>();
      const server = createServer((s) => accepted.add(s));
      await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, () => r()));
      const port = (server.address() as { port: number }).port;
      const { logger, lines } = capturedLogger("info");
      const c = new BrokerConnections([`127.0.0.1:${port}`], logger);
      try {
        assert.deepEqual(c.brokers(), [`127.0.0.1:${port}`]);
        const { socket } = await attempt(c, port);
        const closed = new Promise<void>((r) => socket.once("close", () => r()));
        c.close();
        await closed;
        assert.throws(() => c.socketFactory({ host: "127.0.0.1", port, ssl: NO_TLS, onConnect: () => {} }), /the receiver is shutting down/);
        assert.deepEqual(c.brokers(), []);
        assert.deepEqual(lines, []);
      } finally {
        for (const s of accepted) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });
});
