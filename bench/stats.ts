/**
 * Timing helpers for the benchmarks: warm-up, repeated runs, medians.
 */
import { lognormalSamples, seededRandom } from "../test/support/random.ts";

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile (0..100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Runs `run` (which performs `ops` operations) `warmup` times, then `reps` times; returns the
 * median nanoseconds per operation and the individual figures. A full GC (when exposed) runs once
 * before the warm-up, so one case's garbage is not collected during the next. Not between
 * repetitions: a forced full GC drops V8's on-stack-replacement code, so every repetition would
 * start again in a lower tier and time the re-optimisation rather than the code (it doubled the
 * figures of the few-nanosecond cases). Garbage a case makes while it runs is its own cost.
 */
export function nsPerOp(run: () => void, ops: number, reps = 7, warmup = 2): { median: number; runs: number[] } {
  gc?.();
  for (let i = 0; i < warmup; i++) run();
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    const t1 = process.hrtime.bigint();
    runs.push(Number(t1 - t0) / ops);
  }
  return { median: median(runs), runs };
}

/** `n` lognormal samples exp(mu + sigma * Z), the same for the same seed. */
export function lognormal(n: number, mu: number, sigma: number, seed = 42): Float64Array {
  return lognormalSamples(seededRandom(seed), n, mu, sigma);
}
