/**
 * An instrument: its definition, its series (by canonical attribute key), its cardinality budget
 * and overflow series, and the checks on pre-aggregated input. One class serves the three kinds;
 * the public interfaces (Histogram, Counter, Gauge) expose the relevant subset.
 */
import type { Attributes } from "@opentelemetry/api";
import type { BoundSeries, Counter, Gauge, Histogram } from "./api.ts";
import { AttributeTrie } from "./attribute-trie.ts";
import { attributesKey, normalizeAttributes } from "./attributes-key.ts";
import {
  explicitInputProblem,
  exponentialInputProblem,
  statisticsProblem,
  withExplicitBounds,
  withExponentialBounds,
  withStatisticBounds,
} from "./merge-input.ts";
import type { Series, SeriesOwner, SeriesShape } from "./series.ts";
import {
  SlotKind,
  type ExplicitHistogramInput,
  type ExponentialHistogramInput,
  type StatisticSet,
} from "./types.ts";

/** The attribute OpenTelemetry puts on the series that collects points over the cardinality limit. */
export const OVERFLOW_ATTRIBUTE = "otel.metric.overflow";
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ [OVERFLOW_ATTRIBUTE]: true });
const OVERFLOW_KEY = "\u0001overflow";

/** What an instrument needs from its store. */
export interface SeriesFactory {
  createSeries(instrument: InstrumentState, attributes: Attributes, key: string, isOverflow: boolean): Series;
  /** What all series of an instrument share. */
  shapeFor(instrument: InstrumentState): SeriesShape;
  /** Gives an expired series a fresh live slot. */
  reviveSeries(series: Series): void;
  /** A refused pre-aggregated input (logged once per instrument and reason by the store). */
  refuseInput(instrument: InstrumentState, problem: string, points: number): void;
  rejectValues(count: number): void;
}

export interface InstrumentDefinition {
  readonly name: string;
  readonly kind: SlotKind;
  readonly unit: string;
  readonly description: string;
  readonly monotonic: boolean;
  readonly boundaries: readonly number[] | null;
  readonly exponentialMaxSize: number;
  readonly exponentialMaxScale: number;
  readonly cardinalityLimit: number;
  /** Engine layout id (histograms), -1 otherwise. */
  readonly layout: number;
}

export class InstrumentState implements Histogram, Counter, Gauge, SeriesOwner {
  readonly name: string;
  readonly kind: SlotKind;
  readonly unit: string;
  readonly description: string;
  readonly monotonic: boolean;
  readonly boundaries: readonly number[] | null;
  readonly definition: InstrumentDefinition;
  readonly series = new Map<string, Series>();
  overflowSeries: Series | null = null;
  private overflowPoints = 0;
  /** Fast path from attribute objects to series; holds series within the budget only. */
  private readonly byObject: AttributeTrie<Series>;
  private readonly store: SeriesFactory;
  /** Shared by every series of this instrument. */
  readonly shape: SeriesShape;

  constructor(definition: InstrumentDefinition, store: SeriesFactory) {
    this.definition = definition;
    this.name = definition.name;
    this.kind = definition.kind;
    this.unit = definition.unit;
    this.description = definition.description;
    this.monotonic = definition.monotonic;
    this.boundaries = definition.boundaries;
    this.store = store;
    this.byObject = new AttributeTrie(definition.cardinalityLimit * 2);
    this.shape = store.shapeFor(this);
  }

  get overflowCount(): number {
    return this.overflowPoints;
  }

  /** Number of series within the budget (the overflow series is not counted). */
  get seriesCount(): number {
    return this.series.size;
  }

  /** Resolves without remembering the object in the trie: a bound handle is looked up once. */
  bind(attributes?: Attributes): BoundSeries {
    const key = attributesKey(attributes);
    const series = this.series.get(key) ?? this.createOrOverflow(attributes, key);
    // a gauge's last value must follow call order across handles, so gauges record directly
    if (this.kind !== SlotKind.Gauge) series.allowStaging();
    return series;
  }

  /** The series for `attributes`, created within the budget, else the overflow series. */
  resolve(attributes: Attributes | undefined): Series {
    const fast = this.byObject.get(attributes);
    if (fast !== undefined) return fast;
    const key = attributesKey(attributes);
    let found = this.series.get(key);
    if (found === undefined) found = this.createOrOverflow(attributes, key);
    if (!found.isOverflow) this.byObject.set(attributes, found);
    return found;
  }

  /** Removes a series from the lookups (the store frees its slots). */
  forget(key: string): void {
    if (this.series.delete(key)) this.byObject.clear();
  }

  revive(series: Series): number {
    const current = this.series.get(series.key);
    if (current !== undefined && current !== series) {
      // Another handle re-created this attribute set meanwhile: record where it records.
      current.touched = true;
      return current.slot;
    }
    if (current === undefined && this.series.size >= this.definition.cardinalityLimit) {
      if (this.overflowSeries === null) this.overflowSeries = this.store.createSeries(this, OVERFLOW_ATTRIBUTES, OVERFLOW_KEY, true);
      this.countOverflow(1);
      this.overflowSeries.touched = true;
      return this.overflowSeries.slot;
    }
    this.store.reviveSeries(series);
    this.series.set(series.key, series);
    return series.slot;
  }

  /** The series for a precomputed canonical key (decoders intern keys); `attributes` used on creation. */
  resolveByKey(key: string, attributes: Attributes): Series {
    const found = this.series.get(key);
    if (found !== undefined) return found;
    return this.createOrOverflow(attributes, key);
  }

  private createOrOverflow(attributes: Attributes | undefined, key: string): Series {
    if (this.series.size < this.definition.cardinalityLimit) {
      const s = this.store.createSeries(this, normalizeAttributes(attributes), key, false);
      this.series.set(key, s);
      return s;
    }
    if (this.overflowSeries === null) {
      this.overflowSeries = this.store.createSeries(this, OVERFLOW_ATTRIBUTES, OVERFLOW_KEY, true);
    }
    return this.overflowSeries;
  }

  record(value: number, attributes?: Attributes): void {
    this.resolve(attributes).record(value);
  }

  add(value: number, attributes?: Attributes): void {
    this.resolve(attributes).record(value);
  }

  countOverflow(points: number): void {
    this.overflowPoints += points;
  }

  rejectValues(count: number): void {
    this.store.rejectValues(count);
  }

  explicit(series: Series, input: ExplicitHistogramInput): ExplicitHistogramInput | null {
    if (this.kind !== SlotKind.Histogram) return this.refuse(`mergeExplicit on a ${kindName(this.kind)}`, input.count);
    const problem = explicitInputProblem(input);
    if (problem !== null) return this.refuse(problem, input.count);
    if (series.isOverflow) this.countOverflow(1);
    return withExplicitBounds(input);
  }

  exponential(series: Series, input: ExponentialHistogramInput): ExponentialHistogramInput | null {
    if (this.kind !== SlotKind.Histogram) return this.refuse(`mergeExponential on a ${kindName(this.kind)}`, input.count);
    const problem = exponentialInputProblem(input);
    if (problem !== null) return this.refuse(problem, input.count);
    if (series.isOverflow) this.countOverflow(1);
    return withExponentialBounds(input);
  }

  statistics(series: Series, stats: StatisticSet): StatisticSet | null {
    const problem = statisticsProblem(stats);
    if (problem !== null) return this.refuse(problem, stats.count);
    if (this.monotonic && this.kind === SlotKind.Sum && stats.sum < 0) return this.refuse(`negative sum ${stats.sum} on a monotonic counter`, stats.count);
    if (series.isOverflow) this.countOverflow(1);
    return withStatisticBounds(stats);
  }

  private refuse(problem: string, points: number): null {
    this.store.refuseInput(this, problem, points);
    return null;
  }
}

export function kindName(kind: SlotKind): "counter" | "gauge" | "histogram" {
  return kind === SlotKind.Sum ? "counter" : kind === SlotKind.Gauge ? "gauge" : "histogram";
}
