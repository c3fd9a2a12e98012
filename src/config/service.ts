/**
 * Validation of the whole document: top-level sections, component ids and types (each component
 * section is validated by its own factory), extensions, and `service` (telemetry and pipelines with
 * their references). Every problem is collected; nothing stops at the first.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ComponentFactory, ConfigError } from "../components/types.ts";
import { boundariesProblem } from "../core/boundaries.ts";
import { ConfigReader, describeValue, isMapping } from "./fields.ts";
import { parseEndpoint } from "./endpoint.ts";
import { readServerSecurity } from "./server-security.ts";
import type {
  ComponentConfig,
  ComponentRegistry,
  DaemonConfig,
  HealthCheckConfig,
  LogLevel,
  PipelineConfig,
} from "./types.ts";
import { LOG_LEVELS } from "./types.ts";

const COMPONENT_ID = /^([A-Za-z][A-Za-z0-9_]*)(?:\/([^\s/]+))?$/;
const PIPELINE_ID = /^([a-z]+)(?:\/([^\s/]+))?$/;

export const DEFAULT_HEALTH_ENDPOINT = "127.0.0.1:13133";
export const DEFAULT_CARDINALITY_LIMIT = 2000;
export const DEFAULT_MAX_SERIES = 1_000_000;
export const DEFAULT_STREAM_TTL_MS = 10 * 60_000;
/** Series that receive nothing this long are dropped from the pipeline's store (any exporter). */
export const DEFAULT_SERIES_TTL_MS = 15 * 60_000;
/** Prometheus servers commonly cap labels per series well below this (label_limit); 128 is generous. */
export const DEFAULT_MAX_ATTRIBUTES = 128;
/**
 * Input streams kept per metric name: ten times the default series budget, room for many sources
 * feeding one series each (streams of different hosts collapse into one series).
 */
export const DEFAULT_MAX_STREAMS_PER_METRIC = 20_000;

type Kind = "receivers" | "processors" | "exporters";
const SINGULAR: Record<Kind, string> = { receivers: "receiver", processors: "processor", exporters: "exporter" };

/**
 * Validates every section of `kind` with its factory; the ids whose section passed are added to
 * `valid` by path (`receivers::kafka/a`; the ones cross-checks look at).
 */
function validateComponents(
  kind: Kind,
  raw: unknown,
  factories: ReadonlyMap<string, ComponentFactory<unknown>>,
  errors: ConfigError[],
  valid: Set<string>,
): Map<string, ComponentConfig> {
  const out = new Map<string, ComponentConfig>();
  if (raw === undefined || raw === null) return out;
  if (!isMapping(raw)) {
    errors.push({ path: kind, message: `expected a mapping of ${SINGULAR[kind]} ids to settings, got ${describeValue(raw)}` });
    return out;
  }
  for (const [id, section] of Object.entries(raw)) {
    const path = `${kind}::${id}`;
    const m = COMPONENT_ID.exec(id);
    if (m === null) {
      errors.push({ path, message: `${JSON.stringify(id)} is not a component id (write "type" or "type/name")` });
      continue;
    }
    const factory = factories.get(m[1]);
    if (factory === undefined) {
      const known = [...factories.keys()].sort();
      errors.push({ path, message: `unknown ${SINGULAR[kind]} type ${JSON.stringify(m[1])} (known: ${known.length > 0 ? known.join(", ") : "none"})` });
      continue;
    }
    const before = errors.length;
    const config = factory.validate(section, path, errors);
    out.set(id, { id, type: m[1], config, raw: section });
    if (errors.length === before) valid.add(path);
  }
  return out;
}

/**
 * Runs each factory's `validateTogether` over its components that will run: valid on their own and
 * referenced by a pipeline (the daemon does not create the others, so they cannot conflict).
 */
function validateTogether(
  kind: Kind,
  configured: ReadonlyMap<string, ComponentConfig>,
  valid: ReadonlySet<string>,
  pipelines: readonly PipelineConfig[],
  factories: ReadonlyMap<string, ComponentFactory<unknown>>,
  errors: ConfigError[],
): void {
  const byType = new Map<string, { path: string; id: string; config: unknown }[]>();
  for (const [id, c] of configured) {
    const path = `${kind}::${id}`;
    if (!valid.has(path) || !pipelines.some((p) => p[kind].includes(id))) continue;
    let list = byType.get(c.type);
    if (list === undefined) byType.set(c.type, (list = []));
    list.push({ path, id, config: c.config });
  }
  for (const [type, components] of byType) factories.get(type)?.validateTogether?.(components, errors);
}

function validateHealthCheck(raw: unknown, errors: ConfigError[]): HealthCheckConfig | null {
  if (raw === undefined) return null;
  const r = new ConfigReader(raw, "extensions::health_check", errors);
  const endpoint = r.endpoint("endpoint", DEFAULT_HEALTH_ENDPOINT);
  const path = r.string("path", "/health");
  if (!path.startsWith("/")) r.problem("path", `${JSON.stringify(path)} must start with "/"`);
  const parsed = parseEndpoint(endpoint);
  const security = readServerSecurity(r, "endpoint", "problem" in parsed ? undefined : parsed.host);
  r.finish();
  return { endpoint, path, ...security };
}

function validateReferences(
  r: ConfigReader,
  key: Kind,
  configured: ReadonlyMap<string, ComponentConfig>,
  required: boolean,
): string[] {
  const ids = r.stringList(key, []);
  if (required && ids.length === 0 && r.ok) r.problem(key, `a pipeline needs at least one ${SINGULAR[key]}`);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) r.errors.push({ path: `${r.at(key)}[${i}]`, message: `${JSON.stringify(id)} is listed twice` });
    seen.add(id);
    if (!configured.has(id)) {
      r.errors.push({ path: `${r.at(key)}[${i}]`, message: `references ${SINGULAR[key]} ${JSON.stringify(id)}, which is not configured under ${key}` });
    }
  });
  return ids;
}

function validatePipeline(
  id: string,
  raw: unknown,
  components: Record<Kind, ReadonlyMap<string, ComponentConfig>>,
  errors: ConfigError[],
): PipelineConfig {
  const r = new ConfigReader(raw, `service::pipelines::${id}`, errors);
  if (raw === undefined || raw === null) errors.push({ path: r.path, message: "a pipeline needs receivers and exporters" });
  const receivers = validateReferences(r, "receivers", components.receivers, true);
  const processors = validateReferences(r, "processors", components.processors, false);
  const exporters = validateReferences(r, "exporters", components.exporters, true);
  const rt = r.child("resource_to_telemetry");
  const enabled = rt.boolean("enabled", false);
  const include = rt.has("include") ? rt.stringList("include", []) : null;
  rt.finish();
  const cardinalityLimit = r.number("cardinality_limit", DEFAULT_CARDINALITY_LIMIT, { min: 1, integer: true });
  const maxSeries = r.number("max_series", DEFAULT_MAX_SERIES, { min: 1, integer: true });
  const streamTtlMs = r.duration("stream_ttl", DEFAULT_STREAM_TTL_MS, { minMs: 1000 });
  const seriesTtlMs = r.duration("series_ttl", DEFAULT_SERIES_TTL_MS);
  if (seriesTtlMs !== 0 && seriesTtlMs < 1000 && r.has("series_ttl")) r.problem("series_ttl", "must be 0 (never expire) or at least 1s");
  const maxAttributes = r.number("max_attributes_per_point", DEFAULT_MAX_ATTRIBUTES, { min: 1, integer: true });
  const maxStreamsPerMetric = r.number("max_streams_per_metric", DEFAULT_MAX_STREAMS_PER_METRIC, { min: 1, integer: true });
  let histogramBoundaries: number[] | null = null;
  const hb = r.value("histogram_boundaries");
  if (hb !== undefined && hb !== null) {
    if (!Array.isArray(hb)) r.problem("histogram_boundaries", `expected a list of numbers, got ${describeValue(hb)}`);
    else {
      const problem = boundariesProblem(hb);
      if (problem !== null) r.problem("histogram_boundaries", problem);
      else histogramBoundaries = hb as number[];
    }
  }
  r.finish();
  return {
    id,
    receivers,
    processors,
    exporters,
    resourceToTelemetry: { enabled, include },
    cardinalityLimit,
    maxSeries,
    streamTtlMs,
    seriesTtlMs,
    maxAttributes,
    maxStreamsPerMetric,
    histogramBoundaries,
  };
}

function validateResource(raw: unknown, errors: ConfigError[]): Attributes {
  const out: Attributes = {};
  if (raw === undefined || raw === null) return out;
  if (!isMapping(raw)) {
    errors.push({ path: "service::telemetry::resource", message: `expected a mapping of attribute names to values, got ${describeValue(raw)}` });
    return out;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else errors.push({ path: `service::telemetry::resource::${k}`, message: `expected a string, number or boolean, got ${describeValue(v)}` });
  }
  return out;
}

/**
 * Validates a substituted document against the registry. Returns the config when `errors` stayed
 * empty; otherwise null (and `errors` lists every problem).
 */
export function validateDocument(doc: unknown, registry: ComponentRegistry, errors: ConfigError[]): DaemonConfig | null {
  const before = errors.length;
  const top = new ConfigReader(doc, "", errors);
  if (!top.ok) return null;
  const valid = new Set<string>();
  const receivers = validateComponents("receivers", top.value("receivers"), registry.receivers, errors, valid);
  const processors = validateComponents("processors", top.value("processors"), registry.processors, errors, valid);
  const exporters = validateComponents("exporters", top.value("exporters"), registry.exporters, errors, valid);

  let healthCheck: HealthCheckConfig | null = null;
  const ext = top.child("extensions");
  const healthRaw = ext.value("health_check");
  const configuredHealth = validateHealthCheck(healthRaw === null ? {} : healthRaw, errors);
  ext.finish();

  const service = top.child("service");
  if (!top.has("service")) errors.push({ path: "service", message: "missing: the service section lists the pipelines to run" });
  const enabledExtensions = service.stringList("extensions", []);
  enabledExtensions.forEach((name, i) => {
    if (name !== "health_check") errors.push({ path: `service::extensions[${i}]`, message: `unknown extension ${JSON.stringify(name)} (known: health_check)` });
    else if (healthRaw === undefined) errors.push({ path: `service::extensions[${i}]`, message: `references extension "health_check", which is not configured under extensions` });
    else healthCheck = configuredHealth;
  });

  const telemetry = service.child("telemetry");
  const logs = telemetry.child("logs");
  const logLevel = logs.string("level", "info", LOG_LEVELS) as LogLevel;
  logs.finish();
  const resource = validateResource(telemetry.value("resource"), errors);
  telemetry.finish();
  const engine = service.string("engine", "wasm", ["wasm", "js"]) as "wasm" | "js";
  const shutdownTimeoutMs = service.duration("shutdown_timeout", 15_000, { minMs: 100 });

  const pipelines: PipelineConfig[] = [];
  const pipelinesRaw = service.value("pipelines");
  if (service.ok && top.has("service")) {
    if (pipelinesRaw === undefined || pipelinesRaw === null) {
      errors.push({ path: "service::pipelines", message: "missing: at least one metrics pipeline is required" });
    } else if (!isMapping(pipelinesRaw)) {
      errors.push({ path: "service::pipelines", message: `expected a mapping of pipeline ids to pipelines, got ${describeValue(pipelinesRaw)}` });
    } else {
      const components = { receivers, processors, exporters };
      for (const [id, raw] of Object.entries(pipelinesRaw)) {
        const m = PIPELINE_ID.exec(id);
        if (m === null) {
          errors.push({ path: `service::pipelines::${id}`, message: `${JSON.stringify(id)} is not a pipeline id (write "metrics" or "metrics/<name>")` });
        } else if (m[1] !== "metrics") {
          errors.push({ path: `service::pipelines::${id}`, message: `${m[1]} pipelines are not supported: statset handles metrics only` });
        } else {
          pipelines.push(validatePipeline(id, raw, components, errors));
        }
      }
      if (Object.keys(pipelinesRaw).length === 0) errors.push({ path: "service::pipelines", message: "at least one metrics pipeline is required" });
    }
  }
  validateTogether("receivers", receivers, valid, pipelines, registry.receivers, errors);
  validateTogether("processors", processors, valid, pipelines, registry.processors, errors);
  validateTogether("exporters", exporters, valid, pipelines, registry.exporters, errors);
  service.finish();
  top.finish();
  if (errors.length > before) return null;
  return {
    receivers,
    processors,
    exporters,
    healthCheck,
    service: { logLevel, resource, pipelines, engine, shutdownTimeoutMs },
  };
}
