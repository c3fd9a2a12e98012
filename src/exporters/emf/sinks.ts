/**
 * Where EMF lines go: stdout (Lambda, containers whose logs reach CloudWatch Logs), a file (appended,
 * for the CloudWatch agent's file tailing), or a CloudWatch agent's EMF listener over TCP or UDP
 * (`tcp://127.0.0.1:25888`). write() never blocks: TCP and file sinks keep a bounded queue and drop the
 * oldest line when it is full, counted; the TCP sink reconnects with backoff.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { Socket } from "node:net";
import { BoundedQueue } from "../cloudwatch/buffer.ts";
import { DropReason, type DropSink } from "../cloudwatch/drops.ts";
import { firstMetricName } from "./event.ts";

export interface LineSink {
  /** Queues one line (without its newline). Never throws, never blocks. */
  write(line: string): void;
  /**
   * Resolves when every queued line has been handed to the OS, or, for a disconnected TCP sink, at
   * once (the lines stay queued for the reconnect).
   */
  flush(): Promise<void>;
  /** Flushes (up to `timeoutMs`), counts what is left as shutdown drops, and releases the resource. */
  close(timeoutMs: number): Promise<void>;
  readonly queued: number;
}

/** Largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD = 65_507;

function waitOrTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(() => {
      clearTimeout(t);
      resolve();
    }, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export class StreamSink implements LineSink {
  private readonly stream: NodeJS.WritableStream & { writableLength: number; writableNeedDrain: boolean };
  private readonly maxQueuedBytes: number;
  private readonly drop: DropSink;
  private readonly ownsStream: boolean;

  constructor(stream: NodeJS.WritableStream & { writableLength: number; writableNeedDrain: boolean }, maxQueuedBytes: number, drop: DropSink, ownsStream: boolean) {
    this.stream = stream;
    this.maxQueuedBytes = maxQueuedBytes;
    this.drop = drop;
    this.ownsStream = ownsStream;
    stream.on("error", () => {
      // Write errors (disk full, closed pipe) are counted per line by the write callback.
    });
  }

  static stdout(maxQueuedBytes: number, drop: DropSink): StreamSink {
    return new StreamSink(process.stdout, maxQueuedBytes, drop, false);
  }

  static file(path: string, maxQueuedBytes: number, drop: DropSink): StreamSink {
    const stream: WriteStream = createWriteStream(path, { flags: "a" });
    return new StreamSink(stream, maxQueuedBytes, drop, true);
  }

  get queued(): number {
    return this.stream.writableLength;
  }

  write(line: string): void {
    if (this.stream.writableLength > this.maxQueuedBytes) {
      this.drop(DropReason.QueueFull, 1, { metric: firstMetricName(line) });
      return;
    }
    this.stream.write(`${line}\n`, (err?: Error | null) => {
      if (err) this.drop(DropReason.WriteError, 1, { metric: firstMetricName(line), error: err.message });
    });
  }

  flush(): Promise<void> {
    if (this.stream.writableLength === 0) return Promise.resolve();
    // An empty write's callback runs after every earlier write has been handed to the OS.
    return new Promise((resolve) => this.stream.write("", () => resolve()));
  }

  async close(timeoutMs: number): Promise<void> {
    await waitOrTimeout(this.flush(), timeoutMs);
    if (this.ownsStream) await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }
}

export class TcpSink implements LineSink {
  private readonly host: string;
  private readonly port: number;
  private readonly queue: BoundedQueue<string>;
  private readonly drop: DropSink;
  private socket: Socket | null = null;
  private connected = false;
  private closed = false;
  private backoffMs = 100;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private waiters: (() => void)[] = [];

  constructor(host: string, port: number, maxQueuedLines: number, drop: DropSink) {
    this.host = host;
    this.port = port;
    this.queue = new BoundedQueue<string>(maxQueuedLines);
    this.drop = drop;
    this.connect();
  }

  get queued(): number {
    return this.queue.length;
  }

  write(line: string): void {
    if (this.closed) {
      this.drop(DropReason.Shutdown, 1, { metric: firstMetricName(line) });
      return;
    }
    const evicted = this.queue.push(line);
    if (evicted !== undefined) this.drop(DropReason.QueueFull, 1, { metric: firstMetricName(evicted) });
    this.pump();
  }

  flush(): Promise<void> {
    if (this.idle() || !this.connected) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(timeoutMs: number): Promise<void> {
    await waitOrTimeout(this.flush(), timeoutMs);
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const left = this.queue.peek();
    if (left !== undefined) this.drop(DropReason.Shutdown, this.queue.clear(), { metric: firstMetricName(left) });
    const s = this.socket;
    if (s !== null && this.connected) await waitOrTimeout(new Promise<void>((resolve) => s.end(() => resolve())), timeoutMs);
    s?.destroy();
    this.notify(true);
  }

  private idle(): boolean {
    return this.queue.length === 0 && (this.socket === null || this.socket.writableLength === 0);
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new Socket();
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => {
      this.connected = true;
      this.backoffMs = 100;
      this.pump();
    });
    socket.on("drain", () => this.pump());
    socket.on("error", () => {
      // Followed by "close", where we reconnect.
    });
    socket.on("close", () => {
      this.connected = false;
      if (this.socket === socket) this.socket = null;
      this.notify(true);
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, this.backoffMs);
      this.reconnectTimer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    });
    socket.connect(this.port, this.host);
  }

  private pump(): void {
    const s = this.socket;
    if (!this.connected || s === null) return;
    while (this.queue.length > 0) {
      const line = this.queue.shift() as string;
      if (!s.write(`${line}\n`)) break;
    }
    if (this.idle()) this.notify(false);
    else if (this.queue.length === 0) s.once("drain", () => this.notify(false));
  }

  private notify(all: boolean): void {
    if (!all && !this.idle()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

export class UdpSink implements LineSink {
  private readonly host: string;
  private readonly port: number;
  private readonly socket: UdpSocket;
  private readonly drop: DropSink;
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(host: string, port: number, drop: DropSink) {
    this.host = host;
    this.port = port;
    this.drop = drop;
    this.socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    this.socket.on("error", () => {
      // Per-send errors are counted in the send callback.
    });
    this.socket.unref();
  }

  get queued(): number {
    return this.inFlight;
  }

  write(line: string): void {
    const buf = Buffer.from(`${line}\n`);
    if (buf.length > MAX_UDP_PAYLOAD) {
      this.drop(DropReason.LineTooLarge, 1, { metric: firstMetricName(line) });
      return;
    }
    this.inFlight++;
    this.socket.send(buf, this.port, this.host, (err) => {
      this.inFlight--;
      if (err) this.drop(DropReason.WriteError, 1, { metric: firstMetricName(line), error: err.message });
      if (this.inFlight === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const resolve of w) resolve();
      }
    });
  }

  flush(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(timeoutMs: number): Promise<void> {
    await waitOrTimeout(this.flush(), timeoutMs);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
