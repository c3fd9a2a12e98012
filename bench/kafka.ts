/**
 * bench:kafka — Kafka ingest throughput against the mock broker (librdkafka's mock cluster, a real
 * Kafka wire-protocol server on 127.0.0.1), in one run:
 *
 * - kafka_topic_exporter JSON, 1 observation per message (target >= 200k messages/s)
 * - EMF, 100 values per message (target >= 3M observations/s)
 * - OTLP protobuf, 1000 points per message
 * - kafkajs itself with a no-op eachBatch on the same topics (the ceiling the receiver sits on)
 * - decode only, from memory (the decoders' own ceiling)
 *
 * Everything is produced before measuring (kcat for text, kafkajs for binary). The receiver is the
 * real `kafka` receiver with a pipeline that only counts points. Time runs from the first batch to
 * the last expected point, so group-join time is excluded.
 *
 * Usage: npm run bench:kafka [-- --messages N] [-- --json FILE]
 * The mock broker keeps at most 5 MB per partition, so topics get enough partitions to hold it all.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { pino } from "pino";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { ConfigError } from "../src/components/types.ts";
import type { ConsumeResult, DecodedBatch, MetricsConsumer } from "../src/pipeline/types.ts";
import { DecodedBatchBuilder, countPoints } from "../src/receivers/decoders/batch-builder.ts";
import { DECODER_FACTORIES } from "../src/receivers/decoders/registry.ts";
import { kafkaReceiverFactory } from "../src/receivers/kafka/factory.ts";
import { MockKafkaCluster } from "../test/support/kafka/mock-broker.ts";
import { kcatProduceFile } from "../test/support/kafka/kcat.ts";
import { gaugeResourceMetrics, otlpProto } from "../test/receivers/decoders/otlp-fixtures.ts";

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_MESSAGES = Number(argValue("--messages") ?? 2_000_000);
const EMF_MESSAGES = Math.max(1000, Math.round(JSON_MESSAGES / 20));
const OTLP_MESSAGES = Math.max(100, Math.round(JSON_MESSAGES / 1000));
const EMF_VALUES = 100;
const OTLP_POINTS = 1000;
const jsonFile = argValue("--json");
/** `--only json|emf|otlp` measures one format (profiling). */
const only = argValue("--only");
const wants = (format: string): boolean => only === undefined || only === format;
/** librdkafka's mock keeps 5 MB per partition (rdkafka_mock.c); stay well under it. */
const MOCK_PARTITION_BYTES = 5 * 1024 * 1024;
const FILL = 0.6;

function partitionsFor(messages: number, bytesPerMessage: number): number {
  return Math.max(4, Math.ceil((messages * (bytesPerMessage + 70)) / (MOCK_PARTITION_BYTES * FILL)));
}

function kteLine(i: number): string {
  const names = ["accuracy", "throughput", "latency"];
  return JSON.stringify({
    name: names[i % 3],
    value: Math.round(Math.random() * 1e6) / 1e3,
    timestamp: 1_700_000_000_000 + Math.floor(i / 100),
    labels: { model: `m${i % 8}`, host: `h${i % 4}` },
  });
}

function emfLine(i: number): string {
  const values = Array.from({ length: EMF_VALUES }, () => Math.round(Math.random() * 1e5) / 100);
  return JSON.stringify({
    _aws: {
      Timestamp: 1_700_000_000_000 + i,
      CloudWatchMetrics: [{ Namespace: "bench", Dimensions: [["Service"]], Metrics: [{ Name: "Latency", Unit: "Milliseconds" }] }],
    },
    Service: `svc${i % 4}`,
    Latency: values,
  });
}

/** Writes `count` lines; returns the mean line length. */
function writeLines(file: string, count: number, line: (i: number) => string): number {
  const chunks: string[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const l = line(i);
    bytes += l.length;
    chunks.push(l);
  }
  writeFileSync(file, chunks.join("\n") + "\n");
  return bytes / count;
}

async function checkRetained(cluster: MockKafkaCluster, topic: string, expected: number): Promise<void> {
  const admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const retained = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  if (retained !== expected) throw new Error(`${topic}: broker retains ${retained} of ${expected} messages (raise partitions)`);
}

/** Counts points; resolves when `target` points arrived. Time starts at the first batch. */
class CountingConsumer implements MetricsConsumer {
  points = 0;
  firstAt = 0;
  doneAt = 0;
  readonly #target: number;
  readonly done: Promise<void>;
  #resolve: () => void = () => {};
  constructor(target: number) {
    this.#target = target;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
  }
  consume(batch: DecodedBatch): ConsumeResult {
    if (this.firstAt === 0) this.firstAt = performance.now();
    const n = countPoints(batch);
    this.points += n;
    if (this.points >= this.#target && this.doneAt === 0) {
      this.doneAt = performance.now();
      this.#resolve();
    }
    return { acceptedPoints: n, rejectedPoints: 0, message: "" };
  }
}

interface Row {
  readonly name: string;
  readonly messages: number;
  readonly points: number;
  readonly seconds: number;
}
const rows: Row[] = [];

function report(row: Row): void {
  rows.push(row);
  console.error(
    `  ${row.name}: ${(row.messages / row.seconds).toFixed(0)} msg/s, ${(row.points / row.seconds).toFixed(0)} points/s (${row.seconds.toFixed(2)} s)`,
  );
}

async function runReceiver(cluster: MockKafkaCluster, name: string, topic: string, encoding: string, messages: number, points: number): Promise<void> {
  const errors: ConfigError[] = [];
  const config = kafkaReceiverFactory.validate(
    { brokers: cluster.brokers, topics: [topic], group_id: `bench-${name}`, encoding, initial_offset: "earliest", commit_interval_ms: 1000, max_fetch_wait_ms: 100 },
    "receivers::kafka",
    errors,
  );
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  const consumer = new CountingConsumer(points);
  const receiver = kafkaReceiverFactory.create(
    { id: `kafka/${name}`, logger: pino({ level: "error" }), meterProvider: new MeterProvider() },
    config,
    consumer,
  );
  await receiver.start();
  await consumer.done;
  await receiver.shutdown();
  report({ name: `statset receiver, ${name}`, messages, points: consumer.points, seconds: (consumer.doneAt - consumer.firstAt) / 1000 });
}

async function runKafkajs(cluster: MockKafkaCluster, name: string, topic: string, messages: number): Promise<void> {
  const kafka = new Kafka({ brokers: cluster.brokers, clientId: "bench", logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${name}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 1 << 20, maxBytes: 10 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  let doneAt = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (firstAt === 0) firstAt = performance.now();
        seen += batch.messages.length;
        if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
        if (seen >= messages && doneAt === 0) {
          doneAt = performance.now();
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  report({ name: `kafkajs no-op eachBatch, ${name}`, messages: seen, points: 0, seconds: (doneAt - firstAt) / 1000 });
}

function decodeOnly(name: string, encoding: string, payloads: readonly Buffer[], rounds: number): void {
  const factory = DECODER_FACTORIES.get(encoding)!;
  const decoder = factory.create(factory.defaultOptions());
  const builder = new DecodedBatchBuilder();
  const meta = { timestampMs: Date.now(), headers: {} };
  let points = 0;
  // Warm-up, then measure batches of 1000 messages like the receiver's chunks.
  for (let i = 0; i < Math.min(payloads.length, 20_000); i++) decoder.decode(payloads[i], meta, builder);
  builder.build();
  const t0 = performance.now();
  let messages = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < payloads.length; i++) {
      decoder.decode(payloads[i], meta, builder);
      if (++messages % 1000 === 0) points += countPoints(builder.build());
    }
  }
  points += countPoints(builder.build());
  report({ name: `decode only (memory), ${name}`, messages, points, seconds: (performance.now() - t0) / 1000 });
}

const dir = mkdtempSync(join(tmpdir(), "statset-bench-kafka-"));
let cluster: MockKafkaCluster | undefined;
try {
  console.error(`preparing: ${JSON_MESSAGES} JSON, ${EMF_MESSAGES} EMF (${EMF_VALUES} values), ${OTLP_MESSAGES} OTLP (${OTLP_POINTS} points) messages`);
  const jsonPath = join(dir, "kte.jsonl");
  const emfPath = join(dir, "emf.jsonl");
  const jsonBytes = writeLines(jsonPath, JSON_MESSAGES, kteLine);
  const emfBytes = writeLines(emfPath, EMF_MESSAGES, emfLine);
  const otlpRequest = Buffer.from(otlpProto(await gaugeResourceMetrics(OTLP_POINTS, "bench_gauge")));
  const topics = {
    json: { name: "bench-json", partitions: partitionsFor(JSON_MESSAGES, jsonBytes) },
    emf: { name: "bench-emf", partitions: partitionsFor(EMF_MESSAGES, emfBytes) },
    otlp: { name: "bench-otlp", partitions: partitionsFor(OTLP_MESSAGES, otlpRequest.length) },
  };
  cluster = await MockKafkaCluster.start({ brokers: 1, topics: Object.values(topics) });
  const producerProps = { "sticky.partitioning.linger.ms": "0", "linger.ms": "20", "batch.num.messages": "10000", "queue.buffering.max.messages": "1000000" };
  let t = performance.now();
  await kcatProduceFile(cluster.bootstraps, topics.json.name, jsonPath, { properties: producerProps });
  console.error(`  produced JSON in ${((performance.now() - t) / 1000).toFixed(1)} s (${topics.json.partitions} partitions, ~${jsonBytes.toFixed(0)} B/message)`);
  t = performance.now();
  await kcatProduceFile(cluster.bootstraps, topics.emf.name, emfPath, { properties: producerProps });
  console.error(`  produced EMF in ${((performance.now() - t) / 1000).toFixed(1)} s (${topics.emf.partitions} partitions, ~${emfBytes.toFixed(0)} B/message)`);
  t = performance.now();
  const kafka = new Kafka({ brokers: cluster.brokers, clientId: "bench-producer", logLevel: logLevel.ERROR });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < OTLP_MESSAGES; i += 50) {
    const n = Math.min(50, OTLP_MESSAGES - i);
    await producer.send({ topic: topics.otlp.name, messages: Array.from({ length: n }, (_, j) => ({ value: otlpRequest, partition: (i + j) % topics.otlp.partitions })) });
  }
  await producer.disconnect();
  console.error(`  produced OTLP in ${((performance.now() - t) / 1000).toFixed(1)} s (${topics.otlp.partitions} partitions, ${otlpRequest.length} B/message)`);
  await checkRetained(cluster, topics.json.name, JSON_MESSAGES);
  await checkRetained(cluster, topics.emf.name, EMF_MESSAGES);
  await checkRetained(cluster, topics.otlp.name, OTLP_MESSAGES);

  console.error("measuring:");
  if (wants("json")) {
    await runKafkajs(cluster, "JSON topic", topics.json.name, JSON_MESSAGES);
    await runReceiver(cluster, "kafka_topic_exporter JSON (1 obs/msg)", topics.json.name, "kafka_topic_exporter", JSON_MESSAGES, JSON_MESSAGES);
  }
  if (wants("emf")) {
    await runKafkajs(cluster, "EMF topic", topics.emf.name, EMF_MESSAGES);
    await runReceiver(cluster, `EMF (${EMF_VALUES} values/msg)`, topics.emf.name, "emf", EMF_MESSAGES, EMF_MESSAGES * EMF_VALUES);
  }
  if (wants("otlp")) {
    await runKafkajs(cluster, "OTLP topic", topics.otlp.name, OTLP_MESSAGES);
    await runReceiver(cluster, `OTLP protobuf (${OTLP_POINTS} points/msg)`, topics.otlp.name, "otlp_proto", OTLP_MESSAGES, OTLP_MESSAGES * OTLP_POINTS);
  }

  const sample = (path: string, n: number): Buffer[] =>
    readFileSync(path, "utf8").split("\n").filter((l) => l !== "").slice(0, n).map((l) => Buffer.from(l));
  if (wants("json")) decodeOnly("kafka_topic_exporter JSON", "kafka_topic_exporter", sample(jsonPath, 200_000), 3);
  if (wants("emf")) decodeOnly("EMF", "emf", sample(emfPath, 20_000), 2);
  if (wants("otlp")) decodeOnly("OTLP protobuf", "otlp_proto", Array.from({ length: 200 }, () => otlpRequest), 5);
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}

// The table: throughput and the receiver's ratio to kafkajs alone on the same topic.
const byName = new Map(rows.map((r) => [r.name, r]));
const ratio = (receiver: string, kafkajs: string): string => {
  const a = byName.get(receiver);
  const b = byName.get(kafkajs);
  return a && b ? (a.messages / a.seconds / (b.messages / b.seconds)).toFixed(2) : "-";
};
const table = rows.map((r) => ({
  run: r.name,
  "msg/s": Math.round(r.messages / r.seconds),
  "points/s": r.points === 0 ? "" : Math.round(r.points / r.seconds),
  seconds: r.seconds.toFixed(2),
}));
console.table(table);
const jsonRow = rows.find((r) => r.name.startsWith("statset receiver, kafka_topic_exporter"));
const emfRow = rows.find((r) => r.name.startsWith("statset receiver, EMF"));
console.log(`receiver / kafkajs (msg/s): JSON ${ratio(jsonRow?.name ?? "", "kafkajs no-op eachBatch, JSON topic")}, EMF ${ratio(emfRow?.name ?? "", "kafkajs no-op eachBatch, EMF topic")}, OTLP ${ratio(rows.find((r) => r.name.startsWith("statset receiver, OTLP"))?.name ?? "", "kafkajs no-op eachBatch, OTLP topic")}`);
if (jsonRow) console.log(`target JSON >= 200000 msg/s: ${jsonRow.messages / jsonRow.seconds >= 200_000 ? "met" : "NOT met"}`);
if (emfRow) console.log(`target EMF >= 3000000 obs/s: ${emfRow.points / emfRow.seconds >= 3_000_000 ? "met" : "NOT met"}`);
if (jsonFile !== undefined) writeFileSync(jsonFile, JSON.stringify(rows, null, 2));
