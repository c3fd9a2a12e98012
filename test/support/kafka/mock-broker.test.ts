import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { MockKafkaCluster } from "./mock-broker.ts";
import { kcatProduce } from "./kcat.ts";

const execFileAsync = promisify(execFile);

describe("MockKafkaCluster", () => {
  let cluster: MockKafkaCluster;

  before(async () => {
    cluster = await MockKafkaCluster.start({ brokers: 2, topics: [{ name: "t", partitions: 3 }] });
  });

  after(async () => {
    await cluster.stop();
  });

  describe("start", () => {
    it("listens on 127.0.0.1 only, one port per broker", () => {
      assert.equal(cluster.brokers.length, 2);
      for (const b of cluster.brokers) assert.match(b, /^127\.0\.0\.1:\d+$/);
    });
  });

  describe("with kafkajs", () => {
    it("serves produce and consumer-group consume", async () => {
      const kafka = new Kafka({ brokers: cluster.brokers, clientId: "t", logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "t", messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "mb-test", maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: "t", fromBeginning: true });
      const seen = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`saw only ${seen.size}`)), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.add(String(message.value));
            if (seen.size === 30) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      assert.equal(seen.size, 30);
    });
  });

  describe("with kcat", () => {
    it("accepts keyed messages with headers on a chosen partition, newlines included", async () => {
      await kcatProduce(cluster.bootstraps, "t", [
        { key: "a", value: "line 1\nline 2", headers: { h: "1" }, partition: 2 },
        { key: "b", value: Buffer.from([0x01, 0x1e, 0xff]), headers: { h: "1" }, partition: 2 },
      ]);
      const { stdout } = await execFileAsync("kcat", ["-b", cluster.bootstraps, "-C", "-t", "t", "-p", "2", "-o", "-2", "-e", "-q", "-J", "-s", "value=s"]);
      const got = stdout.trim().split("\n").map((l) => JSON.parse(l) as { key: string; payload: string; headers: string[] });
      assert.deepEqual(got.map((m) => [m.key, m.headers]), [["a", ["h", "1"]], ["b", ["h", "1"]]]);
      assert.equal(got[0].payload, "line 1\nline 2");
    });
  });

  describe("down", () => {
    it("acknowledges down and up, and reports a command the broker refused", async () => {
      await cluster.down(2);
      await cluster.up(2);
      await assert.rejects(cluster.setLeader("t", 9, 1), /mock broker: error/);
    });
  });
});
