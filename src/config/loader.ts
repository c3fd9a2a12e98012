/**
 * Loading: read the file, parse YAML, substitute `${env:...}`, then validate the whole document
 * (component defaults are merged by each factory's `validate`). Any problem, anywhere, ends in one
 * `ConfigLoadError` listing all of them.
 */
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { ConfigError } from "../components/types.ts";
import { substituteEnv, type Environment } from "./env.ts";
import { validateDocument } from "./service.ts";
import type { ComponentRegistry, DaemonConfig } from "./types.ts";

const MAX_YAML_ERRORS = 3;

/** One line per problem: `path: message`. */
export function formatConfigError(e: ConfigError): string {
  return e.path === "" ? e.message : `${e.path}: ${e.message}`;
}

export class ConfigLoadError extends Error {
  readonly problems: readonly ConfigError[];
  constructor(problems: readonly ConfigError[]) {
    super(problems.length === 1 ? formatConfigError(problems[0]) : `${problems.length} configuration problems:\n${problems.map(formatConfigError).join("\n")}`);
    this.name = "ConfigLoadError";
    this.problems = problems;
  }
}

export interface LoadOptions {
  readonly registry: ComponentRegistry;
  /** Variables for `${env:...}`; default process.env. */
  readonly env?: Environment;
}

/** Parses and validates configuration text. `source` names it in messages (a file name). */
export function parseConfigText(text: string, source: string, options: LoadOptions): DaemonConfig {
  const errors: ConfigError[] = [];
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  // One syntax error tends to cascade into dozens; the first few locate the problem.
  for (const e of doc.errors.slice(0, MAX_YAML_ERRORS)) {
    const pos = e.linePos?.[0];
    const where = pos === undefined ? source : `${source}:${pos.line}:${pos.col}`;
    errors.push({ path: where, message: `invalid YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}` });
  }
  if (errors.length > 0) throw new ConfigLoadError(errors);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) throw new ConfigLoadError([{ path: source, message: "the configuration is empty" }]);
  const substituted = substituteEnv(raw, options.env ?? process.env, errors);
  const config = validateDocument(substituted, options.registry, errors);
  if (config === null || errors.length > 0) throw new ConfigLoadError(errors);
  return config;
}

/** Reads and validates a configuration file. */
export async function loadConfigFile(file: string, options: LoadOptions): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new ConfigLoadError([{ path: file, message: `cannot read the configuration: ${reason}` }]);
  }
  return parseConfigText(text, file, options);
}
