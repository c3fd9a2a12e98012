/**
 * Every stop path of the README's commands, as a process manager, a terminal or a person sends it:
 * SIGTERM/SIGINT to `npm start` (the npm leader alone, or its whole process group), to the daemon
 * alone, repeated during a drain, and while a Kafka receiver still connects. Each asserts what the
 * CloudWatch endpoint received (every counter value sent before the signal), the exit code, and
 * that no process or port is left behind. Escalation (a second SIGINT 3 s after the first,
 * `service::shutdown_timeout`) cuts the drain short with a documented exit code and a log line
 * naming what was abandoned.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SECOND_SIGINT_MIN_GAP_MS } from "../../src/stop-signals.ts";
import { CloudWatchEndpoint } from "../support/cloudwatch-endpoint.ts";
import { freePort } from "../support/free-port.ts";
import { sleep, waitUntil } from "./kafka-e2e.ts";
import { deliveredJobs, StopProcess } from "./stop-harness.ts";

const CUT_SHORT = "shutdown cut short; what it had not finished is lost or left uncommitted";
const DRAIN_CONTINUES = "signal received during shutdown; the drain continues";
const VALUES = [3, 5, 7, 11];
const TOTAL = VALUES.reduce((a, b) => a + b, 0);

let namespaces = 0;
/** A namespace of its own per test, so one endpoint serves every test. */
const nextNamespace = (): string => `statset-stop-${++namespaces}`;

async function sendAll(p: StopProcess): Promise<void> {
  for (const v of VALUES) assert.equal(await p.send(v), 200, p.stderr);
}

async function assertNothingLeft(p: StopProcess): Promise<void> {
  assert.deepEqual(await p.leftBehind(), []);
}

describe("stopping statset", () => {
  let fast: CloudWatchEndpoint;
  /** Answers after 1.5 s: a drain that takes that long, for signals during it. */
  let slow: CloudWatchEndpoint;
  /** Answers after 8 s: a drain that escalation ends first. */
  let stuck: CloudWatchEndpoint;
  before(async () => {
    [fast, slow, stuck] = await Promise.all([CloudWatchEndpoint.start(), CloudWatchEndpoint.start({ latencyMs: 1500 }), CloudWatchEndpoint.start({ latencyMs: 8000 })]);
  });
  after(async () => {
    await Promise.all([fast.close(), slow.close(), stuck.close()]);
  });

  for (const [command, signal, to] of [
    ["npm start", "SIGTERM", "leader"],
    ["npm start", "SIGINT", "leader"],
    ["npm start", "SIGTERM", "group"],
    ["npm start", "SIGINT", "group"],
    ["npm start", "SIGTERM", "daemon"],
    ["statset run", "SIGTERM", "daemon"],
    ["statset run", "SIGINT", "daemon"],
  ] as const) {
    it(`${command}: ${signal} to the ${to === "group" ? "process group" : to === "leader" ? "npm process alone" : "daemon alone"} drains, delivers every value and exits 0`, async () => {
      const namespace = nextNamespace();
      const p = await StopProcess.start(command, { cloudwatch: fast, namespace });
      try {
        await sendAll(p);
        p.kill(signal, to);
        const exit = await p.exit();
        assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `${p.stderr}\n${p.messages().join("\n")}`);
        assert.equal(deliveredJobs(fast, namespace), TOTAL);
        assert.equal(p.messages().at(-1), "statset stopped");
        await assertNothingLeft(p);
      } finally {
        p.cleanup();
      }
    });
  }

  it("npm start: SIGTERM and SIGINT repeated to the process group during the drain do not cut it short", async () => {
    const namespace = nextNamespace();
    const p = await StopProcess.start("npm start", { cloudwatch: slow, namespace });
    try {
      await sendAll(p);
      p.kill("SIGTERM", "group");
      await waitUntil("the drain to begin", () => p.messages().includes("statset stopping"), 5000, () => p.stderr, 20);
      for (const signal of ["SIGTERM", "SIGINT", "SIGTERM", "SIGINT", "SIGTERM"] as const) {
        p.kill(signal, "group");
        await sleep(100);
      }
      const exit = await p.exit();
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `${p.stderr}\n${p.messages().join("\n")}`);
      assert.equal(deliveredJobs(slow, namespace), TOTAL);
      // Each group signal reaches the daemon directly and through npm; the kernel merges the two
      // copies when the second comes before the daemon took the first, so 5 to 11 arrive after the first.
      const ignored = p.logs.filter((l) => l.msg === DRAIN_CONTINUES).length;
      assert.ok(ignored >= 5 && ignored <= 11, `${ignored} signals logged as ignored:\n${p.messages().join("\n")}`);
      assert.ok(!p.messages().includes(CUT_SHORT));
      await assertNothingLeft(p);
    } finally {
      p.cleanup();
    }
  });

  it(`npm start: a second Ctrl-C (SIGINT to the group) ${SECOND_SIGINT_MIN_GAP_MS} ms after the first abandons the drain, logs what it abandons and exits 130`, async () => {
    const namespace = nextNamespace();
    const p = await StopProcess.start("npm start", { cloudwatch: stuck, namespace });
    try {
      await sendAll(p);
      p.kill("SIGINT", "group");
      await waitUntil("the drain to begin", () => p.messages().includes("statset stopping"), 5000, () => p.stderr, 20);
      await sleep(SECOND_SIGINT_MIN_GAP_MS + 200);
      assert.ok(!p.messages().includes(CUT_SHORT), "the copy of the first Ctrl-C that npm forwards is ignored");
      assert.ok(p.daemonRunning(), "still draining");
      p.kill("SIGINT", "group");
      const exit = await p.exit();
      // The daemon exits 130; npm exits 130 too, or dies of the same SIGINT when its child exited
      // before npm handled its own copy (npm stops forwarding once its child is gone). A shell
      // reports both as 130.
      assert.ok(exit.code === 130 || (exit.code === null && exit.signal === "SIGINT"), `${JSON.stringify(exit)} ${p.stderr}\n${p.messages().join("\n")}`);
      assert.match(p.stderr, /statset: second SIGINT; abandoning the shutdown and exiting 130/);
      const cut = p.logs.find((l) => l.msg === CUT_SHORT);
      assert.ok(cut !== undefined, p.messages().join("\n"));
      assert.equal(cut.level, "error");
      assert.equal(cut.reason, "sigint");
      assert.equal(cut.stage, "flush");
      assert.deepEqual(cut.notFlushed, ["exporters::awscloudwatch"]);
      assert.deepEqual(cut.pending, { "exporters::awscloudwatch": { items: { in_flight_datums: 1 } } });
      await assertNothingLeft(p);
    } finally {
      p.cleanup();
    }
  });

  it("statset run: service::shutdown_timeout elapsing abandons the drain, logs what it abandons and exits 1", async () => {
    const namespace = nextNamespace();
    const p = await StopProcess.start("statset run", { cloudwatch: stuck, namespace, shutdownTimeout: "1s" });
    try {
      await sendAll(p);
      p.kill("SIGTERM", "daemon");
      const exit = await p.exit();
      assert.equal(exit.code, 1, p.stderr);
      assert.ok(exit.afterMs >= 1000 && exit.afterMs < 5000, `exited after ${exit.afterMs} ms`);
      assert.match(p.stderr, /statset: shutdown did not finish within 1000 ms \(service::shutdown_timeout\); exiting 1/);
      const cut = p.logs.find((l) => l.msg === CUT_SHORT);
      assert.ok(cut !== undefined, p.messages().join("\n"));
      assert.equal(cut.reason, "shutdown_timeout");
      assert.deepEqual(cut.pending, { "exporters::awscloudwatch": { items: { in_flight_datums: 1 } } });
      await assertNothingLeft(p);
    } finally {
      p.cleanup();
    }
  });

  it("npm start: SIGTERM to npm while a Kafka receiver cannot reach its broker exits 0 promptly, delivering what OTLP accepted", async () => {
    const namespace = nextNamespace();
    const closed = await freePort();
    const p = await StopProcess.start("npm start", {
      cloudwatch: fast,
      namespace,
      receivers: { kafka: { brokers: [`127.0.0.1:${closed}`], topics: ["stop"], group_id: "stop-test" } },
    });
    try {
      // The first failed attempt is logged at once (then at most every 10 s).
      await waitUntil("the first failed connection attempt to be logged", () => p.messages().includes("cannot connect to kafka broker; kafkajs retries"), 5000, () => p.messages().join("\n"), 20);
      const attempt = p.logs.find((l) => l.msg === "cannot connect to kafka broker; kafkajs retries");
      assert.equal(attempt?.level, "warn");
      assert.equal(attempt?.broker, `127.0.0.1:${closed}`);
      assert.ok(!p.messages().includes("statset started"), "still starting");
      await sendAll(p);
      p.kill("SIGTERM", "leader");
      const exit = await p.exit();
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `${p.stderr}\n${p.messages().join("\n")}`);
      assert.ok(exit.afterMs < 3000, `exited after ${exit.afterMs} ms`);
      assert.ok(p.messages().includes("shutdown while connecting to kafka; connection attempts stopped"), p.messages().join("\n"));
      assert.equal(deliveredJobs(fast, namespace), TOTAL);
      assert.equal(p.messages().at(-1), "statset stopped");
      await assertNothingLeft(p);
    } finally {
      p.cleanup();
    }
  });
});
