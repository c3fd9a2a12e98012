/**
 * Validation of the whole document: top-level sections, component ids and types (each component
 * section is validated by its own factory), extensions, and `service` (telemetry and pipelines with
 * their references). Every problem is collected; nothing stops at the first.
 */
import type { ComponentFactory, ConfigError } from "../components/types.ts";
import { describeValue, isMapping } from "./fields.ts";
import { healthCheckSchema } from "./health-check-config.ts";
import { listenClashes, type ListenEndpoint } from "./listen-clashes.ts";
import { pipelineSchema } from "./pipeline-config.ts";
import { duration, readSection, readSectionSalvaging, z } from "./schema.ts";
import type { ComponentConfig, ComponentRegistry, DaemonConfig, HealthCheckConfig, PipelineConfig } from "./types.ts";
import { LOG_LEVELS } from "./types.ts";

const COMPONENT_ID = /^([A-Za-z][A-Za-z0-9_]*)(?:\/([^\s/]+))?$/;
const PIPELINE_ID = /^([a-z]+)(?:\/([^\s/]+))?$/;

/** The document's top level; component sections are checked by their factories, pipelines one by one. */
const documentSchema = z.strictObject({
  receivers: z.unknown().optional(),
  processors: z.unknown().optional(),
  exporters: z.unknown().optional(),
  extensions: z.strictObject({ health_check: z.unknown().optional() }).optional(),
  service: z.unknown().optional(),
});

export const serviceSchema = z.strictObject({
  extensions: z.array(z.string()).prefault([]).describe("extensions to run (health_check)"),
  telemetry: z
    .strictObject({
      logs: z.strictObject({ level: z.enum(LOG_LEVELS).prefault("info").describe("log level of the daemon's JSON logs") }).prefault({}),
      resource: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" }))
        .prefault({})
        .describe("resource of the daemon's own metrics (target_info)"),
    })
    .prefault({}),
  engine: z.enum(["wasm", "js"]).prefault("wasm").describe("aggregation engine of every pipeline store"),
  shutdown_timeout: duration({ minMs: 100 }).prefault("15s").describe("upper bound on a graceful shutdown"),
  pipelines: z.unknown().optional().meta({ statsetType: "mapping id -> pipeline", docsDefault: "**required**" }).describe("`metrics` or `metrics/<name>` pipelines"),
});

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

/** Each listed id must be configured under its section, and listed once. */
function checkReferences(ids: readonly string[], key: Kind, configured: ReadonlyMap<string, ComponentConfig>, path: string, errors: ConfigError[]): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) errors.push({ path: `${path}::${key}[${i}]`, message: `${JSON.stringify(id)} is listed twice` });
    seen.add(id);
    if (!configured.has(id)) errors.push({ path: `${path}::${key}[${i}]`, message: `references ${SINGULAR[key]} ${JSON.stringify(id)}, which is not configured under ${key}` });
  });
}

function validatePipeline(id: string, raw: unknown, components: Record<Kind, ReadonlyMap<string, ComponentConfig>>, errors: ConfigError[]): PipelineConfig | undefined {
  const path = `service::pipelines::${id}`;
  if (raw === undefined || raw === null) {
    errors.push({ path, message: "a pipeline needs receivers and exporters" });
    return undefined;
  }
  const p = readSection(pipelineSchema, raw, path, errors);
  // References are checked even when another key is wrong, so every problem shows at once.
  if (isMapping(raw)) {
    for (const key of ["receivers", "processors", "exporters"] as const) {
      const ids = raw[key];
      if (Array.isArray(ids)) checkReferences(ids.filter((x): x is string => typeof x === "string"), key, components[key], path, errors);
    }
  }
  return p === undefined ? undefined : { id, ...p };
}

/** Every server endpoint the daemon will bind (components some pipeline uses, the health check), with its config path. */
function listenEndpointsOf(
  components: Record<Kind, ReadonlyMap<string, ComponentConfig>>,
  pipelines: readonly PipelineConfig[],
  registry: ComponentRegistry,
  healthCheck: HealthCheckConfig | null,
): ListenEndpoint[] {
  const out: ListenEndpoint[] = [];
  for (const kind of ["receivers", "processors", "exporters"] as const) {
    const factories: ReadonlyMap<string, ComponentFactory<unknown>> = registry[kind];
    const used = new Set(pipelines.flatMap((p) => p[kind]));
    for (const c of components[kind].values()) {
      if (!used.has(c.id)) continue;
      for (const e of factories.get(c.type)?.listenEndpoints?.(c.config) ?? []) out.push({ path: `${kind}::${c.id}::${e.key}`, endpoint: e.endpoint });
    }
  }
  if (healthCheck !== null) out.push({ path: "extensions::health_check::endpoint", endpoint: healthCheck.endpoint });
  return out;
}

/**
 * Validates a substituted document against the registry. Returns the config when `errors` stayed
 * empty; otherwise null (and `errors` lists every problem).
 */
export function validateDocument(doc: unknown, registry: ComponentRegistry, errors: ConfigError[]): DaemonConfig | null {
  const before = errors.length;
  // A bad top-level or service key is reported, and the rest of the document is still checked.
  const top = readSectionSalvaging(documentSchema, doc, "", errors);
  if (top === undefined) return null;
  const valid = new Set<string>();
  const receivers = validateComponents("receivers", top.receivers, registry.receivers, errors, valid);
  const processors = validateComponents("processors", top.processors, registry.processors, errors, valid);
  const exporters = validateComponents("exporters", top.exporters, registry.exporters, errors, valid);

  const healthConfigured = top.extensions !== undefined && "health_check" in top.extensions;
  const configuredHealth = healthConfigured ? readSection(healthCheckSchema, top.extensions?.health_check, "extensions::health_check", errors) : undefined;

  if (top.service === undefined) {
    errors.push({ path: "service", message: "missing: the service section lists the pipelines to run" });
    return null;
  }
  const service = readSectionSalvaging(serviceSchema, top.service, "service", errors);
  if (service === undefined) return null;
  let healthCheck: HealthCheckConfig | null = null;
  service.extensions.forEach((name, i) => {
    if (name !== "health_check") errors.push({ path: `service::extensions[${i}]`, message: `unknown extension ${JSON.stringify(name)} (known: health_check)` });
    else if (!healthConfigured) errors.push({ path: `service::extensions[${i}]`, message: `references extension "health_check", which is not configured under extensions` });
    else healthCheck = configuredHealth ?? null;
  });

  const pipelines: PipelineConfig[] = [];
  const pipelinesRaw = service.pipelines;
  if (pipelinesRaw === undefined) {
    errors.push({ path: "service::pipelines", message: "missing: at least one metrics pipeline is required" });
  } else if (!isMapping(pipelinesRaw)) {
    errors.push({ path: "service::pipelines", message: `expected a mapping of pipeline ids to pipelines (got ${describeValue(pipelinesRaw)})` });
  } else {
    const components = { receivers, processors, exporters };
    for (const [id, raw] of Object.entries(pipelinesRaw)) {
      const m = PIPELINE_ID.exec(id);
      if (m === null) {
        errors.push({ path: `service::pipelines::${id}`, message: `${JSON.stringify(id)} is not a pipeline id (write "metrics" or "metrics/<name>")` });
      } else if (m[1] !== "metrics") {
        errors.push({ path: `service::pipelines::${id}`, message: `${m[1]} pipelines are not supported: statset handles metrics only` });
      } else {
        const p = validatePipeline(id, raw, components, errors);
        if (p !== undefined) pipelines.push(p);
      }
    }
    if (Object.keys(pipelinesRaw).length === 0) errors.push({ path: "service::pipelines", message: "at least one metrics pipeline is required" });
  }
  validateTogether("receivers", receivers, valid, pipelines, registry.receivers, errors);
  validateTogether("processors", processors, valid, pipelines, registry.processors, errors);
  validateTogether("exporters", exporters, valid, pipelines, registry.exporters, errors);
  errors.push(...listenClashes(listenEndpointsOf({ receivers, processors, exporters }, pipelines, registry, healthCheck)));
  if (errors.length > before) return null;
  return {
    receivers,
    processors,
    exporters,
    healthCheck,
    service: {
      logLevel: service.telemetry.logs.level,
      resource: service.telemetry.resource,
      pipelines,
      engine: service.engine,
      shutdownTimeoutMs: service.shutdown_timeout,
    },
  };
}
