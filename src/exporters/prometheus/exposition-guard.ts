/**
 * Rewrites collected metrics so that the SDK serializer cannot produce an exposition a Prometheus
 * server would reject as a whole (one bad client must not blank every metric of the target):
 *
 * - label sets follow labels.ts (collisions joined, reserved and invalid names renamed);
 * - a family whose members disagree on type keeps the members of its first member's type (the SDK
 *   would drop the whole family); the others are dropped and counted;
 * - two series of a family that render to the same label set (e.g. attributes `a.b` and `a_b`,
 *   or two pipelines with `without_scope_info`) keep the first; later ones are dropped and counted.
 *
 * What is dropped is reported to the caller, which counts and logs it. Inputs that render validly
 * pass through as the same objects.
 */
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { MetricData, ResourceMetrics, ScopeMetrics } from "@opentelemetry/sdk-metrics";
import { FORMAT_LABELS, PrometheusLabels, SCOPE_LABELS } from "./labels.ts";
import { metricFamilyName, prometheusType } from "./metric-family-name.ts";

export type ExpositionDropReason = "type_conflict" | "duplicate_labels";

/** Series left out of one scrape for one reason, with an example for the log. */
export interface ExpositionDrop {
  readonly reason: ExpositionDropReason;
  readonly series: number;
  /** The family and, for duplicates, the label set that two series share. */
  readonly example: string;
}

export interface GuardOptions {
  /** Namespace without the trailing `_` ("" for none). */
  readonly prefix: string;
  readonly withoutScopeInfo: boolean;
}

export interface GuardedMetrics {
  readonly resourceMetrics: ResourceMetrics;
  readonly drops: readonly ExpositionDrop[];
}

interface Member {
  readonly scope: ScopeMetrics["scope"];
  readonly metric: MetricData;
  readonly index: number;
}

export class ExpositionGuard {
  readonly #prefix: string;
  readonly #withoutScopeInfo: boolean;
  readonly #labels: PrometheusLabels;
  readonly #resourceLabels = new PrometheusLabels({ names: new Set() });

  constructor(options: GuardOptions) {
    this.#prefix = options.prefix;
    this.#withoutScopeInfo = options.withoutScopeInfo;
    const scope = options.withoutScopeInfo ? [] : SCOPE_LABELS;
    this.#labels = new PrometheusLabels({ names: new Set([...scope, ...FORMAT_LABELS]) });
  }

  guard(resourceMetrics: ResourceMetrics): GuardedMetrics {
    const drops: ExpositionDrop[] = [];
    const families = new Map<string, Member[]>();
    const members: Member[] = [];
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) {
        const name = metricFamilyName(metric, this.#prefix);
        if (name === undefined) continue;
        const member = { scope: scopeMetrics.scope, metric, index: members.length };
        members.push(member);
        const family = families.get(name);
        if (family === undefined) families.set(name, [member]);
        else family.push(member);
      }
    }
    const replaced = new Map<number, MetricData | null>();
    for (const [name, family] of families) this.#guardFamily(name, family, replaced, drops);

    const resource = resourceMetrics.resource;
    const resourceSet = this.#resourceLabels.of(resource.attributes);
    if (replaced.size === 0 && resourceSet.attributes === resource.attributes) return { resourceMetrics, drops };
    const scopeMetrics: ScopeMetrics[] = [];
    let at = 0;
    for (const sm of resourceMetrics.scopeMetrics) {
      const metrics: MetricData[] = [];
      for (const metric of sm.metrics) {
        if (metricFamilyName(metric, this.#prefix) === undefined) continue;
        const r = replaced.get(at);
        at++;
        if (r === undefined) metrics.push(metric);
        else if (r !== null) metrics.push(r);
      }
      scopeMetrics.push({ scope: sm.scope, metrics });
    }
    const guardedResource = resourceSet.attributes === resource.attributes ? resource : resourceFromAttributes(resourceSet.attributes);
    return { resourceMetrics: { resource: guardedResource, scopeMetrics }, drops };
  }

  /** Fills `replaced` (member index -> new metric, or null when dropped) for one family. */
  #guardFamily(name: string, family: readonly Member[], replaced: Map<number, MetricData | null>, drops: ExpositionDrop[]): void {
    const type = prometheusType(family[0].metric);
    let conflicting = 0;
    const seenByScope = new Map<string, Set<string>>();
    let duplicates = 0;
    let duplicateExample = "";
    for (const member of family) {
      const metric = member.metric;
      if (prometheusType(metric) !== type) {
        conflicting += metric.dataPoints.length;
        replaced.set(member.index, null);
        continue;
      }
      const labels = this.#labels;
      const scope = member.scope;
      const scopeKey = this.#withoutScopeInfo ? "" : `${scope.name}\u0000${scope.version ?? ""}\u0000${scope.schemaUrl ?? ""}`;
      let seen = seenByScope.get(scopeKey);
      if (seen === undefined) seenByScope.set(scopeKey, (seen = new Set()));
      const points = metric.dataPoints;
      let kept: (typeof points)[number][] | null = null;
      for (let i = 0; i < points.length; i++) {
        const dp = points[i];
        const set = labels.of(dp.attributes);
        const duplicate = seen.has(set.key);
        if (duplicate) {
          duplicates++;
          if (duplicateExample === "") duplicateExample = `${name}{${set.key.replaceAll("\u0000", " ")}}`;
        } else seen.add(set.key);
        if (kept === null && (duplicate || set.attributes !== dp.attributes)) kept = points.slice(0, i);
        if (kept !== null && !duplicate) kept.push(set.attributes === dp.attributes ? dp : { ...dp, attributes: set.attributes });
      }
      if (kept !== null) replaced.set(member.index, { ...metric, dataPoints: kept } as MetricData);
    }
    if (conflicting > 0) drops.push({ reason: "type_conflict", series: conflicting, example: `${name} is a ${type}; members of another type dropped` });
    if (duplicates > 0) drops.push({ reason: "duplicate_labels", series: duplicates, example: duplicateExample });
  }
}
