/**
 * Compiles the `regex` decoder's user patterns with re2js, RE2 in JavaScript: matching takes time
 * linear in the line whatever the pattern. V8's RegExp backtracks, so a pattern like `^(\d+)+$` held
 * the event loop for 5-9 s on one 31-byte line. re2js rather than the native `re2` binding (which
 * builds with node-gyp against the running Node's headers, unavailable offline) or re2-wasm (5x
 * slower per line here, converting every line to UTF-8): bench/regex.ts.
 *
 * Syntax is RE2's: Perl's without backreferences and lookaround, which RE2 cannot run in linear time;
 * unsupportedConstruct names them so validation can refuse them clearly. Named groups may be written
 * `(?P<name>...)` (Python's `re`, as benchmark-ai's log metrics are) or `(?<name>...)`.
 */
import { RE2JS } from "re2js";
import type { Matcher } from "re2js";

/**
 * The constructs of `pattern` (outside character classes and escapes) that RE2 cannot run, described
 * for a message (`backreference \1`, `lookahead (?=`), or "" when there is none.
 */
export function unsupportedConstruct(pattern: string): string {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && next >= "1" && next <= "9") return `backreference \\${next}`;
      if (!inClass && next === "k" && pattern[i + 2] === "<") return "backreference \\k<name>";
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++;
      continue;
    }
    if (c !== "(" || pattern[i + 1] !== "?") continue;
    const head = pattern.slice(i, i + 4);
    if (head.startsWith("(?=")) return "lookahead (?=";
    if (head.startsWith("(?!")) return "lookahead (?!";
    if (head.startsWith("(?<=")) return "lookbehind (?<=";
    if (head.startsWith("(?<!")) return "lookbehind (?<!";
    if (head.startsWith("(?P=")) return "backreference (?P=name)";
    if (head.startsWith("(?>")) return "atomic group (?>";
  }
  return "";
}

/**
 * One compiled rule pattern. `find(line)` searches a line; after it returned true, `value()` and
 * `group(name)` read that match. Not reentrant: one decoder, one thread, one line at a time.
 */
export class CompiledPattern {
  /** Names of the named groups (attributes), in pattern order. */
  readonly names: readonly string[];
  /** 1-based index of the one unnamed capturing group: the value. */
  readonly valueGroup: number;
  readonly #re: RE2JS;
  #matcher: Matcher | undefined;

  constructor(re: RE2JS, valueGroup: number, names: readonly string[]) {
    this.#re = re;
    this.valueGroup = valueGroup;
    this.names = names;
  }

  /** Whether `line` contains a match; the first (leftmost) one is then readable. */
  find(line: string): boolean {
    // test() runs RE2's DFA alone; most lines match no rule, so submatches are found only for matches.
    if (!this.#re.test(line)) return false;
    const m = this.#matcher === undefined ? (this.#matcher = this.#re.matcher(line)) : this.#matcher.resetMatcherInput(line);
    return m.find();
  }

  /** The value group's text in the last match, null when the group did not take part. */
  value(): string | null {
    return this.#matcher?.group(this.valueGroup) ?? null;
  }

  /** A named group's text in the last match, null when it did not take part. */
  group(name: string): string | null {
    return this.#matcher?.group(name) ?? null;
  }
}

/**
 * Compiles `pattern`; throws an Error whose message says what is wrong (a construct RE2 cannot run,
 * invalid syntax, or not exactly one unnamed capturing group).
 */
export function compileValuePattern(pattern: string): CompiledPattern {
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported !== "") {
    throw new Error(`${unsupported} is not supported (patterns run on RE2 in linear time: no backreferences, lookaround or atomic groups)`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new Error(`invalid RE2 syntax: ${(e as Error).message}`);
  }
  const named = re.namedGroups();
  const namedIndexes = new Set(Object.values(named));
  const unnamed: number[] = [];
  for (let g = 1; g <= re.groupCount(); g++) if (!namedIndexes.has(g)) unnamed.push(g);
  if (unnamed.length !== 1) {
    throw new Error(`expected exactly one unnamed capturing group (the value), found ${unnamed.length}`);
  }
  const names = Object.keys(named).sort((a, b) => named[a] - named[b]);
  return new CompiledPattern(re, unnamed[0], names);
}
