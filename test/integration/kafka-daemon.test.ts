/**
 * Kafka through the whole daemon (in-process): kcat produces each message format to the librdkafka
 * mock broker, the daemon's Kafka receivers consume, and what comes out is read at both ends — the
 * Prometheus scrape endpoint and the CloudWatch test endpoint (statistic sets, compared exactly).
 * Also: poison messages of every format, a ~20 s outage of every broker mid-stream, and the shipped
 * benchmark-ai configuration.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { CloudWatchEndpoint } from "../support/cloudwatch-endpoint.ts";
import { kcatProduce } from "../support/kafka/kcat.ts";
import type { KcatMessage } from "../support/kafka/kcat.ts";
import { MockKafkaCluster } from "../support/kafka/mock-broker.ts";
import { createSdkHarness } from "../support/otlp-sdk.ts";
import { gaugeResourceMetrics, otlpJson, otlpProto } from "../receivers/decoders/otlp-fixtures.ts";
import {
  cloudWatchTotals,
  countsByDimension,
  daemonYaml,
  datumsOf,
  type InProcessDaemon,
  sleep,
  startInProcess,
  type Totals,
  valuesByLabel,
  waitUntil,
} from "./kafka-e2e.ts";
import { type PromSample, select } from "./prom-text.ts";

/** Committed offset and end offset of every partition of `topic` for `group`. */
async function offsets(cluster: MockKafkaCluster, group: string, topic: string): Promise<{ committed: string[]; end: string[] }> {
  const admin = new Kafka({ brokers: cluster.brokers, clientId: "e2e-admin", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const byPartition = (list: { partition: number; offset?: string; high?: string }[], f: "offset" | "high"): string[] =>
      [...list].sort((a, b) => a.partition - b.partition).map((p) => p[f] ?? "");
    return { committed: byPartition(entry.partitions, "offset"), end: byPartition(ends, "high") };
  } finally {
    await admin.disconnect();
  }
}

/** The value of `name{labels}` (labels must match exactly, apart from otel_scope_*), or undefined. */
function promValue(samples: readonly PromSample[], name: string, labels: Record<string, string>): number | undefined {
  const found = select(samples, name, labels).filter(
    (s) => Object.keys(s.labels).filter((k) => !k.startsWith("otel_scope_")).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)} is ambiguous`);
  return found[0]?.value;
}

/** Statistic set of raw values. */
function stats(values: readonly number[]): Totals {
  return { count: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values) };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

const NAMESPACE = "statset-e2e";

describe("Kafka receivers in the daemon", () => {
  let cluster: MockKafkaCluster;
  let cw: CloudWatchEndpoint;
  let d: InProcessDaemon;
  const RECEIVERS: Record<string, Record<string, unknown>> = {
    "kafka/kte": { topics: ["e2e-kte"], group_id: "e2e-kte", encoding: "kafka_topic_exporter" },
    "kafka/seldon": { topics: ["e2e-seldon"], group_id: "e2e-seldon", encoding: "seldon" },
    "kafka/emf": { topics: ["e2e-emf"], group_id: "e2e-emf", encoding: "emf" },
    "kafka/regex": {
      topics: ["e2e-regex"],
      group_id: "e2e-regex",
      encoding: "regex",
      regex: { rules: [{ name: "regex_step_time", units: "ms", pattern: "phase=(?P<phase>\\w+) took ([0-9.]+)ms" }] },
    },
    "kafka/otlp_proto": { topics: ["e2e-otlp-proto"], group_id: "e2e-otlp-proto", encoding: "otlp_proto" },
    "kafka/otlp_json": { topics: ["e2e-otlp-json"], group_id: "e2e-otlp-json", encoding: "otlp_json" },
  };

  before(async () => {
    [cluster, cw] = await Promise.all([
      MockKafkaCluster.start({
        brokers: 1,
        topics: [
          { name: "e2e-kte", partitions: 3 },
          { name: "e2e-seldon", partitions: 1 },
          { name: "e2e-emf", partitions: 1 },
          { name: "e2e-regex", partitions: 1 },
          { name: "e2e-otlp-proto", partitions: 1 },
          { name: "e2e-otlp-json", partitions: 1 },
          { name: "BAI_METRICS", partitions: 2 },
        ],
      }),
      CloudWatchEndpoint.start(),
    ]);
    d = await startInProcess({ yaml: daemonYaml({ receivers: RECEIVERS, brokers: cluster.brokers, cloudwatchUrl: cw.url, namespace: NAMESPACE }) });
  });

  after(async () => {
    await d?.stop();
    await cw?.close();
    await cluster?.stop();
  });

  it("delivers every encoding produced by kcat to Prometheus and to CloudWatch with exact statistic sets", async () => {
    const now = Date.now();
    const expected = new Map<string, Totals>();
    const expect = (key: string, values: readonly number[]): void => {
      expected.set(key, stats(values));
    };

    // kafka_topic_exporter (benchmark-ai's metrics pusher): one observation per message, plus an array message.
    const kte: KcatMessage[] = range(60).map((i) => ({
      key: `k${i}`,
      value: JSON.stringify({ name: "bai_accuracy", value: (i % 8) * 0.25, timestamp: now + i, labels: { "action-id": "run-1", "client-id": `c${i % 2}` } }),
    }));
    kte.push({
      key: "arr",
      value: JSON.stringify([
        { name: "bai_throughput", value: 100.5, labels: { "action-id": "run-1", "client-id": "c0" } },
        { name: "bai_throughput", value: 99.25, labels: { "action-id": "run-1", "client-id": "c0" } },
      ]),
    });
    for (const c of [0, 1]) expect(`bai_accuracy{action-id=run-1,client-id=c${c}}|None`, range(60).filter((i) => i % 2 === c).map((i) => (i % 8) * 0.25));
    expect("bai_throughput{action-id=run-1,client-id=c0}|None", [100.5, 99.25]);

    // Seldon responses (COUNTER adds, GAUGE sets, TIMER in ms) and one bare list of metrics.
    const seldon: KcatMessage[] = range(20).map((i) => ({
      value: JSON.stringify({
        meta: {
          metrics: [
            { type: "COUNTER", key: "seldon_requests", value: 1, tags: { model: "iris" } },
            { type: "GAUGE", key: "seldon_queue", value: i * 0.5, tags: { model: "iris" } },
            { type: "TIMER", key: "seldon_predict", value: (i % 5) + 0.5, tags: { model: "iris" } },
          ],
        },
        data: { ndarray: [[i]] },
      }),
    }));
    seldon.push({ value: JSON.stringify([{ type: "COUNTER", key: "seldon_requests", value: 2, tags: { model: "iris" } }]) });
    expect("seldon_requests{model=iris}|None", [...range(20).map(() => 1), 2]);
    expect("seldon_queue{model=iris}|None", range(20).map((i) => i * 0.5));
    expect("seldon_predict{model=iris}|Milliseconds", range(20).map((i) => (i % 5) + 0.5));

    // EMF: two dimension sets, two metrics with units, array values.
    const emf: KcatMessage[] = range(10).map((i) => ({
      value: JSON.stringify({
        _aws: {
          Timestamp: now + i,
          CloudWatchMetrics: [
            { Namespace: "svc", Dimensions: [["Service"], ["Service", "Operation"]], Metrics: [{ Name: "emf_latency", Unit: "Milliseconds" }, { Name: "emf_bytes", Unit: "Bytes" }] },
          ],
        },
        Service: "api",
        Operation: i % 2 === 1 ? "get" : "put",
        emf_latency: [i, i + 0.5],
        emf_bytes: 1024 * i,
        requestId: `r${i}`,
      }),
    }));
    const lat = (f: (i: number) => boolean): number[] => range(10).filter(f).flatMap((i) => [i, i + 0.5]);
    const bytes = (f: (i: number) => boolean): number[] => range(10).filter(f).map((i) => 1024 * i);
    expect("emf_latency{Service=api}|Milliseconds", lat(() => true));
    expect("emf_latency{Operation=get,Service=api}|Milliseconds", lat((i) => i % 2 === 1));
    expect("emf_latency{Operation=put,Service=api}|Milliseconds", lat((i) => i % 2 === 0));
    expect("emf_bytes{Service=api}|Bytes", bytes(() => true));
    expect("emf_bytes{Operation=get,Service=api}|Bytes", bytes((i) => i % 2 === 1));
    expect("emf_bytes{Operation=put,Service=api}|Bytes", bytes((i) => i % 2 === 0));

    // Log lines: two matching lines and one unmatched line per message.
    const regex: KcatMessage[] = range(8).map((i) => ({ value: `phase=train took ${i + 0.25}ms\nsome noise\r\nphase=eval took ${i * 2}ms\n` }));
    expect("regex_step_time{phase=train}|Milliseconds", range(8).map((i) => i + 0.25));
    expect("regex_step_time{phase=eval}|Milliseconds", range(8).map((i) => i * 2));

    // OTLP (what the Collector's Kafka exporter writes), delta temporality, serialised by the SDK.
    const otlpMessages = async (prefix: string, encode: typeof otlpProto): Promise<KcatMessage[]> => {
      const sdk = createSdkHarness({ temporality: "delta" });
      const counter = sdk.meter.createCounter(`${prefix}_requests`, { unit: "{request}" });
      const histogram = sdk.meter.createHistogram(`${prefix}_latency`, { unit: "ms" });
      const out: KcatMessage[] = [];
      for (const k of range(3)) {
        counter.add(k + 1, { route: "/a" });
        counter.add(0.5, { route: "/a" });
        for (const v of [k, k + 0.25, 10]) histogram.record(v, { route: "/a" });
        out.push({ value: Buffer.from(encode(await sdk.collect())) });
      }
      await sdk.shutdown();
      // Per delta point: the counter's increase; the histogram's statistic sets merge to all values.
      expected.set(`${prefix}_requests{route=/a}|Count`, stats([1.5, 2.5, 3.5]));
      expect(`${prefix}_latency{route=/a}|Milliseconds`, range(3).flatMap((k) => [k, k + 0.25, 10]));
      return out;
    };

    await Promise.all([
      kcatProduce(cluster.bootstraps, "e2e-kte", kte),
      kcatProduce(cluster.bootstraps, "e2e-seldon", seldon),
      kcatProduce(cluster.bootstraps, "e2e-emf", emf),
      kcatProduce(cluster.bootstraps, "e2e-regex", regex),
      otlpMessages("otlp_proto", otlpProto).then((m) => kcatProduce(cluster.bootstraps, "e2e-otlp-proto", m)),
      otlpMessages("otlp_json", otlpJson).then((m) => kcatProduce(cluster.bootstraps, "e2e-otlp-json", m)),
    ]);

    const sorted = (m: ReadonlyMap<string, Totals>): [string, Totals][] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const got = (): Map<string, Totals> => cloudWatchTotals(datumsOf(cw, NAMESPACE));
    await waitUntil("CloudWatch statistic sets to match what was produced", () => JSON.stringify(sorted(got())) === JSON.stringify(sorted(expected)), 30_000).catch(() => {});
    assert.deepEqual(sorted(got()), sorted(expected));

    const samples = await d.scrape();
    const want: [string, Record<string, string>, number][] = [
      ["bai_accuracy_count", { action_id: "run-1", client_id: "c0" }, 30],
      ["bai_accuracy_sum", { action_id: "run-1", client_id: "c0" }, (expected.get("bai_accuracy{action-id=run-1,client-id=c0}|None") as Totals).sum],
      ["bai_accuracy_count", { action_id: "run-1", client_id: "c1" }, 30],
      ["bai_throughput_sum", { action_id: "run-1", client_id: "c0" }, 199.75],
      ["seldon_requests_total", { model: "iris" }, 22],
      ["seldon_queue", { model: "iris" }, 9.5],
      ["seldon_predict_count", { model: "iris" }, 20],
      ["seldon_predict_sum", { model: "iris" }, 50],
      ["emf_latency_count", { Service: "api" }, 20],
      ["emf_latency_sum", { Service: "api", Operation: "get" }, 52.5],
      ["emf_bytes_sum", { Service: "api" }, 46080],
      ["regex_step_time_count", { phase: "train" }, 8],
      ["regex_step_time_sum", { phase: "eval" }, 56],
      ["otlp_proto_requests_total", { route: "/a" }, 7.5],
      ["otlp_proto_latency_count", { route: "/a" }, 9],
      ["otlp_proto_latency_sum", { route: "/a" }, 36.75],
      ["otlp_json_requests_total", { route: "/a" }, 7.5],
      ["otlp_json_latency_count", { route: "/a" }, 9],
      ["otlp_json_latency_sum", { route: "/a" }, 36.75],
      ["statset_kafka_records_skipped_total", { receiver: "kafka/regex" }, 8],
    ];
    const mismatches = want
      .map(([name, labels, value]) => ({ name, labels, want: value, got: promValue(samples, name, labels) }))
      .filter((m) => m.got !== m.want);
    assert.deepEqual(mismatches, []);
    // Histogram buckets agree with the values: every seldon_predict value (0.5..4.5) is <= 5.
    assert.equal(promValue(samples, "seldon_predict_bucket", { model: "iris", le: "5" }), 20);
    assert.equal(promValue(samples, "seldon_predict_bucket", { model: "iris", le: "0" }), 0);
    assert.deepEqual(cw.refused, []);
  });

  it("counts poison messages of every format on the Prometheus endpoint and keeps each partition flowing", async () => {
    const poison: Record<string, { topic: string; messages: KcatMessage[]; after: KcatMessage[] }> = {
      kte: {
        topic: "e2e-kte",
        messages: [{ value: "{not json" }, { value: "42" }, { value: JSON.stringify({ name: "kte_after", value: "abc" }) }],
        after: [{ value: JSON.stringify({ name: "kte_after", value: 1 }) }],
      },
      seldon: {
        topic: "e2e-seldon",
        messages: [{ value: "{not json" }, { value: JSON.stringify({ meta: { metrics: { type: "GAUGE" } } }) }],
        after: [{ value: JSON.stringify([{ type: "COUNTER", key: "seldon_after", value: 1 }]) }],
      },
      emf: {
        topic: "e2e-emf",
        messages: [{ value: "{not json" }, { value: JSON.stringify({ _aws: { CloudWatchMetrics: "nope" }, x: 1 }) }],
        after: [{ value: JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: "svc", Dimensions: [], Metrics: [{ Name: "emf_after" }] }] }, emf_after: 1 }) }],
      },
      regex: {
        topic: "e2e-regex",
        // A match whose value is not a number is an invalid point; binary garbage is an unmatched line.
        messages: [{ value: "phase=bad took .ms" }, { value: Buffer.from([0xff, 0xfe, 0x00, 0x1e, 0x1f, 0x80]) }],
        after: [{ value: "phase=after took 1ms" }],
      },
      otlp_proto: {
        topic: "e2e-otlp-proto",
        messages: [{ value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) }, { value: "{not protobuf" }],
        after: [{ value: Buffer.from(otlpProto(await gaugeResourceMetrics(1, "otlp_proto_after"))) }],
      },
      otlp_json: {
        topic: "e2e-otlp-json",
        messages: [{ value: "{not json" }, { value: JSON.stringify({ resourceMetrics: 5 }) }],
        after: [{ value: Buffer.from(otlpJson(await gaugeResourceMetrics(1, "otlp_json_after"))) }],
      },
    };
    const counter = (samples: readonly PromSample[], name: string, receiver: string, outcome?: string): number =>
      promValue(samples, name, outcome === undefined ? { receiver } : { receiver, outcome }) ?? 0;
    const before = await d.scrape();
    const base = new Map<string, number>();
    for (const enc of Object.keys(poison)) {
      base.set(`${enc}:malformed`, counter(before, "statset_kafka_messages_total", `kafka/${enc}`, "malformed"));
      base.set(`${enc}:invalid`, counter(before, "statset_kafka_points_total", `kafka/${enc}`, "invalid"));
      base.set(`${enc}:skipped`, counter(before, "statset_kafka_records_skipped_total", `kafka/${enc}`));
    }
    // Poison first, then a good message, on one partition: the good one arrives only if the poison is passed.
    await Promise.all(
      Object.values(poison).map((p) => kcatProduce(cluster.bootstraps, p.topic, [...p.messages, ...p.after].map((m) => ({ ...m, partition: 0 })))),
    );
    const arrived = (samples: readonly PromSample[]): boolean =>
      promValue(samples, "kte_after_count", {}) === 1 &&
      promValue(samples, "seldon_after_total", {}) === 1 &&
      promValue(samples, "emf_after_count", {}) === 1 &&
      promValue(samples, "regex_step_time_count", { phase: "after" }) === 1 &&
      promValue(samples, "otlp_proto_after", { i: "0" }) === 0 &&
      promValue(samples, "otlp_json_after", { i: "0" }) === 0;
    await waitUntil("the good messages after the poison", async () => arrived(await d.scrape()), 30_000).catch(() => {});
    const samples = await d.scrape();
    assert.ok(arrived(samples), "every partition delivered the message behind its poison");
    const delta = (enc: string, what: "malformed" | "invalid" | "skipped"): number => {
      const name = what === "malformed" ? "statset_kafka_messages_total" : what === "invalid" ? "statset_kafka_points_total" : "statset_kafka_records_skipped_total";
      return counter(samples, name, `kafka/${enc}`, what === "skipped" ? undefined : what) - (base.get(`${enc}:${what}`) ?? 0);
    };
    assert.deepEqual(
      Object.fromEntries(Object.keys(poison).map((enc) => [enc, { malformed: delta(enc, "malformed"), invalid: delta(enc, "invalid"), skipped: delta(enc, "skipped") }])),
      {
        kte: { malformed: 2, invalid: 1, skipped: 0 },
        seldon: { malformed: 2, invalid: 0, skipped: 0 },
        emf: { malformed: 2, invalid: 0, skipped: 0 },
        regex: { malformed: 0, invalid: 1, skipped: 1 },
        otlp_proto: { malformed: 2, invalid: 0, skipped: 0 },
        otlp_json: { malformed: 2, invalid: 0, skipped: 0 },
      },
    );
    // Offsets move past the poison: every partition is committed to its end.
    for (const [enc, p] of Object.entries(poison)) {
      const group = (RECEIVERS[`kafka/${enc}`] as { group_id: string }).group_id;
      await waitUntil(`${p.topic} committed to its end`, async () => {
        const o = await offsets(cluster, group, p.topic);
        return o.committed[0] === o.end[0];
      }, 15_000);
    }
  });

  it("runs otel-config/benchmark-ai.yaml: BAI_METRICS into ANUBIS/METRICS with action-id and client-id dimensions", async () => {
    const file = fileURLToPath(new URL("../../otel-config/benchmark-ai.yaml", import.meta.url));
    const bai = await startInProcess(
      { file },
      {
        KAFKA_BOOTSTRAP_SERVERS: cluster.brokers[0],
        STATSET_GROUP_ID: "e2e-bai",
        CLOUDWATCH_ENDPOINT: cw.url,
        STATSET_CW_INTERVAL: "1s",
        STATSET_PROMETHEUS_ENDPOINT: "127.0.0.1:0",
      },
    );
    try {
      const messages: KcatMessage[] = range(40).map((i) => ({
        key: `k${i}`,
        value: JSON.stringify({
          name: "accuracy",
          value: i * 0.25,
          timestamp: Date.now(),
          labels: i < 20 ? { "action-id": "a1", "client-id": "alice", experiment: "test1" } : { "action-id": "a2", "client-id": "alice" },
        }),
      }));
      await kcatProduce(cluster.bootstraps, "BAI_METRICS", messages);
      const a1 = range(20).map((i) => i * 0.25);
      const a2 = range(20).map((i) => (20 + i) * 0.25);
      const want = new Map<string, Totals>([
        ["accuracy{action-id=a1,client-id=alice}|None", stats(a1)],
        ["accuracy{action-id=a2,client-id=alice}|None", stats(a2)],
        ["accuracy{client-id=alice}|None", stats([...a1, ...a2])],
        ["accuracy{action-id=a1,client-id=alice,experiment=test1}|None", stats(a1)],
      ]);
      const sorted = (m: ReadonlyMap<string, Totals>): [string, Totals][] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      const got = (): Map<string, Totals> => cloudWatchTotals(datumsOf(cw, "ANUBIS/METRICS"));
      await waitUntil("ANUBIS/METRICS statistic sets", () => JSON.stringify(sorted(got())) === JSON.stringify(sorted(want)), 30_000).catch(() => {});
      assert.deepEqual(sorted(got()), sorted(want));
      const samples = await bai.scrape();
      assert.equal(promValue(samples, "accuracy_count", { action_id: "a1", client_id: "alice", experiment: "test1" }), 20);
      assert.equal(promValue(samples, "accuracy_sum", { action_id: "a2", client_id: "alice" }), stats(a2).sum);
    } finally {
      await bai.stop();
    }
  });
});

describe("Kafka receiver in the daemon during a broker outage", () => {
  it("loses nothing when every broker is down for 20 s mid-stream", async () => {
    const OUTAGE_MS = 20_000;
    const [cluster, cw] = await Promise.all([MockKafkaCluster.start({ brokers: 3, topics: [{ name: "outage", partitions: 4 }] }), CloudWatchEndpoint.start()]);
    let d: InProcessDaemon | undefined;
    try {
      d = await startInProcess({
        yaml: daemonYaml({
          receivers: { "kafka/outage": { topics: ["outage"], group_id: "e2e-outage", encoding: "kafka_topic_exporter", kafka_topic_exporter: { as: "counter" } } },
          brokers: cluster.brokers,
          cloudwatchUrl: cw.url,
        }),
      });
      const message = (i: number): KcatMessage => ({ key: `k${i}`, value: JSON.stringify({ name: "outage_msgs", value: 1, labels: { m: `o${i}` } }) });
      await kcatProduce(cluster.bootstraps, "outage", range(1000).map(message));
      const daemon = d;
      await waitUntil("the stream is flowing", async () => valuesByLabel(await daemon.scrape(), "outage_msgs_total", "m").size > 0, 30_000);
      await cluster.down(-1);
      const downAt = Date.now();
      // kcat buffers while the brokers are down and delivers when they return.
      const produced = kcatProduce(cluster.bootstraps, "outage", range(1000).map((i) => message(1000 + i)), { timeoutMs: OUTAGE_MS + 60_000, tolerateOutage: true });
      await sleep(OUTAGE_MS);
      await cluster.up(-1);
      const upAt = Date.now();
      await produced;
      await waitUntil("every message in CloudWatch", () => countsByDimension(datumsOf(cw, NAMESPACE), "outage_msgs", "m").size >= 2000, 90_000);
      const recoveredMs = Date.now() - upAt;
      await sleep(1500);
      const cloud = countsByDimension(datumsOf(cw, NAMESPACE), "outage_msgs", "m");
      const prom = valuesByLabel(await daemon.scrape(), "outage_msgs_total", "m");
      const lost = range(2000).filter((i) => !cloud.has(`o${i}`) || !prom.has(`o${i}`));
      assert.deepEqual(lost, [], "nothing lost");
      assert.equal(cloud.size, 2000);
      const duplicates = [...cloud.values()].reduce((n, c) => n + c - 1, 0);
      assert.deepEqual([...prom.entries()].filter(([m, n]) => n !== cloud.get(m)), [], "Prometheus and CloudWatch count the same deliveries");
      process.stdout.write(`# broker outage: down ${upAt - downAt} ms, all 2000 delivered ${recoveredMs} ms after the brokers returned, duplicates ${duplicates}\n`);
      await waitUntil("offsets committed to the end again", async () => {
        const o = await offsets(cluster, "e2e-outage", "outage");
        return o.committed.every((c, i) => c === o.end[i]);
      }, 30_000);
      assert.deepEqual(cw.refused, []);
    } finally {
      await d?.stop();
      await cw.close();
      await cluster.stop();
    }
  });
});
