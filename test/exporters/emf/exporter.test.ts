import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createAggregator } from "../../../src/index.ts";
import type { Aggregator } from "../../../src/core/api.ts";
import { alignDown } from "../../../src/exporters/cloudwatch/window.ts";
import { defaultEmfConfig, validateEmfConfig, type EmfExporterConfig } from "../../../src/exporters/emf/config.ts";
import { EmfExporter } from "../../../src/exporters/emf/exporter.ts";
import type { LineSink } from "../../../src/exporters/emf/sinks.ts";
import type { ConfigError } from "../../../src/components/types.ts";
import { exactPercentile, lognormalSamples, seededRandom, weightedPercentile } from "../cloudwatch/oracle.ts";
import { capturedLogger, meterProvider } from "../cloudwatch/support.ts";

type Doc = Record<string, unknown> & {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string; StorageResolution: number }[] }[] };
};
type Value = { Values?: number[]; Counts?: number[]; Max: number; Min: number; Count: number; Sum: number };

/** Parses one line and checks it against the EMF rules and limits; returns the document. */
function checkEmfLine(line: string): Doc {
  assert.ok(Buffer.byteLength(line) <= 256 * 1024 - 26, "fits a CloudWatch Logs event");
  const doc = JSON.parse(line) as Doc;
  assert.ok(Number.isInteger(doc._aws.Timestamp), "_aws.Timestamp in ms");
  assert.equal(doc._aws.CloudWatchMetrics.length, 1);
  for (const directive of doc._aws.CloudWatchMetrics) {
    assert.ok(directive.Metrics.length >= 1 && directive.Metrics.length <= 100, `${directive.Metrics.length} metrics`);
    for (const set of directive.Dimensions) {
      assert.ok(set.length <= 30, "at most 30 dimension keys");
      for (const key of set) assert.equal(typeof doc[key], "string", `dimension ${key} is a string member`);
    }
    for (const m of directive.Metrics) {
      assert.ok([1, 60].includes(m.StorageResolution));
      const v = doc[m.Name] as Value;
      assert.ok(v !== undefined, `member for ${m.Name}`);
      if (v.Values !== undefined) {
        assert.ok(v.Values.length <= 100, "at most 100 values per metric");
        assert.equal(v.Counts?.length, v.Values.length);
        assert.equal(v.Count, (v.Counts ?? []).reduce((a, b) => a + b, 0), "Count is the sum of the document's own Counts");
        for (const x of v.Values) assert.ok(v.Min <= x && x <= v.Max, `value ${x} outside [${v.Min}, ${v.Max}]`);
      }
      for (const k of ["Max", "Min", "Count", "Sum"] as const) assert.equal(typeof v[k], "number");
      assert.ok(v.Sum >= v.Count * v.Min && v.Sum <= v.Count * v.Max, `Sum ${v.Sum} outside [Count * Min, Count * Max]`);
    }
  }
  return doc;
}

class MemorySink implements LineSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  get queued(): number {
    return 0;
  }
}

function config(overrides: Partial<EmfExporterConfig> = {}): EmfExporterConfig {
  return { ...defaultEmfConfig(), namespace: "StatsetEmf", ...overrides };
}

function exporter(agg: Aggregator, cfg: EmfExporterConfig, sink?: LineSink, logger = capturedLogger().logger): EmfExporter {
  return new EmfExporter(cfg, [agg], { id: "awsemf/test", logger, meterProvider: meterProvider(), ...(sink ? { sink } : {}) });
}

describe("EmfExporter", () => {
  describe("flush", () => {
    it("writes valid EMF documents whose Count/Sum/Min/Max merge to the recorded ones exactly, with percentiles within 2%", async () => {
      const agg = await createAggregator({ engine: "js" });
      const sink = new MemorySink();
      const e = exporter(
        agg,
        config({ intervalMs: 10_000, dimensionRules: [{ metricNameSelectors: ["^benchmark"], dimensions: [["action-id", "client-id"], ["client-id"]] }] }),
        sink,
      );
      const h = agg.histogram("benchmark_latency", { unit: "ms", exponential: { maxSize: 160 } });
      const xs = lognormalSamples(seededRandom(9), 40_000, Math.log(30), 0.7);
      const reader = agg.createReader("delta");
      h.bind({ "action-id": "a-1", "client-id": "c-9", "pod": "pod-77" }).recordBatch(xs);
      const recorded = reader.read()[0].state.stats;
      agg.counter("benchmark_done").add(5, { "action-id": "a-1", "client-id": "c-9", "pod": "pod-77" });
      await e.flush();
      const docs = sink.lines.map(checkEmfLine);
      assert.ok(docs.length >= 2, "the histogram's values span several documents");
      const values: number[] = [];
      const counts: number[] = [];
      const merged = { Count: 0, Sum: 0, Min: Infinity, Max: -Infinity };
      for (const doc of docs) {
        assert.equal(doc._aws.Timestamp, alignDown(Date.now(), 10_000));
        assert.deepEqual(doc._aws.CloudWatchMetrics[0].Dimensions, [["action-id", "client-id"], ["client-id"]]);
        assert.equal(doc.pod, "pod-77", "non-dimension attributes are properties");
        const v = doc.benchmark_latency as Value | undefined;
        if (v?.Values) {
          values.push(...v.Values);
          counts.push(...(v.Counts ?? []));
          merged.Count += v.Count;
          merged.Sum += v.Sum;
          merged.Min = Math.min(merged.Min, v.Min);
          merged.Max = Math.max(merged.Max, v.Max);
        }
      }
      assert.deepEqual(docs[0].benchmark_done, { Max: 5, Min: 5, Count: 1, Sum: 5 });
      assert.deepEqual(merged, { Count: recorded.count, Sum: recorded.sum, Min: recorded.min, Max: recorded.max }, "the documents' Count/Sum/Min/Max merge to the recorded ones exactly");
      const sorted = Float64Array.from(xs).sort();
      assert.equal(counts.reduce((a, b) => a + b, 0), xs.length);
      assert.equal(Math.min(...values), sorted[0]);
      assert.equal(Math.max(...values), sorted[sorted.length - 1]);
      for (const p of [0.5, 0.9, 0.99]) {
        const ex = exactPercentile(sorted, p);
        assert.ok(Math.abs(weightedPercentile(values, counts, p) - ex) / ex <= 0.02, `p${p * 100}`);
      }
      await e.shutdown();
    });

    it("writes the recorded Count and Sum of a histogram without min/max, and Min/Max estimated from its bucket edges widened to the mean", async () => {
      const boundaries = [0.01, 0.05, 0.1];
      const cases = [
        // [bucketCounts, sum, the estimate docs/aggregation-semantics.md describes]
        { counts: [0, 2, 1, 0], sum: 0.09, min: 0.01, max: 0.1 },
        { counts: [1, 0, 0, 1], sum: 0.105, min: 0.01, max: 0.1 },
        { counts: [0, 0, 0, 2], sum: 50, min: 0.1, max: 25 },
        { counts: [2, 0, 0, 0], sum: -50, min: -25, max: 0.01 },
      ];
      for (const percentiles of [true, false]) {
        const agg = await createAggregator({ engine: "js" });
        const sink = new MemorySink();
        const e = exporter(agg, config({ percentiles }), sink);
        const h = agg.histogram("h", { boundaries });
        cases.forEach((c, i) => h.bind({ case: String(i) }).mergeExplicit({ boundaries, bucketCounts: c.counts, count: c.counts.reduce((a, b) => a + b, 0), sum: c.sum, min: Number.NaN, max: Number.NaN }));
        await e.flush();
        const got = sink.lines.map(checkEmfLine).map((doc) => {
          const v = doc.h as Value;
          return [Number(doc.case), { Count: v.Count, Sum: v.Sum, Min: v.Min, Max: v.Max }] as const;
        });
        assert.deepEqual(
          new Map(got),
          new Map(cases.map((c, i) => [i, { Count: c.counts.reduce((a, b) => a + b, 0), Sum: c.sum, Min: c.min, Max: c.max }])),
          `percentiles: ${percentiles}`,
        );
        await e.shutdown();
      }
    });

    it("splits more than 100 metrics sharing attributes over several documents", async () => {
      const agg = await createAggregator({ engine: "js" });
      const sink = new MemorySink();
      const e = exporter(agg, config({ percentiles: false }), sink);
      for (let i = 0; i < 250; i++) agg.gauge(`g${i}`).record(i, { host: "h1" });
      await e.flush();
      const docs = sink.lines.map(checkEmfLine);
      assert.equal(docs.length, 3);
      assert.equal(docs.reduce((a, d) => a + d._aws.CloudWatchMetrics[0].Metrics.length, 0), 250);
      assert.equal(e.stats().datums, 250);
      await e.shutdown();
    });

    it("counts and logs a metric whose name collides with an attribute as name_conflict", async () => {
      const agg = await createAggregator({ engine: "js" });
      const sink = new MemorySink();
      const captured = capturedLogger();
      const e = exporter(agg, config(), sink, captured.logger);
      agg.gauge("host").record(1, { host: "h1" });
      await e.flush();
      assert.equal(sink.lines.length, 0);
      assert.equal(e.stats().dropped.name_conflict, 1);
      assert.deepEqual(
        captured.lines.filter((l) => l.reason !== undefined).map((l) => [l.reason, l.metric, l.msg]),
        [["name_conflict", "host", 'awsemf/test: dropped 1 of metric "host" (name_conflict): the metric\'s name equals an attribute key (or _aws), so its EMF member would collide; rename the metric or the attribute (attributes processor)']],
      );
      await e.shutdown();
    });

    it("counts and logs OTLP points stamped in epoch milliseconds instead of nanoseconds as timestamp_out_of_range, saying so", async () => {
      const agg = await createAggregator({ engine: "js", windowMs: 60_000 });
      const sink = new MemorySink();
      const captured = capturedLogger();
      const e = exporter(agg, config({ intervalMs: 60_000 }), sink, captured.logger);
      agg.setEventTime(Math.floor(Date.now() / 1e6)); // time_unix_nano in ms, read as ns
      agg.gauge("replayed").record(1);
      agg.setEventTime(0);
      await e.flush();
      assert.deepEqual(e.stats().dropped, { timestamp_out_of_range: 1 });
      const line = captured.lines.find((l) => l.reason === "timestamp_out_of_range");
      assert.equal(line?.metric, "replayed");
      assert.match(String(line?.msg), /^awsemf\/test: dropped 1 of metric "replayed" \(timestamp_out_of_range\): timestamp 1970-01-01T00:[\d:.]+Z looks like epoch milliseconds where OTLP expects time_unix_nano in nanoseconds; fix the sender's timestamp unit$/);
      await e.shutdown();
    });
  });

  describe("shutdown", () => {
    it("appends the open window to a file", async () => {
      const dir = mkdtempSync(join(tmpdir(), "statset-emf-"));
      try {
        const path = join(dir, "emf.log");
        writeFileSync(path, "existing\n");
        const agg = await createAggregator({ engine: "js" });
        const e = exporter(agg, config({ output: { kind: "file", path } }));
        await e.start();
        agg.counter("jobs").add(3);
        await e.shutdown();
        const lines = readFileSync(path, "utf8").trim().split("\n");
        assert.equal(lines[0], "existing");
        assert.deepEqual(checkEmfLine(lines[1]).jobs, { Max: 3, Min: 3, Count: 1, Sum: 3 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("tcp output", () => {
    it("queues while the agent is down, reconnects, and delivers every line", async () => {
      const received: string[] = [];
      let buffer = "";
      const sockets = new Set<Socket>();
      const server: Server = createServer((s) => {
        sockets.add(s);
        s.on("data", (d) => {
          buffer += d.toString();
          let i: number;
          while ((i = buffer.indexOf("\n")) >= 0) {
            received.push(buffer.slice(0, i));
            buffer = buffer.slice(i + 1);
          }
        });
      });
      // Reserve a port, then close it so the exporter first finds nobody listening.
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((r) => server.close(() => r()));
      const agg = await createAggregator({ engine: "js" });
      const e = exporter(agg, config({ percentiles: false, output: { kind: "tcp", host: "127.0.0.1", port }, maxQueuedLines: 50 }));
      for (let i = 0; i < 120; i++) agg.gauge(`m${i}`).record(i, { series: `s${i}` });
      e.collectWindow(alignDown(Date.now(), 60_000));
      assert.equal(e.stats().dropped.queue_full, 70, "a bounded queue: the oldest lines beyond 50 are dropped and counted");
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      const deadline = Date.now() + 10_000;
      while (received.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(received.length, 50);
      for (const line of received) checkEmfLine(line);
      // Drop the connection: the sink reconnects and later lines still arrive.
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 50));
      agg.gauge("after").record(1);
      e.collectWindow(alignDown(Date.now(), 60_000));
      const deadline2 = Date.now() + 10_000;
      while (!received.some((l) => l.includes('"after"')) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
      assert.ok(received.some((l) => l.includes('"after"')), "delivered after reconnecting");
      await e.shutdown();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
  });

  describe("udp output", () => {
    it("sends one datagram per document", async () => {
      const sock = createSocket("udp4");
      const got: string[] = [];
      sock.on("message", (m) => got.push(m.toString()));
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
      const agg = await createAggregator({ engine: "js" });
      const e = exporter(agg, config({ output: { kind: "udp", host: "127.0.0.1", port: sock.address().port } }));
      agg.gauge("temp").record(21.5, { room: "a" });
      await e.flush();
      const deadline = Date.now() + 5000;
      while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(got.length, 1);
      assert.equal(checkEmfLine(got[0].trimEnd()).room, "a");
      await e.shutdown();
      sock.close();
    });
  });
});

describe("validateEmfConfig", () => {
  it("parses outputs and reports problems with their paths", () => {
    const errors: ConfigError[] = [];
    const cfg = validateEmfConfig({ output: "tcp://127.0.0.1:25888", interval: "5s" }, "exporters::awsemf", errors);
    assert.deepEqual(errors, []);
    assert.deepEqual(cfg.output, { kind: "tcp", host: "127.0.0.1", port: 25888 });
    assert.equal(cfg.intervalMs, 5000);
    const bad: ConfigError[] = [];
    validateEmfConfig({ output: "file", namespace: ":x", max_queued_lines: 0 }, "exporters::awsemf", bad);
    assert.deepEqual(bad.map((e) => e.path).sort(), ["exporters::awsemf::max_queued_lines", "exporters::awsemf::namespace", "exporters::awsemf::path"]);
    const worse: ConfigError[] = [];
    validateEmfConfig({ output: "http://x" }, "exporters::awsemf", worse);
    assert.deepEqual(worse.map((e) => e.path), ["exporters::awsemf::output"]);
  });
});
