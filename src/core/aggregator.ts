/**
 * The aggregation store: instruments by name, series slots in an engine, and readers that drain
 * the live slots. Recording touches one live slot; reading drains every touched series into every
 * reader's slot once, so readers of different temporalities never take data from each other.
 */
import type { Attributes } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import { emptyResource, type Resource } from "@opentelemetry/resources";
import type { MetricProducer, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type {
  Aggregator,
  AggregatorOptions,
  AggregatorStats,
  Counter,
  CounterOptions,
  Gauge,
  Histogram,
  HistogramOptions,
  InstrumentOptions,
  SeriesSnapshot,
  Temporality,
} from "./api.ts";
import { DEFAULT_BOUNDARIES, boundariesProblem } from "./boundaries.ts";
import { createEngine } from "./engine-factory.ts";
import { InstrumentState, kindName, type InstrumentDefinition, type SeriesFactory } from "./instrument.ts";
import { toResourceMetrics } from "./otel-conversion.ts";
import { ReaderState, type ReaderHost } from "./reader.ts";
import { RecordStage } from "./record-stage.ts";
import { Series, type EventClock, type SeriesShape } from "./series.ts";
import {
  EXPONENTIAL_DEFAULT_MAX_SIZE,
  EXPONENTIAL_MAX_SCALE,
  EXPONENTIAL_MAX_MAX_SIZE,
  EXPONENTIAL_MIN_MAX_SIZE,
  EXPONENTIAL_MIN_SCALE,
  SlotKind,
  type AggregationEngine,
} from "./types.ts";

/** OpenTelemetry's default cardinality limit per instrument. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;
/** Instrument names: OpenTelemetry allows up to 255 characters. */
const MAX_NAME_LENGTH = 255;

/** Creates an aggregation store on the chosen engine (WASM by default). */
export async function createAggregator(options: AggregatorOptions = {}): Promise<Aggregator> {
  const engine = await createEngine(options.engine ?? "wasm");
  return new AggregationStore(engine, options);
}

/** Reports a refused pre-aggregated input; the default ignores it (counts are kept either way). */
export type InputRefusalListener = (instrument: string, problem: string, points: number) => void;

export class AggregationStore implements Aggregator, SeriesFactory, ReaderHost {
  readonly engine: "wasm" | "js";
  private readonly core: AggregationEngine;
  private readonly instruments = new Map<string, InstrumentState>();
  private readonly readers: ReaderState[] = [];
  private readonly resource: Resource;
  private readonly scope: InstrumentationScope;
  private readonly defaultCardinality: number;
  private readonly now: () => number;
  private defaultReaders: { delta?: ReaderState; cumulative?: ReaderState } = {};
  private seriesTotal = 0;
  private readonly windowMs: number;
  /** Start of the window that was open at the last delta read; earlier event times are late. */
  private openWindowStart: number;
  private readonly eventClock: EventClock = { lateWindow: 0 };
  /** Single records on bound series, staged per series; applied before every read. */
  private readonly stage: RecordStage;
  private rejected = 0;
  private refusedInputPoints = 0;
  /** Optional hook for refused pre-aggregated inputs (the daemon logs them). */
  onInputRefused: InputRefusalListener | null = null;

  constructor(engine: AggregationEngine, options: AggregatorOptions = {}) {
    this.core = engine;
    this.stage = new RecordStage(engine);
    this.engine = engine.name;
    this.resource = options.resource ?? emptyResource();
    this.scope = { name: options.scope?.name ?? "statset", version: options.scope?.version };
    const limit = options.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT;
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`cardinalityLimit must be an integer >= 1, got ${limit}`);
    this.defaultCardinality = limit;
    this.now = options.now ?? Date.now;
    const windowMs = options.windowMs ?? 0;
    if (!(Number.isInteger(windowMs) && windowMs >= 0)) throw new RangeError(`windowMs must be an integer >= 0, got ${windowMs}`);
    this.windowMs = windowMs;
    this.openWindowStart = windowMs > 0 ? this.alignWindow(this.now()) : 0;
  }

  private alignWindow(ms: number): number {
    return ms - (ms % this.windowMs);
  }

  setEventTime(timeMs: number): void {
    let lateWindow = 0;
    if (this.windowMs > 0 && timeMs > 0) {
      const w = this.alignWindow(timeMs);
      if (w < this.openWindowStart) lateWindow = w;
    }
    if (lateWindow === this.eventClock.lateWindow) return;
    this.stage.flushAll(); // staged values belong to the window they were recorded in
    this.eventClock.lateWindow = lateWindow;
  }

  histogram(name: string, options: HistogramOptions = {}): Histogram {
    const exp = options.exponential;
    let boundaries: readonly number[] | null;
    if (options.boundaries !== undefined) boundaries = options.boundaries;
    else boundaries = exp === undefined ? DEFAULT_BOUNDARIES : null;
    if (boundaries !== null) {
      if (!Array.isArray(boundaries)) throw new TypeError(`histogram ${JSON.stringify(name)}: boundaries must be an array of numbers`);
      const problem = boundariesProblem(boundaries);
      if (problem !== null) throw new RangeError(`histogram ${JSON.stringify(name)}: ${problem}`);
    }
    let maxSize = 0;
    let maxScale = EXPONENTIAL_MAX_SCALE;
    if (exp !== undefined) {
      maxSize = exp.maxSize ?? EXPONENTIAL_DEFAULT_MAX_SIZE;
      if (!(Number.isInteger(maxSize) && maxSize >= EXPONENTIAL_MIN_MAX_SIZE && maxSize <= EXPONENTIAL_MAX_MAX_SIZE)) {
        throw new RangeError(`histogram ${JSON.stringify(name)}: exponential.maxSize must be an integer in ${EXPONENTIAL_MIN_MAX_SIZE}..${EXPONENTIAL_MAX_MAX_SIZE}, got ${maxSize}`);
      }
      maxScale = exp.maxScale ?? EXPONENTIAL_MAX_SCALE;
      if (!(Number.isInteger(maxScale) && maxScale >= EXPONENTIAL_MIN_SCALE && maxScale <= EXPONENTIAL_MAX_SCALE)) {
        throw new RangeError(`histogram ${JSON.stringify(name)}: exponential.maxScale must be an integer in ${EXPONENTIAL_MIN_SCALE}..${EXPONENTIAL_MAX_SCALE}, got ${maxScale}`);
      }
    }
    return this.instrument(name, SlotKind.Histogram, options, true, boundaries === null ? null : Object.freeze(boundaries.slice()), maxSize, maxScale);
  }

  counter(name: string, options: CounterOptions = {}): Counter {
    return this.instrument(name, SlotKind.Sum, options, options.monotonic ?? true, null, 0, 0);
  }

  gauge(name: string, options: InstrumentOptions = {}): Gauge {
    return this.instrument(name, SlotKind.Gauge, options, false, null, 0, 0);
  }

  private instrument(
    name: string,
    kind: SlotKind,
    options: InstrumentOptions,
    monotonic: boolean,
    boundaries: readonly number[] | null,
    exponentialMaxSize: number,
    exponentialMaxScale: number,
  ): InstrumentState {
    if (typeof name !== "string" || name.length === 0) throw new TypeError(`instrument name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (name.length > MAX_NAME_LENGTH) throw new RangeError(`instrument name ${JSON.stringify(name.slice(0, 40))}... is ${name.length} characters, the limit is ${MAX_NAME_LENGTH}`);
    const cardinalityLimit = options.cardinalityLimit ?? this.defaultCardinality;
    if (!(Number.isInteger(cardinalityLimit) && cardinalityLimit >= 1)) {
      throw new RangeError(`${kindName(kind)} ${JSON.stringify(name)}: cardinalityLimit must be an integer >= 1, got ${cardinalityLimit}`);
    }
    const existing = this.instruments.get(name);
    if (existing !== undefined) {
      const d = existing.definition;
      const same =
        d.kind === kind &&
        d.monotonic === monotonic &&
        d.exponentialMaxSize === exponentialMaxSize &&
        sameBoundaries(d.boundaries, boundaries);
      if (!same) {
        throw new TypeError(`instrument ${JSON.stringify(name)} already exists as a ${describe(d)}; asked for a ${describe({ kind, monotonic, boundaries, exponentialMaxSize })}`);
      }
      return existing;
    }
    const layout =
      kind === SlotKind.Histogram
        ? this.core.createLayout({ boundaries: boundaries === null ? null : Float64Array.from(boundaries), exponentialMaxSize, exponentialMaxScale })
        : -1;
    const definition: InstrumentDefinition = {
      name,
      kind,
      unit: options.unit ?? "",
      description: options.description ?? "",
      monotonic,
      boundaries,
      exponentialMaxSize,
      exponentialMaxScale,
      cardinalityLimit,
      layout,
    };
    const instrument = new InstrumentState(definition, this);
    this.instruments.set(name, instrument);
    return instrument;
  }

  // SeriesFactory

  createSeries(instrument: InstrumentState, attributes: Attributes, key: string, isOverflow: boolean): Series {
    this.seriesTotal++;
    return new Series(instrument.shape, this.core.allocSlot(instrument.kind, instrument.definition.layout), attributes, key, this.now(), isOverflow);
  }

  /** What all series of an instrument share (built once per instrument). */
  shapeFor(instrument: InstrumentState): SeriesShape {
    const d = instrument.definition;
    return {
      engine: this.core,
      owner: instrument,
      clock: this.eventClock,
      kind: d.kind,
      layout: d.layout,
      refuseNegative: d.kind === SlotKind.Sum && d.monotonic,
      stage: this.stage,
    };
  }

  reviveSeries(series: Series): void {
    series.slot = this.core.allocSlot(series.kind, series.layout);
    series.lastActiveMs = this.now();
    this.seriesTotal++;
  }

  refuseInput(instrument: InstrumentState, problem: string, points: number): void {
    this.refusedInputPoints += points;
    this.onInputRefused?.(instrument.name, problem, points);
  }

  rejectValues(count: number): void {
    this.rejected += count;
  }

  // Readers

  collect(options: { temporality?: Temporality } = {}): ResourceMetrics {
    return this.defaultReader(options.temporality ?? "cumulative").collect();
  }

  get metricProducer(): MetricProducer {
    return this.defaultReader("cumulative").metricProducer;
  }

  private defaultReader(temporality: Temporality): ReaderState {
    if (temporality !== "delta" && temporality !== "cumulative") {
      throw new TypeError(`temporality must be "delta" or "cumulative", got ${JSON.stringify(temporality)}`);
    }
    let r = this.defaultReaders[temporality];
    if (r === undefined) {
      r = this.createReader(temporality);
      this.defaultReaders[temporality] = r;
    }
    return r;
  }

  createReader(temporality: Temporality): ReaderState {
    if (temporality !== "delta" && temporality !== "cumulative") {
      throw new TypeError(`temporality must be "delta" or "cumulative", got ${JSON.stringify(temporality)}`);
    }
    let id = this.readers.findIndex((r) => r.closed);
    const reader = new ReaderState(id < 0 ? this.readers.length : id, temporality, this.now(), this);
    if (id < 0) this.readers.push(reader);
    else this.readers[id] = reader;
    return reader;
  }

  closeReader(reader: ReaderState): void {
    for (const s of this.allSeries()) {
      const slot = s.readerSlot(reader.id);
      if (slot >= 0) this.core.freeSlot(slot);
      s.setReaderSlot(reader.id, -1, false);
      if (s.lateForReaders !== null) {
        for (const e of s.lateForReaders) if (e.reader === reader.id) this.core.freeSlot(e.slot);
        s.lateForReaders = s.lateForReaders.filter((e) => e.reader !== reader.id);
      }
    }
    if (this.defaultReaders.delta === reader) this.defaultReaders.delta = undefined;
    if (this.defaultReaders.cumulative === reader) this.defaultReaders.cumulative = undefined;
  }

  readSeries(reader: ReaderState): SeriesSnapshot[] {
    this.stage.flushAll();
    const now = this.now();
    const delta = reader.temporality === "delta";
    const out: SeriesSnapshot[] = [];
    const id = reader.id;
    for (const instrument of this.instruments.values()) {
      for (const s of instrumentSeries(instrument)) {
        this.drain(s, now);
        if (delta && s.lateForReaders !== null) this.readLate(s, instrument, id, now, out);
        const slot = s.readerSlot(id);
        if (slot < 0) continue;
        if (delta && !s.isPending(id)) continue;
        const state = this.core.snapshot(slot, delta);
        s.setReaderSlot(id, slot, false);
        // A delta with nothing in it is not reported; a cumulative histogram that was merged into
        // with zero observations is (a source said the series exists: Prometheus shows `_count 0`).
        if (state.stats.count === 0 && (delta || instrument.kind !== SlotKind.Histogram)) continue;
        out.push({
          instrument,
          attributes: s.attributes,
          startTimeMs: delta ? Math.max(reader.lastReadMs, Math.min(s.createdMs, now)) : s.createdMs,
          endTimeMs: now,
          state,
        });
      }
    }
    reader.lastReadMs = now;
    if (delta && this.windowMs > 0) this.openWindowStart = this.alignWindow(now);
    return out;
  }

  /** Hands a delta reader its late-window snapshots of one series and frees their slots. */
  private readLate(s: Series, instrument: InstrumentState, reader: number, now: number, out: SeriesSnapshot[]): void {
    const entries = s.lateForReaders as NonNullable<Series["lateForReaders"]>;
    const keep = entries.filter((e) => e.reader !== reader);
    for (const e of entries) {
      if (e.reader !== reader) continue;
      const state = this.core.snapshot(e.slot, true);
      this.core.freeSlot(e.slot);
      if (state.stats.count === 0) continue;
      out.push({
        instrument,
        attributes: s.attributes,
        startTimeMs: e.windowStartMs,
        endTimeMs: Math.min(now, e.windowStartMs + this.windowMs),
        state,
        windowStartMs: e.windowStartMs,
      });
    }
    s.lateForReaders = keep.length === 0 ? null : keep;
  }

  /** Moves a series' live data into every open reader's slot (no-op without readers or data). */
  private drain(s: Series, now: number): void {
    if (!s.touched) return;
    let open = 0;
    for (const r of this.readers) if (!r.closed) open++;
    if (open === 0) return;
    // Late windows are older in event time than the open one: merged first, a cumulative gauge
    // ends on the value with the newest event time, whatever order the records arrived in.
    if (s.late !== null) this.drainLate(s);
    for (const r of this.readers) {
      if (r.closed) continue;
      let slot = s.readerSlot(r.id);
      if (slot < 0) slot = this.core.allocSlot(s.kind, s.layout);
      this.core.mergeSlot(slot, s.slot);
      s.setReaderSlot(r.id, slot, true);
    }
    const live = this.core.snapshot(s.slot, true);
    this.rejected += live.rejected;
    s.touched = false;
    s.lastActiveMs = now;
  }

  /**
   * Late-window data: cumulative readers add it to their totals; each delta reader gets it kept
   * apart per window, to be read with its own window start.
   */
  private drainLate(s: Series): void {
    // Oldest window first, for the same reason as in drain().
    const windows = s.late as Map<number, number>;
    const ordered = windows.size === 1 ? windows : [...windows].sort(([a], [b]) => a - b);
    for (const [windowStartMs, lateSlot] of ordered) {
      for (const r of this.readers) {
        if (r.closed) continue;
        if (r.temporality === "cumulative") {
          let slot = s.readerSlot(r.id);
          if (slot < 0) slot = this.core.allocSlot(s.kind, s.layout);
          this.core.mergeSlot(slot, lateSlot);
          s.setReaderSlot(r.id, slot, s.isPending(r.id));
          continue;
        }
        const entries = (s.lateForReaders ??= []);
        let entry = entries.find((e) => e.reader === r.id && e.windowStartMs === windowStartMs);
        if (entry === undefined) {
          entry = { reader: r.id, windowStartMs, slot: this.core.allocSlot(s.kind, s.layout) };
          entries.push(entry);
        }
        this.core.mergeSlot(entry.slot, lateSlot);
      }
      this.rejected += this.core.snapshot(lateSlot, true).rejected;
      this.core.freeSlot(lateSlot);
    }
    s.late = null;
  }

  toResourceMetrics(snapshots: SeriesSnapshot[], temporality: Temporality): ResourceMetrics {
    return toResourceMetrics(snapshots, temporality, this.resource, this.scope);
  }

  expireIdle(idleMs: number): number {
    if (!(idleMs >= 0)) throw new RangeError(`idleMs must be >= 0, got ${idleMs}`);
    this.stage.flushAll();
    const now = this.now();
    let removed = 0;
    for (const instrument of this.instruments.values()) {
      for (const [key, s] of instrument.series) {
        if (s.touched || s.late !== null || s.lateForReaders !== null || now - s.lastActiveMs < idleMs) continue;
        if (s.pendingReaders().some((id) => this.readers[id].temporality === "delta" && !this.readers[id].closed)) continue;
        this.freeSeries(s);
        instrument.forget(key);
        removed++;
      }
    }
    return removed;
  }

  private freeSeries(s: Series): void {
    s.releaseStage();
    this.core.freeSlot(s.slot);
    s.slot = -1;
    s.touched = false;
    for (const slot of s.readerSlots()) this.core.freeSlot(slot);
    if (s.late !== null) for (const slot of s.late.values()) this.core.freeSlot(slot);
    if (s.lateForReaders !== null) for (const e of s.lateForReaders) this.core.freeSlot(e.slot);
    s.late = null;
    s.lateForReaders = null;
    s.clearReaderSlots();
    this.seriesTotal--;
  }

  stats(): AggregatorStats {
    this.stage.flushAll(); // refusals and overflow of staged values are counted when applied
    let overflowPoints = 0;
    for (const i of this.instruments.values()) overflowPoints += i.overflowCount;
    return {
      instruments: this.instruments.size,
      series: this.seriesTotal,
      overflowPoints,
      rejectedValues: this.rejected + this.refusedInputPoints,
      engineBytes: this.core.memoryBytes(),
    };
  }

  private *allSeries(): Generator<Series> {
    for (const instrument of this.instruments.values()) yield* instrumentSeries(instrument);
  }
}

function* instrumentSeries(instrument: InstrumentState): Generator<Series> {
  yield* instrument.series.values();
  if (instrument.overflowSeries !== null) yield instrument.overflowSeries;
}

function sameBoundaries(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describe(d: { kind: SlotKind; monotonic: boolean; boundaries: readonly number[] | null; exponentialMaxSize: number }): string {
  if (d.kind === SlotKind.Sum) return d.monotonic ? "counter" : "up-down counter";
  if (d.kind === SlotKind.Gauge) return "gauge";
  const parts: string[] = [];
  if (d.boundaries !== null) parts.push(`boundaries [${d.boundaries.join(", ")}]`);
  if (d.exponentialMaxSize > 0) parts.push(`exponential maxSize ${d.exponentialMaxSize}`);
  return `histogram with ${parts.join(" and ")}`;
}
