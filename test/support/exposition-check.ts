/**
 * Validity checks of Prometheus text exposition beyond what `promtool check metrics` catches:
 * promtool accepts two series with identical labels and a repeated `le`, which a Prometheus
 * server refuses (duplicate samples, duplicate label names). Used by property tests.
 */
import { spawnSync } from "node:child_process";

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * promtool's verdict, split: `errors` are what a Prometheus server refuses (the text parser's),
 * `lints` its style advice (e.g. camelCase label names), which a server scrapes regardless.
 */
export function promtool(text: string): { errors: string[]; lints: string[] } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (r.error !== undefined) throw r.error;
  const lines = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
  const errors = lines.filter((l) => l.startsWith("error while linting"));
  const lints = lines.filter((l) => !l.startsWith("error while linting"));
  if (r.status !== 0 && errors.length === 0 && lints.length === 0) errors.push(`promtool exited ${r.status} without output`);
  return { errors, lints };
}

/**
 * Lints about names as the user chose them, not faults of the exporter: camelCase attribute keys
 * or metric names, an up-down counter named `..._total`, a gauge named `..._count`, a name holding
 * a type (`..._counter`), an abbreviated unit (`..._ms`) or a non-base unit (`..._milliseconds`).
 * The wording is promlint's (prometheus/client_golang, prometheus/testutil/promlint/validations).
 */
const USER_STYLE_LINTS = [
  "names should be written in 'snake_case' not 'camelCase'",
  'non-counter metrics should not have "_total" suffix',
  'non-histogram and non-summary metrics should not have "_(count|sum)" suffix',
  'non-histogram metrics should not have "_bucket" suffix',
  "metric name should not include type '[a-z]+'",
  "metric names should not contain abbreviated units",
  'use base unit "[a-z]+" instead of "[a-z]+"',
];
export const USER_STYLE_LINT = new RegExp(`(${USER_STYLE_LINTS.join("|")})$`);

/** Parses `{a="x",b="y"}` strictly (escapes \\ \" \n); returns the pairs or a problem. */
function parseLabels(text: string, at: number): { pairs: [string, string][]; end: number } | string {
  const pairs: [string, string][] = [];
  let i = at + 1;
  while (i < text.length && text[i] !== "}") {
    const eq = text.indexOf("=", i);
    if (eq < 0) return `no '=' after label at ${i}`;
    const name = text.slice(i, eq);
    if (text[eq + 1] !== '"') return `label ${JSON.stringify(name)} value is not quoted`;
    let j = eq + 2;
    let value = "";
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const n = text[++j];
        if (n === "n") value += "\n";
        else if (n === "\\" || n === '"') value += n;
        else return `bad escape \\${n} in label ${name}`;
      } else value += text[j];
    }
    if (j >= text.length) return `unterminated value of label ${name}`;
    pairs.push([name, value]);
    i = j + 1;
    if (text[i] === ",") i++;
  }
  if (text[i] !== "}") return "unterminated label set";
  return { pairs, end: i + 1 };
}

/** Every problem a Prometheus server would have with `text` (empty when none). */
export function expositionProblems(text: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.indexOf(" ");
    const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) problems.push(`invalid metric name ${JSON.stringify(name)}: ${line.slice(0, 120)}`);
    let pairs: [string, string][] = [];
    if (nameEnd === brace) {
      const parsed = parseLabels(line, brace);
      if (typeof parsed === "string") {
        problems.push(`${parsed}: ${line.slice(0, 120)}`);
        continue;
      }
      pairs = parsed.pairs;
    }
    const names = new Set<string>();
    for (const [label] of pairs) {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) problems.push(`invalid label name ${JSON.stringify(label)}: ${line.slice(0, 120)}`);
      if (names.has(label)) problems.push(`duplicate label ${JSON.stringify(label)}: ${line.slice(0, 120)}`);
      names.add(label);
    }
    const identity = `${name}{${pairs
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .sort()
      .join(",")}}`;
    if (seen.has(identity)) problems.push(`duplicate series ${identity.slice(0, 160)}`);
    seen.add(identity);
  }
  return problems;
}
