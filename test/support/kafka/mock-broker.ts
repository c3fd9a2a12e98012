/**
 * Launcher for the Kafka-protocol test broker (`mock-broker.c`, librdkafka's mock cluster).
 *
 * The C source is compiled once per content hash into a cache directory under `os.tmpdir()`, so
 * parallel test files share one binary and an edit to the source recompiles it. Every broker of the
 * cluster listens on 127.0.0.1 on an ephemeral port.
 */
import { spawn, execFile } from "node:child_process";
import type { ChildProcessByStdio } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const SOURCE = fileURLToPath(new URL("./mock-broker.c", import.meta.url));
const START_TIMEOUT_MS = 10_000;

export interface MockTopic {
  readonly name: string;
  readonly partitions: number;
  /** Defaults to min(brokers, 3). */
  readonly replication?: number;
}

export interface MockKafkaOptions {
  /** Broker count (ids 1..n); default 1. */
  readonly brokers?: number;
  readonly topics?: readonly MockTopic[];
}

/** Compiles the mock broker if this source version is not cached yet; returns the binary's path. */
export async function buildMockBroker(): Promise<string> {
  const source = readFileSync(SOURCE);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), "statset-kafka-mock", hash);
  const binary = join(dir, "mock-broker");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // Compile to a private name, then rename: concurrent test files never run a half-written binary.
  const partial = `${binary}.${process.pid}.${Date.now()}`;
  await execFileAsync("gcc", ["-O2", "-o", partial, SOURCE, "-lrdkafka"]);
  renameSync(partial, binary);
  return binary;
}

function topicSpec(topic: MockTopic): string {
  if (!/^[A-Za-z0-9._-]+$/.test(topic.name)) throw new Error(`invalid topic name ${JSON.stringify(topic.name)}`);
  return topic.replication === undefined
    ? `${topic.name}:${topic.partitions}`
    : `${topic.name}:${topic.partitions}:${topic.replication}`;
}

/** A running mock cluster. Commands are serialised and resolve when the broker acknowledged them. */
export class MockKafkaCluster {
  /** `host:port,host:port,...` of every broker. */
  readonly bootstraps: string;
  readonly brokerCount: number;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  readonly #exited: Promise<void>;
  #stopped = false;

  private constructor(
    child: ChildProcessByStdio<Writable, Readable, Readable>,
    bootstraps: string,
    brokerCount: number,
    lines: AsyncIterator<string>,
  ) {
    this.#child = child;
    this.bootstraps = bootstraps;
    this.brokerCount = brokerCount;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.#readReplies(lines);
  }

  /** Bootstrap servers as an array (what kafkajs wants). */
  get brokers(): string[] {
    return this.bootstraps.split(",");
  }

  static async start(options: MockKafkaOptions = {}): Promise<MockKafkaCluster> {
    const binary = await buildMockBroker();
    const brokerCount = options.brokers ?? 1;
    const args = [String(brokerCount), ...(options.topics ?? []).map(topicSpec)];
    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await Promise.race([
      lines.next(),
      new Promise<never>((_, reject) => {
        child.once("exit", (code) => reject(new Error(`mock broker exited with ${code}: ${stderr}`)));
        setTimeout(() => reject(new Error(`mock broker did not start in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS).unref();
      }),
    ]).catch((e: unknown) => {
      child.kill("SIGKILL");
      throw e;
    });
    const match = first.done ? null : /^bootstraps (\S+)$/.exec(first.value);
    if (match === null) {
      child.kill("SIGKILL");
      throw new Error(`mock broker printed ${JSON.stringify(first.value)} instead of its bootstraps; ${stderr}`);
    }
    return new MockKafkaCluster(child, match[1], brokerCount, lines);
  }

  async #readReplies(lines: AsyncIterator<string>): Promise<void> {
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) break;
        const waiter = this.#pending.shift();
        if (waiter === undefined) continue;
        if (next.value === "ok") waiter.resolve();
        else waiter.reject(new Error(`mock broker: ${next.value}`));
      }
    } catch {
      // The stream closes when the broker exits; outstanding commands are failed below.
    }
    for (const waiter of this.#pending.splice(0)) waiter.reject(new Error("mock broker exited"));
  }

  #command(line: string): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error("mock broker stopped"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#child.stdin.write(`${line}\n`);
    });
  }

  /** Disconnects broker `id` (1-based; -1 = all) and refuses connections; leadership does not move. */
  down(id: number): Promise<void> {
    return this.#command(`down ${id}`);
  }

  /** Lets broker `id` (-1 = all) accept connections again. */
  up(id: number): Promise<void> {
    return this.#command(`up ${id}`);
  }

  /** Adds `ms` of round-trip delay to broker `id`. */
  rtt(id: number, ms: number): Promise<void> {
    return this.#command(`rtt ${id} ${ms}`);
  }

  createTopic(topic: MockTopic): Promise<void> {
    const [name, partitions, replication] = topicSpec(topic).split(":");
    return this.#command(`topic ${name} ${partitions}${replication === undefined ? "" : ` ${replication}`}`);
  }

  setLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    return this.#command(`leader ${topic} ${partition} ${brokerId}`);
  }

  /** Destroys the cluster; idempotent. Kills the process if it does not exit within 5 s. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#exited;
    this.#stopped = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin.end("quit\n");
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}
