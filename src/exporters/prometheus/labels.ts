/**
 * Attribute sets as Prometheus label sets that are always valid exposition.
 *
 * The SDK serializer sanitizes each key on its own (invalid characters to `_`, runs of `_` to
 * one), so `a.b` and `a_b` on one point become two `a_b` labels, a key `1x` stays an invalid
 * label name, and a user attribute `le` on a histogram repeats the bucket label. Any of these
 * makes a real Prometheus reject the whole scrape. The OpenTelemetry specification
 * (specification/compatibility/prometheus_and_openmetrics.md, "Metric Attributes") says keys
 * that collide after sanitization MUST have their values joined with `;`, ordered by the
 * original keys. Beyond that:
 * - a name that starts with a digit gets the `key_` prefix (the Collector's label normalization,
 *   pkg/translator/prometheus, does the same);
 * - a name the format or the exporter gives a meaning (`le` of histogram buckets and `quantile`
 *   of summaries, on every metric: Prometheus tooling reads them wherever they appear;
 *   `otel_scope_*` when scope labels are on) is renamed `exported_<name>`, Prometheus' own
 *   convention for a scraped label that collides with one the scraper sets (`honor_labels: false`).
 *
 * Sets the SDK already renders validly are returned as they are (the common case, no copy).
 * Verdicts are cached per attributes object: stores hand out the same frozen object for a series
 * on every collect.
 */
import type { Attributes, AttributeValue } from "@opentelemetry/api";

/** Labels the exporter adds beside a point's own. */
export interface ReservedLabels {
  readonly names: ReadonlySet<string>;
}

const INVALID_CHARACTERS = /[^a-zA-Z0-9_]/g;
const UNDERSCORE_RUNS = /_{2,}/g;
const SEP = "\u0000";

/** Labels with a meaning in the exposition format. */
export const FORMAT_LABELS: readonly string[] = ["le", "quantile"];

/** The scope labels the SDK serializer writes unless `without_scope_info`. */
export const SCOPE_LABELS: readonly string[] = ["otel_scope_name", "otel_scope_version", "otel_scope_schema_url"];

/** What the SDK serializer makes of a key on its own. */
function sdkSanitized(key: string): string {
  return key.replace(INVALID_CHARACTERS, "_").replace(UNDERSCORE_RUNS, "_");
}

/** The label name of an attribute key, given the names the exporter reserves for itself. */
export function prometheusLabelName(key: string, reserved: ReservedLabels): string {
  let name = sdkSanitized(key);
  if (name === "") name = "_";
  else if (name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57) name = `key_${name}`;
  if (reserved.names.has(name)) name = `exported_${name}`;
  return name;
}

/** An attribute value as label text, as the SDK serializer writes it (non-strings as JSON). */
function valueText(v: AttributeValue | undefined): string {
  return typeof v === "string" ? v.toWellFormed() : JSON.stringify(v);
}

/** A point's labels as the exposition will show them, and a key identifying that label set. */
export interface LabelSet {
  /** The attributes to hand the SDK serializer (the original object when it renders validly). */
  readonly attributes: Attributes;
  /** Canonical text of the rendered label set: equal keys, equal lines. */
  readonly key: string;
}

export class PrometheusLabels {
  readonly #reserved: ReservedLabels;
  readonly #cache = new WeakMap<Attributes, LabelSet>();

  constructor(reserved: ReservedLabels) {
    this.#reserved = reserved;
  }

  /** The label set of `attributes` (cached per object). */
  of(attributes: Attributes): LabelSet {
    let set = this.#cache.get(attributes);
    if (set === undefined) {
      set = this.#compute(attributes);
      this.#cache.set(attributes, set);
    }
    return set;
  }

  #compute(attributes: Attributes): LabelSet {
    const keys = Object.keys(attributes).filter((k) => attributes[k] !== undefined);
    keys.sort();
    const byName = new Map<string, string[]>();
    let rewritten = false;
    for (const k of keys) {
      const name = prometheusLabelName(k, this.#reserved);
      const v = attributes[k];
      // A lone surrogate is written as U+FFFD: say so, so that two such values are seen as one.
      if (name !== sdkSanitized(k) || (typeof v === "string" && !v.isWellFormed())) rewritten = true;
      const group = byName.get(name);
      if (group === undefined) byName.set(name, [k]);
      else {
        group.push(k);
        rewritten = true;
      }
    }
    const names = [...byName.keys()].sort();
    let key = "";
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = (byName.get(name) as string[]).map((k) => valueText(attributes[k])).join(";");
      key += `${key === "" ? "" : SEP}${name}${SEP}${value}`;
      out[name] = value;
    }
    return { attributes: rewritten ? Object.freeze(out) : attributes, key };
  }
}
