/**
 * `${env:VAR}` and `${env:VAR:-default}` substitution in the parsed configuration, as the Collector
 * does it: applied to string scalars after YAML parsing (so a value cannot inject structure), `$$`
 * escapes a literal `$`, and a value that is exactly one reference is re-read as a YAML scalar so
 * `port: ${env:PORT}` yields a number. A missing variable without a default is an error naming it.
 */
import { parse as parseYaml } from "yaml";
import type { ConfigError } from "../components/types.ts";
import { isMapping } from "./fields.ts";

const REFERENCE = /\$\$|\$\{([^}]*)\}/g;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export type Environment = Readonly<Record<string, string | undefined>>;

function substituteString(text: string, path: string, env: Environment, errors: ConfigError[]): unknown {
  if (!text.includes("$")) return text;
  let whole: string | null = null;
  let failed = false;
  const out = text.replace(REFERENCE, (match: string, inner: string | undefined, offset: number) => {
    if (match === "$$") return "$";
    const m = ENV_REF.exec(inner ?? "");
    if (m === null) {
      failed = true;
      errors.push({ path, message: `unsupported reference ${match} (use \${env:NAME} or \${env:NAME:-default}; write $$ for a literal $)` });
      return "";
    }
    const value = env[m[1]] ?? m[2];
    if (value === undefined) {
      failed = true;
      errors.push({ path, message: `environment variable ${m[1]} is not set (referenced as ${match}; give a default with \${env:${m[1]}:-value})` });
      return "";
    }
    if (offset === 0 && match.length === text.length) whole = value;
    return value;
  });
  // Already reported: leave the key unset so validation does not pile a second message on it.
  if (failed) return undefined;
  if (whole !== null) {
    // A whole-value reference keeps YAML typing: "4318" -> 4318, "true" -> true.
    try {
      const typed: unknown = parseYaml(whole);
      if (typed === null || typeof typed === "number" || typeof typed === "boolean" || typeof typed === "string") return typed ?? whole;
    } catch {
      // Not a scalar YAML document: keep the string.
    }
    return whole;
  }
  return out;
}

/** Returns a copy of `tree` with references substituted; problems are pushed with their paths. */
export function substituteEnv(tree: unknown, env: Environment, errors: ConfigError[], path = ""): unknown {
  if (typeof tree === "string") return substituteString(tree, path === "" ? "config" : path, env, errors);
  if (Array.isArray(tree)) return tree.map((item, i) => substituteEnv(item, env, errors, `${path}[${i}]`));
  if (isMapping(tree)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) out[k] = substituteEnv(v, env, errors, path === "" ? k : `${path}::${k}`);
    return out;
  }
  return tree;
}
