/**
 * Seeded random data for tests and benchmarks: the same seed gives the same numbers on every run.
 */

/** A uniform PRNG in [0, 1) (mulberry32). */
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

/** `n` lognormal samples exp(mu + sigma * Z), Z standard normal by Box-Muller. */
export function lognormalSamples(random: () => number, n: number, mu: number, sigma: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = random() || Number.MIN_VALUE;
    const u2 = random();
    out[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return out;
}
