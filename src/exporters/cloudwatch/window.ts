/**
 * Aligned export windows, shared by the PutMetricData and EMF exporters: a window of `intervalMs`
 * starts at a multiple of the interval on the wall clock (epoch), and is read once at its end. The
 * window start is the CloudWatch timestamp of everything read at that tick, so replicas and a
 * mid-window flush() (stamped with the still-open window) land on the same timestamp and CloudWatch
 * merges their statistic sets.
 */
import type { AggregationReader, Aggregator, SeriesSnapshot } from "../../core/api.ts";
import type { DropSink } from "./drops.ts";

/** Start of the window containing `timeMs`. */
export function alignDown(timeMs: number, intervalMs: number): number {
  return Math.floor(timeMs / intervalMs) * intervalMs;
}

/** Clock and timers, injectable for tests and benchmarks. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Calls `onWindow(windowStartMs)` at the end of every aligned window until stopped. A tick that comes
 * late (busy event loop) still reports the window that just ended; windows missed entirely are not
 * replayed (their data is read by the next tick and stamped with that tick's window).
 */
export class WindowTicker {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly onWindow: (windowStartMs: number) => void;
  private timer: unknown = null;
  private running = false;

  constructor(intervalMs: number, clock: Clock, onWindow: (windowStartMs: number) => void) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.intervalMs = intervalMs;
    this.clock = clock;
    this.onWindow = onWindow;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const now = this.clock.now();
    const next = alignDown(now, this.intervalMs) + this.intervalMs;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      // The window that ended at `next` starts one interval earlier, even if the timer fired late.
      this.onWindow(next - this.intervalMs);
      this.schedule();
    }, next - now);
  }
}

/** Delta readers over every source store, created at construction so no data is missed before start(). */
export class DeltaReaders {
  private readonly readers: AggregationReader[];
  private closed = false;

  constructor(sources: readonly Aggregator[]) {
    this.readers = sources.map((s) => s.createReader("delta"));
  }

  /** Everything recorded since the previous read, with data (count > 0), from every source. */
  read(): SeriesSnapshot[] {
    const out: SeriesSnapshot[] = [];
    for (const r of this.readers) {
      for (const s of r.read()) if (s.state.stats.count > 0) out.push(s);
    }
    return out;
  }

  /**
   * Reads and discards what no window has read yet, counting it (for a shutdown being abandoned):
   * series with data and the points recorded into them. Zero once closed.
   */
  discardUnread(): { series: number; points: number } {
    if (this.closed) return { series: 0, points: 0 };
    let series = 0;
    let points = 0;
    for (const s of this.read()) {
      series++;
      points += s.state.stats.count;
    }
    return { series, points };
  }

  close(): void {
    this.closed = true;
    for (const r of this.readers) r.close();
  }
}

/** What turns one window's snapshots into output items (datums, EMF lines). */
export interface WindowBuilder<T> {
  build(snapshots: readonly SeriesSnapshot[], windowStartMs: number, nowMs: number, out: T[], drop: DropSink): void;
}

/**
 * Reads the delta readers once and builds every window the read holds: late event-time data carries
 * its own `windowStartMs`; everything else belongs to `readWindowStartMs`, the window being read.
 */
export function buildRead<T>(readers: DeltaReaders, readWindowStartMs: number, nowMs: number, builder: WindowBuilder<T>, out: T[], drop: DropSink): void {
  const byWindow = new Map<number, SeriesSnapshot[]>();
  for (const s of readers.read()) {
    const w = s.windowStartMs ?? readWindowStartMs;
    let list = byWindow.get(w);
    if (list === undefined) byWindow.set(w, (list = []));
    list.push(s);
  }
  for (const [w, snapshots] of byWindow) builder.build(snapshots, w, nowMs, out, drop);
}
