/**
 * Go-style durations as the Collector writes them: `500ms`, `30s`, `5m`, `1h30m`, `1.5s`.
 * A bare `0` is accepted (Go's time.ParseDuration does too); anything else needs a unit.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds for `text`, or why it is not a duration (without the text: messages add `(got VALUE)`). */
export function parseDuration(text: string): { ms: number } | { problem: string } {
  const s = text.trim();
  if (s === "0") return { ms: 0 };
  if (s === "") return { problem: "empty duration" };
  let i = 0;
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? -1 : 1;
    i = 1;
  }
  let total = 0;
  let terms = 0;
  while (i < s.length) {
    TERM.lastIndex = i;
    const m = TERM.exec(s);
    if (m === null) {
      return { problem: 'is not a duration (use a number with a unit: ns, us, ms, s, m, h; e.g. "30s", "5m", "500ms")' };
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
    terms++;
    i = TERM.lastIndex;
  }
  if (terms === 0) return { problem: "is not a duration" };
  return { ms: sign * total };
}

/** Formats milliseconds back into a compact Go-style string (for messages and logs). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
