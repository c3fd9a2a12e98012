/**
 * Produces test messages with kcat, an independent Kafka client (librdkafka), so the receiver is
 * exercised with what a non-JavaScript producer puts on the wire.
 *
 * Text messages travel through kcat's stdin split by ASCII record/unit separators, so values may
 * contain newlines. Binary values (anything holding those separator bytes) go one file per message.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MESSAGE_DELIMITER = "\x1e";
const KEY_DELIMITER = "\x1f";

export interface KcatMessage {
  readonly value: string | Uint8Array;
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Explicit partition; default: kcat's partitioner (by key, random without one). */
  readonly partition?: number;
}

export interface KcatOptions {
  /** Compression codec for the produced batches. */
  readonly compression?: "gzip" | "snappy" | "lz4" | "zstd";
  /** Extra librdkafka properties (`-X prop=val`). */
  readonly properties?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Keep going when every broker is unreachable (kcat -E) instead of exiting: for outage tests. */
  readonly tolerateOutage?: boolean;
}

function run(args: readonly string[], input: Buffer | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      if (error !== null) reject(new Error(`kcat ${args.join(" ")} failed: ${error.message}; ${stderr}`));
      else if (/delivery failed|failed to produce/i.test(stderr)) reject(new Error(`kcat reported: ${stderr}`));
      else resolve();
    });
    child.stdin?.end(input ?? Buffer.alloc(0));
  });
}

function baseArgs(bootstraps: string, topic: string, options: KcatOptions): string[] {
  const args = ["-b", bootstraps, "-P", "-t", topic, "-q"];
  if (options.tolerateOutage === true) args.push("-E");
  if (options.compression !== undefined) args.push("-z", options.compression);
  for (const [k, v] of Object.entries(options.properties ?? {})) args.push("-X", `${k}=${v}`);
  return args;
}

function groupKey(m: KcatMessage, binary: boolean): string {
  return JSON.stringify([m.partition ?? -1, m.headers ?? {}, binary, m.key !== undefined, binary ? m.key : null]);
}

function isBinary(m: KcatMessage): boolean {
  if (typeof m.value !== "string") {
    return m.value.includes(0x1e) || m.value.includes(0x1f);
  }
  return m.value.includes(MESSAGE_DELIMITER) || m.value.includes(KEY_DELIMITER);
}

/**
 * Produces `messages` to `topic` in order (consecutive messages with the same partition, headers and
 * keyedness share one kcat run). Resolves after kcat flushed and exited successfully.
 */
export async function kcatProduce(
  bootstraps: string,
  topic: string,
  messages: readonly KcatMessage[],
  options: KcatOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let i = 0;
  while (i < messages.length) {
    const binary = isBinary(messages[i]);
    const key = groupKey(messages[i], binary);
    let j = i + 1;
    while (j < messages.length && groupKey(messages[j], isBinary(messages[j])) === key) j++;
    const group = messages.slice(i, j);
    const first = group[0];
    const args = baseArgs(bootstraps, topic, options);
    if (first.partition !== undefined) args.push("-p", String(first.partition));
    for (const [k, v] of Object.entries(first.headers ?? {})) args.push("-H", `${k}=${v}`);
    if (binary) {
      if (first.key !== undefined) args.push("-k", first.key);
      const dir = mkdtempSync(join(tmpdir(), "statset-kcat-"));
      try {
        group.forEach((m, n) => {
          const file = join(dir, `m${n}`);
          writeFileSync(file, m.value);
          args.push(file);
        });
        await run(args, undefined, timeoutMs);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      args.push("-D", "\\x1e");
      const keyed = first.key !== undefined;
      if (keyed) args.push("-K", "\\x1f");
      const parts: Buffer[] = [];
      for (const m of group) {
        if (keyed) parts.push(Buffer.from(`${m.key}${KEY_DELIMITER}`));
        parts.push(typeof m.value === "string" ? Buffer.from(m.value) : Buffer.from(m.value), Buffer.from(MESSAGE_DELIMITER));
      }
      await run(args, Buffer.concat(parts), timeoutMs);
    }
    i = j;
  }
}

/** Produces each line as one message (no key), optionally to one partition and with shared headers. */
export function kcatProduceLines(
  bootstraps: string,
  topic: string,
  lines: readonly string[],
  options: KcatOptions & { partition?: number; headers?: Readonly<Record<string, string>> } = {},
): Promise<void> {
  return kcatProduce(
    bootstraps,
    topic,
    lines.map((value) => ({ value, partition: options.partition, headers: options.headers })),
    options,
  );
}

/**
 * Produces every `delimiter`-separated record of `file` (default: newline) as one message: the fast
 * path for benchmarks (one kcat process, librdkafka batching).
 */
export function kcatProduceFile(
  bootstraps: string,
  topic: string,
  file: string,
  options: KcatOptions & { partition?: number; delimiter?: string } = {},
): Promise<void> {
  const args = baseArgs(bootstraps, topic, options);
  if (options.partition !== undefined) args.push("-p", String(options.partition));
  if (options.delimiter !== undefined) args.push("-D", options.delimiter);
  args.push("-l", file);
  return run(args, undefined, options.timeoutMs ?? 600_000);
}
