/**
 * Timing helpers for the benchmarks: warm-up, repeated runs, medians.
 */

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
 * Runs `run` (which performs `ops` operations) `warmup` times, then `reps` times with a GC before
 * each when available; returns the median nanoseconds per operation and the individual figures.
 */
export function nsPerOp(run: () => void, ops: number, reps = 7, warmup = 2): { median: number; runs: number[] } {
  for (let i = 0; i < warmup; i++) run();
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    gc?.();
    const t0 = process.hrtime.bigint();
    run();
    const t1 = process.hrtime.bigint();
    runs.push(Number(t1 - t0) / ops);
  }
  return { median: median(runs), runs };
}

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` lognormal samples exp(mu + sigma * Z). */
export function lognormal(n: number, mu: number, sigma: number, seed = 42): Float64Array {
  const rand = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = rand() || Number.MIN_VALUE;
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = Math.exp(mu + sigma * r * Math.cos(2 * Math.PI * u2));
    if (i + 1 < n) out[i + 1] = Math.exp(mu + sigma * r * Math.sin(2 * Math.PI * u2));
  }
  return out;
}
