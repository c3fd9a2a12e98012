/**
 * statset daemons as separate processes (`bin/statset.mjs run --config`) consuming one topic in one
 * consumer group, publishing to one CloudWatch test endpoint: exactly-once in aggregate while nothing
 * fails, nothing lost across a graceful stop (SIGTERM) or a kill -9 and restart, and after a kill
 * the redelivered excess is exactly the uncommitted tail the killed process had already published.
 *
 * Every message is its own series (kafka_topic_exporter `as: counter`, label `m = <partition>-<offset>`),
 * so deliveries are counted per message, not just in total.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { CloudWatchEndpoint } from "../support/cloudwatch-endpoint.ts";
import { freePort } from "../support/free-port.ts";
import { kcatProduce } from "../support/kafka/kcat.ts";
import { MockKafkaCluster } from "../support/kafka/mock-broker.ts";
import {
  addCounts,
  countedMessage,
  countsByDimension,
  daemonYaml,
  messageId,
  sleep,
  StatsetProcess,
  valuesByLabel,
  waitUntil,
} from "./kafka-e2e.ts";

const METRIC = "msgs";

/** Produces `perPartition` messages to each partition (one kcat run per partition); returns their ids. */
async function produceRound(cluster: MockKafkaCluster, topic: string, partitions: number, next: number[], perPartition: number): Promise<string[]> {
  const ids: string[] = [];
  const messages = [];
  for (let p = 0; p < partitions; p++) {
    for (let k = 0; k < perPartition; k++) {
      const j = next[p]++;
      messages.push({ value: countedMessage(METRIC, p, j), partition: p });
      ids.push(messageId(p, j));
    }
  }
  await kcatProduce(cluster.bootstraps, topic, messages);
  return ids;
}

async function committedOffsets(cluster: MockKafkaCluster, group: string, topic: string): Promise<Map<number, number>> {
  const admin = new Kafka({ brokers: cluster.brokers, clientId: "e2e-admin", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

function parseId(id: string): { p: number; j: number } {
  const [p, j] = id.split("-").map(Number);
  return { p, j };
}

describe("statset processes in one Kafka consumer group", () => {
  let cluster: MockKafkaCluster;
  let cw: CloudWatchEndpoint;
  const running: StatsetProcess[] = [];

  async function startProcess(name: string, topic: string, group: string): Promise<StatsetProcess> {
    const port = await freePort();
    const yaml = daemonYaml({
      receivers: { "kafka/main": { topics: [topic], group_id: group, encoding: "kafka_topic_exporter", kafka_topic_exporter: { as: "counter" } } },
      brokers: cluster.brokers,
      cloudwatchUrl: cw.url,
      promEndpoint: `127.0.0.1:${port}`,
      logLevel: "info",
    });
    const p = await StatsetProcess.start(name, yaml, port);
    running.push(p);
    return p;
  }

  before(async () => {
    [cluster, cw] = await Promise.all([
      MockKafkaCluster.start({ brokers: 3, topics: [{ name: "grouped", partitions: 6 }, { name: "killed", partitions: 4 }] }),
      CloudWatchEndpoint.start(),
    ]);
  });

  after(async () => {
    await Promise.all(running.map((p) => p.stop("SIGKILL")));
    await cw?.close();
    await cluster?.stop();
  });

  it("counts every message exactly once across two processes, and loses none when one stops with SIGTERM", async () => {
    const a = await startProcess("a", "grouped", "e2e-group");
    const b = await startProcess("b", "grouped", "e2e-group");
    await waitUntil(
      "both processes own 3 of the 6 partitions",
      () => a.partitions("grouped") === 3 && b.partitions("grouped") === 3,
      40_000,
      () => `a: ${JSON.stringify(a.assignment())} [${a.recentLogs()}]; b: ${JSON.stringify(b.assignment())} [${b.recentLogs()}]`,
    );
    const owned = [...(a.assignment().grouped ?? []), ...(b.assignment().grouped ?? [])].sort();
    assert.deepEqual(owned, [0, 1, 2, 3, 4, 5], "the partitions are split, not shared");

    const next = [0, 0, 0, 0, 0, 0];
    const first = await produceRound(cluster, "grouped", 6, next, 150);
    const scraped = async (): Promise<Map<string, number>> =>
      addCounts(valuesByLabel(await a.scrape(), `${METRIC}_total`, "m"), valuesByLabel(await b.scrape(), `${METRIC}_total`, "m"));
    await waitUntil("both scrapes hold every message", async () => (await scraped()).size >= first.length, 30_000);
    await waitUntil("CloudWatch holds every message", () => countsByDimension(cw.datums(), METRIC, "m").size >= first.length, 30_000);
    await sleep(1500); // a redelivery would show up within a window or two
    const prom = await scraped();
    assert.deepEqual([...prom.keys()].sort(), [...first].sort());
    assert.deepEqual([...prom.entries()].filter(([, n]) => n !== 1), [], "each message counted once over both scrapes");
    const aOwns = new Set(a.assignment().grouped);
    for (const [id] of valuesByLabel(await a.scrape(), `${METRIC}_total`, "m")) assert.ok(aOwns.has(parseId(id).p), `a counted ${id} from a partition it does not own`);
    const cloud = countsByDimension(cw.datums(), METRIC, "m");
    assert.deepEqual([...cloud.entries()].filter(([, n]) => n !== 1), [], "each message in exactly one CloudWatch datum");
    assert.equal(cloud.size, first.length);

    // Stop a mid-stream: b takes over its partitions from a's final commit.
    const producing = produceRound(cluster, "grouped", 6, next, 150).then(async (ids) => [...ids, ...(await produceRound(cluster, "grouped", 6, next, 150))]);
    await sleep(200);
    const exit = await a.stop("SIGTERM");
    assert.deepEqual(exit, { code: 0, signal: null }, `a exits 0 after SIGTERM; stderr: ${a.stderr}`);
    assert.doesNotMatch(a.stderr, /Warning/, "process warnings go to the log (kafkajs's negative timer at debug)");
    const second = await producing;
    await waitUntil("b owns all 6 partitions", () => b.partitions("grouped") === 6, 30_000);
    const all = [...first, ...second];
    await waitUntil("CloudWatch holds every message of both rounds", () => countsByDimension(cw.datums(), METRIC, "m").size >= all.length, 40_000);
    await sleep(1500);
    const final = countsByDimension(cw.datums(), METRIC, "m");
    const lost = all.filter((id) => !final.has(id));
    assert.deepEqual(lost, [], "nothing lost across the SIGTERM");
    const duplicates = [...final.values()].reduce((n, c) => n + c - 1, 0);
    assert.equal(final.size, all.length, "no message outside what was produced");
    assert.equal(duplicates, 0, "a graceful stop commits what it published before leaving the group");
    assert.deepEqual(cw.refused, []);
    await b.stop("SIGTERM");
  });

  it("loses nothing when a process is killed with SIGKILL mid-stream; the excess is the uncommitted tail it had published", async () => {
    const group = "e2e-kill";
    const k1 = await startProcess("k1", "killed", group);
    await waitUntil("k1 owns the 4 partitions", () => k1.partitions("killed") === 4, 40_000);
    const before = cw.requests.length;
    const next = [0, 0, 0, 0];
    const produced: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let round = 0; round < 12; round++) {
        produced.push(...(await produceRound(cluster, "killed", 4, next, 100)));
        await sleep(150);
      }
      producing = false;
    })();

    await waitUntil("k1 published part of the stream", () => countsByDimension(cw.requests.slice(before).flatMap((r) => r.datums), METRIC, "m").size >= 1200, 30_000);
    assert.ok(producing, "the kill happens while messages are still being produced");
    const exit = await k1.stop("SIGKILL");
    assert.equal(exit.signal, "SIGKILL");
    // A request k1 finished sending just before dying may be read after its exit is seen; k2 is not
    // started yet, so whatever arrives in this pause is still k1's.
    await sleep(500);
    const killedAt = cw.requests.length;
    const committed = await committedOffsets(cluster, group, "killed");
    const fromK1 = countsByDimension(cw.requests.slice(before, killedAt).flatMap((r) => r.datums), METRIC, "m");

    const k2 = await startProcess("k2", "killed", group);
    await producer;
    await waitUntil("CloudWatch holds every produced message", () => countsByDimension(cw.requests.slice(before).flatMap((r) => r.datums), METRIC, "m").size >= produced.length, 60_000);
    await sleep(1500);
    const final = countsByDimension(cw.requests.slice(before).flatMap((r) => r.datums), METRIC, "m");

    assert.deepEqual(produced.filter((id) => !final.has(id)), [], "nothing lost");
    assert.equal(final.size, produced.length);
    // Redelivered = what k1 had published at or after its last commit: k2 starts from the commit.
    const expectedTwice = [...fromK1.keys()].filter((id) => {
      const { p, j } = parseId(id);
      return j >= (committed.get(p) ?? -1);
    });
    const twice = [...final.entries()].filter(([, n]) => n === 2).map(([id]) => id);
    assert.deepEqual([...final.values()].filter((n) => n > 2), [], "no message more than twice");
    assert.deepEqual(twice.sort(), expectedTwice.sort(), "the excess is exactly the published-but-uncommitted tail");
    for (const [id, n] of fromK1) assert.equal(n, 1, `k1 published ${id} once`);
    const tail = [...committed.entries()].map(([p, o]) => [p, Math.max(...[...fromK1.keys()].map(parseId).filter((x) => x.p === p).map((x) => x.j)) + 1 - o]);
    const excess = [...final.values()].reduce((n, c) => n + c - 1, 0);
    process.stdout.write(
      `# kill -9: produced ${produced.length}, k1 published ${fromK1.size} before the kill, committed ${JSON.stringify([...committed])}, ` +
        `published-uncommitted tail per partition ${JSON.stringify(tail)}, excess after restart ${excess}\n`,
    );
    assert.deepEqual(cw.refused, []);
    await k2.stop("SIGTERM");
  });
});
