/**
 * The SDK's Prometheus text serialization, run in slices. One `PrometheusSerializer.serialize` of
 * 20k histogram series takes ~2 s here, and the event loop does nothing else meanwhile (OTLP
 * requests and Kafka batches wait). This runs the same serializer over slices of about
 * LINES_PER_SLICE exposition lines and yields to the event loop between them; the text is the
 * one a single `serialize` call gives (the tests compare them):
 *
 * - The serializer writes metric families in order of first appearance, each family's members in
 *   order, its HELP/UNIT/TYPE lines once, and target_info first. Slices take whole families in
 *   that order (a large member split into pieces of its data points, same descriptor); the first
 *   slice keeps target_info, later ones are serialized without it, and a slice that continues a
 *   family drops the metadata lines the serializer wrote for it again.
 * - A family whose members disagree on type, description or unit makes the serializer pick (or
 *   drop the family, with a warning) over all members at once; such a scrape, and a small one,
 *   is serialized in one call.
 */
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { DataPointType, type MetricData, type ResourceMetrics, type ScopeMetrics } from "@opentelemetry/sdk-metrics";
import { metricFamilyName, prometheusType } from "./metric-family-name.ts";

/** About 20 ms of serialization per slice on this machine. */
export const LINES_PER_SLICE = 4000;

export interface SerializerOptions {
  /** Metric name prefix (`namespace`), or undefined. */
  readonly prefix: string | undefined;
  readonly withoutTargetInfo: boolean;
  readonly withoutScopeInfo: boolean;
}

/** What the SDK serializer writes when there is nothing else (after target_info). */
const NO_REGISTERED_METRICS = "# no registered metrics";

interface Member {
  readonly scope: ScopeMetrics["scope"];
  readonly metric: MetricData;
}

interface Slice {
  readonly members: Member[];
  /** The first member's family began in an earlier slice. */
  continues: boolean;
}

/** Resolves on the event loop's next turn, after pending I/O callbacks. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Called for a series the serializer could not render (it is left out of the scrape). */
export type SkipListener = (family: string, error: unknown) => void;

export class SlicedPrometheusSerializer {
  private readonly whole: PrometheusSerializer;
  private readonly continuation: PrometheusSerializer;
  private readonly linesPerSlice: number;
  private readonly prefix: string;

  constructor(options: SerializerOptions, linesPerSlice = LINES_PER_SLICE) {
    this.whole = new PrometheusSerializer(options.prefix, false, undefined, options.withoutTargetInfo, options.withoutScopeInfo);
    this.continuation = new PrometheusSerializer(options.prefix, false, undefined, true, options.withoutScopeInfo);
    this.linesPerSlice = Math.max(1, linesPerSlice);
    this.prefix = options.prefix ?? "";
  }

  /** The exposition text of `resourceMetrics`, equal to one `PrometheusSerializer.serialize` call. */
  async serialize(resourceMetrics: ResourceMetrics, yieldTurn: () => Promise<void> = nextTurn, onSkip: SkipListener = ignoreSkip): Promise<string> {
    const parts: string[] = [];
    await this.write(resourceMetrics, (part) => void parts.push(part), yieldTurn, onSkip);
    return parts.join("");
  }

  /**
   * Hands the exposition to `sink` in parts (a slice each, in order) and waits for the sink's
   * promise, if any, before the next. A slice the serializer fails on (a label so long that the
   * text exceeds what a string can hold) is retried one series at a time, and only the series
   * that cannot be rendered are left out, reported to `onSkip`. The text ends with a newline
   * (the SDK leaves it out after "# no registered metrics", which the text format requires).
   */
  async write(
    resourceMetrics: ResourceMetrics,
    out: (part: string) => void | Promise<void>,
    yieldTurn: () => Promise<void> = nextTurn,
    onSkip: SkipListener = ignoreSkip,
  ): Promise<void> {
    const resource = resourceMetrics.resource;
    const slices = this.slice(resourceMetrics) ?? [{ members: allMembers(resourceMetrics), continues: false }];
    let endsWithNewline = true;
    const sink = (part: string): void | Promise<void> => {
      if (part !== "") endsWithNewline = part.endsWith("\n");
      return out(part);
    };
    for (let k = 0; k < slices.length; k++) {
      if (k > 0) await yieldTurn();
      const slice = slices[k];
      let part: string | null;
      try {
        part = (k === 0 ? this.whole : this.continuation).serialize({ resource, scopeMetrics: slice.members.map((m) => ({ scope: m.scope, metrics: [m.metric] })) });
        if (slice.continues) part = withoutLeadingMetadata(part);
      } catch {
        part = null;
      }
      if (part !== null) await sink(part);
      else await this.writeSeriesBySeries(resource, slice, k === 0, sink, onSkip);
    }
    if (!endsWithNewline) await sink("\n");
  }

  /** A slice one series at a time: each part carries its family's metadata only once. */
  private async writeSeriesBySeries(
    resource: ResourceMetrics["resource"],
    slice: Slice,
    first: boolean,
    sink: (part: string) => void | Promise<void>,
    onSkip: SkipListener,
  ): Promise<void> {
    if (first) {
      const info = this.whole.serialize({ resource, scopeMetrics: [] });
      const end = info.lastIndexOf(NO_REGISTERED_METRICS);
      if (end !== 0) await sink(end < 0 ? info : info.slice(0, end));
    }
    let family = slice.continues && slice.members.length > 0 ? metricFamilyName(slice.members[0].metric, this.prefix) : undefined;
    for (const { scope, metric } of slice.members) {
      const name = metricFamilyName(metric, this.prefix);
      for (const dp of metric.dataPoints) {
        let part: string;
        try {
          part = this.continuation.serialize({ resource, scopeMetrics: [{ scope, metrics: [{ ...metric, dataPoints: [dp] } as MetricData] }] });
        } catch (e) {
          onSkip(name ?? metric.descriptor.name, e);
          continue;
        }
        await sink(name === family ? withoutLeadingMetadata(part) : part);
        family = name;
      }
    }
  }

  /** The slices in serialization order, or null when one call must do it (small, or families whose members disagree). */
  private slice(resourceMetrics: ResourceMetrics): Slice[] | null {
    const families = new Map<string, Member[]>();
    let lines = 0;
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) {
        const name = metricFamilyName(metric, this.prefix);
        if (name === undefined) continue; // the serializer skips it too
        const family = families.get(name);
        if (family === undefined) families.set(name, [{ scope: scopeMetrics.scope, metric }]);
        else if (!sameMetadata(family[0].metric, metric)) return null;
        else family.push({ scope: scopeMetrics.scope, metric });
        for (let i = 0; i < metric.dataPoints.length; i++) lines += pointLines(metric, i);
      }
    }
    if (lines <= this.linesPerSlice) return null;
    const slices: Slice[] = [];
    let current: Slice = { members: [], continues: false };
    let room = this.linesPerSlice;
    const close = (continues: boolean): void => {
      slices.push(current);
      current = { members: [], continues };
      room = this.linesPerSlice;
    };
    for (const members of families.values()) {
      for (const { scope, metric } of members) {
        const points = metric.dataPoints.length;
        let from = 0;
        do {
          let to = from;
          let taken = 0;
          while (to < points) {
            const next = pointLines(metric, to);
            if (to > from && taken + next > room) break; // a piece holds at least one point
            taken += next;
            to++;
          }
          const piece = from === 0 && to === points ? metric : ({ ...metric, dataPoints: metric.dataPoints.slice(from, to) } as MetricData);
          current.members.push({ scope, metric: piece });
          room -= taken;
          from = to;
          if (room <= 0) close(true);
        } while (from < points);
      }
      // the next family starts fresh metadata; an empty slice opened mid-family just did not continue it
      if (current.members.length === 0) current.continues = false;
    }
    if (current.members.length > 0) slices.push(current);
    return slices;
  }
}

/** Exposition lines of data point `i` of `metric`. */
function pointLines(metric: MetricData, i: number): number {
  return metric.dataPointType === DataPointType.HISTOGRAM ? metric.dataPoints[i].value.buckets.counts.length + 2 : 1;
}

/** Whether two members of a family give the serializer the same type, HELP and UNIT. */
function sameMetadata(a: MetricData, b: MetricData): boolean {
  return prometheusType(a) === prometheusType(b) && a.descriptor.description === b.descriptor.description && a.descriptor.unit === b.descriptor.unit;
}

/** Every member in serialization input order (the one-slice case). */
function allMembers(resourceMetrics: ResourceMetrics): Member[] {
  return resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((metric) => ({ scope: sm.scope, metric })));
}

const ignoreSkip: SkipListener = () => {};

/** `text` without its first family's HELP, UNIT and TYPE lines (escaped: each is one line). */
function withoutLeadingMetadata(text: string): string {
  let at = 0;
  for (const tag of ["# HELP ", "# UNIT ", "# TYPE "]) {
    if (text.startsWith(tag, at)) at = text.indexOf("\n", at) + 1;
  }
  return text.slice(at);
}
