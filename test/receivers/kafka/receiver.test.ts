import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { execFile } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { BackpressureError } from "../../../src/pipeline/types.ts";
import { MockKafkaCluster } from "../../support/kafka/mock-broker.ts";
import { kcatProduce, kcatProduceLines } from "../../support/kafka/kcat.ts";
import { freePort } from "../../support/free-port.ts";
import {
  assignedCount,
  committedOffsets,
  kteMessage,
  makeReceiver,
  topicEndOffsets,
  valueCounts,
  waitUntil,
} from "./harness.ts";
import { RecordingConsumer } from "./recording-consumer.ts";
import { capturedLogger } from "../../support/captured-logger.ts";
import { gaugeResourceMetrics, otlpProto } from "../decoders/otlp-fixtures.ts";

const execFileAsync = promisify(execFile);

describe("KafkaReceiver", () => {
  let cluster: MockKafkaCluster;

  before(async () => {
    cluster = await MockKafkaCluster.start({
      brokers: 3,
      topics: [
        { name: "kte", partitions: 3 },
        { name: "mixed", partitions: 2 },
        { name: "poison", partitions: 1 },
        { name: "poison-dlq", partitions: 1 },
        { name: "deep", partitions: 1 },
        { name: "long-lines", partitions: 1 },
        { name: "grouped", partitions: 6 },
        { name: "barrier", partitions: 2 },
        { name: "killed", partitions: 2 },
        { name: "pressure", partitions: 1 },
        { name: "otlp", partitions: 1 },
      ],
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  describe("start", () => {
    it("delivers kafka_topic_exporter messages produced by kcat with their values, labels and timestamps", async () => {
      const messages = Array.from({ length: 300 }, (_, i) => ({
        key: `k${i % 17}`,
        value: JSON.stringify({ name: i % 2 === 0 ? "accuracy" : "latency", value: i / 4, timestamp: 1_700_000_000_000 + i, labels: { model: `m${i % 3}` } }),
        headers: { origin: "kcat" },
      }));
      await kcatProduce(cluster.bootstraps, "kte", messages);
      const h = makeReceiver(cluster, { topics: ["kte"], group_id: "g-kte", encoding: "kafka_topic_exporter" });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(300);
        const got = h.consumer.observations
          .map((o) => `${o.metric}|${o.value}|${o.timeMs}|${o.attributes.model}|${o.type}`)
          .sort();
        const want = messages
          .map((_, i) => `${i % 2 === 0 ? "accuracy" : "latency"}|${i / 4}|${1_700_000_000_000 + i}|m${i % 3}|samples`)
          .sort();
        assert.deepEqual(got, want);
        assert.equal(await h.reader.counter("statset.kafka.messages", { outcome: "decoded" }), 300);
        assert.equal(await h.reader.counter("statset.kafka.points", { outcome: "accepted" }), 300);
      } finally {
        await h.receiver.shutdown();
      }
    });

    it("decodes each message by its content-type header: EMF, Seldon and regex lines", async () => {
      const emf = JSON.stringify({
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: "svc", Dimensions: [["Service"]], Metrics: [{ Name: "Latency", Unit: "Milliseconds" }] }] },
        Service: "api",
        Latency: [1, 2, 3],
      });
      const seldon = JSON.stringify({ meta: { metrics: [{ type: "TIMER", key: "predict_ms", value: 8.5, tags: { model: "iris" } }] }, data: {} });
      const lines = "step 1 took 10ms\nnoise line\nstep 2 took 12ms";
      await kcatProduce(cluster.bootstraps, "mixed", [
        { value: emf, headers: { "content-type": "application/json" }, partition: 0 },
        { value: seldon, headers: { "content-type": "application/json" }, partition: 1 },
        { value: lines, headers: { "content-type": "text/plain" }, partition: 0 },
      ]);
      const h = makeReceiver(cluster, {
        topics: ["mixed"],
        group_id: "g-mixed",
        encoding: "kafka_topic_exporter",
        encoding_from_header: true,
        regex: { rules: [{ name: "step_time", units: "ms", pattern: "step (?P<step>\\d+) took (\\d+)ms" }] },
      });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(3 + 1 + 2);
        const got = h.consumer.observations.map((o) => `${o.scope}|${o.metric}|${o.unit}|${o.value}|${JSON.stringify(o.attributes)}`).sort();
        assert.deepEqual(got, [
          'statset/regex|step_time|ms|10|{"step":"1"}',
          'statset/regex|step_time|ms|12|{"step":"2"}',
          'statset/seldon|predict_ms|ms|8.5|{"model":"iris"}',
          'svc|Latency|ms|1|{"Service":"api"}',
          'svc|Latency|ms|2|{"Service":"api"}',
          'svc|Latency|ms|3|{"Service":"api"}',
        ]);
        await waitUntil("skipped line counted", async () => (await h.reader.counter("statset.kafka.records_skipped")) === 1);
      } finally {
        await h.receiver.shutdown();
      }
    });

    it("decodes OTLP protobuf requests by default (binary values produced by kcat)", async () => {
      const request = otlpProto(await gaugeResourceMetrics(100));
      await kcatProduce(cluster.bootstraps, "otlp", [{ value: request }, { value: request }]);
      const h = makeReceiver(cluster, { topics: ["otlp"], group_id: "g-otlp" });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(200);
        const values = h.consumer.observations.map((o) => o.value).sort((a, b) => a - b);
        assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => Math.floor(i / 2)));
        assert.ok(h.consumer.observations.every((o) => o.metric === "queue_depth" && o.type === "gauge"));
      } finally {
        await h.receiver.shutdown();
      }
    });
  });

  describe("malformed messages", () => {
    it("counts poison messages of every format, dead-letters them and keeps the partition flowing", async () => {
      const good = (i: number) => ({ value: kteMessage("poison", i), headers: { "content-type": "application/json" } });
      const poison = [
        { value: "{not json", headers: { "content-type": "application/json" } },
        { value: JSON.stringify({ _aws: { CloudWatchMetrics: "nope" }, x: 1 }), headers: { "content-type": "application/json" } },
        { value: JSON.stringify({ meta: { metrics: { type: "GAUGE" } } }), headers: { "content-type": "application/json" } },
        { value: "42", headers: { "content-type": "application/vnd.statset.kafka_topic_exporter" } },
        { value: Buffer.from([0xff, 0x00, 0x1e, 0x1f]), headers: { "content-type": "application/vnd.statset.seldon" } },
      ];
      const messages = [good(0), ...poison.slice(0, 2), good(1), ...poison.slice(2), good(2), good(3)];
      await kcatProduce(cluster.bootstraps, "poison", messages);
      const h = makeReceiver(cluster, {
        topics: ["poison"],
        group_id: "g-poison",
        encoding: "kafka_topic_exporter",
        encoding_from_header: true,
        dead_letter_topic: "poison-dlq",
      });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(4);
        assert.deepEqual([...valueCounts(h.consumer).keys()].sort(), [0, 1, 2, 3]);
        await waitUntil("malformed counted", async () => (await h.reader.counter("statset.kafka.messages", { outcome: "malformed" })) === 5);
        await waitUntil("dead letters sent", async () => (await h.reader.counter("statset.kafka.dead_letters", { outcome: "sent" })) === 5);
        // Offsets move past the poison: the partition is committed to its end.
        const end = await topicEndOffsets(cluster, "poison");
        await waitUntil("committed to the end", async () => (await committedOffsets(cluster, "g-poison", "poison")).get(0) === end.get(0));
        const { stdout } = await execFileAsync("kcat", ["-b", cluster.bootstraps, "-C", "-t", "poison-dlq", "-o", "beginning", "-e", "-q", "-J"]);
        const dlq = stdout.trim().split("\n").map((l) => JSON.parse(l) as { payload: string; headers: string[] });
        assert.equal(dlq.length, 5);
        // Dead letters of different fetches may be produced in any order.
        const notJson = dlq.find((m) => m.payload === "{not json");
        assert.ok(notJson !== undefined, "the unparsable message was dead-lettered as-is");
        const headers = new Map<string, string>();
        for (let i = 0; i < notJson.headers.length; i += 2) headers.set(notJson.headers[i], notJson.headers[i + 1]);
        assert.equal(headers.get("statset-source-topic"), "poison");
        assert.equal(headers.get("statset-source-offset"), "1");
        assert.equal(headers.get("content-type"), "application/json", "original headers are kept");
        assert.match(headers.get("statset-error") ?? "", /not valid JSON/);
      } finally {
        await h.receiver.shutdown();
      }
    });
    it("counts a message nesting deeper than the JSON depth limit as malformed in every JSON encoding, logged rate-limited", async () => {
      const deep = "[".repeat(100_000);
      const encodings = ["kafka_topic_exporter", "seldon", "emf", "otlp_json"];
      await kcatProduce(cluster.bootstraps, "deep", [
        ...encodings.map((e) => ({ value: deep, headers: { "content-type": `application/vnd.statset.${e}` } })),
        { value: kteMessage("deep", 7), headers: { "content-type": "application/json" } },
      ]);
      const log = capturedLogger();
      const h = makeReceiver(cluster, { topics: ["deep"], group_id: "g-deep", encoding: "kafka_topic_exporter", encoding_from_header: true }, { logger: log.logger });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(1);
        assert.deepEqual([...valueCounts(h.consumer).keys()], [7]);
        await waitUntil("malformed counted", async () => (await h.reader.counter("statset.kafka.messages", { outcome: "malformed" })) === 4);
        const warnings = log.lines.filter((l) => l.msg === "malformed kafka message skipped");
        // Four malformed messages within the 10 s interval: one line, the rest suppressed.
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0].reason, "JSON refused: nested deeper than the limit of 160 levels (at byte 160)");
      } finally {
        await h.receiver.shutdown();
      }
    });
  });

  describe("points refused by the decoder", () => {
    it("counts a regex line over max_line_length as an invalid point and logs it rate-limited, matching the other lines", async () => {
      await kcatProduce(cluster.bootstraps, "long-lines", [
        { value: `v=1\nv=2 ${"x".repeat(100)}\nv=3` },
        { value: `v=4 ${"y".repeat(200)}` },
      ]);
      const log = capturedLogger();
      const h = makeReceiver(
        cluster,
        { topics: ["long-lines"], group_id: "g-long", encoding: "regex", regex: { rules: [{ name: "seq", pattern: "v=(\\d+)" }], max_line_length: 64 } },
        { logger: log.logger },
      );
      try {
        await h.receiver.start();
        await h.consumer.waitFor(2);
        await waitUntil("invalid counted", async () => (await h.reader.counter("statset.kafka.points", { outcome: "invalid" })) === 2);
        assert.deepEqual([...valueCounts(h.consumer).keys()].sort(), [1, 3]);
        const warnings = log.lines.filter((l) => l.msg === "points refused by the decoder");
        assert.ok(warnings.length >= 1 && warnings.length <= 2, `one line per fetch at most, got ${warnings.length}`);
        assert.match(String(warnings[0].reason), /^line of 10[45] characters is longer than max_line_length \(64\); not matched$/);
      } finally {
        await h.receiver.shutdown();
      }
    });
  });

  describe("consumer groups", () => {
    it("consumes every message exactly once across two members and loses nothing when one stops", async () => {
      const a = makeReceiver(cluster, { topics: ["grouped"], group_id: "g-two", encoding: "kafka_topic_exporter" }, { id: "kafka/a" });
      const shared = new RecordingConsumer();
      const b = makeReceiver(cluster, { topics: ["grouped"], group_id: "g-two", encoding: "kafka_topic_exporter" }, { id: "kafka/b", consumer: shared });
      try {
        await a.receiver.start();
        await b.receiver.start();
        await waitUntil("both members assigned", () => assignedCount(a.receiver) > 0 && assignedCount(b.receiver) > 0 && assignedCount(a.receiver) + assignedCount(b.receiver) === 6);
        const first = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: kteMessage("two", i) }));
        await kcatProduce(cluster.bootstraps, "grouped", first);
        await waitUntil("phase 1 consumed", () => a.consumer.observations.length + shared.observations.length >= 3000);
        assert.ok(a.consumer.observations.length > 0 && shared.observations.length > 0, "both members consumed");
        const phase1 = new Map<number, number>();
        for (const c of [a.consumer, shared]) for (const [v, n] of valueCounts(c)) phase1.set(v, (phase1.get(v) ?? 0) + n);
        assert.equal(phase1.size, 3000);
        assert.ok([...phase1.values()].every((n) => n === 1), "exactly once in aggregate");

        await a.receiver.shutdown();
        await waitUntil("b owns all partitions", () => assignedCount(b.receiver) === 6);
        const second = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: kteMessage("two", 3000 + i) }));
        await kcatProduce(cluster.bootstraps, "grouped", second);
        await waitUntil("phase 2 consumed", () => new Set([...valueCounts(shared).keys(), ...valueCounts(a.consumer).keys()]).size >= 6000);
        await new Promise((r) => setTimeout(r, 500)); // let any redelivery show up before counting
        const all = new Map<number, number>();
        for (const c of [a.consumer, shared]) for (const [v, n] of valueCounts(c)) all.set(v, (all.get(v) ?? 0) + n);
        for (let i = 0; i < 6000; i++) assert.ok((all.get(i) ?? 0) >= 1, `value ${i} lost`);
        const duplicates = [...all.values()].reduce((n, c) => n + c - 1, 0);
        assert.equal(duplicates, 0, "the graceful stop committed before leaving and b re-seeked its kept partitions");
      } finally {
        await a.receiver.shutdown();
        await b.receiver.shutdown();
      }
    });
  });

  describe("offset commits", () => {
    it("commits only after the flush hook resolves", async () => {
      let release: () => void = () => {};
      let flushCalls = 0;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const h = makeReceiver(
        cluster,
        { topics: ["barrier"], group_id: "g-barrier", encoding: "kafka_topic_exporter" },
        {
          hooks: {
            flush: () => {
              flushCalls++;
              return gate;
            },
          },
        },
      );
      try {
        await kcatProduce(cluster.bootstraps, "barrier", Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: kteMessage("barrier", i) })));
        await h.receiver.start();
        await h.consumer.waitFor(200);
        await waitUntil("flush requested", () => flushCalls > 0);
        await new Promise((r) => setTimeout(r, 1000));
        const before = await committedOffsets(cluster, "g-barrier", "barrier");
        assert.deepEqual([...before.values()], ["-1", "-1"], "nothing committed while the flush is pending");
        assert.equal(flushCalls, 1, "commit cycles do not pile up behind a pending flush");
        release();
        const end = await topicEndOffsets(cluster, "barrier");
        await waitUntil("committed after release", async () => {
          const now = await committedOffsets(cluster, "g-barrier", "barrier");
          // A partition kcat left empty has nothing to commit.
          return [...end].every(([p, o]) => o === "0" || now.get(p) === o);
        });
      } finally {
        release();
        await h.receiver.shutdown();
      }
    });

    it("redelivers everything after a kill when the flush hook never resolved", async () => {
      await kcatProduceLines(cluster.bootstraps, "killed", Array.from({ length: 500 }, (_, i) => kteMessage("killed", i)));
      const fixture = fileURLToPath(new URL("./fixtures/blocking-flush-receiver.ts", import.meta.url));
      const child = spawn(process.execPath, [fixture, cluster.bootstraps, "killed", "g-killed"], { stdio: ["ignore", "pipe", "inherit"] });
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        let consumed = 0;
        let flushes = 0;
        const lines = createInterface({ input: child.stdout });
        lines.on("line", (line) => {
          const m = /^(consumed|flush) (\d+)$/.exec(line);
          if (m?.[1] === "consumed") consumed = Number(m[2]);
          if (m?.[1] === "flush") flushes = Number(m[2]);
        });
        await waitUntil("child consumed everything and asked to flush", () => consumed >= 500 && flushes >= 1, 40_000);
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual([...(await committedOffsets(cluster, "g-killed", "killed")).values()], ["-1", "-1"]);
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      // A fresh member of the same group gets everything again once the dead member's session expires.
      const h = makeReceiver(cluster, { topics: ["killed"], group_id: "g-killed", encoding: "kafka_topic_exporter" });
      try {
        await h.receiver.start();
        await h.consumer.waitFor(500, 40_000);
        assert.equal(valueCounts(h.consumer).size, 500);
      } finally {
        await h.receiver.shutdown();
      }
    });
  });

  describe("backpressure", () => {
    it("pauses the partition on BackpressureError and delivers the refused batch later", async () => {
      const consumer = new RecordingConsumer();
      let refusals = 0;
      consumer.gate = () => {
        if (refusals < 3) {
          refusals++;
          throw new BackpressureError("full", 0.3);
        }
      };
      await kcatProduceLines(cluster.bootstraps, "pressure", Array.from({ length: 100 }, (_, i) => kteMessage("pressure", i)));
      const h = makeReceiver(cluster, { topics: ["pressure"], group_id: "g-pressure", encoding: "kafka_topic_exporter" }, { consumer });
      try {
        await h.receiver.start();
        await consumer.waitFor(100);
        await new Promise((r) => setTimeout(r, 300));
        const counts = valueCounts(consumer);
        assert.equal(counts.size, 100);
        assert.ok([...counts.values()].every((n) => n === 1));
        assert.equal(await h.reader.counter("statset.kafka.backpressure_pauses"), 3);
      } finally {
        await h.receiver.shutdown();
      }
    });
  });

  describe("shutdown", () => {
    it("during start against an unreachable broker: stops connecting at once, logs it, and start() resolves without running", async () => {
      const port = await freePort();
      const { logger, lines } = capturedLogger("info");
      const h = makeReceiver(cluster, { brokers: [`127.0.0.1:${port}`], topics: ["kte"], group_id: "g-unreachable" }, { logger });
      let startSettled: "resolved" | "rejected" | null = null;
      const started = h.receiver.start().then(
        () => (startSettled = "resolved"),
        () => (startSettled = "rejected"),
      );
      // kafkajs retries after ~0.3, 0.6, 1.2 s: several attempts fail within 2 s.
      await new Promise((r) => setTimeout(r, 2000));
      const warned = lines.filter((l) => l.msg === "cannot connect to kafka broker; kafkajs retries");
      assert.equal(warned.length, 1, `one line for the first failed attempt, the rest rate-limited:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
      assert.equal(warned[0].level, "warn");
      assert.equal(warned[0].broker, `127.0.0.1:${port}`);
      assert.equal(warned[0].attempts, 1);
      assert.match(String(warned[0].error), /ECONNREFUSED/);
      assert.deepEqual(lines.filter((l) => l.level === "error"), [], "kafkajs's own per-attempt error lines are at debug");
      assert.equal(startSettled, null, "still connecting");
      const t0 = Date.now();
      await h.receiver.shutdown();
      await started;
      const stopMs = Date.now() - t0;
      assert.ok(stopMs < 1000, `shutdown took ${stopMs} ms`);
      assert.equal(startSettled, "resolved");
      const stopped = lines.find((l) => l.msg === "shutdown while connecting to kafka; connection attempts stopped");
      assert.ok(stopped !== undefined, lines.map((l) => l.msg).join("\n"));
      assert.ok(Number(stopped.failedAttempts) >= 3, `failed attempts: ${String(stopped.failedAttempts)}`);
      const after = lines.length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(lines.slice(after).filter((l) => l.level !== "debug"), [], "nothing more once stopped");
      assert.equal(assignedCount(h.receiver), 0);
    });

    it("is idempotent and safe without start", async () => {
      const h = makeReceiver(cluster, { topics: ["kte"], group_id: "g-never", encoding: "kafka_topic_exporter" });
      await h.receiver.shutdown();
      await h.receiver.shutdown();
      await h.receiver.start();
      assert.equal(assignedCount(h.receiver), 0, "a stopped receiver does not start");
    });
  });
});

describe("KafkaReceiver during a broker outage", () => {
  it("loses nothing when every broker is down for several seconds mid-stream", async () => {
    const cluster = await MockKafkaCluster.start({ brokers: 3, topics: [{ name: "outage", partitions: 4 }] });
    const h = makeReceiver(cluster, { topics: ["outage"], group_id: "g-outage", encoding: "kafka_topic_exporter" });
    try {
      await h.receiver.start();
      await kcatProduce(cluster.bootstraps, "outage", Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: kteMessage("outage", i) })));
      await waitUntil("first half consumed", () => valueCounts(h.consumer).size >= 1000);
      await cluster.down(-1);
      // kcat buffers while the brokers are down and delivers when they return.
      const produced = kcatProduce(
        cluster.bootstraps,
        "outage",
        Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: kteMessage("outage", 1000 + i) })),
        { timeoutMs: 60_000, tolerateOutage: true },
      );
      await new Promise((r) => setTimeout(r, 6000));
      await cluster.up(-1);
      await produced;
      await waitUntil("second half consumed", () => valueCounts(h.consumer).size >= 2000, 60_000);
      const counts = valueCounts(h.consumer);
      for (let i = 0; i < 2000; i++) assert.ok(counts.has(i), `value ${i} lost`);
    } finally {
      await h.receiver.shutdown();
      await cluster.stop();
    }
  });
});
