/**
 * Compiles the regular expressions of the `regex` decoder. Patterns in the field (benchmark-ai's
 * log metrics) are written for Python's `re`, so Python's named-group syntax `(?P<name>...)` and
 * `(?P=name)` are translated to JavaScript's `(?<name>...)` and `\k<name>` first.
 */

export interface CompiledPattern {
  readonly regex: RegExp;
  /** 1-based index of the one unnamed capturing group: the value. */
  readonly valueGroup: number;
  /** Names of the named groups (attributes). */
  readonly names: readonly string[];
}

/** Translates Python-only group syntax outside character classes and escapes. */
export function translatePythonGroups(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      continue;
    }
    if (c === "(" && pattern.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
      continue;
    }
    if (c === "(" && pattern.startsWith("(?P=", i)) {
      const close = pattern.indexOf(")", i);
      if (close > 0) {
        out += `\\k<${pattern.slice(i + 4, close)}>`;
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** Capturing groups of a (JavaScript) pattern in order: true = named. */
function capturingGroups(pattern: string): { named: boolean; name: string }[] {
  const groups: { named: boolean; name: string }[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") {
      if (pattern[i + 1] !== "?") groups.push({ named: false, name: "" });
      else if (pattern[i + 2] === "<" && pattern[i + 3] !== "=" && pattern[i + 3] !== "!") {
        const end = pattern.indexOf(">", i);
        groups.push({ named: true, name: pattern.slice(i + 3, end) });
      }
    }
  }
  return groups;
}

/**
 * Compiles `pattern`; throws an Error whose message says what is wrong (invalid syntax, or not
 * exactly one unnamed capturing group).
 */
export function compileValuePattern(pattern: string): CompiledPattern {
  const source = translatePythonGroups(pattern);
  const regex = new RegExp(source);
  const groups = capturingGroups(source);
  // The scanner and the engine must agree on the group count, or the value index would be wrong.
  const engineGroups = new RegExp(`${source}|`).exec("")!.length - 1;
  if (engineGroups !== groups.length) throw new Error(`cannot analyse the capturing groups of ${JSON.stringify(pattern)}`);
  const unnamed = groups.flatMap((g, i) => (g.named ? [] : [i + 1]));
  if (unnamed.length !== 1) {
    throw new Error(`expected exactly one unnamed capturing group (the value), found ${unnamed.length}`);
  }
  return { regex, valueGroup: unnamed[0], names: groups.filter((g) => g.named).map((g) => g.name) };
}
