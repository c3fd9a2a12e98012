/** Shared setup for Kafka receiver tests against the mock broker. */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import type { Logger } from "pino";
import type { ConfigError } from "../../../src/components/types.ts";
import { kafkaReceiverFactory } from "../../../src/receivers/kafka/factory.ts";
import type { KafkaReceiver } from "../../../src/receivers/kafka/receiver.ts";
import type { KafkaReceiverHooks } from "../../../src/receivers/kafka/types.ts";
import type { MockKafkaCluster } from "../../support/kafka/mock-broker.ts";
import { RecordingConsumer, TestMetricReader, testLogger, testMeterProvider } from "./recording-consumer.ts";

export interface Harness {
  readonly receiver: KafkaReceiver;
  readonly consumer: RecordingConsumer;
  readonly reader: TestMetricReader;
}

/** A receiver on `cluster` with test-friendly timings; `raw` overrides config fields. */
export function makeReceiver(
  cluster: MockKafkaCluster,
  raw: Record<string, unknown>,
  options: { hooks?: KafkaReceiverHooks; id?: string; consumer?: RecordingConsumer; logger?: Logger } = {},
): Harness {
  const errors: ConfigError[] = [];
  const config = kafkaReceiverFactory.validate(
    {
      brokers: cluster.brokers,
      initial_offset: "earliest",
      commit_interval_ms: 200,
      session_timeout_ms: 6000,
      heartbeat_interval_ms: 500,
      max_fetch_wait_ms: 200,
      shutdown_timeout_ms: 5000,
      ...raw,
    },
    "receivers::kafka",
    errors,
  );
  assert.deepEqual(errors, []);
  const reader = new TestMetricReader();
  const consumer = options.consumer ?? new RecordingConsumer();
  const receiver = kafkaReceiverFactory.create(
    { id: options.id ?? "kafka", logger: options.logger ?? testLogger(), meterProvider: testMeterProvider(reader), hooks: options.hooks },
    config,
    consumer,
  );
  return { receiver, consumer, reader };
}

export async function waitUntil(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function assignedCount(receiver: KafkaReceiver): number {
  return Object.values(receiver.assignment).reduce((n, p) => n + p.length, 0);
}

/** Committed offsets of `group` on `topic` by partition ("-1" = none), read with a separate admin client. */
export async function committedOffsets(cluster: MockKafkaCluster, group: string, topic: string): Promise<Map<number, string>> {
  const admin = new Kafka({ brokers: cluster.brokers, clientId: "test-admin", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** Sum of high watermarks (= messages produced) of `topic`. */
export async function topicEndOffsets(cluster: MockKafkaCluster, topic: string): Promise<Map<number, string>> {
  const admin = new Kafka({ brokers: cluster.brokers, clientId: "test-admin", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

/** kafka_topic_exporter JSON for observation `i` of a run. */
export function kteMessage(run: string, i: number): string {
  return JSON.stringify({ name: "seq", value: i, timestamp: 1_700_000_000_000 + i, labels: { run } });
}

/** How often each value of metric `seq` was observed. */
export function valueCounts(consumer: RecordingConsumer): Map<number, number> {
  const counts = new Map<number, number>();
  for (const o of consumer.observations) if (o.metric === "seq") counts.set(o.value, (counts.get(o.value) ?? 0) + 1);
  return counts;
}
