/**
 * Shared pieces of the Kafka end-to-end tests: daemon configurations (generated as objects and
 * serialised with `yaml`), an in-process daemon, `statset run` child processes, and readers of what
 * reached the Prometheus endpoint and the CloudWatch test endpoint.
 */
import { spawn } from "node:child_process";
import type { ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { createRegistry } from "../../src/components/registry.ts";
import { loadConfigFile, parseConfigText } from "../../src/config/loader.ts";
import { Daemon } from "../../src/daemon.ts";
import { PrometheusPullExporter } from "../../src/exporters/prometheus/exporter.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import type { CloudWatchEndpoint, ReceivedDatum } from "../support/cloudwatch-endpoint.ts";
import { parsePromText, type PromSample } from "./prom-text.ts";

/** Static test credentials: the SDK signs with them; only the local endpoint ever sees them. */
export const TEST_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: "AKIDSTATSETTEST",
  AWS_SECRET_ACCESS_KEY: "statset-test-secret",
  AWS_REGION: "us-east-1",
};

/** Receiver timings that keep group joins, commits and shutdowns short in tests. */
export const FAST_KAFKA: Readonly<Record<string, unknown>> = {
  initial_offset: "earliest",
  commit_interval_ms: 200,
  session_timeout_ms: 6000,
  heartbeat_interval_ms: 500,
  max_fetch_wait_ms: 200,
  shutdown_timeout_ms: 10_000,
};

export interface DaemonYamlOptions {
  /** Kafka receivers by id (`kafka/<name>`); FAST_KAFKA and `brokers` are merged under each. */
  readonly receivers: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly brokers: readonly string[];
  readonly cloudwatchUrl: string;
  readonly namespace?: string;
  /** host:port; default 127.0.0.1:0. */
  readonly promEndpoint?: string;
  readonly logLevel?: string;
}

/** One pipeline: the given Kafka receivers -> Prometheus + CloudWatch (1 s windows, statistic sets). */
export function daemonYaml(o: DaemonYamlOptions): string {
  const receivers: Record<string, unknown> = {};
  for (const [id, raw] of Object.entries(o.receivers)) receivers[id] = { brokers: [...o.brokers], ...FAST_KAFKA, ...raw };
  return stringify({
    receivers,
    exporters: {
      prometheus: { endpoint: o.promEndpoint ?? "127.0.0.1:0" },
      awscloudwatch: {
        region: "us-east-1",
        namespace: o.namespace ?? "statset-e2e",
        endpoint: o.cloudwatchUrl,
        interval: "1s",
        percentiles: false,
      },
    },
    service: {
      telemetry: { logs: { level: o.logLevel ?? "silent" } },
      pipelines: {
        metrics: {
          receivers: Object.keys(receivers),
          exporters: ["prometheus", "awscloudwatch"],
          // Tests give every message its own series.
          cardinality_limit: 100_000,
          max_series: 1_000_000,
        },
      },
    },
  });
}

/** An in-process daemon (for tests that need no separate process). */
export interface InProcessDaemon {
  readonly daemon: Daemon;
  readonly promUrl: string;
  scrape(): Promise<PromSample[]>;
  stop(): Promise<void>;
}

/** Starts the daemon of `yaml`, or of the config file `file` when given (`${env:...}` from `env`). */
export async function startInProcess(source: { yaml: string } | { file: string }, env: Readonly<Record<string, string>> = {}): Promise<InProcessDaemon> {
  for (const [k, v] of Object.entries(TEST_AWS_ENV)) process.env[k] = v;
  const options = { registry: createRegistry(), env };
  const config = "yaml" in source ? parseConfigText(source.yaml, "e2e.yaml", options) : await loadConfigFile(source.file, options);
  const daemon = await Daemon.create(config, { logger: createSilentLogger() });
  await daemon.start();
  const prom = daemon.exporter("prometheus") as PrometheusPullExporter;
  const promUrl = `http://127.0.0.1:${prom.listeningPort}/metrics`;
  return { daemon, promUrl, scrape: () => scrape(promUrl), stop: () => daemon.shutdown() };
}

export async function scrape(url: string): Promise<PromSample[]> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`scrape of ${url} answered ${res.status}`);
  return parsePromText(await res.text());
}

/** Polls `predicate`; on timeout the error includes `state()` (what the test saw last). */
export async function waitUntil(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  state: () => string = () => "",
  stepMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state() === "" ? "" : `; ${state()}`}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A statistic set as CloudWatch aggregates it over datums (and as the tests expect it). */
export interface Totals {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** `metric{k=v,...}` with dimensions sorted by name: one CloudWatch metric. */
export function metricKey(metric: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`);
  return `${metric}{${dims.join(",")}}`;
}

/**
 * Every CloudWatch metric's statistic set over all accepted datums (CloudWatch merges the sets of
 * one metric; here across all timestamps). Units are appended to the key (`|Milliseconds`).
 */
export function cloudWatchTotals(datums: readonly ReceivedDatum[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const d of datums) {
    const dims: Record<string, string> = {};
    for (const dim of d.Dimensions ?? []) dims[dim.Name] = dim.Value;
    const key = `${metricKey(d.MetricName, dims)}|${d.Unit ?? "None"}`;
    let set: Totals;
    if (d.StatisticValues !== undefined) {
      const s = d.StatisticValues;
      set = { count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum };
    } else if (d.Value !== undefined) {
      set = { count: 1, sum: d.Value, min: d.Value, max: d.Value };
    } else {
      throw new Error(`unexpected Values/Counts datum for ${d.MetricName} (the tests configure percentiles: false)`);
    }
    const t = out.get(key);
    if (t === undefined) out.set(key, { ...set });
    else {
      t.count += set.count;
      t.sum += set.sum;
      t.min = Math.min(t.min, set.min);
      t.max = Math.max(t.max, set.max);
    }
  }
  return out;
}

/** The datums of the requests to `namespace`. */
export function datumsOf(endpoint: CloudWatchEndpoint, namespace: string): ReceivedDatum[] {
  return endpoint.requests.filter((r) => r.namespace === namespace).flatMap((r) => r.datums);
}

/** SampleCount of `metric` summed per value of dimension `dim` (one series per message in these tests). */
export function countsByDimension(datums: readonly ReceivedDatum[], metric: string, dim: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of datums) {
    if (d.MetricName !== metric) continue;
    const v = d.Dimensions?.find((x) => x.Name === dim)?.Value;
    if (v === undefined) continue;
    out.set(v, (out.get(v) ?? 0) + (d.StatisticValues?.SampleCount ?? 1));
  }
  return out;
}

/** Sample values of `name` per value of `label`. */
export function valuesByLabel(samples: readonly PromSample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const v = s.labels[label];
    if (s.name === name && v !== undefined) out.set(v, (out.get(v) ?? 0) + s.value);
  }
  return out;
}

/** Adds `b` into `a` (per key). */
export function addCounts(a: Map<string, number>, b: ReadonlyMap<string, number>): Map<string, number> {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0) + v);
  return a;
}

/** The message id of the `j`-th message produced to partition `p` (also its offset there). */
export function messageId(p: number, j: number): string {
  return `${p}-${j}`;
}

/** kafka_topic_exporter JSON of one counted message (`as: counter`): one series per message. */
export function countedMessage(metric: string, p: number, j: number): string {
  return JSON.stringify({ name: metric, value: 1, labels: { m: messageId(p, j) } });
}

/**
 * The CLI entry that `bin/statset.mjs` runs from a checkout. The tests start it directly: bin prefers
 * `build/js` when it exists (compiled at install by `prepare`), which lags behind edited sources.
 */
const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

interface LogLine {
  readonly msg?: string;
  readonly assignment?: Readonly<Record<string, readonly number[]>>;
  readonly [key: string]: unknown;
}

/** `statset run --config <file>` (src/cli.ts) as a child process, its JSON log lines collected. */
export class StatsetProcess {
  readonly name: string;
  readonly promUrl: string;
  readonly logs: LogLine[] = [];
  stderr = "";
  readonly #child: ChildProcessByStdio<null, Readable, Readable>;
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #dir: string;

  private constructor(name: string, yaml: string, promPort: number) {
    this.name = name;
    this.promUrl = `http://127.0.0.1:${promPort}/metrics`;
    this.#dir = mkdtempSync(join(tmpdir(), "statset-e2e-"));
    const file = join(this.#dir, "config.yaml");
    writeFileSync(file, yaml);
    this.#child = spawn(process.execPath, [CLI, "run", "--config", file], {
      env: { ...process.env, ...TEST_AWS_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#exit = new Promise((resolve) => this.#child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ msg: line });
      }
    });
    this.#child.stderr.setEncoding("utf8");
    this.#child.stderr.on("data", (chunk: string) => {
      if (this.stderr.length < 65_536) this.stderr += chunk;
    });
  }

  /** Starts the process and waits until it logged "statset started" (its receivers run). */
  static async start(name: string, yaml: string, promPort: number, timeoutMs = 30_000): Promise<StatsetProcess> {
    const p = new StatsetProcess(name, yaml, promPort);
    let exited = false;
    void p.#exit.then(() => (exited = true));
    await waitUntil(`${name} to start`, () => {
      if (exited) throw new Error(`${name} exited during start: ${p.stderr}`);
      return p.logs.some((l) => l.msg === "statset started");
    }, timeoutMs);
    return p;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Partitions of the last group join (topic -> partitions), from the receiver's log. */
  assignment(): Readonly<Record<string, readonly number[]>> {
    for (let i = this.logs.length - 1; i >= 0; i--) {
      const l = this.logs[i];
      if (l.msg === "kafka partitions assigned" && l.assignment !== undefined) return l.assignment;
    }
    return {};
  }

  /** The last `n` log messages (with their errors), for failure reports. */
  recentLogs(n = 15): string {
    return this.logs
      .slice(-n)
      .map((l) => `${String(l.msg)}${l.err === undefined ? "" : ` ${JSON.stringify(l.err).slice(0, 200)}`}`)
      .join(" | ");
  }

  /** Number of partitions of `topic` in the last assignment. */
  partitions(topic: string): number {
    return (this.assignment()[topic] ?? []).length;
  }

  scrape(): Promise<PromSample[]> {
    return scrape(this.promUrl);
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.#exit;
    } finally {
      clearTimeout(timer);
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }
}
