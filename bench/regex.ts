/**
 * Regex engines for the `regex` decoder's user patterns, on realistic log-line rules, in one run:
 * V8's RegExp (backtracking: what the decoder ran before) against linear-time RE2 engines: re2js
 * (RE2 ported to JavaScript), re2-wasm (RE2 compiled to WebAssembly) and re2 (the native binding).
 *
 * 1. CPU per line: every rule tried on every line, as the decoder does (most lines match no rule or
 *    one), extracting the value and the named groups of a match. Median of interleaved rounds.
 * 2. The catastrophic pattern `^(\d+)+$`: RegExp on growing digit runs ending in "x" (time doubles per
 *    digit), the RE2 engines on the 31-byte line and on 10 KB.
 * 3. The decoder itself (regexDecoderFactory) on the same lines: what a Kafka message of lines costs.
 *
 * Engines the project does not depend on are loaded from a scratch install when given one:
 *   npm run bench:regex [-- --candidates /tmp/re-eval/node_modules] [--quick]
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { DecodedBatchBuilder } from "../src/receivers/decoders/batch-builder.ts";
import { regexDecoderFactory } from "../src/receivers/decoders/regex.ts";
import type { RegexOptions } from "../src/receivers/decoders/regex.ts";
import { median } from "./stats.ts";

/** One compiled rule: the value's text and the named groups of a match, or null. */
type Matcher = (line: string) => { value: string; groups: Record<string, string> } | null;
interface Engine {
  readonly name: string;
  compile(rule: Rule): Matcher;
}
interface Rule {
  readonly name: string;
  readonly pattern: string;
  /** Index of the value's (unnamed) group. */
  readonly value: number;
  readonly names: readonly string[];
}

/** Rules as benchmark-ai's log metrics and access-log scrapers write them (RE2 and RegExp syntax alike). */
const RULES: readonly Rule[] = [
  { name: "step_time", pattern: "step (?<step>\\d+) took (\\d+(?:\\.\\d+)?)ms", value: 2, names: ["step"] },
  { name: "throughput", pattern: "Epoch\\[(?<epoch>\\d+)\\] Batch \\[(?<batch>\\d+)\\]\\s+Speed: (\\d+\\.\\d+) samples/sec", value: 3, names: ["epoch", "batch"] },
  { name: "accuracy", pattern: "accuracy=(\\d+\\.\\d+)", value: 1, names: [] },
  {
    name: "response_bytes",
    pattern: '^(?<client>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?<method>[A-Z]+) (?<path>\\S+) [^"]*" (?<status>\\d{3}) (\\d+)',
    value: 5,
    names: ["client", "method", "path", "status"],
  },
  { name: "errors", pattern: "ERROR .* code=(\\d+)", value: 1, names: [] },
];

function lines(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    switch (i % 5) {
      case 0:
        out.push(`2024-05-01T12:00:${String(i % 60).padStart(2, "0")}Z INFO trainer step ${i} took ${(i % 400) + 0.5}ms on worker-${i % 8}`);
        break;
      case 1:
        out.push(`INFO:root:Epoch[${i % 90}] Batch [${i % 1000}]\tSpeed: ${(1000 + (i % 500)).toFixed(2)} samples/sec\taccuracy=0.${(9000 + (i % 999)).toString()}`);
        break;
      case 2:
        out.push(`10.0.${i % 256}.${(i * 7) % 256} - - [01/May/2024:12:00:00 +0000] "GET /api/v1/models/m${i % 50}/predict HTTP/1.1" ${[200, 200, 404, 500][i % 4]} ${1000 + (i % 9000)} "-" "curl/8.5"`);
        break;
      case 3:
        out.push(`2024-05-01T12:00:00Z DEBUG scheduler heartbeat ok queue_depth=${i % 30} pending=${i % 7} lag_ms=${i % 1000} shard=${i % 16}`);
        break;
      default:
        out.push(`2024-05-01T12:00:00Z ERROR predictor request failed code=${500 + (i % 4)} model=m${i % 50} after retries=${i % 3}`);
    }
  }
  return out;
}

type ExecLike = new (pattern: string, flags?: string) => { exec(s: string): RegExpExecArray | null };

/** An engine with RegExp's `exec` interface: V8's own, re2-wasm, the re2 binding. */
function execEngine(name: string, Ctor: ExecLike, flags: string | undefined): Engine {
  return {
    name,
    compile(rule) {
      const re = new Ctor(rule.pattern, flags);
      return (line) => {
        const m = re.exec(line);
        if (m === null) return null;
        const groups: Record<string, string> = {};
        for (const n of rule.names) groups[n] = m.groups?.[n] ?? "";
        return { value: m[rule.value] ?? "", groups };
      };
    },
  };
}

const v8Engine = execEngine("RegExp (V8, backtracking)", RegExp, undefined);

interface Re2jsModule {
  readonly RE2JS: {
    compile(regex: string): {
      test(input: string): boolean;
      matcher(input: string): { find(): boolean; group(g: number | string): string | null };
    };
  };
}

function re2jsEngine(mod: Re2jsModule): Engine {
  return {
    name: "re2js (JavaScript)",
    compile(rule) {
      const p = mod.RE2JS.compile(rule.pattern);
      return (line) => {
        // test() runs the DFA only; most lines match no rule, so groups are extracted for matches alone.
        if (!p.test(line)) return null;
        const m = p.matcher(line);
        if (!m.find()) return null;
        const groups: Record<string, string> = {};
        for (const n of rule.names) groups[n] = m.group(n) ?? "";
        return { value: m.group(rule.value) ?? "", groups };
      };
    },
  };
}

async function loadEngines(candidates: string | undefined): Promise<Engine[]> {
  const engines: Engine[] = [v8Engine];
  const base = candidates === undefined ? import.meta.url : pathToFileURL(`${candidates}/`).href;
  const require = createRequire(base);
  const load = async (pkg: string): Promise<unknown> => {
    try {
      return await import(pathToFileURL(require.resolve(pkg)).href);
    } catch {
      console.log(`(${pkg} not installed${candidates === undefined ? "; pass --candidates DIR" : ` in ${candidates}`}: skipped)`);
      return undefined;
    }
  };
  const re2js = (await load("re2js")) as Re2jsModule | undefined;
  if (re2js !== undefined) engines.push(re2jsEngine(re2js));
  const wasm = (await load("re2-wasm")) as { RE2: ExecLike } | undefined;
  if (wasm !== undefined) engines.push(execEngine("re2-wasm (WebAssembly)", wasm.RE2, "u"));
  const native = (await load("re2")) as { default: ExecLike } | undefined;
  if (native !== undefined) engines.push(execEngine("re2 (native binding)", native.default, undefined));
  return engines;
}

function perLine(engines: readonly Engine[], input: readonly string[], rounds: number): Map<string, number> {
  const compiled = engines.map((e) => ({ name: e.name, rules: RULES.map((r) => e.compile(r)) }));
  // Same matches everywhere, or the comparison means nothing.
  const reference = input.map((l) => compiled[0].rules.map((m) => JSON.stringify(m(l))).join("|"));
  for (const c of compiled) {
    input.forEach((l, i) => {
      const got = c.rules.map((m) => JSON.stringify(m(l))).join("|");
      if (got !== reference[i]) throw new Error(`${c.name} disagrees on ${JSON.stringify(l)}: ${got} vs ${reference[i]}`);
    });
  }
  const times = new Map<string, number[]>(compiled.map((c) => [c.name, []]));
  let sink = 0;
  for (let r = 0; r < rounds + 2; r++) {
    for (const c of compiled) {
      const t0 = process.hrtime.bigint();
      for (const l of input) for (const m of c.rules) if (m(l) !== null) sink++;
      const ns = Number(process.hrtime.bigint() - t0) / input.length;
      if (r >= 2) times.get(c.name)?.push(ns);
    }
  }
  if (sink < 0) console.log(sink);
  return new Map([...times].map(([k, v]) => [k, median(v)]));
}

function catastrophic(engines: readonly Engine[]): void {
  console.log("\n2. `^(\\d+)+$`: ms per line (result in brackets)\n");
  const pattern = "^(\\d+)+$";
  const v8 = new RegExp(pattern);
  v8.test(`${"1".repeat(12)}x`); // compile and tier up first
  for (const digits of [18, 20, 22, 24]) {
    const line = `${"1".repeat(digits)}x`;
    const t0 = performance.now();
    const m = v8.test(line);
    console.log(`| RegExp | ${line.length}-byte line | ${(performance.now() - t0).toFixed(1)} ms | [${m}] |`);
  }
  console.log("| RegExp | 31-byte line | (doubling per digit from the rows above; measured 5-9 s in the issue) | |");
  for (const e of engines.slice(1)) {
    const m = e.compile({ name: "catastrophic", pattern, value: 1, names: [] });
    m("1x"); // compile and tier up first
    for (const line of [`${"1".repeat(30)}x`, "1".repeat(10_000), `${"1".repeat(9_999)}x`]) {
      const t0 = performance.now();
      const r = m(line);
      console.log(`| ${e.name} | ${line.length}-byte line | ${(performance.now() - t0).toFixed(3)} ms | [${r !== null}] |`);
    }
  }
}

function decoder(input: readonly string[], rounds: number): number {
  const options: RegexOptions = {
    rules: RULES.map((r) => ({ name: r.name, units: "", pattern: r.pattern, as: "samples" as const })),
    labels: {},
    max_line_length: 4096,
  };
  const d = regexDecoderFactory.create(options);
  const message = Buffer.from(input.join("\n"));
  const builder = new DecodedBatchBuilder();
  const meta = { timestampMs: 1_700_000_000_000, headers: {} };
  const times: number[] = [];
  for (let r = 0; r < rounds + 2; r++) {
    const t0 = process.hrtime.bigint();
    d.decode(message, meta, builder);
    builder.build();
    if (r >= 2) times.push(Number(process.hrtime.bigint() - t0) / input.length);
  }
  return median(times);
}

const args = process.argv.slice(2);
const at = args.indexOf("--candidates");
const engines = await loadEngines(at >= 0 ? args[at + 1] : undefined);
const rounds = args.includes("--quick") ? 5 : 15;
const input = lines(20_000);
console.log(`1. ns per line, ${RULES.length} rules tried on each of ${input.length} lines (median of ${rounds} rounds)\n`);
console.log("| engine | ns/line | vs RegExp |");
console.log("|---|---|---|");
const perLineNs = perLine(engines, input, rounds);
const base = perLineNs.get(v8Engine.name) ?? NaN;
for (const [name, ns] of perLineNs) console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)} |`);
catastrophic(engines);
console.log(`\n3. regex decoder (the project's engine), ${input.length} lines in one message: ${decoder(input, rounds).toFixed(0)} ns/line`);
